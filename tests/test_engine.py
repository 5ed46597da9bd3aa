"""Repository views: what they list, what they refuse to read, and how they cope with odd files."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.conftest import Tokens, check, git, pairs
from workers.engine.config import RepoConfig
from workers.engine.repo import (
    DirectoryView,
    FileSkipped,
    GitCommitView,
    GitWorktreeView,
    Kind,
    _read_nofollow,
    open_view,
)
from workers.engine.runner import run_checks

Repo = Callable[..., Path]


def test_worktree_lists_tracked_and_untracked_not_ignored(repo: Repo) -> None:
    path = repo({"a.txt": "a", ".gitignore": "ignored.txt\nbuild/\n"})
    (path / "new.txt").write_text("n")
    (path / "ignored.txt").write_text("i")
    (path / "build").mkdir()
    (path / "build" / "x").write_text("x")
    view = open_view(path)
    assert isinstance(view, GitWorktreeView)
    assert sorted(e.path for e in view.entries()) == [".gitignore", "a.txt", "new.txt"]


def test_worktree_subfolder_paths_are_relative_to_it(repo: Repo) -> None:
    path = repo({"sub/a.txt": "a", "other/b.txt": "b"})
    assert [e.path for e in open_view(path / "sub").entries()] == ["a.txt"]


def test_commit_view_reads_the_object_store(repo: Repo) -> None:
    path = repo({"a.txt": "committed\n"})
    (path / "a.txt").write_text("changed on disk\n")
    view = open_view(path, rev="HEAD")
    assert isinstance(view, GitCommitView)
    assert view.read("a.txt") == b"committed\n"


def test_commit_view_finds_secrets(repo: Repo) -> None:
    token = Tokens.github()
    path = repo({"copier.yml": "a: 1\n", "t/.env": "A=1\n", "src/x.py": f"T = '{token}'\n"})
    (path / "src" / "x.py").write_text("clean now, but not committed\n")
    commit_report = run_checks(open_view(path, rev="HEAD"), RepoConfig())
    assert pairs(commit_report.findings) == {
        ("contamination/env-file", "t/.env"),
        ("contamination/secret", "src/x.py"),
    }


def test_directory_view_without_git(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # a stray .git folder that is not a repository is still skipped
    (tmp_path / ".git" / "config").write_text("x")
    (tmp_path / "copier.yml").write_text("a: 1\n")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / ".env").write_text("A=1\n")
    (tmp_path / "t" / "k.pem").write_text(Tokens.private_key())
    view = open_view(tmp_path)
    assert isinstance(view, DirectoryView)
    assert sorted(e.path for e in view.entries()) == ["copier.yml", "t/.env", "t/k.pem"]
    assert pairs(check(tmp_path).findings) == {
        ("contamination/env-file", "t/.env"),
        ("contamination/secret", "t/k.pem"),
    }


def test_symlinks_are_never_followed(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"T = '{Tokens.github()}'\n")
    (outside / "inner").mkdir()
    (outside / "inner" / "leak.py").write_text(f"K = '{Tokens.aws()}'\n")
    path = repo({"copier.yml": "a: 1\n", "t/readme.md": "x\n"}, commit=False)
    os.symlink(outside / "secret.txt", path / "t" / "notes.txt")  # file link out of the repo
    os.symlink(outside / "inner", path / "t" / "vendor")  # folder link out of the repo
    os.symlink(outside / "secret.txt", path / "t" / ".env")  # a link named like contamination
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "links")
    view = open_view(path)
    kinds = {e.path: e.kind for e in view.entries()}
    assert kinds["t/notes.txt"] is Kind.SYMLINK and kinds["t/vendor"] is Kind.SYMLINK
    assert not any(p.startswith("t/vendor/") for p in kinds)
    with pytest.raises(FileSkipped, match="symlink"):
        view.read("t/notes.txt")
    report = check(path)
    # the link named .env is judged by its name; nothing behind any link is read
    assert pairs(report.findings) == {("contamination/env-file", "t/.env")}


def test_read_refuses_paths_that_escape(repo: Repo) -> None:
    view = open_view(repo({"a.txt": "a"}))
    for bad in ("../x", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(FileSkipped):
            view.read(bad)


def test_read_refuses_symlinked_parent_folders(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "f.txt").write_text("outside")
    path = repo({"a.txt": "a"})
    os.symlink(outside, path / "linkdir")
    view = open_view(path)
    with pytest.raises(FileSkipped, match="not part of"):
        view.read("linkdir/f.txt")  # not listed ...
    with pytest.raises(FileSkipped, match="symlink or missing"):
        _read_nofollow(path, "linkdir/f.txt", 1000)  # ... and the reader refuses the link itself
    assert _read_nofollow(path, "a.txt", 1000) == b"a"


def test_fifty_megabyte_file_is_skipped_with_a_note(repo: Repo) -> None:
    path = repo({"copier.yml": "a: 1\n"})
    big = path / "data" / "dump.sql"
    big.parent.mkdir()
    with big.open("wb") as fh:
        fh.write(f"-- token {Tokens.github()}\n".encode())
        fh.write(b"x" * (50 * 1024 * 1024))
    report = check(path)
    assert report.findings == []
    notes = [n for n in report.results[0].notes if n.path == "data/dump.sql"]
    assert len(notes) == 1 and "50.0 MiB is over the 2.0 MiB limit" in notes[0].message
    with pytest.raises(FileSkipped, match="over the"):
        open_view(path).read("data/dump.sql")


def test_max_bytes_setting(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    token = Tokens.github()
    path = repo({"a.py": f"T = '{token}'\n" + "#" * 200})
    monkeypatch.setenv("PRGATE_MAX_FILE_BYTES", "100")
    report = check(path)
    assert report.findings == [] and "not scanned" in report.results[0].notes[-1].message
    monkeypatch.setenv("PRGATE_MAX_FILE_BYTES", "lots")
    with pytest.raises(Exception, match="PRGATE_MAX_FILE_BYTES: Input should be a valid integer"):
        check(path)


def test_binary_files_are_not_searched(repo: Repo) -> None:
    payload = b"\x89PNG\r\n\x1a\n\0\0\0" + f" {Tokens.github()} ".encode() + bytes(range(256))
    path = repo({"img/logo.png": payload})
    assert check(path).findings == []
    with pytest.raises(FileSkipped, match="binary"):
        open_view(path).read_text("img/logo.png")


def test_non_utf8_files_are_searched(repo: Repo) -> None:
    token = Tokens.aws()
    content = "# caf\xe9 r\xe9sum\xe9\n".encode("latin-1") + f"key = '{token}'\n".encode()
    path = repo({"legacy/conf.ini": content, "legacy/.env": b"PASSWORD=p\xe4ssw\xf6rd-123\n"})
    found = sorted((f.path, f.start_line) for f in check(path).findings)
    assert found == [("legacy/.env", 1), ("legacy/conf.ini", 2)]


def test_unicode_and_odd_file_names(repo: Repo) -> None:
    files = {
        "copier.yml": "a: 1\n",
        "t/résumé/.env": "A=1",
        "t/with space/x.bak": "x",
        "t/tab\there/y.orig": "x",
    }
    assert pairs(check(repo(files)).findings) == {
        ("contamination/env-file", "t/résumé/.env"),
        ("contamination/backup-file", "t/with space/x.bak"),
        ("contamination/backup-file", "t/tab\there/y.orig"),
    }


def test_not_a_directory_and_missing_path(tmp_path: Path) -> None:
    from workers.engine.git import RepoError

    with pytest.raises(RepoError, match="does not exist"):
        open_view(tmp_path / "nope")
    (tmp_path / "f").write_text("x")
    with pytest.raises(RepoError, match="not a directory"):
        open_view(tmp_path / "f")


@pytest.mark.parametrize("rev", [None, "HEAD"])
def test_git_views_search_with_git_grep(
    repo: Repo, rev: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Python fallback reads every file one by one; git views must never use it."""
    from workers.engine.repo import RepoView

    def forbidden(self: object, needles: object, entries: Iterable[object]) -> list[object]:
        if list(entries):  # untracked files are read in Python; tracked ones never
            raise AssertionError("python fallback used for tracked files")
        return []

    monkeypatch.setattr(RepoView, "_python_grep", forbidden)
    token = Tokens.github()
    path = repo({"src/a.py": f"T = '{token}'\n", "b.txt": "x\n"})
    hits = open_view(path, rev=rev).grep(["ghp_"])
    assert [(h.path, h.line) for h in hits] == [("src/a.py", 1)]
