"""Text from a pull request placed in Markdown that GitHub renders. Pure.

File names, finding messages (which quote file names and file contents), fixes and a
maintainer's reason come from the repository or a comment, so any of them may hold
Markdown or HTML: a path like ``x` <!-- /.env`` would close a code span and open an HTML
comment that hides the rest of a summary. Everything untrusted goes through one of these:

* ``text``: a line of prose; control characters shown as escapes (``\\n``), every
  character Markdown or HTML gives a meaning in a line backslash-escaped, and those that
  mean something at a line's start escaped there (CommonMark lets any ASCII punctuation
  be escaped, and the escape renders as the character itself; ``@`` too, so a file name
  mentions nobody);
* ``code``: an inline code span that holds the text exactly, whatever backticks it has;
* ``fenced``: a fenced block that no line of the text can close.

Written here rather than taken from a library: the Markdown libraries on PyPI render
Markdown, none escapes text for GitHub's dialect (GFM tables read ``|`` even inside code).
"""

from __future__ import annotations

import re

from workers.engine.printable import visible

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&@$])")  # meaningful anywhere in a line
_LEADING = re.compile(r"^(\s*(?:\d+)?)([#+=-]|(?<=\d)[.)])")  # meaningful at a start only
_BACKTICKS = re.compile(r"`+")
__all__ = ["code", "fenced", "lines", "text", "visible"]


def text(value: str) -> str:
    """One line of plain text, shown exactly as it is."""
    escaped = _SPECIAL.sub(r"\\\1", visible(value))
    return _LEADING.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def lines(value: str) -> str:
    """Plain text of several lines, each shown exactly as it is."""
    return "  \n".join(text(line) for line in value.splitlines())


def code(value: str, *, in_table: bool = False) -> str:
    """An inline code span showing ``value`` exactly (on one line)."""
    shown = visible(value)
    if in_table:  # GFM splits a table row at `|` before it reads code spans
        shown = shown.replace("|", "\\|")
    longest = max((len(m) for m in _BACKTICKS.findall(shown)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def fenced(value: str, info: str = "") -> str:
    """A fenced code block holding ``value``'s lines as they are."""
    longest = max((len(m) for m in _BACKTICKS.findall(value)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{value}\n{fence}"
