"""SQLite plumbing: one file per sandbox, WAL, one connection per thread.

Several server workers (processes) open the same file; WAL lets readers run beside the one writer, and
``BEGIN IMMEDIATE`` transactions serialize the writes that must not interleave (quota counters). The state
version that tells workers to re-read the inventory is mirrored in shared memory (``live.LiveState``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..sql.database import AfterCommit
from .live import LiveState, process_alive

log = logging.getLogger("simulator.store")

#: Stored in the file (``PRAGMA user_version``). A file of a version ``MIGRATIONS`` knows is brought up to date with
#: its rows; one of any other version is emptied and rebuilt: its state comes back from the scenario (``serve``
#: reloads it), its journal and outbox are lost.
SCHEMA_VERSION = 7

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS panels (guid TEXT PRIMARY KEY, position INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL);
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
    at TEXT NOT NULL, reference_id TEXT, status TEXT, updated_at TEXT);
CREATE INDEX IF NOT EXISTS participations_member ON participations (panel_guid, member_code);
CREATE INDEX IF NOT EXISTS participations_group ON participations (account_group);
CREATE INDEX IF NOT EXISTS participations_survey ON participations (survey_id, wave_id);
CREATE TABLE IF NOT EXISTS invites (
    token TEXT PRIMARY KEY, panel_guid TEXT NOT NULL, member_code TEXT NOT NULL, survey_id INTEGER NOT NULL,
    wave_id INTEGER NOT NULL, quota_id INTEGER NOT NULL, created_at TEXT NOT NULL, used_at TEXT,
    partner_amount REAL NOT NULL DEFAULT 0, original_survey_id INTEGER);
CREATE INDEX IF NOT EXISTS invites_survey ON invites (panel_guid, member_code, survey_id, wave_id);
CREATE INDEX IF NOT EXISTS invites_member ON invites (panel_guid, member_code);
CREATE TABLE IF NOT EXISTS visits (
    id INTEGER PRIMARY KEY, reference_id TEXT NOT NULL UNIQUE, token TEXT NOT NULL, panel_guid TEXT NOT NULL,
    member_code TEXT NOT NULL, survey_id INTEGER NOT NULL, wave_id INTEGER NOT NULL, quota_id INTEGER NOT NULL,
    at TEXT NOT NULL, activity TEXT NOT NULL, rejection_id INTEGER, outcome TEXT, finished_at TEXT,
    additional_data TEXT NOT NULL, end_page TEXT, original_survey_id INTEGER);
CREATE INDEX IF NOT EXISTS visits_token ON visits (token);
CREATE INDEX IF NOT EXISTS visits_member ON visits (panel_guid, member_code);
CREATE INDEX IF NOT EXISTS visits_at ON visits (panel_guid, at);
CREATE TABLE IF NOT EXISTS recontact (
    panel_guid TEXT NOT NULL, quota_id INTEGER NOT NULL, member_code TEXT NOT NULL,
    PRIMARY KEY (panel_guid, quota_id, member_code)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recontact_lists (
    panel_guid TEXT NOT NULL, quota_id INTEGER NOT NULL, PRIMARY KEY (panel_guid, quota_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, remaining INTEGER);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, panel_guid TEXT NOT NULL, url TEXT NOT NULL,
    format TEXT NOT NULL, content_type TEXT NOT NULL, headers TEXT NOT NULL, body TEXT NOT NULL,
    created_at REAL NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, next_at REAL NOT NULL,
    queue_seq INTEGER NOT NULL, lease_owner TEXT, lease_until REAL, delivered_at REAL, resend_of INTEGER,
    subject TEXT NOT NULL, max_attempts INTEGER NOT NULL, retry_seconds REAL NOT NULL, timeout REAL NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, queue_seq);
CREATE INDEX IF NOT EXISTS outbox_seq ON outbox (queue_seq);
CREATE TABLE IF NOT EXISTS outbox_attempts (
    id INTEGER PRIMARY KEY, notification_id INTEGER NOT NULL, at REAL NOT NULL, status INTEGER, error TEXT,
    latency_ms REAL NOT NULL, response TEXT);
CREATE INDEX IF NOT EXISTS outbox_attempts_of ON outbox_attempts (notification_id);
CREATE TABLE IF NOT EXISTS timeline (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, doc TEXT NOT NULL, fired_at TEXT, result TEXT);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, wall_at TEXT NOT NULL, method TEXT NOT NULL,
    path TEXT NOT NULL, query TEXT NOT NULL, route TEXT, panel_guid TEXT, member_code TEXT, quota_id INTEGER,
    status INTEGER NOT NULL, result_code INTEGER, duration_ms REAL NOT NULL, request_headers TEXT NOT NULL,
    request_body TEXT, response_body TEXT, response_ref TEXT, response_length INTEGER NOT NULL, note TEXT);
CREATE TABLE IF NOT EXISTS control_replies (
    key TEXT PRIMARY KEY, status INTEGER NOT NULL, content_type TEXT NOT NULL, body BLOB NOT NULL,
    at REAL NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal_texts (hash TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS journal_route ON journal (route, id);
CREATE INDEX IF NOT EXISTS journal_member ON journal (member_code, id);
CREATE INDEX IF NOT EXISTS journal_ref ON journal (response_ref) WHERE response_ref IS NOT NULL;
"""


#: The WAL file is cut back to this size once a checkpoint has emptied it: a scenario load's large transaction, or a
#: time when readers kept the WAL from being reset, would otherwise leave it at its largest for good.
WAL_LIMIT = 4 * 1024 * 1024

_BUMP = (
    "INSERT INTO meta(key, value) VALUES('version', '1') "
    "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value"
)
_VERSION = "SELECT value FROM meta WHERE key = 'version'"


#: Schema version -> the tables whose definition changed since: their rows are carried into the new definition
#: (same columns, new ones take their default), every other table is kept as it is.
#: 5: outbox, journal and fault rule ids became AUTOINCREMENT (never reused), control replies got their time.
#: 6: panels keep their scenario order in ``position`` (carried panels take their row order, the order they were
#: loaded in).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    5: ("outbox", "journal", "faults", "control_replies", "panels"),
    6: ("panels",),
}


def _carry_out(conn: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    """Move ``tables``' rows aside (into temporary tables) and drop the tables with their indexes."""
    for table in tables:
        conn.execute(f"CREATE TEMP TABLE carry_{table} AS SELECT * FROM main.{table}")
        conn.execute(f"DROP TABLE main.{table}")
    return list(tables)


def _carry_in(conn: sqlite3.Connection, tables: list[str]) -> None:
    """Put the rows moved aside back into the tables just created anew."""
    for table in tables:
        names = [r[1] for r in conn.execute(f"PRAGMA temp.table_info(carry_{table})")]
        columns = ", ".join(names)
        conn.execute(f"INSERT INTO main.{table}({columns}) SELECT {columns} FROM temp.carry_{table} ORDER BY rowid")
        conn.execute(f"DROP TABLE temp.carry_{table}")
        if table == "panels" and "position" not in names:  # before schema 7 the scenario's order was the rows'
            conn.execute("UPDATE main.panels SET position = rowid")


class Database(AfterCommit):
    """A sandbox database file (or ``:memory:``, shared by every thread of this process): the SQLite ``Database`` of
    ``simulator.store.sql.database``."""

    no_limit = "-1"
    listed_ids = "(SELECT value FROM json_each(?))"
    skip_locked = ""  # every write transaction holds SQLite's one write lock: no two claims run at once

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._memory_conn: sqlite3.Connection | None = None
        self._memory_lock = threading.RLock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.live = LiveState(None if self.path == ":memory:" else self.path)
        self.queued_journal = self.path != ":memory:"  # one in-memory database lives in one process: none to wait for
        with self._memory_lock:
            self._create_schema()
        stored = self.stored_version()
        if stored > self.live.version:  # a new sidecar, or one left by an older file: never behind SQLite
            self.live.set_version(stored)

    def _create_schema(self) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")  # workers opening the file together: one of them builds it
        try:
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            carried = _carry_out(conn, MIGRATIONS[found]) if found in MIGRATIONS else []
            if found != SCHEMA_VERSION and not carried:
                tables = [
                    r[0]
                    for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                    if not r[0].startswith("sqlite_")
                ]
                if tables:
                    log.warning("%s: made by another version (schema %s); starting it afresh", self.path, found)
                for table in tables:
                    conn.execute(f"DROP TABLE {table}")
            for statement in SCHEMA.split(";"):  # every statement is IF NOT EXISTS: a new index reaches old files
                if statement.strip():
                    conn.execute(statement)
            _carry_in(conn, carried)
            if found != SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def stored_version(self, conn: sqlite3.Connection | None = None) -> int:
        row = (conn or self.conn).execute(_VERSION).fetchone()
        return int(row[0]) if row else 0

    def bump_version(self, conn: sqlite3.Connection) -> int:
        """Inside a write transaction: the state changed. Shared memory learns the new version before the commit,
        so a worker can never hold a snapshot of the old state under the new number (see ``Inventory``)."""
        version = int(conn.execute(_BUMP).fetchone()[0])
        self.live.set_version(version)
        return version

    def _open(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            if self._memory_conn is None:
                self._memory_conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            return self._memory_conn
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
        return conn

    @contextmanager
    def write(self, exclusive: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): all of it lands, or none of it does. Every SQLite write
        transaction is exclusive, whatever ``exclusive`` says."""
        with self._memory_lock if self.path == ":memory:" else self.live.writer():
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            version = self.live.version  # nobody else can bump it while this transaction holds the write lock
            try:
                yield conn
            except BaseException:
                self.live.set_version(version)  # before the lock is released: a rolled-back bump never shows
                conn.execute("ROLLBACK")
                self._pop_after_commit()
                raise
            conn.execute("COMMIT")
        for callback in self._pop_after_commit():
            callback()

    def append(self, inserts: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        with self.write() as conn:
            for sql, rows in inserts:
                conn.executemany(sql, rows)

    @contextmanager
    def snapshot_read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every SELECT inside sees the same committed state (inside a write transaction,
        that transaction's own state)."""
        with self._memory_lock if self.path == ":memory:" else _nullcontext():
            conn = self.conn
            if conn.in_transaction:
                yield conn
                return
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def read(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._memory_lock if self.path == ":memory:" else _nullcontext():
            cur = self.conn.execute(sql, params)
            return cur.fetchall()

    def columns(self, conn: sqlite3.Connection, table: str) -> set[str]:
        return {r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")}

    def errors(self) -> tuple[type[Exception], ...]:
        return (sqlite3.Error,)

    def lease_owner(self, owner: str) -> str:
        return owner

    def dead_owners(self, owners: list[str]) -> list[str]:
        """Owners are ``"<pid>-<id>"``; the database is one file on one host, so a pid names a process."""
        return [o for o in owners if o.split("-", 1)[0].isdigit() and not process_alive(int(o.split("-", 1)[0]))]

    def ids_restart(self, tables: Iterable[str]) -> None:
        """Nothing to do: a rowid table numbers new rows after its highest id (AUTOINCREMENT ones never reuse)."""

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn is not self._memory_conn:
            conn.close()
        self._local.conn = None
        self.live.close()


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield


def remove_database_files(path: str | Path) -> None:
    """Delete a sandbox database with its SQLite and sandbox side files."""
    for suffix in ("", "-wal", "-shm", "-live", "-writer"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
