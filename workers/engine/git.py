"""The one place the engine runs git. Errors carry git's own message."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from workers.shared.environ import child_env

# Settings that change git's output format are pinned so that a user's
# ~/.gitconfig cannot break parsing.
_PINNED = (
    "-c",
    "core.quotePath=false",
    "-c",
    "color.ui=never",
    "-c",
    "grep.column=false",
    "-c",
    "grep.fullName=false",
    "-c",
    "grep.fallbackToNoIndex=false",
    "-c",
    "grep.patternType=fixed",
    "-c",
    "diff.renames=false",
)


class RepoError(Exception):
    """The repository could not be read (not a repository, unknown revision, git missing)."""


def git_env() -> dict[str, str]:
    """git's environment: the allow-list (never the App's secrets), no locks, C messages,
    and never a fetch: the engine reads what is there (in a partial clone, a missing blob is
    an error, not a request to the remote; git older than 2.45 still tries, with no
    credentials and no prompt)."""
    return child_env(
        {
            "GIT_OPTIONAL_LOCKS": "0",
            "LC_ALL": "C",
            "GIT_NO_LAZY_FETCH": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }
    )


def _not_started(cwd: Path) -> RepoError:
    """Why git could not start: the folder it was to run in is gone, or git is."""
    if not Path(cwd).is_dir():
        return RepoError(f"the repository folder {cwd} is gone")
    return RepoError("git is not installed or not on PATH")


def git_command(args: Sequence[str]) -> list[str]:
    return ["git", *_PINNED, *args]


def run_git(cwd: Path, args: Sequence[str], *, ok_codes: tuple[int, ...] = (0,)) -> bytes:
    try:
        proc = subprocess.run(git_command(args), cwd=cwd, capture_output=True, env=git_env())
    except FileNotFoundError as exc:
        raise _not_started(cwd) from exc
    if proc.returncode not in ok_codes:
        detail = proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        raise RepoError(f"git {args[0]} failed in {cwd}: {detail}")
    return proc.stdout


def start_git(cwd: Path, args: Sequence[str], stdin: bool = False) -> subprocess.Popen[bytes]:
    """Start git in the background (listing and grep run side by side)."""
    try:
        return subprocess.Popen(
            git_command(args),
            cwd=cwd,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=git_env(),
        )
    except FileNotFoundError as exc:
        raise _not_started(cwd) from exc


def finish_git(proc: subprocess.Popen[bytes], what: str, ok_codes: tuple[int, ...] = (0,)) -> bytes:
    out, err = proc.communicate()
    if proc.returncode not in ok_codes:
        detail = err.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        raise RepoError(f"git {what} failed: {detail}")
    return out


def git_records(cwd: Path, args: Sequence[str]) -> Iterator[list[str]]:
    """Run git (``args`` with ``-z``) and yield its NUL-terminated records as they arrive.

    Records come in batches, decoded as paths are (undecodable bytes kept via
    surrogateescape; a NUL never falls inside a UTF-8 sequence, so a batch
    cut at the last NUL decodes whole). Parsing each batch while git writes
    the next is what makes this faster than ``run_git`` on a large index
    (``bench/jest_collision.py``).
    git's stderr goes to a temporary file, so it can never fill a pipe that
    nobody reads; a failure raises RepoError with it once the output ends.
    """
    encoding, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    with tempfile.TemporaryFile() as stderr:
        try:
            proc = subprocess.Popen(
                git_command(args),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=git_env(),
            )
        except FileNotFoundError as exc:
            raise _not_started(cwd) from exc
        assert proc.stdout is not None
        rest, ended = b"", False
        try:
            fd = proc.stdout.fileno()
            while chunk := os.read(fd, 1 << 20):
                data = rest + chunk if rest else chunk
                cut = data.rfind(b"\0") + 1
                rest = data[cut:]
                if cut:
                    yield data[:cut].decode(encoding, errors).split("\0")[:-1]
            ended = True
        finally:
            if not ended:
                proc.kill()  # the caller stopped early (or failed): git need not finish
            proc.stdout.close()
            proc.wait()
        if proc.returncode != 0:
            stderr.seek(0)
            detail = stderr.read().decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
            raise RepoError(f"git {args[0]} failed in {cwd}: {detail}")
        if rest:
            raise RepoError(f"git {args[0]} in {cwd}: its output ended inside a record")


def toplevel(path: Path) -> Path | None:
    """The work tree top of ``path``, or None when ``path`` is not inside a git work tree.

    A work tree git refuses to read (``detected dubious ownership``: a checkout owned by
    another user, as in a container job) is a RepoError naming git's message and the fix,
    never "not a repository": judged as a plain folder, its gitignored files would become
    committed-file findings."""
    try:
        proc = subprocess.run(
            git_command(["rev-parse", "--show-toplevel"]),
            cwd=path,
            capture_output=True,
            env=git_env(),
        )
    except FileNotFoundError as exc:
        raise _not_started(path) from exc
    if proc.returncode == 0:
        return Path(os.fsdecode(proc.stdout.rstrip(b"\n")))
    detail = proc.stderr.decode("utf-8", "replace").strip()
    if "not a git repository" in detail:
        return None
    first = detail.splitlines()[0] if detail else f"exit {proc.returncode}"
    if "dubious ownership" in detail:
        found = re.search(r"safe\.directory '?([^'\n]+)'?", detail)
        where = found[1].strip() if found else str(path)
        raise RepoError(
            f"git refuses to read the repository at {path} ({first.removeprefix('fatal: ')}): "
            "prgate will not judge it as a plain folder. If you trust it: "
            f"git config --global --add safe.directory {where}"
        )
    raise RepoError(f"git cannot read the repository at {path}: {first}")


def split_z(data: bytes) -> list[str]:
    """Split git's NUL-separated output into paths (undecodable bytes kept via surrogateescape).

    One decode of the whole output: a NUL never falls inside a UTF-8 sequence.
    """
    decoded = data.decode(sys.getfilesystemencoding(), sys.getfilesystemencodeerrors())
    return [item for item in decoded.split("\0") if item]
