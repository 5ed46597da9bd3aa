"""The ``prgate`` command (a contract: docs/architecture.md).

    prgate check [PATH] [--only CHECK]... [--base REF] [--format text|json|sarif] [--config FILE]

(with additions that keep that line's promises: more formats, ``--quiet``,
``--statistics``, ``--exit-zero``, ``--output-file``). Exit status of ``check``: 0 no
error-level finding, 1 error-level findings, 2 usage error or a check that could not run
(never a silent pass, ``--exit-zero`` included).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    import subprocess

    from workers.engine.runner import Report
    from workers.shared.settings import Settings

from workers.engine.config import CONFIG_PATH, ConfigError, RepoConfig, parse_config
from workers.engine.findings import Level, Note
from workers.engine.git import RepoError, run_git
from workers.engine.registry import rule_ids, spec
from workers.engine.repo import FileSkipped, RepoView, open_view
from workers.shared.names import CHECK_NAMES

EXIT_USAGE = 2
FORMATS = ("text", "concise", "github", "json", "sarif")
F = TypeVar("F", bound=Callable[..., Any])
CREATE_APP = "prgate app create --webhook-url https://<public host>/api/github/webhooks"


def _exit_on_signals() -> None:
    """Ctrl-C or SIGTERM during a check: one line, and exit 130 (143), as shells report an
    interrupted command; never click's "Aborted!" with exit 1, which means "findings". The
    exit unwinds, so scratch folders and child processes are cleaned up on the way."""

    def interrupted(signum: int, frame: object) -> None:
        signal.signal(signum, signal.SIG_DFL)  # a second Ctrl-C stops at once
        _INTERRUPTED.append(signum)
        click.echo(f"prgate: interrupted ({signal.Signals(signum).name})", err=True)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)


# Signals that interrupted this command. The handler's SystemExit can land where it is not
# felt (a child's wait that then reports the child killed): the command looks here before it
# prints a report, so an interrupted run never reports one.
_INTERRUPTED: list[int] = []


def _stop_if_interrupted() -> None:
    if _INTERRUPTED:
        sys.exit(128 + _INTERRUPTED[0])


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
        kept = [
            f for f in result.findings
            if f.path.startswith(inside) or f.level is Level.ERROR
        ]  # fmt: skip
        dropped = len(result.findings) - len(kept)
        notes = list(result.notes)
        if dropped:
            notes.append(
                Note(
                    message=f"{dropped} {_plural(dropped, 'warning or note', 'warnings and notes')}"
                    f" outside {inside} not listed; run prgate check at the repository root to "
                    "see them"
                )
            )  # fmt: skip
        results.append(dataclasses.replace(result, findings=kept, notes=notes))
    return dataclasses.replace(report, results=results)


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _fail(message: str) -> NoReturn:
    click.echo(f"prgate: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def load_repo_config(
    view: RepoView, config_file: Path | None, base: str | None, *, baseline: bool = True
) -> RepoConfig:
    """``--config FILE``; else the base revision's file with ``--base``; else the work tree's;
    with the baseline it names, from the same revision (``--config``: the work tree's)."""
    from workers.engine.baseline import config_at, with_baseline

    if config_file is not None:
        try:
            given = config_file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(f"--config {config_file}: {exc.strerror}") from exc
        config = parse_config(given, str(config_file), rule_ids())
        return with_baseline(config, lambda p: _read_view(view, p)) if baseline else config
    if base is None:
        return config_at(lambda p: _read_view(view, p), baseline=baseline)
    if _read_view(view, CONFIG_PATH) != _show(view, base, CONFIG_PATH):
        click.echo(
            f"prgate: using {CONFIG_PATH} as it is on {base}; the change to it here "
            "takes effect after merge",
            err=True,
        )
    return config_at(lambda p: _show(view, base, p), f"{base}:", baseline=baseline)


def _show(view: RepoView, rev: str, path: str) -> str | None:
    try:
        data = run_git(view.root, ["show", f"{rev}:./{path}"])
    except RepoError:
        return None
    return data.decode("utf-8-sig", "replace")


def _read_view(view: RepoView, path: str) -> str | None:
    try:
        return view.read_one(path)
    except FileSkipped as exc:
        raise ConfigError(str(exc)) from exc


def _repo_prefix(path: Path) -> str:
    """The checked folder's path from its git repository's root ("" at the root or outside
    git): code scanning resolves SARIF URIs against the repository root."""
    from workers.engine.git import toplevel

    top = toplevel(path)
    if top is None:
        return ""
    rel = Path(os.path.relpath(path.resolve(), Path(top).resolve())).as_posix()
    return "" if rel == "." else rel


def _only(text: str) -> Callable[[F], F]:
    """``--only CHECK`` (repeatable), as every command that runs checks takes it."""
    return click.option("--only", "only", multiple=True, type=click.Choice(CHECK_NAMES), help=text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="prgate")
def main() -> None:
    """prgate: gate pull requests on template repositories and JS/TS monorepos."""


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
        _fail(f"--statistics is for the text, concise and github formats; {fmt} carries "
              "every finding already")  # fmt: skip
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
        from workers.engine.formats.sarif import files_in, render_sarif

        rules = [r for name in (only or CHECK_NAMES) for r in spec(name).rules]
        folders = any(f.path.endswith("/") for f in report.findings)
        inside = files_in(view.paths()) if folders else None
        prefix = _repo_prefix(judged)  # URIs from the git root, whatever folder is judged
        listed = report if show_pre_existing else _new_only(report)
        listed = _errors_only(listed) if quiet else listed
        doc = render_sarif(listed, rules, prefix=prefix, inside=inside)
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
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
    from workers.engine.repo import GitCommitView
    from workers.engine.runner import check_repository

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


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 in a container).",
)
@click.option("--port", type=int, default=None, help="Port (default: PORT, else 3000).")
def serve(host: str, port: int | None) -> None:
    """Run the webhook receiver.

    With REDIS_URL unset, an embedded Redis and one worker are started
    alongside, so one command runs the whole App on one machine.
    """
    _require_app_packages()
    import signal
    import subprocess

    import uvicorn

    from bot.app import create_app
    from bot.deadline import deadline_protocol
    from bot.embedded_redis import EmbeddedRedis, EmbeddedRedisError, default_data_dir
    from workers.shared.inbox import connect
    from workers.shared.logs import setup_logging

    settings = _load_settings()
    if not settings.webhook_secret:
        _fail(
            "WEBHOOK_SECRET is not set: it must match the webhook secret of your GitHub App. "
            f"No App yet? `{CREATE_APP}` registers one and writes its credentials to .env, "
            "which this command reads"
        )
    setup_logging(settings.log_level)
    embedded: EmbeddedRedis | None = None
    worker: subprocess.Popen[bytes] | None = None
    url = settings.redis_url
    if url is None:
        _require_app(settings)  # the embedded worker below acts as the App
        embedded = EmbeddedRedis(default_data_dir(settings.data_dir))
        try:
            url = embedded.start()
        except EmbeddedRedisError as exc:
            _fail(str(exc))
        settings = settings.model_copy(update={"redis_url": url})
        parent = os.getpid()  # the worker shuts down (warm) if this process dies, even by SIGKILL
        worker = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "worker"],
            env={**os.environ, "REDIS_URL": url},
            # serve stops the worker itself (SIGTERM, below), so the terminal's Ctrl-C is
            # ignored there, even while it is still starting
            preexec_fn=functools.partial(_serve_child, parent),
        )
        click.echo(
            f"prgate: embedded Redis at {url} (data in {embedded.data_dir}); one worker started",
            err=True,
        )
    port = port or settings.port
    click.echo(
        f"prgate: receiving webhooks at http://{host}:{port}{settings.webhook_path}; give GitHub "
        "that URL as the App's webhook URL, through a proxy or tunnel that reaches this machine",
        err=True,
    )
    # uvicorn re-raises SIGTERM after its shutdown; with the default handler that would kill
    # this process before the worker and the embedded Redis are stopped below.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        app = create_app(settings, connect(url))
        uvicorn.run(
            app,
            host=host,
            port=port,
            http=deadline_protocol(settings.request_timeout, settings.max_connections),
            log_config=None,
            access_log=False,
            log_level=settings.log_level.lower(),
        )
    finally:
        if worker is not None:
            worker.terminate()  # it hands its job back after PRGATE_STOP_GRACE seconds
            _reap(worker, settings.stop_grace + 10)
        if embedded is not None:
            embedded.stop()


# What the App's commands (serve, worker, app create) need beyond the checker: prgate[app].
APP_MODULES = ("fastapi", "uvicorn", "rq", "redis", "githubkit", "dotenv", "unidiff")


def _require_app_packages() -> None:
    import importlib.util

    missing = [m for m in APP_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        _fail(
            f"this command runs the GitHub App, and its packages are not installed "
            f"({', '.join(missing)}): pip install 'prgate[app]'. The checker (`prgate check`, "
            "pre-commit, the Action) needs none of them."
        )


def _load_settings() -> Settings:
    """Settings from the environment; a ``.env`` file in the current folder (as written by
    ``prgate app create``) fills in what the environment does not set."""
    from dotenv import load_dotenv

    from workers.shared.settings import SettingsError, load_settings

    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        return load_settings()
    except SettingsError as exc:
        _fail(str(exc))


def _require_app(settings: Settings) -> None:
    """Workers act as the GitHub App: without its id and key every job would fail later."""
    from workers.shared.settings import SettingsError

    if settings.app_id is None:
        _fail(
            "APP_ID is not set: the GitHub App's id (the App's settings page shows it). "
            f"No App yet? `{CREATE_APP}` registers one and writes its credentials to .env"
        )
    try:
        key = settings.app_private_key()
    except SettingsError as exc:
        _fail(str(exc))
    _check_private_key(key, "PRIVATE_KEY" if settings.private_key else "PRIVATE_KEY_PATH")


def _check_private_key(key: str, name: str) -> None:
    """The App's key must be one GitHub would accept (an RSA key in PEM): a malformed one
    otherwise fails each delivery later, three times, as "could not reach GitHub"."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        loaded = load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError) as exc:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        _fail(
            f"{name} is not a usable private key ({reason}): give the .pem file GitHub made "
            "for the App (its settings page, Private keys), whole, with its BEGIN and END lines"
        )
    if not isinstance(loaded, RSAPrivateKey):
        _fail(f"{name} is not an RSA key: GitHub App keys are RSA keys in PEM")


def _reap(child: subprocess.Popen[bytes], seconds: float) -> None:
    """Wait for a child asked to stop; one still running after ``seconds`` is killed, so a
    stop never hangs and never leaves a process behind."""
    import subprocess

    try:
        child.wait(seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _serve_child(parent: int) -> None:  # in serve's worker between fork and exec
    import signal

    from workers.shared.environ import die_with_parent

    die_with_parent(parent, signal.SIGTERM)
    _ignore_sigint()


def _ignore_sigint() -> None:  # in a child between fork and exec
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


@main.command()
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker on prgate's queues (announcements, commands, then checks), and the
    dispatcher that turns the receiver's inbox into their jobs.

    Every PRGATE_MAINTENANCE_SECONDS the worker sweeps for jobs whose worker
    died; RQ retries them or, after the last attempt, prgate concludes their
    check runs could-not-run (blocking a merge).
    """
    _require_app_packages()
    from redis.exceptions import RedisError
    from rq import Worker
    from rq.serializers import JSONSerializer

    from workers.shared.inbox import connect, worker_queues
    from workers.shared.logs import setup_logging

    settings = _load_settings()
    if not settings.redis_url:
        _fail(
            "REDIS_URL is not set: point it at the Redis the receiver uses "
            "(`prgate serve` without REDIS_URL starts its own worker)"
        )
    _require_app(settings)
    setup_logging(settings.log_level)
    redis = connect(settings.redis_url)
    try:
        redis.ping()
    except RedisError as exc:
        _fail(f"cannot reach Redis at REDIS_URL: {type(exc).__name__}: {exc}")
    _log_render_mode()
    import subprocess

    from workers.queue.alive import AliveWorker
    from workers.queue.dispatch import Dispatcher
    from workers.queue.dispatch import burst as burst_run

    def rq_worker() -> Worker:
        worker = AliveWorker(
            list(worker_queues(settings)),
            connection=redis,
            serializer=JSONSerializer,
            maintenance_interval=settings.maintenance_seconds,
        )
        worker.alive_file = Path(settings.alive_file) if settings.alive_file else None
        worker.stop_grace = settings.stop_grace
        return worker

    # RQ forks a work horse per job and imports the job's function there: loaded once here,
    # the jobs, the GitHub client and every check come with each fork instead of being
    # imported again by every job (about half a second each).
    import workers.jobs  # noqa: F401
    from workers.engine.registry import registry

    registry()
    level = settings.log_level.upper()
    if burst:
        burst_run(
            Dispatcher(redis, settings), lambda: rq_worker().work(burst=True, logging_level=level)
        )
        return
    # The dispatcher turns the receiver's inbox into RQ jobs; it runs beside RQ in its own
    # process (as RQ runs its scheduler), because RQ forks a work horse per job.
    # A terminal's Ctrl-C reaches the whole group; the dispatcher ignores it (a SIGINT while
    # it is still importing would print a traceback) and stops when this worker stops it.
    dispatcher = subprocess.Popen(
        [sys.executable, "-m", "workers.queue.dispatch", str(os.getpid())],
        preexec_fn=_ignore_sigint,
    )
    try:
        rq_worker().work(with_scheduler=True, logging_level=level)
    finally:
        dispatcher.terminate()
        _reap(dispatcher, 30)


def _log_render_mode() -> None:
    """Say at start-up whether template tasks will run in the OS sandbox or be skipped."""
    import logging

    from workers.sandbox import unavailable

    no_sandbox = unavailable()
    logging.getLogger("prgate.worker").log(
        logging.WARNING if no_sandbox else logging.INFO,
        f"render mode: {no_sandbox}; template tasks will be skipped"
        if no_sandbox
        else "render mode: the OS sandbox works here; template tasks run inside it",
    )


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


@main.group()
def app() -> None:
    """Register and manage the GitHub App."""


@app.command("create")
@click.option(
    "--webhook-url",
    required=True,
    help="Where GitHub will deliver webhooks: https://<your host>/api/github/webhooks.",
)
@click.option("--org", default=None, help="Register the App for this organization.")
@click.option("--name", default=None, help="The App's name (default: app.yml's; must be unique).")
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The manifest (default: ./app.yml, else the one shipped with prgate).",
)
@click.option(
    "--env-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path(".env"),
    show_default=True,
    help="Where to write APP_ID, PRIVATE_KEY and WEBHOOK_SECRET.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Local interface.")
@click.option("--port", type=int, default=3000, show_default=True, help="Local port (0: any).")
@click.option("--force", is_flag=True, help="Replace the credentials already in --env-file.")
@click.option("--no-browser", is_flag=True, help="Only print the URL to open.")
@click.option("--timeout", type=int, default=3600, show_default=True, help="Seconds to wait.")
def app_create(
    webhook_url: str,
    org: str | None,
    name: str | None,
    manifest: Path | None,
    env_file: Path,
    host: str,
    port: int,
    force: bool,
    no_browser: bool,
    timeout: int,
) -> None:
    """Register prgate's GitHub App from app.yml through GitHub's manifest flow.

    Serves a page on HOST:PORT that hands the manifest to GitHub; after you
    confirm there, GitHub redirects back and the App's id, private key and
    webhook secret are written to --env-file (mode 0600, ignored by git), which
    `prgate serve` and `prgate worker` read. GHE_HOST selects GitHub Enterprise
    Server.
    """
    _require_app_packages()
    import webbrowser

    from workers.app_manifest import Flow, ManifestError, ensure_ignored, holds_app, load_manifest
    from workers.github.manifest import convert_manifest

    settings = _load_settings()
    if not webhook_url.startswith(("https://", "http://")):
        _fail("--webhook-url must be a full http(s) URL GitHub can reach")
    if holds_app(env_file) and not force:
        _fail(f"{env_file} already holds an App's credentials (APP_ID); --force replaces them")
    source = manifest or _default_manifest()

    def listening() -> None:
        click.echo(f"prgate: open {flow.local_url}/ to register the App on "
                   f"{settings.web_url} (manifest: {source})", err=True)  # fmt: skip
        if not no_browser:
            webbrowser.open(f"{flow.local_url}/")

    try:
        flow = Flow(
            settings,
            load_manifest(source),
            webhook_url,
            env_file.resolve(),
            lambda code: convert_manifest(settings, code),
            org=org,
            name=name,
            host=host,
            port=port,
            on_listening=listening,
        )
        flow.serve(timeout)
    except (ManifestError, OSError) as exc:
        _fail(str(exc))
    assert flow.result is not None
    note = ensure_ignored(env_file.resolve())
    html_url = flow.result.get("html_url") or f"{settings.web_url}/apps/{flow.result.get('slug')}"
    click.echo(
        f"prgate: registered {flow.result.get('slug')} (App id {flow.result['id']}); credentials "
        f"written to {env_file}{f' ({note})' if note else ''}.\n"
        f"Install it on the repositories to gate: {html_url}/installations/new",
        err=True,
    )


def _default_manifest() -> Path:
    here = Path("app.yml")
    return here if here.is_file() else Path(__file__).resolve().parents[1] / "app.yml"


if __name__ == "__main__":  # pragma: no cover
    main()
