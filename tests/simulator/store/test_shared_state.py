"""What several processes serving one database share: the state version, the journal, the schema."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulator.domain.clock import ClockSetting
from simulator.store.records import Entry
from simulator.store.sql import journal as journal_module
from simulator.store.sqlite import SqliteStore
from simulator.store.sqlite.db import SCHEMA_VERSION, Database

FORK = multiprocessing.get_context("fork")


def entry(route: str = "quotas", response: str = "{}", at: datetime | None = None, path: str = "/x") -> Entry:
    """A journal entry as a request leaves it (the store's tests build theirs here)."""
    when = (at or datetime.now(UTC)).isoformat()
    return Entry(
        at=when,
        wall_at=when,
        method="GET",
        path=path,
        query="",
        route=route,
        panel_guid=None,
        member_code=None,
        quota_id=None,
        status=200,
        result_code=None,
        duration_ms=1.0,
        request_headers={"Host": "h"},
        request_body=None,
        response_body=response,
        response_length=len(response),
    )


def _freeze_clock(db_path: str, done: multiprocessing.synchronize.Event) -> None:
    store = SqliteStore(db_path)
    store.meta.set_clock(ClockSetting(frozen_at=datetime(2030, 5, 6, tzinfo=UTC)))
    done.set()


def test_a_change_made_by_another_process_is_seen_on_the_next_read(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    before = store.inventory.snapshot()
    assert store.inventory.snapshot() is before  # unchanged: the cached snapshot, no read
    done = FORK.Event()
    child = FORK.Process(target=_freeze_clock, args=(str(tmp_path / "s.db"), done))
    child.start()
    child.join(30)
    assert done.is_set()
    after = store.inventory.snapshot()
    assert after.version > before.version
    assert after.clock.now() == datetime(2030, 5, 6, tzinfo=UTC)


def test_a_rolled_back_change_never_shows(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    version = store.db.live.version
    with pytest.raises(RuntimeError), store.db.write() as conn:
        store.db.bump_version(conn)
        raise RuntimeError("a change that fails half-way")
    assert store.db.live.version == version == store.db.stored_version()


def test_a_file_of_another_schema_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE journal (id INTEGER PRIMARY KEY, at TEXT)")
        conn.execute("INSERT INTO journal(at) VALUES ('then')")
    db = Database(path)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0] == 0
    assert db.conn.execute("SELECT COUNT(*) FROM journal_texts").fetchone()[0] == 0


def test_repeated_long_responses_are_stored_once_and_read_back_whole(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    long = '{"Surveys":[' + "1," * 2000 + "1]}"
    for _ in range(3):
        store.journal.add(entry(response=long))
    store.journal.add(entry(route="invite", response='{"ResultCode":16}'))
    found = store.journal.query()
    assert [e.response_body for e in found] == [long[:4096]] * 3 + ['{"ResultCode":16}']
    assert store.db.read("SELECT COUNT(*) FROM journal_texts")[0][0] == 1
    store.journal.clear()
    assert store.journal.query() == []
    assert store.db.read("SELECT COUNT(*) FROM journal_texts")[0][0] == 0


def _add_slowly(db_path: str, queued: multiprocessing.synchronize.Event) -> None:
    journal_module.FLUSH_SECONDS = 0.5  # this process's writer stores its queue only after half a second
    store = SqliteStore(db_path)
    store.journal.add(entry(route="invite"))
    queued.set()
    time.sleep(1)  # alive until the writer has stored it


def test_a_reader_waits_for_what_other_workers_have_queued(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    queued = FORK.Event()
    child = FORK.Process(target=_add_slowly, args=(str(tmp_path / "s.db"), queued))
    child.start()
    try:
        assert queued.wait(30)
        assert [e.route for e in store.journal.query()] == ["invite"]
    finally:
        child.join(30)
