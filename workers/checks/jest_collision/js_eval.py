"""Evaluate a JavaScript/TypeScript config file in an embedded engine, never with Node.

The file is code from a pull request. It runs in a bare embedded JavaScript engine
(QuickJS, or V8: ``js_engine``), which has no filesystem, network, process or timer
APIs at all; prgate adds only what configs commonly use and nothing that reaches the
host:

* ``require``/``import`` of files inside the repository (read by prgate from
  the checkout view before the run, never by the script), of JSON files, of
  the pure parts of ``path`` and ``url``, of ``module``'s ``createRequire``,
  of ``jest-config``'s ``defaults``, and of ``@nx/jest`` and its preset
  (reproduced from the workspace's files by ``nx_jest``); any other module, and
  ``require.resolve`` of one, throws "not available", and the check reports the
  project as unpredictable, even when the config catches the error (under Node the
  module may load);
* ``__dirname``, ``__filename``, ``import.meta.url``, ``global``; ``process.cwd()`` is
  the config's folder and ``process.platform`` is ``linux``. Looking at ``process.env``
  in any way (a read, ``in``, ``Object.keys``, ``Object.hasOwn``, a descriptor, also from
  a getter or ``toJSON`` run while the value is serialised) or at any other part of
  ``process`` makes the result unpredictable: the machine that runs Jest is unknown.
* What the sandbox records is kept out of the config's reach (``__sandbox`` in
  ``js_eval_bootstrap.js``): a config cannot erase a read or forge the outcome.

Time and memory are capped (``PRGATE_JS_TIMEOUT`` seconds, default 2; 64 MiB of
heap). TypeScript types are stripped and ES modules rewritten to CommonJS with
tree-sitter first; the engine then only sees plain JavaScript.
"""

from __future__ import annotations

import json
import posixpath
import re
from importlib import resources
from typing import Any

from tree_sitter import Node

from workers.checks.jest_collision import js_engine, nx_jest
from workers.checks.jest_collision.config import (
    DEFAULT_EXTENSIONS,
    HASTE_KEYS,
    PRESET_MODULES,
    STAND_IN,
    preset_module,
)
from workers.checks.jest_collision.js_contain import stand_ins
from workers.checks.jest_collision.js_static import JsSyntaxError, parse
from workers.checks.jest_collision.tree import Tree, Unpredictable
from workers.checks.typescript_grammar import text

MAX_MODULES = 64
HEAP_BYTES = 64 * 1024 * 1024
JS_EXTS = (".js", ".ts", ".mjs", ".mts", ".cjs", ".cts", ".json")
BUILTINS = ("path", "node:path", "url", "node:url", "module", "node:module")

# Types only: these nodes vanish from the output.
_REMOVE = {
    "type_annotation",
    "type_parameters",
    "type_arguments",
    "interface_declaration",
    "type_alias_declaration",
    "ambient_declaration",
    "accessibility_modifier",
    "override_modifier",
}


def _engine_name() -> str:
    from workers.shared.engine_env import SettingsError, setting

    try:
        return str(setting("js_engine"))
    except SettingsError as exc:
        raise Unpredictable(str(exc)) from None


def timeout_seconds() -> float:
    from workers.shared.engine_env import SettingsError, setting

    try:
        return float(setting("js_timeout"))
    except SettingsError as exc:
        raise Unpredictable(str(exc)) from None


class _Transpiler:
    """Strip TypeScript and turn ES module syntax into CommonJS, node by node."""

    def __init__(self, source: bytes, rel: str, entry: bool = False) -> None:
        self.src = source
        self.rel = rel
        self.esm = False
        self.requires: list[str] = []
        self.entry = entry  # the config itself: its unknowable non-haste options are left out
        self.left_out: dict[int, str] = {}

    def run(self) -> str:
        try:
            root = parse(self.src).root_node
        except JsSyntaxError as exc:
            raise Unpredictable(f"{self.rel}: {exc}", self.rel) from None
        if self.entry:
            self.left_out = stand_ins(root, HASTE_KEYS)
        body = self.emit(root)
        return ("exports.__esModule = true;\n" if self.esm else "") + body

    def emit(self, node: Node) -> str:
        kind = node.type
        if node.id in self.left_out:
            what = json.dumps(f"left out: {self.left_out[node.id]} reads what prgate cannot know")
            return f"({{{json.dumps(STAND_IN)}: {what}}})"
        if kind in _REMOVE:
            return ""
        if kind == "enum_declaration":
            raise Unpredictable(
                f"{self.rel}:{node.start_point[0] + 1}: TypeScript enums are not supported",
                self.rel,
            )
        if kind in ("as_expression", "satisfies_expression", "non_null_expression"):
            return self.emit(node.named_children[0])
        if kind == "import_statement":
            return self.import_(node)
        if kind == "export_statement":
            return self.export(node)
        if kind == "meta_property":  # import.meta
            return "__import_meta"
        if kind == "call_expression":
            fn = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if (
                fn is not None
                and text(fn) == "require"
                and args is not None
                and args.named_children
            ):
                first = args.named_children[0]
                if first.type == "string":
                    self.requires.append(text(first)[1:-1])
        if node.child_count == 0:
            return text(node)
        pieces = []
        pos = node.start_byte
        for child in node.children:
            pieces.append(self.src[pos : child.start_byte].decode("utf-8", "replace"))
            if not (node.type == "optional_parameter" and child.type == "?"):
                pieces.append(self.emit(child))
            pos = child.end_byte
        pieces.append(self.src[pos : node.end_byte].decode("utf-8", "replace"))
        return "".join(pieces)

    def import_(self, node: Node) -> str:
        if any(c.type == "type" for c in node.children):
            return ""  # import type {...}
        source = node.child_by_field_name("source")
        if source is None:  # import x = require('y')
            clause = next(
                (c for c in node.named_children if c.type == "import_require_clause"), None
            )
            if clause is None:
                raise Unpredictable(f"{self.rel}: unsupported import form", self.rel)
            binding = text(clause.named_children[0])
            target = text(clause.named_children[1])[1:-1]
            self.requires.append(target)
            return f"const {binding} = require({json.dumps(target)});"
        self.esm = True
        module = text(source)[1:-1]
        self.requires.append(module)
        req = f"__prgate_require({json.dumps(module)})"
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None:
            return f"{req};"
        out = []
        for part in clause.named_children:
            if part.type == "identifier":
                out.append(f"const {text(part)} = __default({req});")
            elif part.type == "namespace_import":
                out.append(f"const {text(part.named_children[-1])} = {req};")
            elif part.type == "named_imports":
                names = []
                for spec in part.named_children:
                    if spec.type != "import_specifier" or any(
                        c.type == "type" for c in spec.children
                    ):
                        continue
                    imported = spec.child_by_field_name("name")
                    local = spec.child_by_field_name("alias")
                    assert imported is not None
                    names.append(
                        f"{text(imported)}: {text(local)}" if local is not None else text(imported)
                    )
                if names:
                    out.append(f"const {{ {', '.join(names)} }} = {req};")
        return " ".join(out)

    def export(self, node: Node) -> str:
        self.esm = True
        if any(c.type == "default" for c in node.children):
            value = node.child_by_field_name("value") or node.child_by_field_name("declaration")
            assert value is not None
            emitted = self.emit(value)
            if value.type in (
                "function_declaration",
                "class_declaration",
            ) and value.child_by_field_name("name"):
                name = text(value.child_by_field_name("name"))  # type: ignore[arg-type]
                return f"{emitted}\nexports.default = {name};"
            return f"exports.default = ({emitted});"
        if any(c.type == "=" for c in node.children):  # TypeScript `export = value`
            value = node.named_children[-1]
            return f"module.exports = ({self.emit(value)});"
        declaration = node.child_by_field_name("declaration")
        if declaration is not None:
            if declaration.type in _REMOVE:
                return ""
            emitted = self.emit(declaration)
            names = [
                text(d.child_by_field_name("name"))  # type: ignore[arg-type]
                for d in declaration.named_children
                if d.type == "variable_declarator" and d.child_by_field_name("name") is not None
            ]
            named = declaration.child_by_field_name("name")
            if named is not None:
                names.append(text(named))
            return emitted + "".join(f"\nexports.{n} = {n};" for n in names)
        source = node.child_by_field_name("source")
        req = None
        if source is not None:
            module = text(source)[1:-1]
            self.requires.append(module)
            req = f"__prgate_require({json.dumps(module)})"
        export_clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if export_clause is None:
            return f"Object.assign(exports, {req});" if req else ""
        out = []
        for spec in export_clause.named_children:
            local = spec.child_by_field_name("name")
            exported = spec.child_by_field_name("alias")
            if local is None:
                continue
            target = text(exported) if exported is not None else text(local)
            rhs = f"{req}.{text(local)}" if req else text(local)
            out.append(f"exports.{target} = {rhs};")
        return " ".join(out)


def _bootstrap() -> str:
    return (resources.files("workers.checks.jest_collision") / "js_eval_bootstrap.js").read_text(
        "utf-8"
    )


def _collect(
    tree: Tree,
    path: str,
    pending: list[str],
    factories: dict[str, str],
    resolved: dict[str, str],
    missing: dict[str, str],
) -> list[str]:
    """Read and transpile ``pending`` and every file they require by a literal; the
    options of the config ``path`` left out of the evaluation (``js_contain``)."""
    left_out: list[str] = []
    while pending:
        file = pending.pop()
        if file in factories:
            continue
        if len(factories) >= MAX_MODULES:
            raise Unpredictable(
                f"{tree.rel(path)} loads more than {MAX_MODULES} files", tree.rel(path)
            )
        rel = tree.rel(file)
        data = tree.read(file)
        if file.endswith(".json"):
            try:
                json.loads(data.decode("utf-8", "replace"))
            except ValueError as exc:
                raise Unpredictable(f"{rel} is not valid JSON: {exc}", rel) from None
            factories[file] = data.decode("utf-8", "replace")
            continue
        transpiler = _Transpiler(data, rel, entry=file == path)
        body = transpiler.run()
        left_out.extend(transpiler.left_out.values())
        # The body is a block of its own, so an ES module may declare its own `require`
        # (`const require = createRequire(import.meta.url)`); its imports use the loader's.
        factories[file] = (
            "(function (module, exports, __prgate_require, __filename, __dirname, __import_meta)"
            " { var require = __prgate_require; {\n"
            f"{body}\n}}}})"
        )
        for spec in transpiler.requires:
            if spec in BUILTINS:
                continue
            key = f"{file}\0{spec}"
            if spec in nx_jest.MODULES or spec in PRESET_MODULES or spec == "jest-config":
                # node_modules is not in the checkout; what these return is reproduced:
                # @nx/jest from the workspace's files (nx_jest), jest-config's defaults
                virtual = f"{tree.root}/node_modules/{spec}/index.js"
                if virtual not in factories:
                    factories[virtual] = (
                        _jest_config_defaults(tree.jest_major)
                        if spec == "jest-config"
                        else preset_module(spec)
                        if spec in PRESET_MODULES
                        else nx_jest.module_source(tree, spec, tree.jest_major)
                    )
                resolved[key] = virtual
                continue
            target = _resolve(tree, file, spec)
            if target is None:
                missing[key] = (
                    "node_modules is not in the checkout"
                    if not spec.startswith((".", "/"))
                    else "no such file in the repository"
                )
            else:
                resolved[key] = target
                pending.append(target)
    return left_out


def _jest_config_defaults(major: int) -> str:
    """``require('jest-config').defaults``: the options that decide the haste map or which
    files are tests, as jest-config 29.7 and 30.5 define them. Anything else a config reads
    from it is undefined, so a config that needs it fails to evaluate (never a guess)."""
    tests = "?([mc])[jt]s?(x)" if major >= 30 else "[jt]s?(x)"
    spec = "?([mc])[jt]s?(x)" if major >= 30 else "[tj]s?(x)"
    defaults = {
        "moduleFileExtensions": list(DEFAULT_EXTENSIONS[major]),
        "haste": {
            "computeSha1": False,
            "enableSymlinks": False,
            "forceNodeFilesystemAPI": True,
            "throwOnModuleCollision": False,
        },
        "roots": ["<rootDir>"],
        "modulePathIgnorePatterns": [],
        "testPathIgnorePatterns": ["/node_modules/"],
        "watchPathIgnorePatterns": [],
        "testMatch": [f"**/__tests__/**/*.{tests}", f"**/?(*.)+(spec|test).{spec}"],
        "testRegex": [],
    }
    return "(function (module, exports) { exports.defaults = " + json.dumps(defaults) + "; })"


def _run(
    tree: Tree,
    path: str,
    cwd: str,
    factories: dict[str, str],
    resolved: dict[str, str],
    missing: dict[str, str],
    left_out: list[str],
) -> tuple[str | None, Unpredictable | None, list[tuple[str, str]]]:
    """One evaluation: the exported value as JSON, or why not, and the computed requires."""
    script = (
        f"const __cwd = {json.dumps(cwd)};\n"
        f"const __missing = {json.dumps(missing)};\n"
        f"const __resolved = {json.dumps(resolved)};\n"
    ) + _bootstrap()
    for file, factory in factories.items():
        script += f"__factories.set({json.dumps(file)}, {factory});\n"
    # An async config settles in the engine's job queue, which runs when the script's
    # evaluation ends (js_engine runs it out); there are no timers or I/O, so a promise
    # that has not settled by then never will. The result is read in a second evaluation
    # (no promise bridge to Python, no event-loop thread).
    script += (
        "(() => { let c = __default(__load(" + json.dumps(path) + "));"
        " if (typeof c === 'function') c = c();"
        " if (c && typeof c.then === 'function') {"
        "   c.then(v => { __sandbox.settle(__serialize(v) ?? 'null'); },"
        "          e => { __sandbox.fail(e instanceof Error"
        "            ? e.name + ': ' + e.message : String(e)); });"
        " } else { __sandbox.settle(__serialize(c) ?? 'null'); } })();"
    )
    limit = timeout_seconds()
    try:
        engine = js_engine.start(limit, HEAP_BYTES, _engine_name())
    except ImportError as exc:
        return None, Unpredictable(f"{tree.rel(path)} was not evaluated: {exc}"), []
    wanted: list[tuple[str, str]] = []
    raw: Any = None
    rel = tree.rel(path)
    try:
        try:
            try:
                engine.run(script)
            except js_engine.JsTimeout:
                raise  # the engine is still busy: nothing more to ask it
            except js_engine.JsError:
                wanted = _outcome(engine)["wanted"]
                raise
            outcome = _outcome(engine)
            wanted, raw, failure = outcome["wanted"], outcome["result"], outcome["failure"]
            _trust(outcome, rel, wanted, left_out)
            if isinstance(failure, str):
                raise Unpredictable(
                    f"{rel} could not be evaluated in the sandbox: "
                    f"{failure.strip().splitlines()[0]}",
                    rel,
                )
            if not isinstance(raw, str):
                raise Unpredictable(
                    f"{rel} exports a promise that never settles without I/O or timers", rel
                )
        except js_engine.JsTimeout:
            raise Unpredictable(
                f"{rel} did not finish within {limit:g} s in the sandbox", rel
            ) from None
        except js_engine.JsError as exc:
            lines = str(exc).strip().splitlines()
            reason = next(
                (ln for ln in lines if "Error" in ln), lines[0] if lines else type(exc).__name__
            )
            # V8 prefixes a line of prgate's own loader script, which means nothing to a user
            reason = re.sub(r"^\s*<anonymous>:\d+:\s*", "", reason)
            raise Unpredictable(
                f"{rel} could not be evaluated in the sandbox: {reason.strip()}", rel
            ) from None
    except Unpredictable as exc:
        return None, exc, wanted
    finally:
        engine.close()
    return raw, None, wanted


def _outcome(engine: js_engine.Engine) -> dict[str, Any]:
    """What the sandbox recorded (``__sandbox`` in the bootstrap, out of the config's reach):
    the exported value as JSON or the failure, environment and ``process`` reads, refused
    requires, and (importer, specifier) of each computed ``require`` of a path."""
    raw = engine.value("__sandbox.outcome()")
    data = json.loads(raw) if isinstance(raw, str) else {}
    return {
        "result": data.get("result"),
        "failure": data.get("failure"),
        "reads": [str(r) for r in data.get("reads") or []],
        "refused": [(str(r[0]), str(r[1])) for r in data.get("refused") or []],
        "wanted": [(str(w[0]), str(w[1])) for w in data.get("wanted") or []],
        "tampered": data.get("tampered"),
    }


def _trust(
    outcome: dict[str, Any], rel: str, wanted: list[tuple[str, str]], left_out: list[str]
) -> None:
    """Unpredictable when the value may differ under Node: the config looked at the
    machine (environment, ``process``), or a require the sandbox refused was caught (under
    Node it may have loaded), or it changed a built-in that the options left out of the
    evaluation may use. A refused path the next round reads is not counted."""
    if left_out and outcome["tampered"]:
        raise Unpredictable(
            f"{rel} changes the built-in {outcome['tampered']}, which its options "
            f"{', '.join(dict.fromkeys(left_out))} (left out: they read what prgate cannot "
            "know) may use; prgate cannot be sure the haste options do not depend on them",
            rel,
        )
    reads = list(dict.fromkeys(outcome["reads"]))
    env = [n for n in reads if not n.startswith("process.")]
    if env:
        names = ", ".join("(all)" if n == "*" else n for n in env)
        raise Unpredictable(
            f"{rel} reads environment variables ({names}); their values on the machine "
            "that runs Jest are unknown to prgate",
            rel,
        )
    if reads:
        raise Unpredictable(
            f"{rel} looks at the process ({', '.join(reads)}); what it holds on the machine "
            "that runs Jest is unknown to prgate",
            rel,
        )
    refused = [r for r in dict.fromkeys(outcome["refused"]) if r not in wanted]
    if refused and outcome["failure"] is None and outcome["result"] is not None:
        specs = ", ".join(f"'{spec}'" for _, spec in refused)
        raise Unpredictable(
            f"{rel} catches the failure to require {specs}, which prgate's sandbox does not "
            "have; under Node it may load and change the config",
            rel,
        )


MAX_ROUNDS = 8  # evaluations while a config computes its way to more repository files


def evaluate(tree: Tree, path: str, cwd: str) -> Any:
    """The config ``path`` (absolute) exports, evaluated the way Jest loads it, in an
    embedded engine (``js_engine``).

    Files it requires by a literal are read beforehand. A ``require`` whose path is
    computed at run time (``require(path.join(__dirname, '..', 'jest.config.json'))``)
    is recorded by the sandbox and fails; when it names a file of the repository, that
    file is read and the config evaluated again, so any repository file a config
    computes its way to loads (never ``node_modules``, the network or a host file).
    """
    if not js_engine.available():  # a platform without a wheel of either engine
        raise Unpredictable(
            f"no embedded JavaScript engine is available to evaluate {tree.rel(path)} "
            "(install quickjs-ng)"
        )

    factories: dict[str, str] = {}
    resolved: dict[str, str] = {}
    missing: dict[str, str] = {}
    left_out: list[str] = []
    pending = [path]
    for _ in range(MAX_ROUNDS):
        left_out += _collect(tree, path, pending, factories, resolved, missing)
        raw, failure, wanted = _run(tree, path, cwd, factories, resolved, missing, left_out)
        pending = []
        for importer, spec in wanted:
            key = f"{importer}\0{spec}"
            target = _resolve(tree, importer, spec) if key not in resolved else None
            if target is not None:
                resolved[key] = target
                missing.pop(key, None)
                pending.append(target)
        if not pending:
            if failure is not None:
                raise failure
            break
    else:
        raise Unpredictable(
            f"{tree.rel(path)} computes its way to more files than prgate follows", tree.rel(path)
        )
    assert raw is not None
    if left_out:
        tree.notes.append(
            f"{tree.rel(path)}: {', '.join(dict.fromkeys(left_out))} read what prgate cannot "
            "know (node_modules, the machine that runs Jest); no haste option depends on them, "
            "so they were left out of the evaluation"
        )
    return json.loads(raw)


def _resolve(tree: Tree, importer: str, spec: str) -> str | None:
    """Node's resolution of a relative path inside the repository (node_modules is not there)."""
    if not spec.startswith((".", "/")):
        return None
    base = (
        spec
        if spec.startswith("/")
        else posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
    )
    for candidate in (base, *(base + e for e in JS_EXTS), *(f"{base}/index{e}" for e in JS_EXTS)):
        if tree.is_file(candidate):
            return candidate
    return None
