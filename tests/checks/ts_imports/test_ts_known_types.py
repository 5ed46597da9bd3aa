"""The ambient modules prgate knows type packages declare (``known_types``), read again
from the published packages at the pinned versions: a name the table holds that one of
those versions does not declare would be a wrong pass."""

from __future__ import annotations

import pytest

from tests.support.npm_cache import npm_file
from workers.checks.ts_imports.known_types import DECLARED, VERSIONS
from workers.checks.ts_imports.syntax import read_facts


@pytest.mark.parametrize("reference", sorted(DECLARED))
def test_the_table_is_what_every_pinned_version_declares(reference: str) -> None:
    package, path, table = DECLARED[reference]
    declared = [
        set(read_facts(path, npm_file(package, version, path, "to read its types")).ambient)
        for version in VERSIONS[package]
    ]
    assert table == set.intersection(*declared)
