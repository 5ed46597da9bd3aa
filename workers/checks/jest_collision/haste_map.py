"""What Jest's haste map would register for one project, computed from a file list.

A model of ``jest-haste-map`` 29.7 / 30.x as ``jest-runtime`` configures it
(``Runtime.createHasteMap``), for the two things that go wrong in template
monorepos: package names shared by two ``package.json`` files ("Haste module
naming collision") and manual mocks with the same name ("duplicate manual mock
found"), plus the ``package.json`` files that make the build throw.

Pure: it takes the project's normalized settings (``HasteProject``), the
repository's file paths and a reader; ``config`` builds the settings,
``jest_collision`` turns the result into findings. Paths handed to the ignore
regex are absolute, as in Jest, so a pattern anchored on ``<rootDir>`` matches.

Crawl, as ``nodeCrawl`` does it: every file under each root whose last
extension is in ``extensions`` (``snap`` plus ``moduleFileExtensions``);
symlinks are skipped; with the default ``haste.forceNodeFilesystemAPI: true``
the ignore function sees every directory and file (a matching directory is
pruned whole), with ``false`` Jest lists files with ``find(1)`` and filters
files only, with case-insensitive extensions. The ignore function is the
ignore regex (``modulePathIgnorePatterns`` | cache directory | ``/.git/``,
``/.hg/``, ``/.sl/``) or, unless ``retainAllFiles``, ``/node_modules/``.
"""

from __future__ import annotations

import json
import json.scanner
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

NODE_MODULES = "/node_modules/"
MOCKS = "/__mocks__/"
VCS_DIRECTORIES = r"/\.git/|/\.hg/|/\.sl/"


@dataclass(frozen=True)
class HasteProject:
    """One Jest project's haste-map settings, normalized as jest-config does."""

    root_dir: str  # absolute POSIX path
    roots: tuple[str, ...]  # absolute
    extensions: frozenset[str]  # "snap" + moduleFileExtensions
    ignore: re.Pattern[str]  # joined ignore parts plus the VCS directories
    ignore_parts: tuple[str, ...] = ()  # the parts, after <rootDir> substitution
    files_only_ignore: bool = False  # haste.forceNodeFilesystemAPI: false (find(1))
    retain_all_files: bool = False
    throw_on_collision: bool = False


@dataclass
class HasteResult:
    packages: dict[str, list[str]] = field(default_factory=dict)  # name -> abs paths (>= 2)
    mocks: dict[str, list[str]] = field(default_factory=dict)  # mock name -> abs paths (>= 2)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (abs path, Jest's reason)
    unread: list[tuple[str, str]] = field(
        default_factory=list
    )  # (abs path, why prgate could not read)


def build(
    project: HasteProject,
    files: Iterable[str],
    read_many: Callable[[list[str]], Mapping[str, bytes | Exception]],
) -> HasteResult:
    """Register every relevant file of ``files`` (absolute paths) the way Jest would.

    Only ``package.json`` files and files under ``/__mocks__/`` can take part in a
    collision without a ``hasteImplModulePath`` (which ``config`` refuses to
    predict), so only those are looked at. ``read_many`` reads the crawled
    ``package.json`` files in one batch; an exception in its answer means prgate
    could not read that file.
    """
    pruned: dict[str, bool] = {}
    seen: set[str] = set()
    packages: list[str] = []
    mocks: dict[str, list[str]] = {}
    candidates = [p for p in files if p.endswith("/package.json") or MOCKS in p]
    roots = [(r.rstrip("/"), r.rstrip("/") + "/") for r in project.roots]
    folders = _folders_can_differ(project.ignore)
    for path in candidates:
        if path in seen:
            continue
        is_package = path.endswith("/package.json")
        root = next((r for r, prefix in roots if path.startswith(prefix)), None)
        if root is None or not _crawled(project, path, root, pruned, folders):
            continue
        seen.add(path)
        if project.retain_all_files and NODE_MODULES in path:
            continue  # retained in the file list, never processed
        if MOCKS in path:
            mocks.setdefault(mock_name(path), []).append(path)
        if is_package:
            packages.append(path)
    result = HasteResult()
    names: dict[object, tuple[str, list[str]]] = {}
    contents = read_many(packages)
    for path in packages:
        data = contents[path]
        if isinstance(data, Exception):
            result.unread.append((path, str(data)))
            continue
        try:
            key, shown = package_name(data)
        except ValueError as exc:
            result.invalid.append((path, f"Cannot parse {path} as JSON: {exc}"))
            continue
        except RecursionError:  # Node's JSON.parse reads any depth; Python's does not
            result.unread.append((path, "its JSON nests too deeply for prgate to read"))
            continue
        if key is not None:
            names.setdefault(key, (shown, []))[1].append(path)
    result.packages = {shown: sorted(p) for shown, p in names.values() if len(p) > 1}
    result.mocks = {m: sorted(p) for m, p in mocks.items() if len(p) > 1}
    return result


def _folders_can_differ(ignore: re.Pattern[str]) -> bool:
    """Whether the ignore regex could match a folder and not a file below it.

    A match inside a folder's path is a match inside every path below it (the
    same characters, and the end of the folder's path reads as ``/`` does to
    ``\\b``), unless the regex looks at that end: ``$`` or a lookahead. Without
    either, a file the regex does not ignore has no ignored folder above it,
    and testing the file alone gives Jest's answer (half the regex searches of
    a crawl). Spotting them in the pattern's text is conservative: an escaped
    ``\\$`` or a ``[$]`` only costs the folder tests.
    """
    return any(mark in ignore.pattern for mark in ("$", "(?=", "(?!"))


def _crawled(
    project: HasteProject, path: str, root: str, pruned: dict[str, bool], folders: bool = True
) -> bool:
    ext = "json" if path.endswith("/package.json") else posixpath.splitext(path)[1][1:]
    if project.files_only_ignore:
        if ext.lower() not in {e.lower() for e in project.extensions}:
            return False
    elif ext not in project.extensions:
        return False
    if _ignored(project, path):
        return False
    if project.files_only_ignore or not folders:
        return True
    # fdir / readdir: every directory between the root and the file is tested first.
    directory = path[: path.rfind("/")]
    chain: list[str] = []
    while directory != root and len(directory) > len(root):
        if directory in pruned:
            if pruned[directory]:
                for d in chain:
                    pruned[d] = True
                return False
            break
        chain.append(directory)
        directory = directory[: directory.rfind("/")]
    verdict = False
    for d in reversed(chain):
        verdict = verdict or _ignored(project, d)
        pruned[d] = verdict
    return not verdict


def _ignored(project: HasteProject, path: str) -> bool:
    if project.ignore.search(path):
        return True
    return not project.retain_all_files and NODE_MODULES in path


def mock_name(path: str) -> str:
    """``getMockName``: the text between the first and second ``/__mocks__/``, minus extension."""
    mock = path.split(MOCKS)[1]
    ext = _extname(mock)
    return mock[: mock.rfind(ext)] if ext else mock


def _extname(path: str) -> str:
    """Node's ``path.extname`` (a leading dot of the base name is not an extension)."""
    base = path.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return "" if dot <= 0 else base[dot:]


def _no_constants(name: str) -> object:
    raise ValueError(f"Unexpected token '{name[0]}'")


_JSON = json.JSONDecoder(parse_constant=_no_constants)  # json.loads(**kw) builds one per call


# The C scanner JSONDecoder.decode wraps (typeshed types its argument as a scanner, wrongly).
_SCAN = json.scanner.make_scanner(_JSON)  # type: ignore[arg-type]


def _parse(text: str) -> object:
    """``_JSON.decode(text)`` in under half the time, for the valid files nearly every tree has.

    ``decode`` skips JSON whitespace at both ends, scans one value and
    requires the end; per call its Python layers cost as much as the C
    scanner itself (``bench/jest_collision.py``). A file the
    scanner refuses is decoded again by ``decode`` for json's own message and
    position.
    """
    body = text.strip(" \t\n\r")
    try:
        value, end = _SCAN(body, 0)
        if end == len(body):
            return value
    except (StopIteration, json.JSONDecodeError):
        pass
    try:
        return _JSON.decode(text)
    except json.JSONDecodeError as exc:
        if not text.strip():
            raise ValueError("Unexpected end of JSON input") from None
        raise ValueError(f"{exc.msg} (line {exc.lineno} column {exc.colno})") from None


def package_name(data: bytes) -> tuple[object | None, str]:
    """Jest's ``JSON.parse(content).name``: the haste key (None when falsy) and how it prints.

    Raises ValueError where Jest throws: invalid JSON (a byte-order mark and an
    empty file included; ``JSON.parse`` accepts neither) and ``null``, whose
    ``.name`` is a TypeError.
    """
    text = data.decode("utf-8", "replace")  # readFileSync(path, 'utf8') keeps a BOM
    value = _parse(text)
    if value is None:
        raise ValueError("Cannot read properties of null (reading 'name')")
    if not isinstance(value, dict):
        return None, ""  # arrays, strings, numbers: .name is undefined
    name = value.get("name")
    if isinstance(name, bool):
        return ((bool, True), "true") if name else (None, "")
    if isinstance(name, int | float):
        if name == 0 or name != name:
            return None, ""
        shown = str(int(name)) if float(name).is_integer() else repr(name)
        return (float, float(name)), shown
    if isinstance(name, str):
        return (name or None), name
    if isinstance(name, dict | list):
        return object(), "[object Object]"  # truthy, but a Map key by identity: never collides
    return None, ""
