"""The workspace catalogs (beside a SQLite file, in this process's memory, schemas of a PostgreSQL database): what
the workspace router and the control API rely on, for every implementation of ``WorkspaceCatalog``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.store import WorkspaceCatalog, open_catalog
from simulator.store.workspaces import WorkspaceExists, check_name, token_digest


@pytest.fixture(params=["file", "memory", "postgres"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WorkspaceCatalog]:
    where = {"file": lambda: str(tmp_path / "s.db"), "memory": lambda: ":memory:"}
    where["postgres"] = lambda: request.getfixturevalue("postgres_url")
    opened = open_catalog(where[request.param]())
    yield opened
    opened.close()


def test_create_get_open_delete(catalog: WorkspaceCatalog) -> None:
    start = catalog.version()
    record = catalog.create("acme", token_digest("t"))
    assert record.name == "acme" and record.token_digest == token_digest("t") and record.created_at.endswith("Z")
    assert catalog.get("acme") == record and catalog.list() == [record] and catalog.get("other") is None
    assert catalog.version() != start
    with pytest.raises(WorkspaceExists):
        catalog.create("acme", token_digest("u"))
    store = catalog.open("acme")
    assert catalog.open("acme") is store
    with pytest.raises(KeyError):
        catalog.open("other")
    created = catalog.version()
    assert catalog.delete("acme") is True and catalog.delete("acme") is False
    assert catalog.list() == [] and catalog.version() != created
    with pytest.raises(KeyError):
        catalog.open("acme")


def test_a_deleted_workspace_leaves_no_file_and_a_second_catalog_sees_changes(tmp_path: Path) -> None:
    first, second = open_catalog(str(tmp_path / "s.db")), open_catalog(str(tmp_path / "s.db"))
    try:
        seen = second.version()
        first.create("acme", token_digest("t"))
        first.open("acme").meta.get("scenario_name")
        assert second.version() != seen and [r.name for r in second.list()] == ["acme"]
        assert (tmp_path / "s.db-workspaces" / "acme.db").exists()
        first.delete("acme")
        assert [p.name for p in (tmp_path / "s.db-workspaces").iterdir() if p.name.startswith("acme")] == []
        assert second.get("acme") is None
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("name", ["acme", "a", "team-2", "0", "x" * 40])
def test_names_that_are_workspace_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "Acme", "a_b", "a.b", "-a", "a/b", "x" * 41, "default", "ä"])
def test_names_that_are_not(name: str) -> None:
    with pytest.raises(ValueError, match="Fix: "):
        check_name(name)
