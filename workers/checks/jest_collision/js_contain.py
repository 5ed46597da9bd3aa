"""Options of a Jest config that read what prgate cannot know, and cannot reach the haste map.

``snapshotSerializers: [require.resolve('jest-serializer-ansi-escapes')]`` asks Node
for a path in ``node_modules``; ``testEnvironmentOptions: {x: process.env.X ?? 'on'}``
reads the environment of the machine that runs Jest. Neither can change a haste
option, yet evaluating them fails in the sandbox, and a config that fails is
unpredictable. This module finds such options so that ``js_eval`` can evaluate the
config with each one's value replaced by a stand-in.

An option's value is left out only when leaving it out provably changes nothing the
haste map reads:

* it is a property of the object the file exports (``export default {...}``,
  ``module.exports = {...}``, or a top-level ``const`` that nothing else reads and the
  file exports), its key is written out, and the key is not a haste option
  (``config.HASTE_KEYS``): nothing reads that object before Jest gets it, by a name or
  through ``module.exports``, ``exports`` or a top-level ``this``;
* its value is made only of literals, arrays, objects, template strings, operators,
  conditionals, the unknowable reads (``process.*``, ``require.resolve(...)``), a few
  built-in conversions (``Number.parseInt``, ``String``), and top-level ``const`` names
  of such values that are read nowhere else: no assignment, no call of the config's own
  code, no function, so evaluating it has no effect on anything else;
* the built-ins it may touch (prototypes, iterators, ``globalThis``) are the engine's
  own when the config has run: the sandbox compares them with a snapshot taken before
  (``js_eval_bootstrap.js``) and reports the config unpredictable when one changed.

Any other use of an unknowable value is left in place, and the sandbox reports it as
before: the check could not run.
"""

from __future__ import annotations

from tree_sitter import Node

from workers.checks.typescript_grammar import text

# Nodes whose value is computed from their children alone, with no effect elsewhere.
_PURE = {
    "string",
    "string_fragment",
    "escape_sequence",
    "template_string",
    "template_substitution",
    "number",
    "true",
    "false",
    "null",
    "undefined",
    "regex",
    "regex_pattern",
    "regex_flags",
    "array",
    "object",
    "pair",
    "property_identifier",
    "spread_element",
    "parenthesized_expression",
    "binary_expression",
    "unary_expression",
    "ternary_expression",
    "member_expression",
    "subscript_expression",
    "as_expression",
    "satisfies_expression",
    "non_null_expression",
    "comment",
    "type_identifier",
    "predefined_type",
    "generic_type",
    "type_arguments",
}
_CALLS = {"require.resolve", "Number.parseInt", "parseInt", "Number", "String", "Boolean"}
_NAMES = {"process", "undefined", "NaN", "Infinity", "Number", "String", "Boolean", "parseInt"}


# nodes whose `this` is not the module's (a function's own, or a class's)
_FUNCTION_SCOPES = {
    "function_expression",
    "function_declaration",
    "generator_function_declaration",
    "method_definition",
    "class_declaration",
    "class",
}


def _unwrap(node: Node) -> Node:
    while node.type in (
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
    ):
        node = node.named_children[0]
    return node


def _unknowable(node: Node) -> bool:
    """``process.…`` (the machine that runs Jest) or ``require.resolve(…)`` (node_modules)."""
    if node.type in ("member_expression", "subscript_expression"):
        root = node
        while root.type in ("member_expression", "subscript_expression"):
            found = root.child_by_field_name("object")
            if found is None:
                return False
            root = found
        return root.type == "identifier" and text(root) == "process"
    if node.type == "call_expression":
        fn = node.child_by_field_name("function")
        return fn is not None and text(fn) == "require.resolve"
    return False


class _Scan:
    def __init__(self, root: Node) -> None:
        self.root = root
        self.consts: dict[str, Node] = {}  # top-level const name -> its value
        for stmt in root.named_children:
            if stmt.type == "lexical_declaration" and stmt.children[0].type == "const":
                for decl in stmt.named_children:
                    name = decl.child_by_field_name("name")
                    value = decl.child_by_field_name("value")
                    if name is not None and name.type == "identifier" and value is not None:
                        self.consts[text(name)] = value

    def exported(self) -> Node | None:
        """The object literal the file exports, when nothing else can reach it: not by a
        name, and not through ``module.exports``, ``exports`` or ``this`` (which is
        ``module.exports`` at a CommonJS file's top level) anywhere else in the file."""
        value: Node | None = None
        target: Node | None = None
        for stmt in self.root.named_children:
            if stmt.type == "export_statement" and any(c.type == "default" for c in stmt.children):
                value = stmt.child_by_field_name("value")
            elif stmt.type == "expression_statement":
                expr = stmt.named_children[0]
                left = expr.child_by_field_name("left")
                if expr.type == "assignment_expression" and left and text(left) == "module.exports":
                    value, target = expr.child_by_field_name("right"), left
        if value is None or self._reaches_exports(target):
            return None
        value = _unwrap(value)
        if value.type == "identifier" and text(value) in self.consts:
            name = text(value)
            if self.references(name) != 1:  # read somewhere besides the export
                return None
            value = _unwrap(self.consts[name])
        return value if value.type == "object" else None

    def _reaches_exports(self, export: Node | None) -> bool:
        """Whether code other than the export itself names the exports object."""
        stack = [(self.root, False)]
        while stack:
            node, in_function = stack.pop()
            if node == export:
                continue
            if node.type == "this" and not in_function:
                return True
            if node.type == "identifier" and text(node) == "exports":
                return True
            if node.type == "member_expression" and text(node).startswith("module.exports"):
                return True
            inside = in_function or node.type in _FUNCTION_SCOPES
            stack.extend((child, inside) for child in node.children)
        return False

    def references(self, name: str, within: Node | None = None) -> int:
        count, stack = 0, [within or self.root]
        while stack:
            node = stack.pop()
            if node.type in ("identifier", "shorthand_property_identifier") and text(node) == name:
                parent = node.parent
                declared = (
                    parent is not None
                    and parent.type == "variable_declarator"
                    and (parent.child_by_field_name("name") == node)
                )
                count += 0 if declared else 1
            stack.extend(node.children)
        return count

    def pure(self, node: Node, names: set[str]) -> bool:
        """Evaluating ``node`` reads only literals, unknowables and the ``names``."""
        if _unknowable(node):
            return node.type != "call_expression" or self._pure_args(node, names)
        kind = node.type
        if kind == "identifier":
            return text(node) in _NAMES or text(node) in names
        if kind == "call_expression":
            fn = node.child_by_field_name("function")
            return fn is not None and text(fn) in _CALLS and self._pure_args(node, names)
        if kind == "unary_expression" and node.children[0].type == "delete":
            return False
        if kind == "pair" and node.child_by_field_name("key") is not None:
            key = node.child_by_field_name("key")
            if key is not None and key.type == "computed_property_name":
                return False
        if kind not in _PURE:
            return False
        return all(self.pure(c, names) for c in node.named_children)

    def _pure_args(self, call: Node, names: set[str]) -> bool:
        args = call.child_by_field_name("arguments")
        return args is not None and all(self.pure(a, names) for a in args.named_children)

    def reads_unknowable(self, node: Node, names: set[str]) -> bool:
        stack = [node]
        while stack:
            n = stack.pop()
            if _unknowable(n) or (n.type == "identifier" and text(n) in names):
                return True
            stack.extend(n.named_children)
        return False


def stand_ins(root: Node, haste_keys: tuple[str, ...]) -> dict[int, str]:
    """Node id -> the option (or constant) whose value the sandbox replaces with a stand-in:
    values that read what prgate cannot know and that no haste option can depend on."""
    scan = _Scan(root)
    exported = scan.exported()
    if exported is None:
        return {}
    # constants of unknowable values: each a candidate while every read is inside an option
    # value that is itself left out (checked below, until nothing changes)
    candidates = {
        name
        for name, value in scan.consts.items()
        if scan.pure(value, set()) and scan.reads_unknowable(value, set())
    }
    while True:
        chosen: dict[int, str] = {}
        reads = dict.fromkeys(candidates, 0)
        for pair in exported.named_children:
            key = pair.child_by_field_name("key") if pair.type == "pair" else None
            value = pair.child_by_field_name("value") if pair.type == "pair" else None
            if key is None or value is None or key.type not in ("property_identifier", "string"):
                continue
            name = text(key).strip("'\"")
            if name in haste_keys or not scan.reads_unknowable(value, candidates):
                continue
            if scan.pure(value, candidates):
                chosen[value.id] = name
                for const in candidates:
                    reads[const] += scan.references(const, value)
        kept = {c for c in candidates if reads[c] == scan.references(c)}
        if kept == candidates:
            break
        candidates = kept
    for name in candidates:
        chosen[scan.consts[name].id] = f"the constant {name}"
    return chosen
