"""The docs name what exists: every check in every list of checks, every anchor a link or a
SARIF helpUri points at, every command and flag the README shows. A new check, renamed
heading or flag that the docs miss fails here, not in a user's hands."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.conftest import run_cli
from workers.engine.formats.sarif import render_sarif
from workers.engine.registry import all_rules
from workers.engine.runner import Report
from workers.shared.names import CHECK_NAMES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {
    "README.md": README,
    "action.yml": (ROOT / "action.yml").read_text(),
    "app.yml": (ROOT / "app.yml").read_text(),
    ".pre-commit-hooks.yaml": (ROOT / ".pre-commit-hooks.yaml").read_text(),
}


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    found = set()
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and (m := re.match(r"^#{1,6} (.+)$", line)):
            text = re.sub(r"[`*]", "", m[1]).strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return found


def _check_lists(text: str) -> list[str]:
    """Paragraph-sized spans that list the checks: each names three or more of them."""
    spans = re.split(r"\n\s*\n|\n\|", text)  # paragraphs, and table rows one by one
    names = [n for n in CHECK_NAMES]
    return [s for s in spans if sum(n in s for n in names) >= 3]


def test_every_list_of_the_checks_names_them_all() -> None:
    missing = []
    for doc, text in DOCS.items():
        for span in _check_lists(text):
            lacking = [n for n in CHECK_NAMES if n not in span]
            if lacking:
                missing.append(f"{doc}: {span.strip()[:120]!r} lacks {lacking}")
    assert not missing, "\n".join(missing)


def test_every_check_has_a_pre_commit_hook() -> None:
    hooks = {h["id"] for h in yaml.safe_load(DOCS[".pre-commit-hooks.yaml"])}
    assert hooks == {"prgate", *(f"prgate-{n}" for n in CHECK_NAMES)}


def test_every_link_and_help_uri_points_at_a_heading() -> None:
    anchors = _anchors(README)
    links = set(re.findall(r"\]\(#([^)]+)\)", README))
    doc = render_sarif(Report(target="x", results=[]), all_rules())
    uris = {r["helpUri"].split("#", 1)[1] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert links | uris <= anchors, sorted((links | uris) - anchors)


def test_every_prgate_command_the_readme_shows_exists() -> None:
    shown = set(re.findall(r"`prgate ([a-z][a-z-]+)", README))  # `prgate check ...`
    blocks = "\n".join(re.findall(r"^```[a-z]*\n(.*?)^```", README, re.M | re.S))
    shown |= set(re.findall(r"^\s*prgate ([a-z][a-z-]+)", blocks, re.M))  # in code blocks
    shown |= set(re.findall(r"python3 dev\.py run ([a-z][a-z-]+)", README))
    listed = run_cli("--help").stdout
    unknown = sorted(c for c in shown if not re.search(rf"^\s+{re.escape(c)}\b", listed, re.M))
    assert not unknown, unknown


def test_every_check_flag_the_readme_shows_exists() -> None:
    shown = set(re.findall(r"prgate check[^\n`]*?(--[a-z-]+)", README))
    help_text = run_cli("check", "--help").stdout
    assert shown and all(flag in help_text for flag in shown), shown
