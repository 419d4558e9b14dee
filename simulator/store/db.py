"""SQLite plumbing: one file per sandbox, WAL, one connection per thread.

Several server workers (processes) open the same file; WAL lets readers run beside the one writer, and
``BEGIN IMMEDIATE`` transactions serialize the writes that must not interleave (quota counters).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS panels (guid TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS surveys (
    survey_id INTEGER NOT NULL, wave_id INTEGER NOT NULL, culture TEXT NOT NULL, position INTEGER NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (survey_id, wave_id));
CREATE TABLE IF NOT EXISTS quotas (quota_id INTEGER PRIMARY KEY, survey_id INTEGER NOT NULL, wave_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    panel_guid TEXT NOT NULL, member_code TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (panel_guid, member_code)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS participations (
    id INTEGER PRIMARY KEY, panel_guid TEXT NOT NULL, member_code TEXT NOT NULL, account_group TEXT,
    survey_id INTEGER NOT NULL, wave_id INTEGER NOT NULL, quota_id INTEGER, status_id INTEGER NOT NULL,
    at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS participations_member ON participations (panel_guid, member_code);
CREATE INDEX IF NOT EXISTS participations_group ON participations (account_group);
CREATE INDEX IF NOT EXISTS participations_survey ON participations (survey_id, wave_id);
CREATE TABLE IF NOT EXISTS invites (
    token TEXT PRIMARY KEY, panel_guid TEXT NOT NULL, member_code TEXT NOT NULL, survey_id INTEGER NOT NULL,
    wave_id INTEGER NOT NULL, quota_id INTEGER NOT NULL, created_at TEXT NOT NULL, used_at TEXT);
CREATE INDEX IF NOT EXISTS invites_member ON invites (panel_guid, member_code);
CREATE TABLE IF NOT EXISTS recontact (
    panel_guid TEXT NOT NULL, quota_id INTEGER NOT NULL, member_code TEXT NOT NULL,
    PRIMARY KEY (panel_guid, quota_id, member_code)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recontact_lists (
    panel_guid TEXT NOT NULL, quota_id INTEGER NOT NULL, PRIMARY KEY (panel_guid, quota_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY, doc TEXT NOT NULL, remaining INTEGER);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, wall_at TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
    query TEXT NOT NULL, route TEXT, panel_guid TEXT, member_code TEXT, quota_id INTEGER, status INTEGER NOT NULL,
    result_code INTEGER, duration_ms REAL NOT NULL, request_headers TEXT NOT NULL, request_body TEXT,
    response_body TEXT, response_length INTEGER NOT NULL, note TEXT);
CREATE INDEX IF NOT EXISTS journal_route ON journal (route, id);
CREATE INDEX IF NOT EXISTS journal_member ON journal (member_code, id);
"""


def bump_version(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES('version', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


class Database:
    """A sandbox database file (or ``:memory:``, shared by every thread of this process)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._memory_conn: sqlite3.Connection | None = None
        self._memory_lock = threading.RLock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._memory_lock:
            self.conn.executescript(SCHEMA)

    def _open(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            if self._memory_conn is None:
                self._memory_conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            return self._memory_conn
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): all of it lands, or none of it does."""
        with self._memory_lock if self.path == ":memory:" else _nullcontext():
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def write_one(self, sql: str, params: tuple | list = ()) -> int:
        """One statement in its own (autocommit) transaction: a third of the round trips of ``write()``."""
        with self._memory_lock if self.path == ":memory:" else _nullcontext():
            return int(self.conn.execute(sql, params).lastrowid or 0)

    def read(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._memory_lock if self.path == ":memory:" else _nullcontext():
            cur = self.conn.execute(sql, params)
            return cur.fetchall()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn is not self._memory_conn:
            conn.close()
        self._local.conn = None


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield
