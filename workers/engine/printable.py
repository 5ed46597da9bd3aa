"""Text from a repository (file names, and messages that quote them) made safe to print.

A file name may hold a newline, an ANSI escape or a line shaped like a GitHub Actions
workflow command (``::error file=…::``, ``::add-mask::``): printed raw, it would forge
lines, annotations or masks in a CI log. ``terminal`` is for every line a person reads on
a terminal or in a CI log; ``visible`` is its first step, also used under Markdown.
"""

from __future__ import annotations

import re

# C0 and C1 controls, and the Unicode line and bidirectional-override characters
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str) -> str:
    """``text`` on one line: control and bidirectional-override characters as escapes."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\u{ord(m.group()):04x}"), text)


def terminal(text: str) -> str:
    """One line that no terminal or CI runner reads as anything but text: controls shown as
    escapes, and no workflow command (``::name…::`` at a line's start, ``##[name]``
    anywhere, the runner's old syntax)."""
    shown = visible(text).replace("##[", "##\\[")
    stripped = shown.lstrip()
    if stripped.startswith("::"):
        shown = shown[: len(shown) - len(stripped)] + "\\" + stripped
    return shown
