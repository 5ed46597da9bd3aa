"""tree-sitter's TypeScript grammars, loaded once for every check that reads JS/TS source
(jest-collision's configs, ts-imports' module names, nx-generators' factories)."""

from __future__ import annotations

from functools import cache

from tree_sitter import Language, Node, Parser


@cache
def language(tsx: bool = False) -> Language:
    """The TypeScript grammar (a superset of JavaScript), or the TSX one."""
    import tree_sitter_typescript

    return Language(
        tree_sitter_typescript.language_tsx()
        if tsx
        else tree_sitter_typescript.language_typescript()
    )


@cache
def parser() -> Parser:
    """A parser of the TypeScript grammar (error-tolerant: check ``has_error`` if it matters)."""
    return Parser(language())


def text(node: Node) -> str:
    """A node's source text."""
    return (node.text or b"").decode("utf-8", "replace")
