"""The App's process commands: ``serve`` (the receiver, with an embedded Redis and a worker
when REDIS_URL is unset), ``worker`` and ``app create``; they need ``prgate[app]``."""

from __future__ import annotations

import functools
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import subprocess

    from workers.shared.settings import Settings

from workers.cli.common import (
    _fail,
    main,
)

CREATE_APP = "prgate app create --webhook-url https://<public host>/api/github/webhooks"


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

    from workers.shared.environ import die_with_parent

    die_with_parent(parent, signal.SIGTERM)
    _ignore_sigint()


def _ignore_sigint() -> None:  # in a child between fork and exec

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


@main.command()
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker on prgate's queues (announcements, commands, then checks), and the
    dispatcher that turns the receiver's inbox into their jobs and queues retries when due.

    Every PRGATE_MAINTENANCE_SECONDS the worker sweeps for jobs whose worker
    died; RQ retries them or, after the last attempt, prgate concludes their
    check runs could-not-run (blocking a merge).
    """
    _require_app_packages()
    from workers.queue.alive import defer_stop_signals

    defer_stop_signals()  # a stop while starting is taken up by the worker's loop
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
    # The dispatcher turns the receiver's inbox into RQ jobs and runs RQ's scheduler; it runs
    # beside RQ in its own process, because RQ forks a work horse per job.
    # A terminal's Ctrl-C reaches the whole group; the dispatcher ignores it (a SIGINT while
    # it is still importing would print a traceback) and stops when this worker stops it.
    dispatcher = subprocess.Popen(
        [sys.executable, "-m", "workers.queue.dispatch", str(os.getpid())],
        preexec_fn=_ignore_sigint,
    )
    try:
        rq_worker().work(logging_level=level)
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
        click.echo(
            f"prgate: open {flow.local_url}/ to register the App on "
            f"{settings.web_url} (manifest: {source})",
            err=True,
        )
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
    return here if here.is_file() else Path(__file__).resolve().parents[2] / "app.yml"
