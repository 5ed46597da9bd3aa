"""What a TypeScript or JavaScript file imports, and whether it holds JSX, read by a parser.

The parser is tree-sitter with its TypeScript and TSX grammars
(``tree-sitter-typescript``, maintained by the tree-sitter organisation; prgate
already reads Jest configs with it): it is written in C, so two thousand files
parse in well under a second, it never gives up on a file with a syntax error (the
rest of the file still yields its imports), and it knows every form that names a
module, which regular expressions get wrong in comments, strings and templates.
TypeScript parses ``.ts`` files without JSX and every other extension with it,
and so does this module (the TSX grammar reads JavaScript too).

Only literal specifiers are read, as TypeScript resolves only those: ``import``
and ``export ... from`` (``import type`` too), ``import x = require()``,
``import()`` and ``import("...")`` types with a string or a template without
substitutions (tree-sitter parses both as a call; ``is_import_type`` tells a type's by
where it stands, and one with a ``resolution-mode`` attribute is not read), ``require()``
(TypeScript resolves it in JavaScript files only), and ``/// <reference path>`` /
``/// <reference types>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from tree_sitter import Node, Parser, Query, QueryCursor

from workers.checks.typescript_grammar import is_import_type
from workers.checks.typescript_grammar import language as grammar

Kind = Literal[
    "import",
    "import-equals",
    "side-effect",
    "dynamic",
    "import-type",
    "require",
    "reference-path",
    "reference-types",
]

_QUERY = """
(import_statement (import_clause) source: (string) @import)
(import_statement . "import" . source: (string) @side)
(export_statement source: (string) @import)
(import_require_clause source: (string) @equals)
(call_expression function: (import) arguments: (arguments . [(string) (template_string)] @dynamic))
(call_expression function: (identifier) @_fn arguments: (arguments . (string) @require)
  (#eq? @_fn "require"))
(ambient_declaration (module name: (string) @ambient))
(comment) @comment
"""
_JSX_QUERY = """
(jsx_element) @jsx
(jsx_self_closing_element) @jsx
"""
# `isAnExternalModuleIndicatorNode`: an import (not `import x = N.y`, an `import_alias`),
# `import x = require()`, `export ...`, `export =`, `export default`
_MODULE_INDICATORS = ("import_statement", "export_statement")
_KINDS: dict[str, Kind] = {
    "import": "import",
    "equals": "import-equals",
    "side": "side-effect",
    "dynamic": "dynamic",
    "require": "require",
}
_REFERENCE = re.compile(r"""^///\s*<reference\s+(path|types)\s*=\s*(["'])(.*?)\2""")
# TypeScript's own patterns (scanner.ts): a directive opens a `//` comment, or any comment
_DIRECTIVE_LINE = re.compile(r"^///?\s*@(ts-expect-error|ts-ignore)")
_DIRECTIVE_BLOCK = re.compile(r"^(?:/|\*)*\s*@(ts-expect-error|ts-ignore)")
_CHECK_PRAGMA = re.compile(r"^//\s*@ts-(no)?check\b|^/\*+\s*@ts-(no)?check\b")


@dataclass(frozen=True)
class Specifier:
    text: str
    kind: Kind
    line: int  # 1-based, where the specifier's string starts
    column: int  # 0-based, in bytes


@dataclass
class Facts:
    """What one file says about modules."""

    specifiers: list[Specifier] = field(default_factory=list)
    ambient: list[str] = field(default_factory=list)  # top-level `declare module "x"` names
    # a top-level import or export: TypeScript takes the file for a module, where
    # `declare module "x"` augments x and declares nothing
    module_syntax: bool = False
    jsx_line: int | None = None  # the first JSX element's line
    check_pragma: bool | None = None  # `// @ts-check` True, `// @ts-nocheck` False
    directive_lines: frozenset[int] = frozenset()  # 1-based lines of @ts-ignore/-expect-error
    quiet_lines: frozenset[int] = frozenset()  # blank or `//`-comment lines just above those


@cache
def _tools(tsx: bool) -> tuple[Parser, Query]:
    language = grammar(tsx)
    return Parser(language), Query(language, _QUERY + (_JSX_QUERY if tsx else ""))


def uses_jsx_grammar(path: str) -> bool:
    """TypeScript parses ``.ts``, ``.mts``, ``.cts`` and ``.d.ts`` without JSX, the rest with."""
    return not path.endswith((".ts", ".mts", ".cts"))


def read_facts(path: str, source: bytes) -> Facts:
    parser, query = _tools(uses_jsx_grammar(path))
    root = parser.parse(source).root_node
    facts = Facts()
    directives: set[int] = set()
    first_statement = _first_statement_line(root)
    captures = QueryCursor(query).captures(root)
    for node in captures.get("comment", []):
        text = _text(node)
        line = node.start_point[0] + 1
        if text.startswith("//"):
            if _DIRECTIVE_LINE.match(text):
                directives.add(line)
            ref = _REFERENCE.match(text)
            if ref and (first_statement is None or line < first_statement):
                kind: Kind = "reference-path" if ref[1] == "path" else "reference-types"
                column = node.start_point[1] + text.index(ref[3], ref.start(3))
                facts.specifiers.append(Specifier(ref[3], kind, line, column))
        elif _DIRECTIVE_BLOCK.match(_last_line(text)):  # TypeScript reads only that line
            directives.add(node.end_point[0] + 1)
        pragma = _CHECK_PRAGMA.match(text)
        if pragma and (first_statement is None or line < first_statement):
            facts.check_pragma = not (pragma[1] or pragma[2])
    for capture, kind in _KINDS.items():
        for node in captures.get(capture, []):
            value = _literal(node)
            if value is None:
                continue
            if kind == "dynamic" and node.parent is not None and is_import_type(node.parent.parent):
                if node.parent is not None and len(node.parent.named_children) > 1:
                    continue  # `import("x", { with: { "resolution-mode": ... } })`: not read
                kind_here: Kind = "import-type"
            else:
                kind_here = kind
            facts.specifiers.append(
                Specifier(value, kind_here, node.start_point[0] + 1, node.start_point[1])
            )
    facts.specifiers.sort(key=lambda s: (s.line, s.column))
    facts.ambient = [
        v for n in captures.get("ambient", []) if _top_level(n) and (v := _literal(n)) is not None
    ]  # nested in a namespace or module, TypeScript refuses it (TS2435)
    facts.module_syntax = any(c.type in _MODULE_INDICATORS for c in root.children)
    jsx = captures.get("jsx", [])
    if jsx:
        facts.jsx_line = min(n.start_point[0] for n in jsx) + 1
    facts.directive_lines = frozenset(directives)
    if directives:  # what `suppressed` walks past, so the source need not be kept
        lines = source.split(b"\n")
        facts.quiet_lines = frozenset(
            n
            for n, text in enumerate(lines, 1)
            if not text.strip() or text.strip().startswith(b"//")
        )
    return facts


def suppressed(facts: Facts, line: int) -> bool:
    """Whether a ``// @ts-ignore`` or ``// @ts-expect-error`` silences an error on ``line``:
    TypeScript looks upward from the line before it, past blank and `//`-comment lines."""
    current = line - 1
    while current >= 1:
        if current in facts.directive_lines:
            return True
        if current not in facts.quiet_lines:
            return False
        current -= 1
    return False


def _top_level(name: Node) -> bool:
    """Whether a module declaration's name belongs to a statement of the file itself."""
    declaration = name.parent.parent if name.parent is not None else None
    return declaration is not None and getattr(declaration.parent, "type", None) == "program"


def _first_statement_line(root: Node) -> int | None:
    for child in root.children:
        if child.type != "comment":
            return int(child.start_point[0]) + 1
    return None


def _literal(node: Node) -> str | None:
    """A string's value, or a template's without substitutions; None for anything else."""
    if node.type == "template_string" and any(
        c.type == "template_substitution" for c in node.children
    ):
        return None
    text = _text(node)[1:-1]
    if "\\" in text:  # TypeScript resolves the string's value: `"./no\\u0070e"` is "./nope"
        return _unescape(text)
    return text


def _last_line(comment: str) -> str:
    """A block comment's last line, from its start (scanner.ts: ``lastLineStart``)."""
    return re.split(r"\r\n?|[\n\u2028\u2029]", comment)[-1]


_ESCAPE = re.compile(
    r"\\(?:u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(\r\n|[\r\n\u2028\u2029])|(.))",
    re.DOTALL,
)
_SINGLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(text: str) -> str | None:
    """A JavaScript string literal's value from its source text (between the quotes); None
    for an escape the language refuses (TypeScript reports that as a syntax error)."""
    out: list[str] = []
    pos = 0
    for m in _ESCAPE.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        braced, four, two, newline, other = m.groups()
        if braced is not None or four is not None or two is not None:
            code = int(braced or four or two, 16)
            if code > 0x10FFFF:
                return None
            out.append(chr(code))
        elif newline is not None:
            continue  # a line continuation is no character
        elif other in _SINGLE and not (other == "0" and text[pos : pos + 1].isdigit()):
            out.append(_SINGLE[other])
        elif other.isdigit() or other in "ux":
            return None  # legacy octal (refused in modules) or a malformed escape
        else:
            out.append(other)
    out.append(text[pos:])
    return "".join(out)


def _text(node: Node) -> str:
    assert node.text is not None
    return node.text.decode("utf-8", "replace")
