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
