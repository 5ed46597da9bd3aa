"""What every ``prgate`` command shares: the command group, usage errors (exit 2),
Ctrl-C and SIGTERM handling, ``--only``, and reading the repository's configuration."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    pass

from workers.engine.config import CONFIG_PATH, ConfigError, RepoConfig, parse_config
from workers.engine.git import RepoError, run_git
from workers.engine.registry import rule_ids
from workers.engine.views import FileSkipped, RepoView
from workers.shared.names import CHECK_NAMES

EXIT_USAGE = 2


F = TypeVar("F", bound=Callable[..., Any])


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


def _only(text: str) -> Callable[[F], F]:
    """``--only CHECK`` (repeatable), as every command that runs checks takes it."""
    return click.option("--only", "only", multiple=True, type=click.Choice(CHECK_NAMES), help=text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="prgate")
def main() -> None:
    """prgate: gate pull requests on template repositories and JS/TS monorepos."""
