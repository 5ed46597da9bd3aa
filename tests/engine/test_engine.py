"""Repository views: what they list, what they refuse to read, and how they cope with odd files."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.conftest import SEED_REF, Tokens, check, git, pairs, served_origin
from workers.engine.config import RepoConfig
from workers.engine.git import RepoError
from workers.engine.runner import check_repository
from workers.engine.views import (
    DirectoryView,
    FileSkipped,
    GitCommitView,
    GitWorktreeView,
    Kind,
    open_view,
)
from workers.engine.views.nofollow import _read_nofollow

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
    commit_report = check_repository(open_view(path, rev="HEAD"), RepoConfig())
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
    # the link named .env is judged by its name, and each link by its text (all three point
    # out of the repository); nothing behind any link is read: no secret is found
    assert pairs(report.findings) == {
        ("contamination/env-file", "t/.env"),
        ("contamination/symlink", "t/.env"),
        ("contamination/symlink", "t/notes.txt"),
        ("contamination/symlink", "t/vendor"),
    }


def test_read_refuses_paths_that_escape(repo: Repo) -> None:
    view = open_view(repo({"a.txt": "a"}))
    for bad in ("../x", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(FileSkipped):
            view.read(bad)


def test_read_refuses_symlinked_parent_folders(repo: Repo, tmp_path: Path, opener: str) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "f.txt").write_text("outside")
    path = repo({"a.txt": "a"})
    os.symlink(outside, path / "linkdir")
    view = open_view(path)
    with pytest.raises(FileSkipped, match="not part of"):
        view.read("linkdir/f.txt")  # not listed ...
    with pytest.raises(FileSkipped, match=r"\(a symlink; prgate never follows"):
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
    from workers.engine.views import RepoView

    def forbidden(self: object, needles: object, entries: Iterable[object]) -> list[object]:
        if list(entries):  # untracked files are read in Python; tracked ones never
            raise AssertionError("python fallback used for tracked files")
        return []

    monkeypatch.setattr(RepoView, "_python_grep", forbidden)
    token = Tokens.github()
    path = repo({"src/a.py": f"T = '{token}'\n", "b.txt": "x\n"})
    hits = open_view(path, rev=rev).grep(["ghp_"])
    assert [(h.path, h.line) for h in hits] == [("src/a.py", 1)]


@pytest.fixture(params=["openat2", "folder chain"])
def opener(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Reads run once with openat2 and once as on a kernel without it (the chain fallback)."""
    from workers.engine import beneath

    if request.param == "openat2":
        if not beneath.available():
            pytest.skip("this kernel (or its seccomp filter) refuses openat2")
    else:
        monkeypatch.setattr(beneath, "_works", False)
    return str(request.param)


def test_read_many_refuses_a_folder_swapped_for_a_symlink(
    repo: Repo, tmp_path: Path, opener: str
) -> None:
    """The index still lists pkg/package.json; pkg is now a link out of the checkout."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "package.json").write_text('{"name": "stolen"}')
    files = {
        "pkg/package.json": "{}",
        "lib/package.json": "{}",
        "a/b/c.json": "{}",
        "a/d.json": "[]",
    }
    path = repo(files)
    for folder in ("pkg", "lib"):
        (path / folder / "package.json").unlink()
        (path / folder).rmdir()
    os.symlink(outside, path / "pkg")  # out of the checkout
    (path / "real").mkdir()
    (path / "real" / "package.json").write_text('{"name": "inside"}')
    os.symlink("real", path / "lib")  # inside it: still a link, still not followed
    view = open_view(path)
    assert view.entry("pkg/package.json") is not None  # lstat through the link finds a file
    wanted = ["a/d.json", "pkg/package.json", "a/b/c.json", "lib/package.json", "missing.json"]
    got = view.read_many(wanted)
    assert got["a/d.json"] == b"[]" and got["a/b/c.json"] == b"{}"
    for linked in ("pkg/package.json", "lib/package.json"):
        assert isinstance(got[linked], FileSkipped)
        assert "(a symlink;" in str(got[linked])
    assert isinstance(got["missing.json"], FileSkipped)


def test_read_many_limits_every_file(repo: Repo, opener: str) -> None:
    path = repo({"small.txt": "x" * 10, "edge.txt": "y" * 100, "big.txt": "z" * 101})
    view = GitWorktreeView(path, max_bytes=100)
    got = view.read_many(["small.txt", "edge.txt", "big.txt"])
    assert got["small.txt"] == b"x" * 10 and got["edge.txt"] == b"y" * 100
    assert isinstance(got["big.txt"], FileSkipped) and "over the" in str(got["big.txt"])


def test_listing_folders_and_counts(repo: Repo) -> None:
    path = repo({"a/b/c.txt": "c", "a/b.txt": "b", "a-b/x.txt": "x", "ab.txt": "t"})
    os.symlink("ab.txt", path / "link")
    git(path, "add", "link")
    git(path, "commit", "-q", "-m", "link")
    for view in (open_view(path), open_view(path, rev="HEAD")):
        assert view.count() == 5
        assert view.has_folder("a") and view.has_folder("a/b") and view.has_folder("a-b")
        assert not view.has_folder("a/b.txt") and not view.has_folder("ab") and view.has_folder("")
        assert view.below("a") == ["a/b.txt", "a/b/c.txt"]  # not a-b/: "-" sorts before "/"
        assert view.paths(symlinks=False) == ["a-b/x.txt", "a/b.txt", "a/b/c.txt", "ab.txt"]
        assert "link" in view.paths()


def test_commit_view_finds_oversize_blobs_of_every_width(repo: Repo) -> None:
    """The listing looks closely only at sizes as wide as the limit; every size must still count."""
    files: dict[str, str | bytes] = {"tiny": "x", "under": "x" * 999, "at": "x" * 1000}
    files |= {"over": "x" * 1001, "wide": b"x" * 12_000_000}
    view = GitCommitView(repo(files), "HEAD", max_bytes=1000)
    assert sorted(e.path for e in view.oversized()) == ["over", "wide"]
    assert view.read("at") == b"x" * 1000
    with pytest.raises(FileSkipped, match="over the"):
        view.read("over")
    assert GitCommitView(repo(files), "HEAD", max_bytes=20_000_000).oversized() == []


def test_commit_view_with_names_that_are_not_utf8(repo: Repo) -> None:
    """git lists in byte order; undecodable bytes become surrogates, which sort elsewhere."""
    names = {
        os.fsdecode(b"\xc3A.txt"): b"lone C3",  # bytes: before \xc3\xa9; code points: after
        "\u00e9.txt": b"e acute",
        os.fsdecode(b"\xff.txt"): b"lone FF",  # bytes: after \xee; code points: before U+E000
        "\ue000.txt": b"private use",
        "a.txt": b"a",
    }
    path = repo({}, commit=False)
    for name, data in names.items():
        (path / name).write_bytes(data)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "names")
    view = open_view(path, rev="HEAD")
    for name, data in names.items():
        assert view.read(name) == data
    assert view.read_many(list(names)) == names


def test_checkout_view_lists_the_index(repo: Repo, tmp_path: Path) -> None:
    """What a worker's fresh worktree holds, without walking it: kinds from the index's modes."""
    from workers.engine.views import CheckoutView

    inner = repo({"x.txt": "x"})
    path = repo({"pkg/package.json": "{}", "big.bin": "b" * 500, "src/a.js": "a"}, commit=False)
    os.symlink("../big.bin", path / "src" / "link")
    git(path, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "vendor")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "x")
    view = CheckoutView(path, max_bytes=400)
    kinds = {e.path: e.kind for e in view.entries()}
    assert kinds == {
        ".gitmodules": Kind.FILE,
        "big.bin": Kind.FILE,
        "pkg/package.json": Kind.FILE,
        "src/a.js": Kind.FILE,
        "src/link": Kind.SYMLINK,
        "vendor": Kind.SUBMODULE,
    }
    assert kinds == {e.path: e.kind for e in GitWorktreeView(path, max_bytes=400).entries()}
    assert [e.path for e in view.oversized()] == ["big.bin"]
    with pytest.raises(FileSkipped, match="symlink"):
        view.read("src/link")
    with pytest.raises(FileSkipped, match="over the"):
        view.read("big.bin")
    assert view.is_tracked("src/a.js") and view.read("pkg/package.json") == b"{}"
    base = git(path, "rev-parse", "HEAD").strip()
    (path / "src" / "a.js").write_text("b")
    (path / "pkg" / "package.json").unlink()
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "y")
    fresh = CheckoutView(path)
    assert fresh.changed_since(base) == GitWorktreeView(path).changed_since(base)
    assert fresh.changed_since(base) == {"src/a.js", "pkg/package.json"}


def test_index_listing_read_in_batches_keeps_every_entry(repo: Repo) -> None:
    """git's output arrives in pipe-sized batches; no entry may be cut, lost or doubled.

    6,000 index entries with long non-ASCII names make about 800 KB of
    ``ls-files --stage`` output, so many batch boundaries fall inside records
    and, if the cut were not at a NUL, inside multi-byte characters.
    """
    import subprocess

    from tests.conftest import GIT_ENV
    from workers.engine.views import CheckoutView

    path = repo({"real.txt": "r"})
    blob = git(path, "hash-object", "-w", "real.txt").strip()
    names = [f"d{i % 37}/ünïcødé-{'ж' * (i % 23)}-{i:05d}.json" for i in range(6000)]
    info = "".join(f"100644 {blob}\t{n}\n" for n in names)
    info += f"120000 {blob}\tlinks/l\n160000 {'1' * len(blob)}\tvendor/sub\n"
    subprocess.run(
        ["git", "update-index", "--index-info"],
        cwd=path,
        input=info.encode(),
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    view = CheckoutView(path)
    assert view.paths(symlinks=False) == sorted([*names, "real.txt"])
    assert view.count() == 6003
    assert [view.entry(p) for p in ("links/l", "vendor/sub")] == [
        ("links/l", Kind.SYMLINK, None),
        ("vendor/sub", Kind.SUBMODULE, None),
    ]


def test_git_records_reports_failures_and_stops_git_when_abandoned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from workers.engine.git import RepoError, git_records

    with pytest.raises(RepoError, match="not a git repository"):
        list(git_records(tmp_path, ["ls-files", "-z"]))
    started: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    def recording(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        proc = real(*args, **kwargs)  # type: ignore[call-overload]
        started.append(proc)
        return proc  # type: ignore[no-any-return]

    monkeypatch.setattr(subprocess, "Popen", recording)
    # an endless stream of records: only stopping the generator ends git
    records = git_records(tmp_path, ["-c", "alias.forever=!yes x | tr '\\n' '\\0'", "forever"])
    assert next(records)[0] == "x"
    records.close()
    assert started and started[0].returncode is not None  # killed and reaped, not left running


def test_read_many_reads_big_files_whole_and_refuses_what_replaced_a_file(
    repo: Repo, opener: str
) -> None:
    """A listed file that is now a FIFO or a folder is refused at once, never waited on."""
    from workers.engine.views import CheckoutView

    chunk = 64 * 1024
    files = {"edge": "e" * chunk, "over-edge": "o" * (chunk + 1), "big": "b" * 300_000}
    path = repo({**files, "fifo": "f", "folder": "d", "empty": ""})
    (path / "fifo").unlink()
    os.mkfifo(path / "fifo")  # nobody will ever write to it
    (path / "folder").unlink()
    (path / "folder").mkdir()
    view = CheckoutView(path, max_bytes=400_000)  # the index still lists both as files
    answers: list[dict[str, bytes | FileSkipped]] = []
    reader = threading.Thread(
        target=lambda: answers.append(view.read_many([*files, "fifo", "folder", "empty"])),
        daemon=True,
    )
    reader.start()
    reader.join(timeout=20)
    if reader.is_alive():  # stuck opening the FIFO: be its writer, so the thread can end
        os.close(os.open(path / "fifo", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("read_many waited for a writer of a FIFO")
    got = answers[0]
    assert {name: got[name] for name in files} == {n: d.encode() for n, d in files.items()}
    assert got["empty"] == b""
    for odd in ("fifo", "folder"):
        assert isinstance(got[odd], FileSkipped) and "not a regular file" in str(got[odd])
    small = CheckoutView(path, max_bytes=chunk)
    got = small.read_many(["edge", "over-edge"])
    assert got["edge"] == files["edge"].encode()
    assert isinstance(got["over-edge"], FileSkipped) and "over the" in str(got["over-edge"])


# --- the worker's cache: a commit read from a partial clone, no worktree ---------------------


def _cached(repo: Repo, tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path, str]:
    """(origin, the worker's cache after its fetches, head): a blob-less partial clone whose
    head blobs came in ``fetch_blobs``' one request."""
    from workers.jobs.checkout import RepoCache

    origin = served_origin(tmp_path / "origin", files)
    (origin / "t" / "run.sh").chmod(0o755)
    os.symlink("run.sh", origin / "t" / "link")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "modes")
    sha = git(origin, "rev-parse", "HEAD").strip()
    cache = RepoCache(tmp_path / "cache", 7, origin.as_uri(), "token")
    cache.fetch([SEED_REF])
    cache.fetch(["+refs/heads/main:refs/prgate/default"])
    missing = cache.fetch_blobs(sha)
    assert missing == len(files) + 1  # every file and the link's blob, in one fetch
    assert cache.fetch_blobs(sha) == 0  # warm: nothing left to bring
    return origin, cache.dir, sha


def test_a_commit_in_the_workers_cache_reads_and_exports_as_the_work_tree_does(
    repo: Repo, tmp_path: Path
) -> None:
    from workers.engine.export import export

    files = {"t/run.sh": "#!/bin/sh\necho hi\n", "t/a/b.txt": "b\n", "pkg/package.json": "{}\n"}
    origin, cache, sha = _cached(repo, tmp_path, files)
    commit = GitCommitView(cache, sha, seen_at=Path("/home/runner/work/r/r"))
    work_tree = GitWorktreeView(origin)
    assert commit.paths() == work_tree.paths()
    assert commit.read_many(commit.paths(symlinks=False)) == work_tree.read_many(
        work_tree.paths(symlinks=False)
    )
    assert commit.seen_at == Path("/home/runner/work/r/r") and commit.root == cache.resolve()
    exported = {}
    for name, view in (("commit", commit), ("work-tree", work_tree)):
        dest = tmp_path / name
        assert export(view, "t", dest) == []
        exported[name] = sorted(
            (
                str(p.relative_to(dest)),
                p.is_symlink(),
                oct(p.lstat().st_mode & 0o777),
                os.readlink(p) if p.is_symlink() else p.read_bytes(),
            )
            for p in dest.rglob("*")
            if not p.is_dir()
        )
    assert exported["commit"] == exported["work-tree"]
    assert ("run.sh", False, "0o755", b"#!/bin/sh\necho hi\n") in exported["commit"]
    assert ("link", True, "0o777", "run.sh") in exported["commit"]
    commit.close()


def test_a_commit_in_the_cache_never_fetches_on_its_own(repo: Repo, tmp_path: Path) -> None:
    """Without ``fetch_blobs`` the blobs are not there, and the view, which has no
    credentials, fails (the check could not run) rather than pass on what it lacks."""
    from workers.jobs.checkout import RepoCache

    origin = served_origin(tmp_path / "origin", {"a.txt": "a\n"})
    sha = git(origin, "rev-parse", "HEAD").strip()
    cache = RepoCache(tmp_path / "cache", 7, origin.as_uri(), "token")
    cache.fetch([SEED_REF])
    cache.fetch(["+refs/heads/main:refs/prgate/default"])
    git(cache.dir, "config", "remote.origin.url", str(tmp_path / "gone"))  # unreachable now
    view = GitCommitView(cache.dir, sha)
    with pytest.raises(RepoError, match=r"could not fetch \w+ from promisor remote"):
        check_repository(view, RepoConfig(), only=["contamination"])
    view.close()


def test_the_cache_fetches_missing_blobs_in_batches(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One request for 50,000 objects broke an HTTP server's pipe; batches bring them all."""
    from workers.jobs import checkout
    from workers.jobs.checkout import RepoCache

    monkeypatch.setattr(checkout, "FETCH_BATCH", 2)
    origin = served_origin(tmp_path / "origin", {f"f{i}.txt": f"{i}\n" for i in range(5)})
    sha = git(origin, "rev-parse", "HEAD").strip()
    cache = RepoCache(tmp_path / "cache", 7, origin.as_uri(), "token")
    cache.fetch([SEED_REF])
    cache.fetch(["+refs/heads/main:refs/prgate/default"])
    assert cache.fetch_blobs(sha) == 5
    assert cache.fetch_blobs(sha) == 0
    view = GitCommitView(cache.dir, sha)
    assert view.read_text("f4.txt") == "4\n"
    view.close()
