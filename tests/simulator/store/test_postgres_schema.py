"""The PostgreSQL store's schema: created on open, an older one upgraded with its rows, a newer one refused before
anything is touched; and a state moves between the two engines (a capsule of one opens in the other)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import psycopg
import pytest

from simulator.cli import main
from simulator.domain.model import Member
from simulator.scenario.model import Scenario
from simulator.store import StoreLocationError, open_catalog, open_store
from simulator.store.postgres import schema as pg_schema
from tests.support import DEFAULT_SCENARIO

from .contract.samples import PANEL, contract_scenario


def _tables(url: str, schema: str = "public") -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
    return {r[0] for r in rows}


def _version(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT version FROM sandbox_schema").fetchone()[0])


def test_a_new_database_gets_every_table_at_the_current_version(postgres_url: str) -> None:
    store = open_store(postgres_url)
    store.close()
    assert {"members", "outbox", "journal", "participations", "sandbox_schema"} <= _tables(postgres_url)
    assert _version(postgres_url) == pg_schema.SCHEMA_VERSION


def test_an_older_database_is_upgraded_and_keeps_its_rows(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:  # what version 1 of the sandbox left
        for statement in pg_schema.MIGRATIONS[1]:
            conn.execute(statement)
        conn.execute("CREATE TABLE sandbox_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO sandbox_schema VALUES (1)")
        conn.execute("INSERT INTO members VALUES (%s, 'KEPT', '{}')", (PANEL,))
    store = open_store(postgres_url)
    try:
        assert _version(postgres_url) == pg_schema.SCHEMA_VERSION
        assert store.members.get(PANEL, "KEPT") is not None
        with psycopg.connect(postgres_url) as conn:
            indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'journal'")}
        assert {"journal_route", "journal_member"} <= indexes
    finally:
        store.close()


def test_a_newer_database_is_refused_and_left_as_it_is(
    postgres_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    open_store(postgres_url).close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE sandbox_schema SET version = 99")
    with pytest.raises(StoreLocationError, match="version 99, newer than this toluna-sandbox knows"):
        open_store(postgres_url)
    assert main(["serve", "--scenario", str(DEFAULT_SCENARIO), "--db", postgres_url]) == 2
    assert "Fix: run a newer toluna-sandbox" in capsys.readouterr().err
    assert _version(postgres_url) == 99


def test_processes_opening_a_new_database_together_create_it_once(postgres_url: str) -> None:
    stores, errors = [], []

    def open_one() -> None:
        try:
            stores.append(open_store(postgres_url))
        except Exception as exc:  # what a second creator would meet: a table that exists already
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == [] and len(stores) == 4


@pytest.mark.parametrize("direction", ["sqlite-to-postgres", "postgres-to-sqlite"])
def test_a_state_exported_by_one_engine_imports_into_the_other(
    direction: str, postgres_url: str, tmp_path: Path
) -> None:
    sqlite, postgres = open_store(tmp_path / "s.db"), open_store(postgres_url)
    source, target = (sqlite, postgres) if direction == "sqlite-to-postgres" else (postgres, sqlite)
    try:
        scenario: Scenario = contract_scenario()
        source.load(scenario)
        source.members.put(Member(PANEL, "MOVED"))
        doc = json.loads(json.dumps(source.export_state()))
        target.import_state(doc)
        assert target.members.get(PANEL, "MOVED") == source.members.get(PANEL, "MOVED")
        assert target.members.count() == source.members.count()
        assert target.inventory.snapshot().surveys == source.inventory.snapshot().surveys
        assert [p.guid for p in target.inventory.snapshot().panels.values()] == [
            p.guid for p in source.inventory.snapshot().panels.values()
        ]
    finally:
        sqlite.close()
        postgres.close()


def test_workspaces_of_a_postgres_sandbox_are_schemas_of_its_database(postgres_url: str) -> None:
    catalog = open_catalog(postgres_url)
    try:
        catalog.create("acme", "digest")
        store = catalog.open("acme")
        store.load(contract_scenario())
        store.members.put(Member(PANEL, "ONLY-IN-ACME"))
        assert "members" in _tables(postgres_url, "ws_acme")
        default = open_store(postgres_url)
        try:
            assert default.members.get(PANEL, "ONLY-IN-ACME") is None
        finally:
            default.close()
        before = catalog.version()
        assert catalog.delete("acme") and catalog.version() != before
        assert _tables(postgres_url, "ws_acme") == set() and catalog.get("acme") is None
    finally:
        catalog.close()
