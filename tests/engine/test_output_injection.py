"""Names from a pull request cannot forge what prgate prints or posts.

A file name may hold Markdown, HTML, newlines, ANSI escapes or a line shaped like a
GitHub Actions workflow command. Check-run summaries are rendered here as GitHub renders
them (CommonMark with tables, markdown-it-py) and compared by what a reader sees;
terminal output is read line by line as a CI runner does.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from tests.conftest import run_cli
from workers.engine.findings import CheckResult, Finding, Level
from workers.github.types import Thread, ThreadComment
from workers.publish.check_run import could_not_run, outcome
from workers.publish.review import Diff, marker, plan_review, thread_marker

HOSTILE = [
    "tpl/x` <!-- /.env",
    "tpl/a|b.env",
    "tpl/<img src=x onerror=alert(1)>.env",
    "tpl/**bold** [link](https://evil.example) @everyone.env",
    "tpl/line\nbreak.env",
    "tpl/```\n# heading.env",
]


class _Text(HTMLParser):
    """What a reader sees: the text, and whether any raw HTML (a comment, a tag) got
    through as markup."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.comments: list[str] = []
        self.tags: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)


def _render(markdown: str) -> _Text:
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    seen = _Text()
    seen.feed(html)
    return seen


def _finding(path: str, n: int) -> Finding:
    return Finding("contamination/env-file", Level.ERROR, path, f"(#{n}) Plaintext env file {path}")


def test_a_summary_shows_every_hostile_path_as_written_and_hides_nothing() -> None:
    findings = [_finding(p, n) for n, p in enumerate(HOSTILE)]
    out = outcome(CheckResult("contamination", findings), 10, "main")
    seen = _render(out.summary)
    assert seen.comments == []
    assert "img" not in seen.tags and "a" not in seen.tags
    assert seen.tags.count("tr") == len(HOSTILE) + 1  # every row, and the header
    text = "".join(seen.text)
    for n, path in enumerate(HOSTILE):
        shown = path.replace("\n", "\\n")
        assert shown in text, (path, text)
        assert f"(#{n})" in text
    assert "**bold** [link](https://evil.example)" in text  # shown as written, not as markup
    details = _render(out.text)
    assert details.comments == [] and "img" not in details.tags
    assert details.tags.count("h3") == len(HOSTILE)  # no heading forged, none lost


def test_a_could_not_run_reason_cannot_close_its_block() -> None:
    reason = "tpl/x` <!-- cannot read"
    detail = "```\n<!--\nhidden"
    seen = _render(could_not_run("contamination", reason, detail=detail).summary)
    assert seen.comments == []
    text = "".join(seen.text)
    assert reason in text and "<!--\nhidden" in text
    assert "/prgate accept contamination" in text  # the way out is still shown


def test_only_the_marker_prgate_wrote_is_read_back() -> None:
    """A folder named like the hidden marker must not be taken for it: prgate would resolve
    an open thread and post the finding again on every rerun."""
    forged = "<!-- prgate:finding contamination " + "0" * 32 + " -->"
    f = Finding(
        "contamination/build-output", Level.ERROR, f"tpl/{forged}/", "Build output committed"
    )
    diff = Diff({f"tpl/{forged}/x.js": [range(1, 2)]})
    plan = plan_review([f], diff, [], ["contamination"])
    [(path, body)] = plan.file_comments
    assert body.rstrip().endswith(marker(f))
    thread = Thread("T1", False, True, path, (ThreadComment(1, body, True),))
    assert thread_marker(thread) == ("contamination", f.fingerprint)
    # the same finding on the next run: no new comment, no resolution
    again = plan_review([f], diff, [thread], ["contamination"])
    assert again.file_comments == [] and again.resolve == []


def test_a_suggestion_cannot_be_closed_early_by_the_fixed_line() -> None:
    f = Finding(
        "contamination/secret",
        Level.ERROR,
        "tpl/a.py",
        "Secret",
        start_line=2,
        end_line=2,
        fix="```",
        fix_path="tpl/a.py",
        fix_line=2,
    )
    plan = plan_review([f], Diff({"tpl/a.py": [range(1, 5)]}), [], ["contamination"])
    [comment] = plan.comments
    html = MarkdownIt("commonmark").render(comment.body)
    assert html.count("<pre><code") == 1
    assert '<code class="language-suggestion">```\n</code>' in html  # the line, whole
    seen = _Text()
    seen.feed(html)
    assert seen.comments == [marker(f)[4:-3]]  # prgate's own hidden marker, and no other


def test_terminal_output_forges_no_line_colour_or_workflow_command(tmp_path: Path) -> None:
    from tests.conftest import make_repo

    names = [
        "::error file=README.md,line=1::forged",
        "::add-mask::hunter2.env",
        "tpl/\x1b[2J\x1b[31mred.env",
        "tpl/new\n::warning::line.env",
        "tpl/##[error]old.env",
    ]
    files: dict[str, str | bytes] = {"copier.yml": "_subdirectory: tpl\n"}
    files.update({n if n.startswith("tpl/") else f"tpl/{n}": "A=1\n" for n in names})
    files["::set-output name=x::y.env"] = "A=1\n"
    path = make_repo(tmp_path / "r", files)
    cli = run_cli("check", str(path), "--only", "contamination")
    assert cli.code == 1, cli.stderr
    for stream in (cli.stdout, cli.stderr):
        assert "\x1b" not in stream
        for line in stream.splitlines():
            assert not line.lstrip().startswith("::"), line
            assert "##[" not in line, line
    assert re.search(r"tpl/\\u001b\[2J", cli.stdout), cli.stdout  # shown, escaped


def test_github_annotations_carry_hostile_names_as_data_only(tmp_path: Path) -> None:
    """`--format github`: one annotation per finding, whose file= is the whole name; a name
    cannot end the command early, add a property or start another command."""
    from tests.conftest import make_repo

    names = ["tpl/a,line=9::x.env", "tpl/new\n::warning::line.env", "tpl/50%0A.env"]
    files: dict[str, str | bytes] = {"copier.yml": "_subdirectory: tpl\n"}
    files.update({n: "A=1\n" for n in names})
    path = make_repo(tmp_path / "r", files)
    cli = run_cli("check", str(path), "--only", "contamination", "--format", "github")
    assert cli.code == 1, cli.stderr
    commands = [line for line in cli.stdout.splitlines() if line.startswith("::")]
    assert len(commands) == len(names)
    parsed = {}
    for line in commands:
        # the runner's parse: the command, its properties up to the next `::`, the data
        head, data = line[2:].split("::", 1)
        command, props = head.split(" ", 1)
        fields = dict(p.split("=", 1) for p in props.split(","))
        assert command == "error" and set(fields) == {"file", "title"}
        unescaped = {k: _unescape(v, prop=True) for k, v in fields.items()}
        parsed[unescaped["file"]] = _unescape(data, prop=False)
    assert set(parsed) == {"tpl/a,line=9::x.env", "tpl/new\\n::warning::line.env", "tpl/50%0A.env"}
    for line in cli.stdout.splitlines():
        if not line.startswith("::error "):
            assert not line.lstrip().startswith("::"), line


def _unescape(text: str, *, prop: bool) -> str:
    """What GitHub's runner makes of an escaped value (ActionCommand's unescape)."""
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else [])
    for code, char in pairs:
        text = text.replace(code, char)
    return text.replace("%25", "%")
