"""Find the folders of a repository that are rendered into generated projects.

* Copier: the folder of every ``copier.yml``/``copier.yaml`` (the template
  repository: what ``copier copy`` clones and what pytest-copier copies),
  with its render root ``_subdirectory`` inside it. Copier's settings that
  change what a rendered file is called or whether it is rendered at all —
  ``_templates_suffix`` and ``_exclude`` — are taken from the file; Copier's
  own defaults come from Copier itself.
* Nx generators: a ``files/`` folder beside a generator's ``schema.json``.
* cookiecutter: every ``{{cookiecutter.*}}`` folder beside a ``cookiecutter.json``.
* Folders the repository lists under ``template-roots``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pathspec

from workers.checks.copier_questions import render_setting
from workers.checks.copier_settings import SettingsUnreadable, copier_settings
from workers.engine.config import RepoConfig
from workers.engine.findings import Note
from workers.engine.views import RepoView

COPIER_FILES = ("copier.yml", "copier.yaml")
# Copier's own defaults (copier.template.DEFAULT_EXCLUDE / DEFAULT_TEMPLATES_SUFFIX).
# Copied rather than imported because importing copier takes ~0.8 s, longer than
# a whole check of a 50k-file tree; tests/checks/hook_validation/test_template_roots.py
# compares them with the installed Copier so they cannot drift.
DEFAULT_EXCLUDE = (
    "copier.yaml",
    "copier.yml",
    "~*",
    "*.py[co]",
    "__pycache__",
    ".git",
    ".DS_Store",
    ".svn",
)
DEFAULT_TEMPLATES_SUFFIX = ".jinja"
HOOK_FOLDERS = ("hooks", ".copier/hooks", "copier_hooks")  # where templates keep hook scripts
NX_SUFFIX = "__tmpl__"


@dataclass(frozen=True)
class TemplateRoot:
    path: str  # "" is the repository root; otherwise a folder without trailing slash
    kind: str  # copier | nx | cookiecutter | configured
    source: str  # the file that makes it a template (copier.yml, schema.json, ...)
    render_root: str = ""  # where rendering starts (Copier's _subdirectory)
    suffix: str = ""  # suffix stripped from rendered file names
    exclude: pathspec.PathSpec[Any] | None = field(default=None, compare=False)
    # why the template's settings could not be read; its render root and
    # exclusions are then unknown, and a check that depends on them cannot judge
    unreadable: str | None = None
    # Copier's _preserve_symlinks: links are copied as links (else Copier follows them)
    preserve_symlinks: bool = False
    # a Copier template's settings (copier.yml's merged documents), read once, here
    settings: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def rendered_from(self) -> str:
        """The folder rendered into projects, repo-relative ("" is the repository root)."""
        return posixpath.join(self.path, self.render_root).strip("/")

    def rendered(self, path: str) -> bool:
        """Whether ``path`` is in the folder rendered into generated projects (Copier's
        ``_subdirectory``; the whole template when there is none)."""
        return (
            self.kind != "copier" or not self.render_root or self.in_render_root(path) is not None
        )

    def where(self, path: str) -> str:
        """Where ``path`` is, in words that are true of it."""
        if not self.render_root:
            return f"inside the template {self.path or '(repository root)'}"
        rendered = self.rendered_from
        if self.in_render_root(path) is not None:
            return f"in the folder Copier renders, {rendered}/ (the _subdirectory of {self.source})"
        return (
            f"in the template repository, outside the folder Copier renders ({rendered}/): no "
            "generated project gets it, but every clone of the template does"
        )

    def contains(self, path: str) -> bool:
        return not self.path or path == self.path or path.startswith(self.path + "/")

    def rendered_name(self, name: str) -> str:
        """A file name as it will be after rendering (``.env.jinja`` -> ``.env``)."""
        if self.kind == "nx":
            return name.replace(NX_SUFFIX, "").replace("__dot__", ".")
        if self.suffix and name.endswith(self.suffix) and name != self.suffix:
            return name[: -len(self.suffix)]
        return name

    def in_render_root(self, path: str) -> str | None:
        """``path`` relative to the render root, or None when it is outside it."""
        root = self.rendered_from
        if not root:
            return path
        if path.startswith(root + "/"):
            return path[len(root) + 1 :]
        return None

    def excluded(self, path: str) -> bool:
        """True when Copier's ``_exclude`` keeps ``path`` out of generated projects."""
        if self.exclude is None:
            return False
        rel = self.in_render_root(path)
        if rel is None:
            return False
        parts = rel.split("/")
        rendered = "/".join([*parts[:-1], self.rendered_name(parts[-1])])
        return self.exclude.match_file(rendered)


def unreadable(roots: Iterable[TemplateRoot]) -> list[str]:
    """Why each template whose settings could not be read was not judged."""
    return [
        f"{r.unreadable}; the template in {r.path or 'the repository root'} was not judged"
        for r in roots
        if r.unreadable is not None
    ]


def _copier_root(view: RepoView, path: str, notes: list[Note]) -> TemplateRoot:
    folder = posixpath.dirname(path)
    try:
        settings = copier_settings(view, path)
    except SettingsUnreadable as exc:
        return TemplateRoot(path=folder, kind="copier", source=path, unreadable=str(exc))
    subdirectory = _rendered_subdirectory(settings, path, notes)
    suffix = settings.get("_templates_suffix", DEFAULT_TEMPLATES_SUFFIX)
    exclude_patterns = settings.get("_exclude")
    if not isinstance(exclude_patterns, list):
        # Copier applies its default exclusions only without a _subdirectory.
        exclude_patterns = list(DEFAULT_EXCLUDE) if not subdirectory else []
    literal = []
    for pattern in exclude_patterns:
        if not isinstance(pattern, str):
            continue
        if "{" in pattern:  # Copier renders each pattern before matching
            rendered = render_setting(settings, pattern).value
            if rendered is None:
                continue  # not modelled: fewer exclusions, so more is judged, never less
            pattern = rendered
        literal.append(pattern)
    return TemplateRoot(
        path=folder,
        kind="copier",
        source=path,
        render_root=subdirectory,
        suffix=suffix if isinstance(suffix, str) else DEFAULT_TEMPLATES_SUFFIX,
        exclude=pathspec.PathSpec.from_lines("gitignore", literal) if literal else None,
        preserve_symlinks=settings.get("_preserve_symlinks") is True,
        settings=settings,
    )


def _rendered_subdirectory(settings: dict[str, Any], path: str, notes: list[Note]) -> str:
    """``_subdirectory`` as Copier renders it (``Worker.template_copy_root``)."""
    sub = settings.get("_subdirectory")
    if not isinstance(sub, str) or not sub:
        return ""
    if "{" not in sub:
        return sub.strip("/")
    rendered = render_setting(settings, sub)
    if rendered.value is None:
        notes.append(
            Note(
                path=path,
                message=f"_subdirectory {sub!r} could not be rendered here (it reads answers "
                "without plain defaults, or Copier's own context); the whole folder of "
                f"{path} is treated as its render root",
            )
        )
        return ""
    if rendered.answers:
        notes.append(
            Note(
                path=path,
                message=f"_subdirectory {sub!r} depends on answers; rendered with the "
                f"defaults of {', '.join(rendered.answers)}: {rendered.value.strip('/')!r}",
            )
        )
    return rendered.value.strip().strip("/")


def find_template_roots(
    view: RepoView, config: RepoConfig
) -> tuple[list[TemplateRoot], list[Note]]:
    notes: list[Note] = []
    roots: list[TemplateRoot] = []
    paths = view.paths()
    markers = (*COPIER_FILES, "schema.json", "cookiecutter.json")
    folders_with: dict[str, set[str]] = {}
    for p in sorted(p for p in paths if p.endswith(markers)):
        folder, _, name = p.rpartition("/")
        if name in markers:
            folders_with.setdefault(name, set()).add(folder)
            if name in COPIER_FILES:
                roots.append(_copier_root(view, p, notes))
    if "schema.json" in folders_with or "cookiecutter.json" in folders_with:
        dirs = _folders(paths)
        for folder in sorted(folders_with.get("schema.json", ())):
            files_dir = posixpath.join(folder, "files")
            if files_dir in dirs:
                source = posixpath.join(folder, "schema.json")
                roots.append(TemplateRoot(files_dir, "nx", source, suffix=NX_SUFFIX))
        for folder in sorted(folders_with.get("cookiecutter.json", ())):
            for d in sorted(dirs):
                name = posixpath.basename(d)
                if (
                    posixpath.dirname(d) == folder
                    and name.startswith("{{")
                    and "cookiecutter." in name
                ):
                    source = posixpath.join(folder, "cookiecutter.json")
                    roots.append(TemplateRoot(d, "cookiecutter", source))
    for configured in config.template_roots:
        roots.append(TemplateRoot(configured.strip("/"), "configured", ".github/prgate.yml"))
    return _outermost_first(roots), notes


def _folders(paths: Iterable[str]) -> set[str]:
    folders: set[str] = set()
    for p in paths:
        d = posixpath.dirname(p)
        while d and d not in folders:
            folders.add(d)
            d = posixpath.dirname(d)
    return folders


def _outermost_first(roots: list[TemplateRoot]) -> list[TemplateRoot]:
    return sorted(roots, key=lambda r: (r.path.count("/") if r.path else -1, r.path))
