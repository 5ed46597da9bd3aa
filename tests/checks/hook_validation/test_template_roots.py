"""Template-root discovery agrees with the installed Copier."""

from __future__ import annotations

from copier import _template as copier_template

from workers.checks import template_roots


def test_copier_defaults_match_the_installed_copier() -> None:
    assert template_roots.DEFAULT_EXCLUDE == copier_template.DEFAULT_EXCLUDE
    assert template_roots.DEFAULT_TEMPLATES_SUFFIX == copier_template.DEFAULT_TEMPLATES_SUFFIX


def test_rendered_names() -> None:
    copier = template_roots.TemplateRoot("t", "copier", "copier.yml", suffix=".jinja")
    assert copier.rendered_name(".env.jinja") == ".env"
    assert copier.rendered_name(".jinja") == ".jinja"  # a file named only the suffix stays
    nx = template_roots.TemplateRoot("g/files", "nx", "g/schema.json", suffix="__tmpl__")
    assert nx.rendered_name("__dot__env__tmpl__") == ".env"
    plain = template_roots.TemplateRoot("x", "configured", ".github/prgate.yml")
    assert plain.rendered_name(".env.jinja") == ".env.jinja"


# --- real templates: settings rendered as Copier renders them ----------------------------


def test_a_raw_block_in_subdirectory_is_taken_literally(repo) -> None:  # type: ignore[no-untyped-def]
    """Seen on a real template: the whole repository was judged as the template."""
    from tests.conftest import check, pairs

    files = {
        "copier.yml": "_subdirectory: 'templates/{% raw %}{{project_slug}}{% endraw %}'\n"
        "project_slug: {type: str, default: demo}\n",
        "devbox.lock": "{}\n",
        ".github/config/versions.env": "NODE=20\n",
        "docs/notes.orig": "x\n",
        "templates/{{project_slug}}/.env": "A=1\n",
        "templates/{{project_slug}}/README.md.jinja": "# {{ project_slug }}\n",
    }
    report = check(repo(files))
    errors = [f for f in report.findings if f.level == "error"]
    assert pairs(errors) == {("contamination/env-file", "templates/{{project_slug}}/.env")}
    assert "templates/{{project_slug}}/ (the _subdirectory of copier.yml)" in errors[0].message
    # outside the folder Copier renders: warnings, and a package manager's lockfile is fine
    warnings = {f.path: f for f in report.findings if f.level == "warning"}
    assert set(warnings) == {".github/config/versions.env", "docs/notes.orig"}
    assert "no generated project gets it" in warnings["docs/notes.orig"].message
    assert not any("depends on answers" in n.message for r in report.results for n in r.notes)


def test_a_subdirectory_that_reads_an_answer_is_rendered_with_its_default(repo) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import check, pairs

    files = {
        "copier.yml": "_subdirectory: 'flavours/{{ flavour }}'\n"
        "flavour: {type: str, default: basic, choices: [basic, full]}\n",
        "flavours/basic/.env": "A=1\n",
        "flavours/full/x.txt": "x\n",
        "tools/backup.bak": "x\n",
    }
    report = check(repo(files))
    errors = [f for f in report.findings if f.level == "error"]
    assert pairs(errors) == {("contamination/env-file", "flavours/basic/.env")}
    [result] = report.results
    assert any(
        "rendered with the defaults of flavour: 'flavours/basic'" in n.message for n in result.notes
    )


def test_envops_delimiters_are_copiers(repo) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import check, pairs

    files = {
        "copier.yml": "_envops: {variable_start_string: '[[', variable_end_string: ']]'}\n"
        "_subdirectory: 'src/{{ not_a_variable }}'\n",
        "src/{{ not_a_variable }}/.env": "A=1\n",
        "root.bak": "x\n",
    }
    errors = [f for f in check(repo(files)).findings if f.level == "error"]
    assert pairs(errors) == {("contamination/env-file", "src/{{ not_a_variable }}/.env")}
