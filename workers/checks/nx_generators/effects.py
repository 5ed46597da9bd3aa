"""What a generator does to Nx's tree, read from its source without running it.

The factory is parsed with tree-sitter's TypeScript grammar (JavaScript parses too) and
its calls are followed into the repository's own modules: ``generateFiles`` (the files
of its template folder, named as ``generateFiles`` names them), ``tree.write`` and
``writeJson``, ``addProjectConfiguration``, and Nx's own project generators
(``libraryGenerator``...). Paths are kept symbolic: a part computed from the generator's
options is ``<name>`` (``apps/<name>/src/main.ts``). Whatever prgate cannot follow (a
dynamic import, a computed template folder, the tree handed to code outside the
repository, ``fs`` writes) is recorded in ``unfollowed``, and the check judges no further.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tree_sitter import Node

from workers.checks.nx_generators.collection import (
    compiled_from,
    ignored,
    resolve,
    tsconfig_files,
)
from workers.checks.typescript_grammar import is_import_type, parser, text
from workers.checks.workspaces import declaration, packages_by_name
from workers.engine.views import FileSkipped, RepoView

DEVKIT = (  # where the devkit functions come from (the last: its JSON helpers)
    "@nx/devkit",
    "@nrwl/devkit",
    "nx/src/devkit-exports",
    "nx/src/generators/utils/json",
)
# Nx's generators that make a project (the names @nx/* packages export them under)
PROJECT_GENERATORS = re.compile(
    r"^(library|application|app|lib|host|remote|nodeApplication|e2eProject|plugin|preset)"
    r"Generator(Internal)?$"
)
FS_WRITES = {"writeFileSync", "writeFile", "mkdirSync", "mkdir", "copyFileSync", "cpSync"}
MAX_DEPTH = 8
# expression wrappers that hand on their operand's value unchanged
WRAPPERS = (
    "parenthesized_expression",
    "await_expression",
    "as_expression",
    "satisfies_expression",
    "non_null_expression",
)
FUNCTIONS = ("arrow_function", "function_expression", "function")
EJS = re.compile(rb"<%[\s\S]*?%>")


def _unquote(node: Node) -> str | None:
    if node.type == "string":
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    if node.type == "template_string" and not any(
        c.type == "template_substitution" for c in node.named_children
    ):
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    return None


@dataclass
class MadeProject:
    root: str | None  # symbolic; None: some root prgate cannot name
    targets: bool | None  # has targets; None: cannot tell


@dataclass
class Effects:
    writes: list[str] = field(default_factory=list)  # symbolic paths
    projects: list[MadeProject] = field(default_factory=list)
    packages: list[tuple[str, bool | None]] = field(default_factory=list)  # (dir, scripts)
    reads: set[str] = field(default_factory=set)  # option names the factory reads
    options_escape: bool = False  # the whole options object goes where prgate cannot see
    targets_maybe: bool = False  # an Nx generator that may add targets ran
    unfollowed: list[str] = field(default_factory=list)


# what a name holds while a function is read
OPTIONS, DERIVED, TREE, OTHER = "options", "derived", "tree", "other"


@dataclass
class _Module:
    path: str
    root: Node
    imports: dict[str, tuple[str, str]]  # local name -> (module specifier, imported name)
    functions: dict[str, Node]  # top-level function-valued names
    exports: dict[str, str]  # exported name -> local name
    stars: list[str] = field(default_factory=list)  # `export * from "x"`: the specifiers


class Reader:
    def __init__(self, view: RepoView) -> None:
        self.view = view
        self.modules: dict[str, _Module | None] = {}
        self.manifests: dict[str, dict[str, Any] | None] = {}

    # -- modules --------------------------------------------------------------------------
    def module(self, path: str) -> _Module | None:
        if path not in self.modules:
            self.modules[path] = self._load(path)
        return self.modules[path]

    def _load(self, path: str) -> _Module | None:
        try:
            source = self.view.read(path)
        except FileSkipped:
            return None
        root = parser().parse(source).root_node
        mod = _Module(path, root, {}, {}, {})
        for stmt in root.named_children:
            self._statement(mod, stmt)
        return mod

    def _statement(self, mod: _Module, stmt: Node) -> None:
        kind = stmt.type
        if kind == "import_statement":
            source = stmt.child_by_field_name("source")
            spec = _unquote(source) if source is not None else None
            clause = next((c for c in stmt.named_children if c.type == "import_clause"), None)
            if spec is None or clause is None:
                return
            for part in clause.named_children:
                if part.type == "identifier":
                    mod.imports[text(part)] = (spec, "default")
                elif part.type == "namespace_import":
                    mod.imports[text(part.named_children[-1])] = (spec, "*")
                elif part.type == "named_imports":
                    for item in part.named_children:
                        name, alias = (
                            item.child_by_field_name("name"),
                            item.child_by_field_name("alias"),
                        )
                        if name is not None:
                            mod.imports[text(alias or name)] = (spec, text(name))
        elif kind in ("lexical_declaration", "variable_declaration"):
            for decl in stmt.named_children:
                self._declarator(mod, decl)
        elif kind in ("function_declaration", "generator_function_declaration"):
            name = stmt.child_by_field_name("name")
            if name is not None:
                mod.functions[text(name)] = stmt
        elif kind == "export_statement":
            self._export(mod, stmt)
        elif kind == "expression_statement":
            expr = stmt.named_children[0] if stmt.named_children else None
            if expr is not None and expr.type == "assignment_expression":
                left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
                target = text(left) if left is not None else ""
                if right is None:
                    return
                if target in ("module.exports", "exports.default", "module.exports.default"):
                    self._export_value(mod, "default", right)
                elif target.startswith(("exports.", "module.exports.")):
                    self._export_value(mod, target.rsplit(".", 1)[1], right)

    def _declarator(self, mod: _Module, decl: Node) -> None:
        name, value = decl.child_by_field_name("name"), decl.child_by_field_name("value")
        if name is None or value is None:
            return
        if name.type == "identifier" and value.type in FUNCTIONS:
            mod.functions[text(name)] = value
        elif (spec := _loaded_module(value)) is not None:
            _bind_imports(mod, name, spec)

    def _export(self, mod: _Module, stmt: Node) -> None:
        default = any(c.type == "default" for c in stmt.children)
        decl = stmt.child_by_field_name("declaration")
        value = stmt.child_by_field_name("value")
        if decl is not None:
            if decl.type in ("function_declaration", "generator_function_declaration"):
                name = decl.child_by_field_name("name")
                if name is not None:
                    mod.functions[text(name)] = decl
                    mod.exports["default" if default else text(name)] = text(name)
                elif default:
                    mod.functions["\0default"] = decl
                    mod.exports["default"] = "\0default"
            elif decl.type in ("lexical_declaration", "variable_declaration"):
                for d in decl.named_children:
                    self._declarator(mod, d)
                    name = d.child_by_field_name("name")
                    if name is not None and name.type == "identifier":
                        mod.exports[text(name)] = text(name)
            return
        if default and value is not None:
            self._export_value(mod, "default", value)
            return
        clause = next((c for c in stmt.named_children if c.type == "export_clause"), None)
        source = stmt.child_by_field_name("source")
        if clause is None and source is not None and any(c.type == "*" for c in stmt.children):
            module = _unquote(source)
            if module is not None:
                mod.stars.append(module)
            return
        for spec in clause.named_children if clause is not None else ():
            name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
            if name is None:
                continue
            if source is not None and (module := _unquote(source)) is not None:
                mod.imports[f"\0re:{text(alias or name)}"] = (module, text(name))
                mod.exports[text(alias or name)] = f"\0re:{text(alias or name)}"
            else:
                mod.exports[text(alias or name)] = text(name)

    def _export_value(self, mod: _Module, name: str, value: Node) -> None:
        if value.type in (*FUNCTIONS, "function_declaration"):
            local = f"\0{name}"
            mod.functions[local] = value
            mod.exports[name] = local
        elif value.type == "identifier":
            mod.exports[name] = text(value)
        elif value.type == "call_expression":
            # `export default withIdempotency(async function (tree, options) {...})`: the
            # function a wrapper of the repository's own code is given is the factory
            wrapper = value.child_by_field_name("function")
            args = value.child_by_field_name("arguments")
            inner = next(
                (
                    a
                    for a in (args.named_children if args is not None else ())
                    if a.type in FUNCTIONS
                ),
                None,
            )
            own = (
                wrapper is not None
                and wrapper.type == "identifier"
                and (
                    text(wrapper) in mod.functions
                    or mod.imports.get(text(wrapper), ("", ""))[0].startswith(".")
                )
            )
            if inner is not None and own:
                local = f"\0{name}"
                mod.functions[local] = inner
                mod.exports[name] = local

    def function(self, path: str, export: str, depth: int = 0) -> tuple[_Module, Node] | None:
        """The function ``path`` exports as ``export``, through re-exports."""
        mod = self.module(path)
        if mod is None or depth > MAX_DEPTH:
            return None
        local = mod.exports.get(export)
        if local is None:
            for spec in mod.stars if export != "default" else ():
                target = self.target(mod, spec)
                found = self.function(target, export, depth + 1) if target else None
                if found is not None:
                    return found
            return None
        if local in mod.functions:
            return mod, mod.functions[local]
        if local in mod.imports:
            spec, imported = mod.imports[local]
            target = self.target(mod, spec)
            return self.function(target, imported, depth + 1) if target else None
        return None

    def target(self, mod: _Module, spec: str) -> str | None:
        """The file a module specifier of ``mod`` names: a relative one as Node resolves it;
        a package of the repository that the nearest package.json declares by path
        (``file:../common``), with ``workspace:`` (both link this very code) or at exactly
        the version the repository's package has (released with it), through its
        package.json's entry (or the TypeScript build that writes it); None for any other
        package (installed from a registry: not in the checkout)."""
        if spec.startswith("."):
            return resolve(self.view, posixpath.dirname(mod.path), spec)
        parts = spec.split("/")
        count = 2 if spec.startswith("@") else 1
        name, sub = "/".join(parts[:count]), "/".join(parts[count:])
        how = declaration(name, posixpath.dirname(mod.path), self.package_json)
        if how is None:
            return None
        folder = how[1]
        if how[0] in ("workspace", "registry"):
            named = self.packages_named.get(name, [])
            folder = named[0] if len(named) == 1 else ""
        if how[0] == "registry" and folder:
            # an exact version the repository's package of that name has: released
            # together (nxext's plugins and @nxext/common); a range may be other code
            version = (self.package_json(folder) or {}).get("version")
            if not (isinstance(version, str) and how[1] == version):
                return None
        manifest = self.package_json(folder) if folder else None
        entry = _entry(manifest, sub) if manifest is not None else None
        if entry is None:
            return None
        found = resolve(self.view, folder, entry)
        written = posixpath.normpath(posixpath.join(folder, entry))
        if found is None and ignored(self.view, written):  # build output: from its source
            compiled = compiled_from(self.view, written, self.tsconfigs)
            found = resolve(self.view, "", compiled) if compiled is not None else None
        if found is None and (mapped := self.aliases.get(spec)) is not None:
            # no entry in the source folder (Nx's build writes `main` into dist/): the
            # workspace's own `paths` say where the name's source is, inside that package
            inside = mapped.startswith(folder + "/")
            found = resolve(self.view, "", mapped) if inside else None
        return found

    @cached_property
    def aliases(self) -> dict[str, str]:
        """The root tsconfig files' ``paths`` that map a name to one file (Nx's
        ``tsconfig.base.json``: ``"@nxext/common": ["packages/common/src/index.ts"]``)."""
        from workers.checks.ts_imports.tsconfig import parse_jsonc

        found: dict[str, str] = {}
        for config in ("tsconfig.base.json", "tsconfig.json"):
            try:
                data = parse_jsonc(self.view.read_text(config)) if self.view.entry(config) else None
            except (FileSkipped, ValueError, RecursionError):
                continue
            options = data.get("compilerOptions") if isinstance(data, dict) else None
            paths = options.get("paths") if isinstance(options, dict) else None
            base = options.get("baseUrl", ".") if isinstance(options, dict) else "."
            for name, targets in (paths or {}).items() if isinstance(paths, dict) else ():
                if isinstance(targets, list) and len(targets) == 1 and "*" not in name:
                    target = targets[0]
                    if isinstance(target, str) and isinstance(base, str):
                        found.setdefault(name, posixpath.normpath(posixpath.join(base, target)))
        return found

    def exported_from(self, mod: _Module, spec: str, name: str, depth: int = 0) -> tuple[str, str]:
        """Where ``name`` of the module ``spec`` comes from, through re-exports: the package
        and the name in it, where the chain leaves the repository; (name, spec) otherwise."""
        target = self.target(mod, spec) if depth <= MAX_DEPTH else None
        there = self.module(target) if target is not None else None
        local = there.exports.get(name) if there is not None else None
        if there is not None and local is None:  # behind `export * from './lib'`?
            for star in there.stars:
                inner = self.target(there, star)
                found = self.module(inner) if inner is not None else None
                if found is not None and name in found.exports:
                    return self.exported_from(there, star, name, depth + 1)
        if there is None or local is None or local not in there.imports:
            return name, spec
        outer, imported = there.imports[local]
        if self.target(there, outer) is None:
            return imported, outer
        return self.exported_from(there, outer, imported, depth + 1)

    def package_json(self, folder: str) -> dict[str, Any] | None:
        if folder not in self.manifests:
            path = posixpath.join(folder, "package.json") if folder else "package.json"
            try:
                data = json.loads(self.view.read_text(path)) if self.view.entry(path) else None
            except (FileSkipped, ValueError, RecursionError):
                data = None
            self.manifests[folder] = data if isinstance(data, dict) else None
        return self.manifests[folder]

    @cached_property
    def packages_named(self) -> dict[str, list[str]]:
        """Package name -> the folders of the package.json files that have it."""
        manifests = (
            p
            for p in self.view.paths(symlinks=False)
            if posixpath.basename(p) == "package.json" and "node_modules/" not in p
        )
        return packages_by_name(manifests, self.package_json)

    @cached_property
    def tsconfigs(self) -> list[str]:
        return tsconfig_files(self.view)


class Walk:
    """One generator: its factory's body, and every function of the repository it calls."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.returned: dict[str, str] = {}  # fields of the last followed call's return
        self.effects = Effects()
        self.seen: set[tuple[str, int]] = set()

    def run(self, mod: _Module, fn: Node) -> Effects:
        params = _params(fn)
        env: dict[str, str] = {}
        sym: dict[str, str] = {}
        if params:
            env[params[0][0]] = TREE
        if len(params) > 1:
            name, pattern = params[1]
            if pattern is not None:
                self._destructure(pattern, env, sym, OPTIONS)
            else:
                env[name] = OPTIONS
        self._function(mod, fn, env, sym, 0)
        return self.effects

    # -- values ---------------------------------------------------------------------------
    def kind(self, node: Node, env: dict[str, str]) -> str:
        if node.type == "identifier":
            return env.get(text(node), OTHER)
        if node.type in WRAPPERS:
            return self.kind(node.named_children[0], env) if node.named_children else OTHER
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type in ("identifier", "shorthand_property_identifier") and env.get(text(n)) in (
                OPTIONS,
                DERIVED,
            ):
                return DERIVED
            if n.type in FUNCTIONS:
                continue
            stack.extend(n.named_children)
        return OTHER

    def symbolic(self, node: Node, env: dict[str, str], sym: dict[str, str], here: str) -> str:
        """The path an expression names: literals as written, ``<x>`` for a part computed
        from the options, ``*`` for any other part, ``@/dir`` for ``__dirname``."""
        kind = node.type
        if kind in WRAPPERS and node.named_children:
            return self.symbolic(node.named_children[0], env, sym, here)
        literal = _unquote(node)
        if literal is not None:
            return literal
        if kind in ("identifier", "shorthand_property_identifier"):  # `{ root }` too
            name = text(node)
            if name == "__dirname":
                return "@/" + posixpath.dirname(here)
            if name in sym:
                return sym[name]
            return f"<{name}>" if env.get(name) in (OPTIONS, DERIVED) else "*"
        if kind == "template_string":
            parts = []
            for c in node.named_children:
                if c.type == "string_fragment":
                    parts.append(text(c))
                elif c.type == "template_substitution" and c.named_children:
                    parts.append(self.symbolic(c.named_children[0], env, sym, here))
            return "".join(parts)
        if (
            kind == "binary_expression"
            and text(node.child_by_field_name("operator") or node) == "+"
        ):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                return self.symbolic(left, env, sym, here) + self.symbolic(right, env, sym, here)
        if kind == "call_expression":
            fn = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            name = text(fn).rsplit(".", 1)[-1] if fn is not None else ""
            if args is not None and name in (
                "join",
                "joinPathFragments",
                "resolve",
                "normalizePath",
            ):
                parts = [self.symbolic(a, env, sym, here) for a in args.named_children]
                joined = posixpath.join(*parts) if parts else ""
                return posixpath.normpath(joined) if joined else joined
        if kind == "member_expression":
            prop = node.child_by_field_name("property")
            if text(node) in sym:  # a field of what one of the repository's functions returned
                return sym[text(node)]
            if self.kind(node, env) == DERIVED and prop is not None:
                return f"<{text(prop)}>"
        return f"<{_short(node)}>" if self.kind(node, env) == DERIVED else "*"

    # -- reading a function ---------------------------------------------------------------
    def _function(
        self, mod: _Module, fn: Node, env: dict[str, str], sym: dict[str, str], depth: int
    ) -> None:
        key = (mod.path, fn.start_byte)
        if key in self.seen or depth > MAX_DEPTH:
            return
        self.seen.add(key)
        body = fn.child_by_field_name("body")
        if body is not None:
            self._visit(mod, body, env, sym, depth)  # a block, or an arrow's expression
        self.seen.discard(key)

    def _walk(
        self, mod: _Module, node: Node, env: dict[str, str], sym: dict[str, str], depth: int
    ) -> None:
        for child in node.named_children:
            self._visit(mod, child, env, sym, depth)

    def _visit(
        self, mod: _Module, node: Node, env: dict[str, str], sym: dict[str, str], depth: int
    ) -> None:
        """One node, in source order: declarations bind names, calls are followed."""
        kind = node.type
        if kind == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and value is not None and (spec := _loaded_module(value)):
                _bind_imports(mod, name, spec, keep=True)  # `const { x } = require('y')`
            if value is not None:
                self.returned = {}
                self._visit(mod, value, env, sym, depth)
                if (
                    name is not None
                    and name.type == "identifier"
                    and _unwrap(value).type == ("call_expression")
                ):
                    for field_name, path in self.returned.items():
                        sym[f"{text(name)}.{field_name}"] = path
                if name is not None:
                    self._bind(name, value, env, sym, mod.path)
            return
        if kind == "call_expression":
            self._walk(mod, node, env, sym, depth)
            self._call(mod, node, env, sym, depth)
            return
        if kind == "member_expression":
            self._member(node, env)
        if kind == "identifier" and env.get(text(node)) == OPTIONS and not _read_only(node):
            self.effects.options_escape = True  # used whole: its reads are not all seen
        if kind == "shorthand_property_identifier" and env.get(text(node)) == OPTIONS:
            self.effects.options_escape = True
        spread = node.named_children[0] if node.named_children else None
        if kind == "spread_element" and spread is not None and env.get(text(spread)) == OPTIONS:
            self.effects.options_escape = True
        if kind == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None and left.type == "identifier":
                self._visit(mod, right, env, sym, depth)
                self._bind(left, right, env, sym, mod.path)
                return
        self._walk(mod, node, env, sym, depth)

    def _member(self, node: Node, env: dict[str, str]) -> None:
        if node.type != "member_expression":
            return
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if (
            obj is not None
            and prop is not None
            and obj.type == "identifier"
            and env.get(text(obj)) == OPTIONS
        ):
            self.effects.reads.add(text(prop))

    def _bind(
        self, name: Node, value: Node, env: dict[str, str], sym: dict[str, str], here: str
    ) -> None:
        if name.type == "identifier":
            kind = self.kind(value, env)
            if value.type == "identifier" and env.get(text(value)) == OPTIONS:
                kind = OPTIONS
            env[text(name)] = kind
            sym[text(name)] = self.symbolic(value, env, sym, here)
        elif name.type == "object_pattern":
            source = self.kind(value, env)
            whole = value.type == "identifier" and env.get(text(value)) == OPTIONS
            self._destructure(name, env, sym, OPTIONS if whole else source)

    def _destructure(
        self, pattern: Node, env: dict[str, str], sym: dict[str, str], source: str
    ) -> None:
        for item in pattern.named_children:
            if item.type == "shorthand_property_identifier_pattern":
                env[text(item)] = DERIVED if source in (OPTIONS, DERIVED) else OTHER
                sym.pop(text(item), None)
                if source == OPTIONS:
                    self.effects.reads.add(text(item))
            elif item.type == "pair_pattern":
                key, val = item.child_by_field_name("key"), item.child_by_field_name("value")
                if key is not None and source == OPTIONS:
                    self.effects.reads.add(text(key))
                if val is not None and val.type == "identifier":
                    env[text(val)] = DERIVED if source in (OPTIONS, DERIVED) else OTHER
            elif item.type == "object_assignment_pattern":
                left = item.child_by_field_name("left")
                if left is not None:
                    env[text(left)] = DERIVED if source in (OPTIONS, DERIVED) else OTHER
                    if source == OPTIONS:
                        self.effects.reads.add(text(left))
            elif item.type == "rest_pattern" and source == OPTIONS:
                self.effects.options_escape = True
                if item.named_children:
                    env[text(item.named_children[0])] = OPTIONS

    # -- calls ----------------------------------------------------------------------------
    def _loads_a_module(self, call: Node, fn: Node, args: list[Node]) -> bool:
        """``import(...)`` and ``require(...)``: an import type loads nothing; a dynamic
        import, or a require of a computed path, loads code prgate does not follow."""
        line = call.start_point[0] + 1
        if fn.type == "import":
            # `ensurePackage<typeof import('@nx/vite')>` is a type; `const { x } = await
            # import('@nx/vite')` binds names whose calls are judged as that package's
            bound = _declared_by(call) and args and _unquote(args[0]) is not None
            if not is_import_type(call) and not bound:
                self.effects.unfollowed.append(f"a dynamic import() at line {line}")
            return True
        if text(fn) == "require" and (not args or _unquote(args[0]) is None):
            self.effects.unfollowed.append(f"a require() of a computed path at line {line}")
            return True
        return False

    def _call(
        self, mod: _Module, call: Node, env: dict[str, str], sym: dict[str, str], depth: int
    ) -> None:
        fn = call.child_by_field_name("function")
        args_node = call.child_by_field_name("arguments")
        args = list(args_node.named_children) if args_node is not None else []
        if fn is None or self._loads_a_module(call, fn, args):
            return
        kinds = [self.kind(a, env) for a in args]
        passes_tree = any(a.type == "identifier" and env.get(text(a)) == TREE for a in args)
        whole_options = any(a.type == "identifier" and env.get(text(a)) == OPTIONS for a in args)
        name, origin = self._origin(mod, fn, env)
        if origin not in (None, "tree", "local") and self._local(mod, fn, name, origin) is None:
            # a repository module that re-exports it from a package (`export { x } from
            # '@nx/js/internal'`): judged as a call of that package's
            name, origin = self.reader.exported_from(mod, origin, name)
        if origin == "tree":
            self._tree_call(mod, name, args, env, sym)
            return
        if origin in DEVKIT:
            self._devkit(mod, name, args, env, sym)
            return
        if origin is not None and origin.startswith(("@nx/", "@nrwl/")):
            if PROJECT_GENERATORS.match(name):
                self.effects.projects.append(MadeProject(None, None))
            elif passes_tree:
                self.effects.targets_maybe = True
            return
        if (
            origin in ("fs", "node:fs", "fs-extra", "fs/promises", "node:fs/promises")
            and name in FS_WRITES
        ):
            self.effects.unfollowed.append(
                f"it writes with {origin}.{name} (line {call.start_point[0] + 1}), "
                "outside Nx's tree"
            )
            return
        target = self._local(mod, fn, name, origin)
        if target is not None:
            tmod, tfn = target
            params = _params(tfn)
            inner: dict[str, str] = {}
            inner_sym: dict[str, str] = {}
            for i, (pname, pattern) in enumerate(params):
                if i >= len(args):
                    break
                arg = args[i]
                k = kinds[i]
                if arg.type == "identifier" and env.get(text(arg)) in (OPTIONS, TREE):
                    k = env[text(arg)]
                if pattern is not None:
                    self._destructure(pattern, inner, inner_sym, k)
                else:
                    inner[pname] = k
                    inner_sym[pname] = self.symbolic(arg, env, sym, mod.path)
            self._function(tmod, tfn, inner, inner_sym, depth + 1)
            self.returned = self._fields(tmod, tfn, inner, inner_sym)
            return
        if whole_options:
            self.effects.options_escape = True  # read by code prgate does not follow
        if passes_tree:
            what = text(fn)
            where = f" from {origin!r}" if origin else ""
            self.effects.unfollowed.append(
                f"it hands the tree to {what}{where}, which prgate cannot read"
            )

    def _fields(
        self, mod: _Module, fn: Node, env: dict[str, str], sym: dict[str, str]
    ) -> dict[str, str]:
        """The paths a function returns in an object literal (``return { ...options,
        projectRoot: joinPathFragments('libs', options.name) }``), by field."""
        body = fn.child_by_field_name("body")
        if body is None:
            return {}
        returned = (
            [body]
            if body.type != "statement_block"
            else [
                r.named_children[0]
                for r in body.named_children
                if r.type == "return_statement" and r.named_children
            ]
        )
        if len(returned) != 1 or _unwrap(returned[0]).type != "object":
            return {}
        fields = {}
        for item in _unwrap(returned[0]).named_children:
            key = item.child_by_field_name("key") if item.type == "pair" else None
            value = item.child_by_field_name("value") if item.type == "pair" else None
            if key is not None and value is not None:
                fields[_unquote(key) or text(key)] = self.symbolic(value, env, sym, mod.path)
            elif item.type == "shorthand_property_identifier":
                fields[text(item)] = self.symbolic(item, env, sym, mod.path)
        return fields

    def _origin(self, mod: _Module, fn: Node, env: dict[str, str]) -> tuple[str, str | None]:
        """The called name, and where it comes from: a module specifier, "tree" for a method
        of the tree, "local" for this module's own function, or None (unknown)."""
        if fn.type == "identifier":
            name = text(fn)
            if name in mod.imports:
                spec, imported = mod.imports[name]
                return (imported if imported != "*" else name), spec
            return name, "local" if name in mod.functions else None
        if fn.type == "member_expression":
            obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
            if obj is None or prop is None:
                return text(fn), None
            if obj.type == "identifier":
                if env.get(text(obj)) == TREE:
                    return text(prop), "tree"
                if text(obj) in mod.imports:
                    return text(prop), mod.imports[text(obj)][0]
            return text(prop), None
        return text(fn), None

    def _local(
        self, mod: _Module, fn: Node, name: str, origin: str | None
    ) -> tuple[_Module, Node] | None:
        if origin == "local" and fn.type == "identifier":
            return mod, mod.functions[name]
        if origin is not None and origin not in ("local", "tree"):
            target = self.reader.target(mod, origin)
            if target is not None:
                found = self.reader.function(target, name if name != "*" else "default")
                if found is None and fn.type == "identifier":
                    _, imported = mod.imports.get(text(fn), (origin, name))
                    found = self.reader.function(target, imported)
                return found
        return None

    def _tree_call(
        self, mod: _Module, name: str, args: list[Node], env: dict[str, str], sym: dict[str, str]
    ) -> None:
        if name in ("write", "create", "overwrite") and args:
            path = self.symbolic(args[0], env, sym, mod.path)
            self._wrote(path, _json_literal(args[1] if len(args) > 1 else None))

    def _devkit(
        self, mod: _Module, name: str, args: list[Node], env: dict[str, str], sym: dict[str, str]
    ) -> None:
        if name == "generateFiles" and len(args) >= 3:
            self._generate_files(mod, args, env, sym)
        elif name == "addProjectConfiguration" and len(args) >= 3:
            config = _object(args[2])
            root = None
            targets: bool | None = None
            if config is not None:
                if (given := config.get("root")) is not None:
                    root = tree_path(self.symbolic(given, env, sym, mod.path))
                targets = _has_entries(config.get("targets")) if "targets" in config else False
                if "\0spread" in config:
                    targets = targets or None
            self.effects.projects.append(MadeProject(root, targets))
        elif name == "writeJson" and len(args) >= 2:
            path = self.symbolic(args[1], env, sym, mod.path)
            self._wrote(path, _json_literal(args[2] if len(args) > 2 else None))

    def _wrote(self, path: str, content: dict[str, object] | None) -> None:
        """A file written at ``path`` (symbolic); ``content``: its JSON object, when known."""
        path = tree_path(path)
        self.effects.writes.append(path)
        base = posixpath.basename(path)
        root = posixpath.dirname(path)
        if base == "project.json":
            targets = None if content is None else _has_entries_value(content.get("targets"))
            self.effects.projects.append(MadeProject(root, targets))
        elif base == "package.json":
            scripts = None if content is None else _has_entries_value(content.get("scripts"))
            self.effects.packages.append((root, scripts))

    def _generate_files(
        self, mod: _Module, args: list[Node], env: dict[str, str], sym: dict[str, str]
    ) -> None:
        src = self.symbolic(args[1], env, sym, mod.path)
        folders = self._template_folders(src)
        if not folders:
            self.effects.unfollowed.append(
                f"generateFiles' template folder is computed ({text(args[1])})"
            )
            return
        for folder in folders:
            self._template(mod, folder, args, env, sym)

    def _template_folders(self, src: str) -> list[str]:
        """The folders a template path names: itself, or, when an option picks a folder
        (``files/<language>``), every folder of the repository it may pick."""
        if not src.startswith("@/") or "*" in src:
            return []
        path = posixpath.normpath(src[2:])
        if "<" not in path:
            return [path]
        parts = path.split("/")
        fixed = [i for i, p in enumerate(parts) if "<" in p]
        if fixed != [len(parts) - 1] or parts[-1] != f"<{parts[-1][1:-1]}>":
            return []  # only a whole last part chosen by an option
        parent = "/".join(parts[:-1])
        chosen = set()
        for path in self.reader.view.below(parent):
            rest = path[len(parent) + 1 :]
            if "/" in rest:
                chosen.add(f"{parent}/{rest.split('/')[0]}")
        return sorted(chosen)

    def _template(
        self, mod: _Module, folder: str, args: list[Node], env: dict[str, str], sym: dict[str, str]
    ) -> None:
        dest = self.symbolic(args[2], env, sym, mod.path)
        known: dict[str, str] = {}
        spread = False
        if len(args) > 3:
            subs = _object(args[3])
            if subs is None:
                spread = True
            else:
                spread = "\0spread" in subs
                for key, value in subs.items():
                    if key.startswith("\0"):
                        continue
                    literal = _unquote(value) if value is not None else None
                    known[key] = literal if literal is not None else f"<{key}>"
        view = self.reader.view
        files = view.below(folder)
        if not files:
            self.effects.unfollowed.append(
                f"generateFiles' template folder {folder}/ has no files in the repository"
            )
            return
        for rel_path in files:
            rel = rel_path[len(folder) + 1 :]
            if rel.endswith(".template"):
                rel = rel[: -len(".template")]
            for key, replacement in known.items():
                rel = rel.replace(f"__{key}__", replacement)
            if spread:
                rel = re.sub(r"__([A-Za-z0-9_]+?)__", lambda m: f"<{m[1]}>", rel)
            path = posixpath.join(dest, rel) if dest else rel
            content = _template_json(view, rel_path) if rel.endswith(".json") else None
            self._wrote(path, content)


def _loaded_module(value: Node) -> str | None:
    """The module a ``require('x')``, an ``await import('x')`` or Nx's
    ``ensurePackage('x', version)`` (which returns that package's module) loads, by its
    literal name."""
    call = _unwrap(value)
    fn = call.child_by_field_name("function") if call.type == "call_expression" else None
    args = call.child_by_field_name("arguments") if fn is not None else None
    first = args.named_children[0] if args is not None and args.named_children else None
    if call.type == "binary_expression":  # tree-sitter's reading of `f<T>('x', v)`
        fn, first = _generic_call(call)
    if fn is None or first is None:
        return None
    if fn.type != "import" and text(fn).rsplit(".", 1)[-1] not in LOADERS:
        return None
    return _unquote(first)


LOADERS = ("require", "ensurePackage")


def _declared_by(call: Node) -> bool:
    """Whether ``call`` is the value (awaited, or not) a declaration binds names to."""
    node = call
    while node.parent is not None and node.parent.type in WRAPPERS:
        node = node.parent
    return node.parent is not None and node.parent.type == "variable_declarator"


def _generic_call(node: Node) -> tuple[Node | None, Node | None]:
    """``ensurePackage<typeof import('x')>('x', v)``, which tree-sitter reads as the
    comparisons ``(ensurePackage < typeof import('x')) > ('x', v)``: the function and the
    first argument (both None for a real comparison)."""
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    if left is None or right is None or operator is None or operator.type != ">":
        return None, None
    inner = left.child_by_field_name("left") if left.type == "binary_expression" else None
    if inner is None or right.type != "parenthesized_expression" or not right.named_children:
        return None, None
    args = right.named_children[0]
    first = args.named_children[0] if args.type == "sequence_expression" else args
    return inner, first


def _bind_imports(mod: _Module, name: Node, spec: str, keep: bool = False) -> None:
    """The names a ``require``-like declaration binds, as imports of ``mod`` (``keep``: in
    a function body, a module-level import of the same name wins)."""
    bound: dict[str, tuple[str, str]] = {}
    if name.type == "identifier":
        bound[text(name)] = (spec, "*")
    elif name.type == "object_pattern":
        for item in name.named_children:
            if item.type == "shorthand_property_identifier_pattern":
                bound[text(item)] = (spec, text(item))
            elif item.type == "pair_pattern":
                key, val = item.child_by_field_name("key"), item.child_by_field_name("value")
                if key is not None and val is not None:
                    bound[text(val)] = (spec, text(key))
    for local, imported in bound.items():
        if not keep or local not in mod.imports:
            mod.imports[local] = imported


def tree_path(path: str) -> str:
    """A path as Nx's tree keeps it: relative to the workspace root, without ``./``, empty
    segments or a leading ``/`` (``tree.write(`./${root}/pom.xml`)`` writes ``<root>/pom.xml``)."""
    return "/".join(part for part in path.split("/") if part not in ("", "."))


def _unwrap(node: Node) -> Node:
    while node.type in WRAPPERS and node.named_children:
        node = node.named_children[0]
    return node


def _read_only(node: Node) -> bool:
    """Whether the options object at ``node`` is only read from here (``options.x``,
    ``const {x} = options``, an alias, or an argument: calls account for their own)."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "member_expression":
        return parent.child_by_field_name("object") == node
    if parent.type == "arguments":
        return True
    if parent.type == "variable_declarator":
        return parent.child_by_field_name("value") == node
    return parent.type in ("required_parameter", "optional_parameter", "formal_parameters")


def _short(node: Node) -> str:
    return re.sub(r"\W+", "", text(node).rsplit(".", 1)[-1])[:24] or "value"


def _params(fn: Node) -> list[tuple[str, Node | None]]:
    """(name, destructuring pattern or None) of each parameter."""
    single = fn.child_by_field_name("parameter")
    if single is not None:
        return [(text(single), None)]
    params = fn.child_by_field_name("parameters")
    out: list[tuple[str, Node | None]] = []
    for p in params.named_children if params is not None else ():
        pattern = p.child_by_field_name("pattern") or (p if p.type == "identifier" else None)
        if pattern is None:
            continue
        if pattern.type == "identifier":
            out.append((text(pattern), None))
        elif pattern.type == "object_pattern":
            out.append(("", pattern))
        else:
            out.append((text(pattern), None))
    return out


def _object(node: Node) -> dict[str, Node | None] | None:
    """An object literal's properties (``\\0spread`` when it spreads another value)."""
    node = _unwrap(node)
    if node.type != "object":
        return None
    out: dict[str, Node | None] = {}
    for item in node.named_children:
        if item.type == "pair":
            key, value = item.child_by_field_name("key"), item.child_by_field_name("value")
            if key is not None:
                out[_unquote(key) or text(key)] = value
        elif item.type == "shorthand_property_identifier":
            out[text(item)] = item
        elif item.type == "spread_element":
            out["\0spread"] = None
    return out


def _has_entries(node: Node | None) -> bool | None:
    if node is None:
        return False
    node = _unwrap(node)
    if node.type == "object":
        return (
            bool(node.named_children)
            if not any(c.type == "spread_element" for c in node.named_children)
            else None
        )
    return None


def _has_entries_value(value: object) -> bool | None:
    if value is None:
        return False
    if isinstance(value, dict):
        return bool(value)
    return None


def _json_literal(node: Node | None) -> dict[str, object] | None:
    """``JSON.stringify({...})`` or ``{...}`` written as JSON: its literal keys (values that
    are not literals become ``"*"``); None when it is not such a literal."""
    if node is None:
        return None
    if (
        node.type == "call_expression"
        and text(node.child_by_field_name("function") or node) == "JSON.stringify"
    ):
        args = node.child_by_field_name("arguments")
        if args is None or not args.named_children:
            return None
        node = args.named_children[0]
    return _literal_object(node)


def _literal_object(node: Node) -> dict[str, object] | None:
    node = _unwrap(node)
    if node.type != "object":
        return None
    out: dict[str, object] = {}
    for item in node.named_children:
        if item.type == "spread_element":
            return None
        if item.type == "pair":
            key, value = item.child_by_field_name("key"), item.child_by_field_name("value")
            if key is None or value is None:
                continue
            sub = _literal_object(value) if value.type == "object" else None
            out[_unquote(key) or text(key)] = sub if sub is not None else "*"
        elif item.type == "shorthand_property_identifier":
            out[text(item)] = "*"
    return out


def _template_json(view: RepoView, path: str) -> dict[str, object] | None:
    """A JSON template's object, its EJS tags read as strings (None: not readable JSON)."""
    try:
        data = view.read(path)
    except FileSkipped:
        return None
    data = EJS.sub(b'"x"', data).replace(b'""x""', b'"x"')
    try:
        value = json.loads(data.decode("utf-8-sig", "replace"))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _entry(manifest: dict[str, Any], sub: str) -> str | None:
    """The file a package's ``sub``path (or its root, "") names: its ``exports`` when they
    map it to a path (conditions are not read: None), else the path itself, or ``main``."""
    exports = manifest.get("exports")
    key = f"./{sub}" if sub else "."
    if exports is not None:
        if isinstance(exports, str):
            return exports if not sub else None
        value = exports.get(key) if isinstance(exports, dict) else None
        return value if isinstance(value, str) else None
    if sub:
        return "./" + sub
    main = manifest.get("main")
    return main if isinstance(main, str) and main else "./index"
