"""What the house claims about its own code, enforced: short functions, and names in the
docs that resolve to something that exists."""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import tokenize
from pathlib import Path

from workers.engine import registry
from workers.shared.names import CHECK_NAMES

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 80
CODE = [p for top in ("bot", "workers") for p in sorted((ROOT / top).rglob("*.py"))]
SUPPORT = [p for top in ("bench", "tests") for p in sorted((ROOT / top).rglob("*.py"))]


def test_no_function_is_longer_than_80_lines() -> None:
    """docs/architecture.md promises short functions; nothing enforced it, and ts-imports'
    _judge grew to 145 lines with eight parameters before it became a Program."""
    long = []
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert not long, long


# Placeholders the how-to and the registry use for a check that does not exist.
PLACEHOLDERS = ("my_check", "x_y")
TOP = r"(?:bot|workers|tests|bench|docs|deploy|examples|action)"


def _mentioned(text: str) -> tuple[set[str], set[str]]:
    """Repository paths (``workers/engine/views/base.py``) and dotted module names
    (``workers.engine.registry``) a text names, quoted or not. A path in a docstring that is
    an example of a user's repository must not start with one of prgate's top folders."""
    edge = r"(?<![\w./-])"
    paths = {p.rstrip(".") for p in re.findall(edge + rf"({TOP}/[\w/.-]*)", text)}
    modules = {m.rstrip(".") for m in re.findall(edge + r"((?:bot|workers)(?:\.\w+)+)", text)}
    keep = lambda name: not any(p in name for p in PLACEHOLDERS)  # noqa: E731
    return {p for p in paths if keep(p)}, {m for m in modules if keep(m)}


def _prose(path: Path) -> str:
    """What a Python file says in words: its docstrings and comments."""
    source = path.read_text(encoding="utf-8")
    texts = [
        ast.get_docstring(node, clean=False) or ""
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    texts += [tok.string for tok in tokens if tok.type == tokenize.COMMENT]
    return "\n".join(texts)


def _module_exists(name: str) -> bool:
    """A module, or an attribute of one (``workers.engine.registry.settings_model``)."""
    parts = name.split(".")
    for cut in range(len(parts), 1, -1):
        module = ".".join(parts[:cut])
        try:
            if importlib.util.find_spec(module) is None:
                continue
        except ModuleNotFoundError:
            continue
        if cut == len(parts):
            return True
        imported = importlib.import_module(module)
        return hasattr(imported, parts[cut])
    return False


def test_the_docs_name_only_files_and_modules_that_exist() -> None:
    """The README, the docs, and every docstring and comment of the code, the benches and the
    tests: a renamed module or a moved file leaves no stale name behind (docstrings went on
    naming ``jest_config`` and ``sandbox_init`` long after those modules were gone)."""
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    texts = {doc: doc.read_text(encoding="utf-8") for doc in docs}
    texts |= {path: _prose(path) for path in CODE + SUPPORT}
    missing = []
    for doc, text in texts.items():
        paths, modules = _mentioned(text)
        where = doc.relative_to(ROOT)
        missing += [f"{where}: {p}" for p in sorted(paths) if not (ROOT / p.rstrip("/")).exists()]
        missing += [f"{where}: {m}" for m in sorted(modules) if not _module_exists(m)]
    assert not missing, missing


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``module`` imports, at any depth of its code (a
    function-level import is still a dependency), but not under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
        for n in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {f for f in found if f in known and f != module}


def test_no_module_imports_one_that_imports_it_back() -> None:
    """The three small loops the house had (jest_collision's config and nx_jest, the
    engine's config, registry and spec, the shared settings and engine_env) are gone."""
    names = {}
    for path in CODE:
        parts = path.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    known = set(names)
    graph = {m: _imports(p, m, known) for m, p in names.items()}
    loops = []
    for start in graph:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    loops.append(" -> ".join([*trail, start]))
                elif nxt not in seen and nxt > start:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert not loops, loops


def _defines(path: Path, qualified: str) -> ast.AST | None:
    """The function (or ``Class.method``) ``qualified`` defined in ``path``, if any."""
    body: list[ast.stmt] = ast.parse(path.read_text(encoding="utf-8")).body
    found: ast.AST | None = None
    for part in qualified.split("."):
        found = next(
            (n for n in body if getattr(n, "name", None) == part and hasattr(n, "body")), None
        )
        if found is None:
            return None
        body = found.body  # type: ignore[attr-defined]
    return found


def test_every_rule_is_one_search_from_its_id() -> None:
    """docs/architecture.md, "From a rule id to everything about it": every rule's constant
    is named after it, its check's package uses that constant (where its logic and message
    are), and a test of that check names it."""
    problems = []
    for check in CHECK_NAMES:
        package = registry.package(check)
        folder = ROOT.joinpath(*package.split("."))
        rules = importlib.import_module(f"{package}.rules")
        code = [p.read_text(encoding="utf-8") for p in folder.rglob("*.py") if p.name != "rules.py"]
        tested = "\n".join(
            p.read_text(encoding="utf-8")
            for p in (ROOT / "tests" / "checks" / folder.name).glob("*.py")
        )
        for info in rules.RULES:
            constant = info.name.upper().replace("-", "_")
            if getattr(rules, constant, None) is not info:
                problems.append(f"{info.id}: {package}.rules.{constant} is not the rule")
            if not any(re.search(rf"\b{constant}\b", text) for text in code):
                problems.append(f"{info.id}: no module of {package} uses {constant}")
            if info.id not in tested and f'"{info.name}"' not in tested:
                problems.append(f"{info.id}: no test in tests/checks/{folder.name}/ names it")
    assert not problems, problems


def test_the_rule_table_of_the_architecture_doc_points_at_the_code() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| `([a-z-]+)/([a-z-]+)` \| `(\w+)` \| `([^`]+)`: (.+) \| `([^`]+)` \|$", text, re.M
    )
    assert {check for check, *_ in rows} == set(CHECK_NAMES), "one rule per check"
    problems = []
    for check, name, constant, module, functions, test in rows:
        rule_id = f"{check}/{name}"
        if constant != name.upper().replace("-", "_"):
            problems.append(f"{rule_id}: the constant is not named after the rule")
        for function in re.findall(r"`([\w.]+)`", functions):
            node = _defines(ROOT / module, function)
            if node is None:
                problems.append(f"{rule_id}: {module} defines no {function}")
            elif not re.search(rf"\b{constant}\b", ast.unparse(node)):
                problems.append(f"{rule_id}: {module}: {function} does not use {constant}")
        test_file, _, test_name = test.partition("::")
        if _defines(ROOT / test_file, test_name) is None:
            problems.append(f"{rule_id}: {test_file} defines no {test_name}")
        elif rule_id not in (source := (ROOT / test_file).read_text(encoding="utf-8")) and (
            f'"{name}"' not in source
        ):
            problems.append(f"{rule_id}: {test_file} does not name the rule")
    assert not problems, problems


def test_no_two_classes_share_a_name() -> None:
    """``Settings``, ``ConfigError``, ``Outcome`` and ``Project`` each once named two
    different things; a reader who met one took the other for it."""
    where: dict[str, list[str]] = {}
    for path in CODE:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    assert not {name: paths for name, paths in where.items() if len(paths) > 1}


def test_the_formatter_decides_every_layout() -> None:
    """233 formatter escapes once kept hand-aligned layouts beside formatted ones."""
    escapes = [f"fmt: {word}" for word in ("skip", "off")]
    found = [
        str(path.relative_to(ROOT))
        for path in CODE + SUPPORT
        if any(escape in path.read_text(encoding="utf-8") for escape in escapes)
    ]
    assert not found, found
