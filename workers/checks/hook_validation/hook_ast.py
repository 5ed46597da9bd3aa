"""Static analysis of Python hook scripts: does validation ever see Copier's real answers?

Pure: source text in, problems out. Facts about Copier 9 this relies on:
Copier writes no JSON context file (``copier_answers.json``, ``cookiecutter.json``,
``*context*.json`` never exist); tasks get answers only through their
Jinja-rendered command line; the environment carries ``STAGE``,
``COPIER_OPERATION`` and, for migrations, ``VERSION_*`` — never the answers.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from workers.checks.hook_validation import rules
from workers.engine.findings import RuleInfo

CONTEXT_FILE = re.compile(
    r"(^|[/\\])(copier_answers\.json|cookiecutter\.json|[^/\\]*context[^/\\]*\.json)$"
)
COPIER_ENV = re.compile(r"^(STAGE|COPIER_OPERATION|VERSION_[A-Z0-9_]+)$")
GENERIC_ENV = {
    "PATH",
    "HOME",
    "USER",
    "SHELL",
    "TERM",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "TEMP",
    "TMP",
    "PWD",
    "CI",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "NO_COLOR",
    "GIT_DIR",
}
INPUT_NAMES = {"argv", "argparse", "click", "typer", "fileinput", "stdin", "ArgumentParser"}
ERROR_WORDS = re.compile(r"error|invalid|missing|not found|fail|must", re.IGNORECASE)


@dataclass(frozen=True)
class HookProblem:
    rule: RuleInfo
    line: int
    message: str
    subject: str = ""  # what the problem is about (a file, a variable, a test), for its fingerprint


def _is_zero_exit(node: ast.stmt, returns_exit: bool = True) -> bool:
    """``sys.exit()``, ``sys.exit(0)``, ``exit(0)``, ``quit()``, ``raise SystemExit(0)``, or a
    ``return`` when ``returns_exit`` (in the hook's entry point: its return ends the hook)."""
    if isinstance(node, ast.Return):
        if not returns_exit:
            return False
        return node.value is None or (isinstance(node.value, ast.Constant) and not node.value.value)
    call = node.exc if isinstance(node, ast.Raise) else getattr(node, "value", None)
    if not isinstance(call, ast.Call):
        return (
            isinstance(node, ast.Raise) and isinstance(call, ast.Name) and call.id == "SystemExit"
        )
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in ("exit", "quit", "SystemExit", "_exit"):
        return False
    if not call.args:
        return True
    arg = call.args[0]
    return isinstance(arg, ast.Constant) and arg.value in (0, None, False)


def _mentions_existence(test: ast.expr) -> bool:
    text = ast.unparse(test)
    return bool(
        re.search(
            r"\bexists\(|isfile\(|is_file\(|\bnot\b|is None|== ?None|len\(.*\) ?(== ?0|<=? ?\d)",
            text,
        )
    )


def _prints_error(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return False
    call = node.value
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in ("print", "write", "error", "warning", "echo", "secho"):
        return False
    text = ast.unparse(call)
    return "stderr" in text or bool(ERROR_WORDS.search(text))


def _silent_skip(node: ast.If, returns_exit: bool) -> bool:
    """``if not answers_file.exists(): sys.exit(0)`` and the like."""
    return (
        bool(node.body)
        and _is_zero_exit(node.body[-1], returns_exit)
        and _mentions_existence(node.test)
    )


def _entry_points(tree: ast.Module) -> set[str]:
    """Functions the hook runs as its main line: called from module-level code (a bare
    ``main()``, ``sys.exit(main())``, or under ``if __name__ == "__main__":``). A ``return``
    in one of them ends the hook; in any other function it only ends a helper."""
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names.add(node.func.id)
    return names


def _enclosing_functions(tree: ast.Module) -> dict[int, str]:
    """id(node) -> the name of the innermost function it is in (module level: absent)."""
    inside: dict[int, str] = {}

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if name is not None:
                inside[id(child)] = name
            visit(child, name)

    visit(tree, None)
    return inside


ANSWER_CHANNEL = re.compile(r"ANSWER", re.IGNORECASE)


def _carries_answer(env: str, questions: set[str]) -> bool:
    """Whether an environment variable is named as an answer would be: after a question
    (``PROJECT_NAME`` for ``project_name``, with or without a ``COPIER_`` prefix) or as an
    answers channel (``COPIER_ANSWERS``). Switches such as ``COPIER_SKIP_PROJECT_SETUP``
    or ``UV_NO_SYNC`` are not answers."""
    if COPIER_ENV.match(env) or env in GENERIC_ENV:
        return False
    bare = env.lower().removeprefix("copier_")
    return bare in {q.lower() for q in questions} or bool(ANSWER_CHANNEL.search(env))


def _env_name(node: ast.AST) -> str | None:
    """The constant variable name read by ``os.environ[...]``, ``.get(...)`` or ``os.getenv(...)``."""
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
        key = node.slice
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    if isinstance(node, ast.Call) and node.args:
        target = ast.unparse(node.func)
        if target in ("os.getenv", "getenv", "os.environ.get", "environ.get"):
            arg = node.args[0]
            return (
                arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
            )
    return None


def analyse(source: str, questions: set[str] | frozenset[str] = frozenset()) -> list[HookProblem]:
    """Problems in one Python hook script; a script that does not parse is one problem.

    ``questions`` are the template's question names (to tell an answer read from the
    environment from a switch)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [
            HookProblem(
                rules.UNPARSABLE_HOOK, exc.lineno or 1, f"the hook does not parse: {exc.msg}"
            )
        ]
    problems: list[HookProblem] = []
    reads_input = False
    skipped: set[int] = set()  # bodies already reported as silent skips
    entries = _entry_points(tree)
    functions = _enclosing_functions(tree)
    for node in ast.walk(tree):
        returns_exit = functions.get(id(node)) in entries
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if CONTEXT_FILE.search(node.value):
                problems.append(
                    HookProblem(
                        rules.CONTEXT_FILE,
                        node.lineno,
                        f"reads {node.value!r}, a file Copier never writes, so this validation never "
                        "sees the answers. Pass them as arguments instead: "
                        '`["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/x.py", '
                        '"{{ _copier_answers|to_json }}"]` and read sys.argv[1].',
                        subject=str(node.value),
                    )
                )
            if ".copier-answers" in node.value or "answers_file" in node.value:
                reads_input = True
        if isinstance(node, ast.Name | ast.Attribute | ast.alias):
            name = (
                getattr(node, "id", None)
                or getattr(node, "attr", None)
                or getattr(node, "name", "")
            )
            if name in INPUT_NAMES or str(name).split(".")[0] in INPUT_NAMES:
                reads_input = True
        env = _env_name(node)
        if env is not None and _carries_answer(env, set(questions)):
            problems.append(
                HookProblem(
                    rules.ENV_ANSWERS,
                    getattr(node, "lineno", 1),
                    f"reads ${env} from the environment; Copier sets only STAGE, COPIER_OPERATION "
                    "and VERSION_* there, never the answers. Pass the answer on the task's command "
                    "line instead.",
                    subject=env,
                )
            )
        if isinstance(node, ast.If) and _silent_skip(node, returns_exit):
            skipped.add(id(node.body))
            problems.append(
                HookProblem(
                    rules.SILENT_SKIP,
                    node.lineno,
                    f"when `{ast.unparse(node.test)}` the hook stops with success, so a missing "
                    "input passes validation. Fail instead (sys.exit(1) with a message).",
                    subject=ast.unparse(node.test),
                )
            )
        for body in _blocks(node):
            if id(body) not in skipped:
                problems += _error_then_success(body, returns_exit)
    if not reads_input:
        problems.append(
            HookProblem(
                rules.NO_INPUT,
                1,
                "the hook never reads sys.argv, stdin or the answers file, so it cannot check "
                "what the user answered.",
            )
        )
    return sorted(set(problems), key=lambda p: (p.line, p.rule.name))


def validation(source: str, questions: set[str]) -> tuple[int, list[str]] | None:
    """Whether a hook script validates the answers: an ``if`` on a question's value (its
    name, as a variable or a key) that raises or exits non-zero. The first such line, and
    the context files Copier never writes that the script reads; None when it validates
    no answer (a failed setup step is not validation) or does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    line = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.If) or not _reads_answer(node.test, questions):
            continue
        for stmt in (s for b in (node.body, node.orelse) for s in b):
            if _fails(stmt):
                line = stmt.lineno if line is None else min(line, stmt.lineno)
    if line is None:
        return None
    files = {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and CONTEXT_FILE.search(n.value)
    }
    return line, sorted(files)


def _reads_answer(test: ast.expr, questions: set[str]) -> bool:
    """Whether a condition reads a question's answer: names it as a variable, attribute or
    string key."""
    for node in ast.walk(test):
        name = (
            node.id
            if isinstance(node, ast.Name)
            else node.attr
            if isinstance(node, ast.Attribute)
            else node.value
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            else None
        )
        if name in questions:
            return True
    return False


def _fails(stmt: ast.stmt) -> bool:
    """A ``raise`` or an exit with a non-zero status."""
    if isinstance(stmt, ast.Raise):
        return stmt.exc is not None and not _is_zero_exit(stmt)
    call = getattr(stmt, "value", None)
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("exit", "quit", "_exit") and not _is_zero_exit(stmt)


def _blocks(node: ast.AST) -> list[list[ast.stmt]]:
    return [
        getattr(node, name)
        for name in ("body", "orelse", "finalbody", "handlers")
        if isinstance(getattr(node, name, None), list)
        and all(isinstance(s, ast.stmt) for s in getattr(node, name))
    ]


def _error_then_success(body: list[ast.stmt], returns_exit: bool) -> list[HookProblem]:
    """A block that reports an error and then exits 0 (or returns, in the entry point)."""
    if (
        len(body) > 1
        and any(_prints_error(s) for s in body[:-1])
        and _is_zero_exit(body[-1], returns_exit)
    ):
        return [
            HookProblem(
                rules.ERROR_EXIT_ZERO,
                body[-1].lineno,
                "the hook reports an error and then exits with status 0, so Copier carries "
                "on as if validation passed. Exit non-zero (sys.exit(1)).",
            )
        ]
    return []
