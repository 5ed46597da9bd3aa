"""Compile a JavaScript regular expression (no flags) with Python's ``re``.

Jest joins ``modulePathIgnorePatterns`` into ``new RegExp(parts.join('|'))``
and tests it against absolute paths. Python's ``re`` reads most of that syntax
the same way; this module rewrites the parts it reads differently, so the
haste-map prediction matches what V8 would match:

* ``\\d``, ``\\w``, ``\\b`` are ASCII-only in JavaScript (``re.ASCII``), but
  ``\\s`` is Unicode whitespace (spelled out);
* ``(?<name>...)`` and ``\\k<name>`` are Python's ``(?P<name>...)`` and ``(?P=name)``;
* ``[^]`` matches anything and ``[]`` matches nothing;
* an escaped letter JavaScript does not know (``\\A``, ``\\Z``, ``\\a``...) is
  the letter itself in JavaScript, an anchor or an error in Python;
* group syntax JavaScript rejects (``(?P<x>``, ``(?i)``, ``(?#...)``) raises
  ``JsRegexError``, as ``new RegExp`` would throw ``SyntaxError``;
* ``.`` stops at ``\\r``, ``\\u2028`` and ``\\u2029`` too, ``$`` matches only at the very
  end (Python's also before a final newline), and a ``{`` that does not start
  ``{n}``, ``{n,}`` or ``{n,m}`` is a literal (Python reads ``{,m}`` as a quantifier).

Not a general-purpose translator: no flags, no ``u``/``v`` mode. Where the
two engines would still disagree the difference is a path containing a
character Jest's patterns do not mention.
"""

from __future__ import annotations

import re

# ECMAScript WhiteSpace + LineTerminator, the set \s matches in V8.
_JS_SPACE = (
    "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
_JS_ESCAPES = set("dDwWsSbBnrtvf0cxuk123456789")
_JS_DOT = "[^\\n\\r\\u2028\\u2029]"  # `.` without the `s` flag
_QUANTIFIER = re.compile(r"\{\d+(?:,\d*)?\}")  # the only `{` JavaScript reads as one


class JsRegexError(ValueError):
    """The pattern is not a valid JavaScript regular expression (``new RegExp`` throws)."""


def compile_js(source: str) -> re.Pattern[str]:
    try:
        return re.compile(translate(source), re.ASCII)
    except re.error as exc:
        raise JsRegexError(f"Invalid regular expression: /{source}/: {exc.msg}") from None


def translate(source: str) -> str:
    out: list[str] = []
    i, in_class = 0, False
    while i < len(source):
        if source[i] == "\\":
            text, i = _escaped(source, i, in_class)
        elif in_class:
            text, i, in_class = _in_class(source, i)
        elif source[i] == "[":
            text, i, in_class = _open_class(source, i)
        else:
            text, i = _outside(source, i)
        out.append(text)
    if in_class:
        raise JsRegexError(f"Invalid regular expression: /{source}/: Unterminated character class")
    return "".join(out)


def _escaped(source: str, i: int, in_class: bool) -> tuple[str, int]:
    """The escape at ``source[i]`` (a backslash), and where the pattern goes on."""
    n = len(source)
    if i + 1 >= n:
        raise JsRegexError(f"Invalid regular expression: /{source}/: \\ at end of pattern")
    i += 2
    if source[i - 1] == "k" and not in_class and i < n and source[i] == "<":
        end = source.find(">", i)
        if end < 0:
            raise JsRegexError(f"Invalid regular expression: /{source}/: invalid named reference")
        return f"(?P={source[i + 1 : end]})", end + 1
    return _escape(source, i - 2, in_class), i


def _in_class(source: str, i: int) -> tuple[str, int, bool]:
    """A character inside ``[...]``; ``]`` closes the class."""
    c = source[i]
    if c == "[":
        return "\\[", i + 1, True  # a literal in JavaScript; Python warns of nested sets
    return c, i + 1, c != "]"


def _open_class(source: str, i: int) -> tuple[str, int, bool]:
    """A ``[`` outside a class: ``[^]`` (anything), ``[]`` (nothing), or a class's start.
    A ``]`` right after ``[`` or ``[^`` closes the class in JavaScript (``[]``, ``[^]``
    here); Python would read it as a literal, so nothing more to do."""
    if source.startswith("[^]", i):
        return "[\\s\\S]", i + 3, False
    if source.startswith("[]", i):
        return "(?!)", i + 2, False
    if source.startswith("[^", i):
        return "[^", i + 2, True
    return "[", i + 1, True


def _outside(source: str, i: int) -> tuple[str, int]:
    """Anything else outside a class, where JavaScript and Python read some differently."""
    c = source[i]
    if c == ".":  # no `s` flag: JavaScript's `.` stops at every line terminator
        return _JS_DOT, i + 1
    if c == "$":  # no `m` flag: the very end, never before a final newline as in Python
        return "(?!(?s:.))", i + 1
    if c == "{" and not _QUANTIFIER.match(source, i):
        return "\\{", i + 1  # not a quantifier in JavaScript ({,2} is in Python 3.11+)
    if c == "(" and source.startswith("(?", i):
        rest = source[i + 2 : i + 4]
        if rest[:1] in (":", "=", "!") or rest in ("<=", "<!"):
            return "(?", i + 2
        if rest[:1] == "<":
            return "(?P<", i + 3
        raise JsRegexError(f"Invalid regular expression: /{source}/: Invalid group")
    return c, i + 1


def _escape(source: str, i: int, in_class: bool) -> str:
    e = source[i + 1]
    if e == "s":
        return _JS_SPACE if in_class else f"[{_JS_SPACE}]"
    if e == "S":
        if in_class:  # [\S...]: Python has no way to splice a negated set into a set
            return "\\S"
        return f"[^{_JS_SPACE}]"
    if e == "b" and in_class:
        return "\\x08"
    if e.isascii() and e.isalpha() and e not in _JS_ESCAPES:
        return re.escape(e)  # identity escape: "\A" is "A" in JavaScript
    return "\\" + e
