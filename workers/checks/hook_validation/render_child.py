"""Child process of ``hook_validation.render``: one Copier render, result as JSON on stdout.

Run only by ``render.render_template``. Arguments: source, destination, answers
(JSON), VCS ref (or empty) and ``tasks``, ``no-tasks`` or ``unsafe-no-tasks``.

- ``tasks`` / ``unsafe-no-tasks``: only ever inside the OS sandbox
  (``workers.sandbox``); Copier runs with ``unsafe=True``, so
  ``_jinja_extensions`` load and, for ``tasks``, the template's tasks run.
- ``no-tasks``: outside a sandbox; tasks are skipped and Copier's
  ``unsafe=False`` refuses ``_jinja_extensions``, so no code from the template
  runs but Copier's own sandboxed Jinja.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    src, dest, data_json, vcs_ref, mode = sys.argv[1:6]
    import copier
    from copier.errors import UnsafeTemplateError

    try:
        copier.run_copy(
            src,
            dest,
            data=json.loads(data_json),
            defaults=True,
            skip_tasks=mode != "tasks",
            unsafe=mode != "no-tasks",
            quiet=True,
            overwrite=True,
            vcs_ref=vcs_ref or None,
        )
    except UnsafeTemplateError as exc:
        print(json.dumps({"ok": False, "unsafe": True, "error": str(exc)}))
        return 0
    except Exception as exc:
        print(json.dumps({"ok": False, "unsafe": False, "error": f"{type(exc).__name__}: {exc}"}))
        return 0
    print(json.dumps({"ok": True, "unsafe": False, "error": None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
