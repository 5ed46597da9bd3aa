"""Real TypeScript, installed from npm into the tests' cache, as the oracle for ts-imports.

``judge`` runs ``ts_oracle.js``: TypeScript's compiler API does what ``tsc --noEmit -p``
does for each config, in one Node process for many projects.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.npm_cache import npm_install

VERSION = "5.9.3"
SCRIPT = Path(__file__).with_name("ts_oracle.js")
# "Cannot find module" and its kin: TS2307, TS2792 (classic resolution), TS2834/TS2835
# (an ESM import without an extension), TS2732 (a JSON import without resolveJsonModule)
UNRESOLVED = frozenset({2307, 2792, 2834, 2835, 2732})
NO_JSX = 17004
# a `/// <reference path>` to a missing file: "File not found", and the same without an
# extension ("Could not resolve the path ... with the extensions")
MISSING_REFERENCE = frozenset({6053, 6231})


def typescript() -> Path:
    home = npm_install(
        "typescript5",
        f"typescript@{VERSION}",
        "typescript/lib/typescript.js",
        "to compare with real TypeScript",
    )
    return home / "node_modules" / "typescript"


@dataclass(frozen=True)
class Diagnostic:
    config: Path
    file: Path | None
    line: int | None
    code: int
    text: str


def judge(configs: list[Path]) -> list[Diagnostic]:
    """Every diagnostic ``tsc --noEmit -p`` gives for each config."""
    package = typescript()
    proc = subprocess.run(
        ["node", str(SCRIPT), str(package)],
        input=json.dumps([str(c) for c in configs]),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [
        Diagnostic(
            Path(d["config"]),
            Path(d["file"]) if d["file"] else None,
            d["line"],
            d["code"],
            d["text"],
        )
        for d in json.loads(proc.stdout)
    ]
