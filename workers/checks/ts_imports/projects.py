"""Which tsconfig files are projects: every ``tsconfig.json``, the configs a package.json
script compiles, and the TypeScript version the repository asks for."""

from __future__ import annotations

import posixpath
import re

from workers.checks.ts_imports.host import DEPENDENCY_FIELDS, RepoHost


def is_config(path: str) -> bool:
    name = posixpath.basename(path)
    return (
        name.startswith("tsconfig")
        and name.endswith(".json")
        and "node_modules" not in path.split("/")
    )


def compiled_by_scripts(repo: RepoHost) -> list[str]:
    """The configs a package.json script compiles: ``tsc -p X``, ``--project X``,
    ``tsc -b X Y`` (a folder means its tsconfig.json)."""
    import shlex

    found: list[str] = []
    for manifest in (p for p in repo.paths if posixpath.basename(p) == "package.json"):
        folder = posixpath.dirname(manifest)
        scripts = (repo.package_json(folder) or {}).get("scripts")
        for script in scripts.values() if isinstance(scripts, dict) else ():
            if not isinstance(script, str) or "tsc" not in script:
                continue
            for command in re.split(r"&&|\|\||;|\|", script):
                try:
                    words = shlex.split(command)
                except ValueError:
                    continue
                for config in _tsc_configs(words):
                    path = posixpath.normpath(posixpath.join(folder, config))
                    if not path.endswith(".json"):
                        path = posixpath.join(path, "tsconfig.json")
                    if repo.is_file(path) and path not in found:
                        found.append(path)
    return found


def _tsc_configs(words: list[str]) -> list[str]:
    if "tsc" not in words:
        return []
    words = words[words.index("tsc") + 1 :]
    configs = []
    build = False
    for i, word in enumerate(words):
        if word in ("-p", "--project") and i + 1 < len(words):
            configs.append(words[i + 1])
        elif word in ("-b", "--build"):
            build = True
        elif build and not word.startswith("-"):
            configs.append(word)
    return configs


def typescript_major(repo: RepoHost) -> int | None:
    """The major version of the ``typescript`` the root package.json asks for, if any."""
    manifest = repo.package_json("") or {}
    for key in DEPENDENCY_FIELDS:
        deps = manifest.get(key)
        spec = deps.get("typescript") if isinstance(deps, dict) else None
        if isinstance(spec, str) and (found := re.search(r"(\d+)", spec)):
            return int(found[1])
    return None
