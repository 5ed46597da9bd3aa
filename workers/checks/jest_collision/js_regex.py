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
    i, n = 0, len(source)
    in_class = False
    while i < n:
        c = source[i]
        if c == "\\":
            if i + 1 >= n:
                raise JsRegexError(f"Invalid regular expression: /{source}/: \\ at end of pattern")
            out.append(_escape(source, i, in_class))
            i += 2
            if source[i - 1] == "k" and not in_class and i < n and source[i] == "<":
                end = source.find(">", i)
                if end < 0:
                    raise JsRegexError(
                        f"Invalid regular expression: /{source}/: invalid named reference"
                    )
                out[-1] = f"(?P={source[i + 1 : end]})"
                i = end + 1
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[":
                c = "\\["  # a literal in JavaScript; Python warns of nested sets
            out.append(c)
            i += 1
            continue
        if c == "[":
            if source.startswith("[^]", i):
                out.append("[\\s\\S]")
                i += 3
                continue
            if source.startswith("[]", i):
                out.append("(?!)")
                i += 2
                continue
            in_class = True
            out.append(c)
            if source.startswith("[^", i):
                out.append("^")
                i += 1
            i += 1
            # "]" right after "[" or "[^" closes the class in JavaScript (handled above);
            # Python would read it as a literal, so nothing more to do here.
            continue
        if c == ".":  # no `s` flag: JavaScript's `.` stops at every line terminator
            out.append(_JS_DOT)
            i += 1
            continue
        if c == "$":  # no `m` flag: the very end, never before a final newline as in Python
            out.append("(?!(?s:.))")
            i += 1
            continue
        if c == "{" and not _QUANTIFIER.match(source, i):
            out.append("\\{")  # not a quantifier in JavaScript ({,2} is in Python 3.11+)
            i += 1
            continue
        if c == "(" and source.startswith("(?", i):
            rest = source[i + 2 : i + 4]
            if rest[:1] in (":", "=", "!") or rest in ("<=", "<!"):
                out.append("(?")
                i += 2
                continue
            if rest[:1] == "<":
                out.append("(?P<")
                i += 3
                continue
            raise JsRegexError(f"Invalid regular expression: /{source}/: Invalid group")
        out.append(c)
        i += 1
    if in_class:
        raise JsRegexError(f"Invalid regular expression: /{source}/: Unterminated character class")
    return "".join(out)


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
