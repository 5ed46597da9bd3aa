"""A template's ``copier.yml`` as Copier loads it (``copier._template.load_template_config``).

Copier reads every YAML document of the file; a document (or a value) tagged ``!include
<glob>`` stands for the documents of the files the glob matches, from the template's folder
and never outside it. Later documents win, but for ``_exclude``, ``_jinja_extensions``,
``_secret_questions`` and ``_skip_if_exists``, which add up. A template that keeps its
``_subdirectory`` or its questions in included files (NLeSC/python-template) is judged
with them; without them prgate took the repository root for the render root.

Copier's own loader is not used: the checker runs without Copier installed, reads files
through a repository view (a commit's objects, not a folder), and Copier's loader lives in
a private module. Other tags read as None, as before.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

import yaml

from workers.engine.views import FileSkipped, RepoView

# the options Copier adds up across documents instead of letting the last one win
ADDED_UP = ("_exclude", "_jinja_extensions", "_secret_questions", "_skip_if_exists")
MAX_INCLUDE_DEPTH = 20


class SettingsUnreadable(Exception):
    """A template's settings file could not be read or parsed; ``str(exc)`` names it and why.

    Copier's settings decide what is rendered, where, and which tasks run, so a
    check that needs them cannot judge the template without them: it reports
    "could not run" rather than assume Copier's defaults (a padded or binary
    ``copier.yml`` must not switch the check off).
    """


class TolerantLoader(yaml.SafeLoader):
    """SafeLoader that reads Copier's ``!include`` and other tags as plain None (to find
    the line of a key without loading anything)."""


TolerantLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def copier_settings(view: RepoView, path: str) -> dict[str, Any]:
    """The merged documents of a ``copier.yml``, includes read; SettingsUnreadable when it,
    or a file it includes, cannot be read, or Copier would refuse it."""
    root = posixpath.dirname(path)
    documents = [d for d in _flatten(_load(view, path, root, ())) if isinstance(d, dict)]
    added: dict[str, list[Any]] = {}
    for option in ADDED_UP:
        for doc in documents:
            if option in doc:
                try:
                    added.setdefault(option, []).extend(doc[option])
                except TypeError:
                    raise SettingsUnreadable(
                        f"{path}: {option} is {type(doc[option]).__name__}, not a list; "
                        "Copier cannot load it"
                    ) from None
    merged: dict[str, Any] = {}
    for doc in documents:
        merged.update(doc)
    return merged | added


def key_places(view: RepoView, path: str) -> dict[str, tuple[str, int]]:
    """Where each top-level key of the settings is set: (file, 1-based line), the last
    setting winning as in Copier; files that cannot be read are left out."""
    places: dict[str, tuple[str, int]] = {}
    _places(view, path, posixpath.dirname(path), places, ())
    return places


def _places(
    view: RepoView, path: str, root: str, places: dict[str, tuple[str, int]], seen: tuple[str, ...]
) -> None:
    if path in seen or len(seen) > MAX_INCLUDE_DEPTH:
        return
    try:
        nodes = list(yaml.compose_all(view.read_text(path), Loader=TolerantLoader))
    except (FileSkipped, yaml.YAMLError, SettingsUnreadable):
        return
    for node in nodes:
        if isinstance(node, yaml.MappingNode):
            for key, _ in node.value:
                places[str(key.value)] = (path, key.start_mark.line + 1)
        elif isinstance(node, yaml.ScalarNode) and node.tag == "!include":
            try:
                files = _included(view, root, str(node.value), path)
            except SettingsUnreadable:
                continue
            for file in files:
                _places(view, file, root, places, (*seen, path))


def _load(view: RepoView, path: str, root: str, seen: tuple[str, ...]) -> list[Any]:
    if path in seen:
        raise SettingsUnreadable(f"{path} includes itself (through {' -> '.join(seen)})")
    if len(seen) > MAX_INCLUDE_DEPTH:
        raise SettingsUnreadable(f"{path}: more than {MAX_INCLUDE_DEPTH} nested !include")
    try:
        text = view.read_text(path)
    except FileSkipped as exc:
        raise SettingsUnreadable(f"{path} could not be read: {exc}") from None
    try:
        return [d for d in yaml.load_all(text, Loader=_loader(view, root, (*seen, path))) if d]
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise SettingsUnreadable(
            f"{path} is not valid YAML ({detail}); Copier cannot load it either"
        ) from None


def _loader(view: RepoView, root: str, seen: tuple[str, ...]) -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        """Copier's loader: ``!include`` expands, other tags read as None."""

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> list[Any]:
        if not isinstance(node, yaml.ScalarNode):
            raise SettingsUnreadable(f"{seen[-1]}: !include takes a path; Copier refuses it")
        pattern = str(loader.construct_scalar(node))
        docs: list[Any] = []
        for file in _included(view, root, pattern, seen[-1]):
            docs.extend(_flatten(_load(view, file, root, seen)))
        return docs

    Loader.add_constructor("!include", include)
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return Loader


def _included(view: RepoView, root: str, pattern: str, where: str) -> list[str]:
    """The files an ``!include`` glob names, from the template's folder ``root`` (as
    pathlib's glob: ``**`` spans folders, ``*`` matches dot files too), sorted."""
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    if pattern.startswith("/") or ".." in parts:
        raise SettingsUnreadable(
            f"{where}: !include {pattern!r} leaves the template's folder; Copier refuses it"
        )
    if not parts or parts[-1] == "**":
        return []  # pathlib yields folders for a trailing **: nothing Copier can read
    regex = re.compile(
        "".join("(?:[^/]+/)*" if p == "**" else _segment(p) + "/" for p in parts[:-1])
        + _segment(parts[-1])
    )
    prefix = f"{root}/" if root else ""
    return sorted(
        p for p in view.paths() if p.startswith(prefix) and regex.fullmatch(p[len(prefix) :])
    )


def _segment(glob: str) -> str:
    """One path segment of a glob as a regex: ``*`` and ``?`` stay in the segment."""
    out, i = "", 0
    while i < len(glob):
        c = glob[i]
        end = glob.find("]", i + 2) if c == "[" else -1
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif end != -1:
            body = glob[i + 1 : end]
            out += (
                "[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]"
            )
            i = end
        else:
            out += re.escape(c)
        i += 1
    return out


def _flatten(items: list[Any]) -> list[Any]:
    """funcy's ``lflatten``, as Copier uses it: lists inside lists, not dicts or strings."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, list | tuple):
            out.extend(_flatten(list(item)))
        elif item:
            out.append(item)
    return out
