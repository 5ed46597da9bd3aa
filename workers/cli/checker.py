"""The checker's commands: ``check``, ``baseline``, ``pre-commit`` and ``config``; they need
none of the App's packages."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from workers.engine.runner import Report

from workers.cli.common import (
    _exit_on_signals,
    _fail,
    _only,
    _plural,
    _stop_if_interrupted,
    load_repo_config,
    main,
)
from workers.engine.config import CONFIG_PATH, ConfigError, parse_config
from workers.engine.findings import Level, Note
from workers.engine.git import RepoError, run_git
from workers.engine.registry import rule_ids, spec
from workers.engine.views import RepoView, open_view
from workers.shared.names import CHECK_NAMES

FORMATS = ("text", "concise", "github", "json", "sarif")


def _repository_view(path: Path) -> tuple[RepoView, str, Path]:
    """The view to judge for PATH, PATH's folder within it ("" for the whole of it), and the
    folder judged. A folder inside a git work tree is judged as the App judges its
    repository: the whole work tree, with the root's .github/prgate.yml (a template's .env
    one level up, or the tsconfig.json above a src/, is not passed because the check
    started below the root). As ruff and eslint stop at the nearest configuration, a folder
    with its own .github/prgate.yml (a sample repository inside another, like
    examples/seed-template-repo) is judged as a repository of its own."""
    from workers.engine.git import toplevel

    if not path.is_dir():
        return open_view(path), "", path  # which says what is wrong with it
    top = toplevel(path)
    here = path.resolve()
    if top is None:
        return open_view(path), "", path
    root = next(
        (d for d in (here, *here.parents) if (d / CONFIG_PATH).is_file() or d == top.resolve()),
        top.resolve(),
    )
    if root == here:
        return open_view(path), "", path
    scope = Path(os.path.relpath(here, root)).as_posix()
    what = (
        "the git repository" if root == top.resolve() else f"the folder with its own {CONFIG_PATH}"
    )
    click.echo(
        f"prgate: {path} is inside {what} at {root}: judging all of it with its {CONFIG_PATH}, "
        f"as the App does; findings outside {scope}/ are listed only when they are errors",
        err=True,
    )
    return open_view(root), scope, root


def _scoped(report: Report, scope: str) -> Report:
    """The report for a check started in ``scope``: every error (the verdict is the
    repository's), and warnings and notes under ``scope`` only; a note counts the rest."""
    inside = scope.rstrip("/") + "/"
    results = []
    for result in report.results:
        kept = [f for f in result.findings if f.path.startswith(inside) or f.level is Level.ERROR]
        dropped = len(result.findings) - len(kept)
        notes = list(result.notes)
        if dropped:
            notes.append(
                Note(
                    message=f"{dropped} {_plural(dropped, 'warning or note', 'warnings and notes')}"
                    f" outside {inside} not listed; run prgate check at the repository root to "
                    "see them"
                )
            )
        results.append(dataclasses.replace(result, findings=kept, notes=notes))
    return dataclasses.replace(report, results=results)


def _repo_prefix(path: Path) -> str:
    """The checked folder's path from its git repository's root ("" at the root or outside
    git): code scanning resolves SARIF URIs against the repository root."""
    from workers.engine.git import toplevel

    top = toplevel(path)
    if top is None:
        return ""
    rel = Path(os.path.relpath(path.resolve(), Path(top).resolve())).as_posix()
    return "" if rel == "." else rel


@main.command()
@click.argument("path", default=".", type=click.Path(path_type=Path, file_okay=False))
@_only("Run only this check (repeatable).")
@click.option(
    "--base",
    metavar="REF",
    help="Gate only what changed since REF; older findings become pre-existing notes.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: grouped by file; concise: one `path:line:col: level rule message` per line; "
    "github: GitHub Actions annotations; json; sarif (code scanning).",
)
@click.option("-q", "--quiet", is_flag=True, help="List error-level findings only.")
@click.option(
    "--statistics",
    is_flag=True,
    help="End with the number of findings per rule (text, concise and github formats).",
)
@click.option(
    "--exit-zero",
    is_flag=True,
    help="Exit 0 even when there are error-level findings (a check that could not run "
    "still exits 2).",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to FILE instead of standard output (whole, or not at all).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Configuration file (default: {CONFIG_PATH} of PATH, or of REF with --base).",
)
@click.option(
    "--show-pre-existing",
    is_flag=True,
    help="With --base: list the findings older than REF too (by default they are counted, one "
    "line per rule, and left out of SARIF).",
)
@click.option(
    "--render",
    is_flag=True,
    help="hook-validation: render each Copier template and check the output (its tasks run "
    "inside the OS sandbox where it is available, else they are skipped; a note says which).",
)
def check(
    path: Path,
    only: tuple[str, ...],
    base: str | None,
    fmt: str,
    quiet: bool,
    statistics: bool,
    exit_zero: bool,
    output_file: Path | None,
    show_pre_existing: bool,
    render: bool,
    config_file: Path | None,
) -> None:
    """Check the repository at PATH (default: the current directory)."""
    _exit_on_signals()
    if statistics and fmt in ("json", "sarif"):
        _fail(
            f"--statistics is for the text, concise and github formats; {fmt} carries "
            "every finding already"
        )
    from workers.engine import progress
    from workers.engine.runner import check_repository

    try:
        view, scope, judged = _repository_view(path)
        config = load_repo_config(view, config_file, base)
        if render:
            config = config.with_check("hook-validation", render=True)
            if only and "hook-validation" not in only:
                click.echo(
                    "prgate: --render renders Copier templates for hook-validation, which "
                    "--only leaves out: nothing is rendered",
                    err=True,
                )
        shown = progress.show()
        try:
            report = check_repository(view, config, only=only, base=base)
        finally:
            progress.hide(shown)
    except (RepoError, ConfigError) as exc:
        _fail(str(exc))
    except OSError as exc:  # a file or folder prgate may not read: no verdict, never a pass
        _fail(f"could not run: cannot read {exc.filename or path}: {exc.strerror or exc}")
    _stop_if_interrupted()
    if scope:
        report = _scoped(report, scope)
    color = output_file is None and _colour(sys.stdout)
    if fmt == "sarif":
        listed = report if show_pre_existing else _new_only(report)
        text = _sarif(_errors_only(listed) if quiet else listed, view, judged, only)
    elif fmt == "json":
        from workers.engine.formats.json import render_json

        text = render_json(_errors_only(report) if quiet else report)
    elif fmt == "github":
        from workers.engine.formats.github import render_github

        text = render_github(report, show_pre_existing, quiet=quiet, statistics=statistics)
    else:
        from workers.engine.formats.text import render_concise, render_text

        person = render_concise if fmt == "concise" else render_text
        text = person(report, show_pre_existing, quiet=quiet, statistics=statistics, color=color)
    _write(text, output_file, color)
    code = report.exit_code
    sys.exit(0 if exit_zero and code == 1 else code)


def _sarif(report: Report, view: RepoView, judged: Path, only: tuple[str, ...]) -> str:
    """The SARIF log of ``report``, with the rules of the checks that ran."""
    from workers.engine.formats.sarif import files_in, render_sarif

    rules = [r for name in (only or CHECK_NAMES) for r in spec(name).rules]
    folders = any(f.path.endswith("/") for f in report.findings)
    inside = files_in(view.paths()) if folders else None
    prefix = _repo_prefix(judged)  # URIs from the git root, whatever folder is judged
    doc = render_sarif(report, rules, prefix=prefix, inside=inside)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _colour(stream: Any) -> bool:
    """Colour on a terminal, never when piped or when NO_COLOR is set (no-color.org)."""
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def _write(text: str, output_file: Path | None, color: bool) -> None:
    """The report on stdout, or in ``output_file``: written beside it and renamed into place,
    so an interrupted or failed run leaves the old file or none, never half a report."""
    if output_file is None:
        click.echo(text, nl=False, color=color)
        return
    import tempfile

    target = output_file.resolve()
    partial: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.", delete=False
        ) as handle:
            partial = handle.name
            handle.write(text)
        os.replace(partial, target)
        partial = None
    except OSError as exc:
        _fail(f"--output-file {output_file}: {exc.strerror or exc}")
    finally:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)


def _errors_only(report: Report) -> Report:
    """``--quiet`` in json and sarif: error-level findings only, no notes."""
    return dataclasses.replace(
        report,
        results=[
            dataclasses.replace(
                r, findings=[f for f in r.findings if f.level is Level.ERROR], notes=[]
            )
            for r in report.results
        ],
    )


def _new_only(report: Report) -> Report:
    """The report without the findings older than the base (SARIF's results: new ones)."""
    return dataclasses.replace(
        report,
        results=[
            dataclasses.replace(r, findings=[f for f in r.findings if not f.pre_existing])
            for r in report.results
        ],
    )


@main.command()
@click.argument("path", default=".", type=click.Path(path_type=Path, file_okay=False))
@_only("Accept only this check's findings (repeatable).")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write it (default: the config's `baseline`, .github/prgate-baseline.json).",
)
def baseline(path: Path, only: tuple[str, ...], output: Path | None) -> None:
    """Accept the findings PATH has now: write them, by fingerprint, to the baseline file.
    From then on they are reported as suppressed and fail nothing; new ones still do."""
    _exit_on_signals()
    from workers.engine.baseline import render_baseline
    from workers.engine.runner import check_repository

    try:
        view = open_view(path)
        # the findings of now, the old baseline aside
        config = load_repo_config(view, None, None, baseline=False)
        report = check_repository(view, config, only=only)
    except (RepoError, ConfigError) as exc:
        _fail(str(exc))
    _stop_if_interrupted()
    failed = [r.check for r in report.results if r.error is not None]
    if failed:
        _fail(f"not written: {', '.join(failed)} could not run, so its findings are unknown")
    target = output or view.root / config.baseline
    text = render_baseline(report.findings)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text + "\n", encoding="utf-8")
    count = len(json.loads(text)["findings"])
    click.echo(
        f"prgate: {count} finding(s) accepted in {target}; commit it: the App reads it from "
        "the base branch, pre-commit from what is staged"
    )


@main.command("pre-commit")
@_only("Run only this check (repeatable).")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def pre_commit(only: tuple[str, ...], files: tuple[Path, ...]) -> None:
    """Check what is staged, gating FILES (the files pre-commit passes: those the commit
    changes). Run from the repository's root, as pre-commit runs hooks."""
    _exit_on_signals()
    from workers.engine.formats.text import render_text
    from workers.engine.git import toplevel
    from workers.engine.runner import check_repository
    from workers.engine.views import GitCommitView

    try:
        top = toplevel(Path.cwd())
    except RepoError as exc:
        _fail(str(exc))
    if top is None:
        _fail("prgate pre-commit runs in a git repository (pre-commit runs hooks in one)")
    try:
        # the index as a tree: what this commit will hold, not what the work tree has
        tree = run_git(top, ["write-tree"]).decode().strip()
        view = GitCommitView(top, tree, tree=True)
        config = load_repo_config(view, None, None)  # the staged config and baseline
        staged = {_repo_path(f, top) for f in files}
        report = check_repository(view, config, only=only, changed=staged)
    except (RepoError, ConfigError) as exc:
        _fail(str(exc))
    _stop_if_interrupted()
    click.echo(render_text(report), nl=False)
    sys.exit(report.exit_code)


def _repo_path(file: Path, top: Path) -> str:
    """The repository path of a file pre-commit names. Only its folder is resolved: a staged
    symlink is a change to the link itself, never to the file it points to."""
    absolute = file if file.is_absolute() else Path.cwd() / file
    real = absolute.parent.resolve() / absolute.name
    return Path(os.path.relpath(real, top.resolve())).as_posix()


@main.group()
def config() -> None:
    """The repository configuration, .github/prgate.yml."""


@config.command("schema")
def config_schema_command() -> None:
    """Print the JSON schema of .github/prgate.yml (for editors; docs/prgate.schema.json)."""
    from workers.engine.config import config_schema

    click.echo(json.dumps(config_schema(), indent=2, ensure_ascii=False))


@config.command("validate")
@click.argument(
    "file",
    default=CONFIG_PATH,
    type=click.Path(path_type=Path, dir_okay=False),
)
def config_validate(file: Path) -> None:
    """Check a configuration file as the App would read it; exit 0 valid, 2 invalid."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        _fail(f"{file}: {exc.strerror}")
    try:
        parse_config(text, str(file), rule_ids())
    except ConfigError as exc:
        _fail(str(exc))
    click.echo(f"{file}: valid")
