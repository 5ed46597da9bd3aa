"""The ``prgate`` command (a contract: docs/architecture.md).

    prgate check [PATH] [--only CHECK]... [--base REF] [--format text|json|sarif] [--config FILE]

(with additions that keep that line's promises: more formats, ``--quiet``,
``--statistics``, ``--exit-zero``, ``--output-file``). Exit status of ``check``: 0 no
error-level finding, 1 error-level findings, 2 usage error or a check that could not run
(never a silent pass, ``--exit-zero`` included).
"""

from workers.cli import app, checker  # noqa: F401 - each registers its commands on main
from workers.cli.common import main

__all__ = ["main"]
