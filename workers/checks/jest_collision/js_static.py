"""Read a JavaScript or TypeScript config file without running it, where that is possible.

A Jest config is code from the pull request. Most are a plain object literal
(``module.exports = {...}``, ``export default {...} satisfies Config``, or a
``const config: Config = {...}; export default config``); this module parses
the file with tree-sitter's TypeScript grammar (a superset of what configs
use) and evaluates exactly that shape: literals, arrays, objects, spreads of
such objects, and top-level ``const`` names bound to them. Anything else
raises ``NotStatic`` and ``js_eval`` evaluates the file in an embedded JS engine.
"""

from __future__ import annotations

from typing import Any

from tree_sitter import Node, Tree

from workers.checks.typescript_grammar import parser, text


class NotStatic(Exception):
    """The exported value is not a literal; the message says what stopped the reading."""


class JsSyntaxError(Exception):
    """The file does not parse as JavaScript/TypeScript."""


def parse(source: bytes) -> Tree:
    tree = parser().parse(source)
    if tree.root_node.has_error:
        line = _first_error_line(tree.root_node)
        raise JsSyntaxError(f"syntax error near line {line}")
    return tree


def _first_error_line(node: Node) -> int:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n.start_point[0] + 1
        stack.extend(reversed(n.children))
    return node.start_point[0] + 1


def static_value(source: bytes) -> Any:
    """The value the file exports, when it is a literal; NotStatic otherwise."""
    root = parse(source).root_node
    consts: dict[str, Node] = {}
    exported: Node | None = None
    for stmt in root.named_children:
        kind = stmt.type
        if kind in _INERT:
            continue
        if kind == "import_statement" and any(c.type == "type" for c in stmt.children):
            continue  # import type {...}: erased, runs nothing
        if kind == "lexical_declaration" and stmt.children[0].type == "const":
            for decl in stmt.named_children:
                name, value = decl.child_by_field_name("name"), decl.child_by_field_name("value")
                if decl.type != "variable_declarator" or name is None or value is None:
                    raise NotStatic(f"line {decl.start_point[0] + 1}: not a plain constant")
                if name.type != "identifier":
                    raise NotStatic(f"line {decl.start_point[0] + 1}: a destructuring declaration")
                consts[text(name)] = value
            continue
        if kind == "expression_statement":
            expr = stmt.named_children[0]
            left = (
                expr.child_by_field_name("left") if expr.type == "assignment_expression" else None
            )
            if (
                left is not None
                and text(left) in ("module.exports", "exports")
                and exported is None
            ):
                exported = expr.child_by_field_name("right")
                continue
            if expr.type == "string":  # a directive such as 'use strict'
                continue
        if kind == "export_statement" and exported is None:
            value = stmt.child_by_field_name("value") or stmt.child_by_field_name("declaration")
            if any(c.type == "default" for c in stmt.children) and value is not None:
                exported = value
                continue
        # Any other statement runs code that may change the exported value (or never
        # finish): the sandbox has to run it.
        raise NotStatic(f"line {stmt.start_point[0] + 1}: {kind.replace('_', ' ')} runs code")
    if exported is None:
        raise NotStatic("no `module.exports =` or `export default` of a value")
    evaluator = _Evaluator(consts)
    for node in consts.values():  # a constant that is not a literal ran code at load time
        evaluator.value(node)
    return evaluator.value(exported)


_INERT = {
    "comment",
    "empty_statement",
    "interface_declaration",
    "type_alias_declaration",
    "hash_bang_line",
}


class _Evaluator:
    def __init__(self, consts: dict[str, Node]) -> None:
        self.consts = consts
        self.resolving: set[str] = set()

    def value(self, node: Node) -> Any:
        kind = node.type
        if kind in (
            "as_expression",
            "satisfies_expression",
            "non_null_expression",
            "parenthesized_expression",
        ):
            return self.value(node.named_children[0])
        if kind == "object":
            return self.object(node)
        if kind == "array":
            out = []
            for child in node.named_children:
                if child.type == "spread_element":
                    spread = self.value(child.named_children[0])
                    if not isinstance(spread, list):
                        raise NotStatic(f"line {child.start_point[0] + 1}: spread of a non-array")
                    out.extend(spread)
                elif child.type != "comment":
                    out.append(self.value(child))
            return out
        if kind == "string":
            return _unescape(text(node)[1:-1])
        if kind == "template_string":
            if any(c.type == "template_substitution" for c in node.named_children):
                raise NotStatic(f"line {node.start_point[0] + 1}: a template string with ${{...}}")
            return _template_text(node)
        if kind == "number":
            return _number(text(node))
        if kind in ("true", "false"):
            return kind == "true"
        if kind == "null":
            return None
        if kind == "undefined":
            return _UNDEFINED
        if kind == "unary_expression" and text(node)[:1] in "-+":
            operand = self.value(node.named_children[0])
            if isinstance(operand, int | float) and not isinstance(operand, bool):
                return -operand if text(node).startswith("-") else operand
        if kind == "identifier":
            return self.identifier(text(node), node)
        raise NotStatic(
            f"line {node.start_point[0] + 1}: {kind.replace('_', ' ')} is not a literal"
        )

    def identifier(self, name: str, node: Node) -> Any:
        if name == "undefined":
            return _UNDEFINED
        if name not in self.consts or name in self.resolving:
            raise NotStatic(
                f"line {node.start_point[0] + 1}: `{name}` is not a constant of this file"
            )
        self.resolving.add(name)
        try:
            return self.value(self.consts[name])
        finally:
            self.resolving.discard(name)

    def object(self, node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in node.named_children:
            if child.type == "pair":
                key_node = child.child_by_field_name("key")
                value_node = child.child_by_field_name("value")
                assert key_node is not None and value_node is not None
                key = self.key(key_node)
                out[key] = self.value(value_node)
            elif child.type == "shorthand_property_identifier":
                out[text(child)] = self.identifier(text(child), child)
            elif child.type == "spread_element":
                spread = self.value(child.named_children[0])
                if not isinstance(spread, dict):
                    raise NotStatic(f"line {child.start_point[0] + 1}: spread of a non-object")
                out.update(spread)
            elif child.type != "comment":
                raise NotStatic(
                    f"line {child.start_point[0] + 1}: {child.type.replace('_', ' ')} in an object"
                )
        return {k: v for k, v in out.items() if v is not _UNDEFINED}

    def key(self, node: Node) -> str:
        if node.type == "property_identifier":
            return text(node)
        if node.type == "string":
            return _unescape(text(node)[1:-1])
        if node.type == "number":
            n = _number(text(node))
            return str(int(n)) if float(n).is_integer() else str(n)
        raise NotStatic(f"line {node.start_point[0] + 1}: a computed key")


class _Undefined:
    pass


_UNDEFINED = _Undefined()

_SIMPLE_ESCAPES = {
    "'": "'",
    '"': '"',
    "\\": "\\",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "0": "\0",
    "`": "`",
    "$": "$",
    "\n": "",
}


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\" or i + 1 >= len(body):
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif e == "u" and body[i + 2 : i + 3] == "{":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end], 16)))
            i = end + 1
        elif e == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            out.append(e)  # "\/" is "/", "\d" is "d": JavaScript drops the backslash
            i += 2
    return "".join(out)


def _template_text(node: Node) -> str:
    return _unescape(text(node)[1:-1])


def _number(raw: str) -> int | float:
    raw = raw.replace("_", "")
    low = raw.lower()
    if low.endswith("n"):
        raise NotStatic("a BigInt literal")
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if low.startswith(prefix):
            return int(raw[2:], base)
    value = float(raw)
    return int(value) if value.is_integer() and "e" not in low and "." not in raw else value
