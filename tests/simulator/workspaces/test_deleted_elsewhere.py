"""A workspace deleted by another process of a PostgreSQL sandbox, before this one has looked at the catalog again:
a request to it answers 404 saying it was deleted (not a 500), and its background jobs here say nothing alarming
until they are stopped (two routers on one database, in process, standing for two processes)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from simulator import workspaces
from simulator.api.admin import HEADER
from simulator.scenario.loader import load_file
from simulator.store import open_catalog
from simulator.store.workspaces import token_digest
from simulator.workspaces import WorkspaceRouter
from tests.support import ES

from .conftest import KEY, PANEL, ROOT_TOKEN, SCENARIO, Wsgi

QUOTAS = f"/w/gone{ES}/{PANEL}/Quotas"
#: Each router's background jobs run this often, so several turns fall between the delete and the end of the test.
TURN = 0.05


@pytest.fixture
def two(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[WorkspaceRouter, WorkspaceRouter]]:
    """A and B on one database; B reads the catalog again only every minute, so it still serves a workspace that A
    deleted (as another process does for up to a second)."""
    monkeypatch.setattr(workspaces, "REFRESH_S", 60.0)
    background = {"DISPATCH": True, "TIMELINE_SECONDS": TURN, "RETENTION_SECONDS": TURN}
    a = WorkspaceRouter(postgres_url, {"ADMIN_TOKEN": ROOT_TOKEN})
    a.store.load(load_file(SCENARIO))
    b = WorkspaceRouter(postgres_url, {"ADMIN_TOKEN": ROOT_TOKEN, **background})
    try:
        yield a, b
    finally:
        b.close()
        a.close()


def test_a_workspace_deleted_by_another_process_answers_404_and_its_jobs_stay_quiet(
    two: tuple[WorkspaceRouter, WorkspaceRouter], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = Wsgi(two[0]), Wsgi(two[1])
    created = a.post("/_sandbox/workspaces", json={"Name": "gone"})
    assert created.status_code == 201
    token = created.get_json()["AdminToken"]
    assert b.get(QUOTAS, headers={"API_AUTH_KEY": KEY}).status_code == 200  # B serves it, jobs and all
    caplog.set_level(logging.DEBUG, logger="simulator")
    assert a.delete("/_sandbox/workspaces/gone").status_code == 200

    for path in (QUOTAS, "/w/gone/_sandbox/outbox"):  # External Sample, and the workspace's control API
        answer = b.get(path, headers={"API_AUTH_KEY": KEY, HEADER: token})
        assert answer.status_code == 404, answer.get_data(as_text=True)
        assert "was deleted" in answer.get_json()["Message"]
    time.sleep(20 * TURN)  # B's dispatcher, ticker and pruner for it take turns on a schema that is gone

    alarming = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("simulator")]
    assert not alarming, [r.getMessage() for r in alarming]
    assert any("gone" in r.getMessage() for r in caplog.records)  # they did run against it, and said so quietly


def _waits_for(monitor: psycopg.Connection, table: str) -> bool:
    """Whether some connection waits for a lock on workspace ``gone``'s ``table``."""
    sql = "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = to_regclass(%s)"
    return monitor.execute(sql, (f"ws_gone.{table}",)).fetchone() is not None


def test_a_drop_lets_go_of_a_table_another_process_needs_so_nobody_is_a_deadlock_victim(postgres_url: str) -> None:
    """Another process holds the workspace's journal (an append) when the delete comes, then asks for its clock,
    which the drop has already taken: the drop lets go and tries again, the other process goes on, and the delete
    succeeds once it has committed (neither is aborted as a deadlock's victim)."""
    catalog = open_catalog(postgres_url)
    catalog.create("gone", token_digest("t"))
    catalog.open("gone")  # its schema and tables made
    other = psycopg.connect(postgres_url, autocommit=True, options="-c search_path=ws_gone")
    monitor = psycopg.connect(postgres_url, autocommit=True)
    try:
        other.execute("BEGIN")
        other.execute("LOCK TABLE journal IN ROW EXCLUSIVE MODE")
        with ThreadPoolExecutor(1) as pool:
            deleting = pool.submit(catalog.delete, "gone")
            deadline = time.monotonic() + 10
            while not _waits_for(monitor, "journal") and time.monotonic() < deadline:
                time.sleep(0.01)
            assert _waits_for(monitor, "journal"), "the drop never came to the journal"
            other.execute("SELECT value FROM meta").fetchall()  # taken by the drop before the journal
            other.execute("COMMIT")
            assert deleting.result(timeout=60) is True
        gone = monitor.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'ws_gone'").fetchone()
        assert gone is None and catalog.get("gone") is None
    finally:
        other.close()
        monitor.close()
        catalog.close()
