"""tree-sitter's TypeScript grammars, loaded once for every check that reads JS/TS source
(jest-collision's configs, ts-imports' module names, nx-generators' factories), and what
the grammar leaves to its readers: telling an import type from an ``import()`` call."""

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


# Where a type stands: tree-sitter parses `typeof import("x")` and `import("x").T` as a call,
# but under one of these it is an import type, which loads nothing at run time (and which
# TypeScript resolves in the file's own mode, where a call always resolves as ESM).
_TYPE_CONTEXTS = frozenset(
    {
        "type_query",
        "type_annotation",
        "type_arguments",
        "type_alias_declaration",
        "type_parameter",
        "constraint",
        "default_type",
        "asserts_annotation",
        "type_predicate_annotation",
        "opting_type_annotation",
        "omitting_type_annotation",
        "implements_clause",
        "property_signature",
        "method_signature",
        "index_signature",
        "call_signature",
        "construct_signature",
    }
)


def is_import_type(call: Node | None) -> bool:
    """Whether the ``import(...)`` call node ``call`` is in fact an import type.

    Where tree-sitter misreads a generic call's type arguments as comparisons (``await
    f<typeof import("x")>()`` becomes ``(await f) < typeof import("x") > ()``, with an
    error node), the import is taken for a type, the reading that gives fewer findings. So
    is ``typeof import("x")`` anywhere, which as an expression would be the ``typeof`` of a
    promise."""
    node = call
    while node is not None and node.parent is not None:
        parent = node.parent
        if parent.type in _TYPE_CONTEXTS or parent.type.endswith("_type"):
            return True
        if parent.type in ("as_expression", "satisfies_expression"):
            # `x as import("y").T`: the type is the operand after the expression
            return parent.named_children[0].id != node.id
        operator = parent.child_by_field_name("operator")
        kind = operator.type if operator is not None else None
        if parent.type == "unary_expression" and kind == "typeof":
            return True
        if (
            parent.type == "binary_expression"
            and kind in ("<", ">")
            and _statement_of(parent).has_error
        ):
            return True
        node = parent
    return False


def _statement_of(node: Node) -> Node:
    """The statement (or whole program) that holds ``node``."""
    while node.parent is not None and not node.type.endswith(("statement", "declaration")):
        node = node.parent
    return node
