"""The workspaces of a SQLite sandbox: for the database ``.sandbox/sandbox.db``, the directory
``.sandbox/sandbox.db-workspaces/`` holds ``catalog.db`` (one small table, WAL) and one database file per workspace
(``acme.db``, a ``SqliteStore`` like the sandbox's own). For ``:memory:`` everything lives in this process.

The catalog's ``version`` row is bumped in the transaction that creates or deletes a workspace, so every process
serving the directory sees a change by reading one row."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..port import Store
from ..workspaces import OpenStores, WorkspaceExists, WorkspaceRecord
from . import SqliteStore
from .db import remove_database_files

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (name TEXT PRIMARY KEY, token_digest TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS catalog_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT OR IGNORE INTO catalog_version VALUES (1, 0);
"""
#: How long a process waits for another one's catalog write before it gives up.
BUSY_TIMEOUT_S = 10.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SqliteCatalog(OpenStores):
    def __init__(self, location: str | Path) -> None:
        self.memory = str(location) == ":memory:"
        self.directory = None if self.memory else Path(f"{location}-workspaces")
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
        OpenStores.__init__(self)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._shared: sqlite3.Connection | None = None
        with self._lock:
            self._conn().executescript(_SCHEMA)

    # --- the catalog's own database -------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self.memory:
            if self._shared is None:
                self._shared = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            return self._shared
        conn = getattr(self._local, "conn", None)
        if conn is None:
            assert self.directory is not None
            conn = sqlite3.connect(
                self.directory / "catalog.db", timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )  # used by its own thread only; closed by whichever thread closes the catalog
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: the creates and deletes of every process queue)."""
        with self._lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _rows(self, sql: str, params: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:  # the in-memory connection is shared by every thread
            return list(self._conn().execute(sql, params))

    # --- the port -------------------------------------------------------------------------------------------
    def list(self) -> list[WorkspaceRecord]:
        return [WorkspaceRecord(*row) for row in self._rows("SELECT * FROM workspaces ORDER BY name")]

    def get(self, name: str) -> WorkspaceRecord | None:
        rows = self._rows("SELECT * FROM workspaces WHERE name = ?", (name,))
        return WorkspaceRecord(*rows[0]) if rows else None

    def create(self, name: str, token_digest: str) -> WorkspaceRecord:
        record = WorkspaceRecord(name, token_digest, _now())
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM workspaces WHERE name = ?", (name,)).fetchone():
                raise WorkspaceExists(name)
            self._forget(name)
            if self.directory is not None:
                remove_database_files(self._path(name))  # left by a process that wrote after a delete
            conn.execute("INSERT INTO workspaces VALUES (?, ?, ?)", (name, token_digest, record.created_at))
            conn.execute("UPDATE catalog_version SET version = version + 1")
        return record

    def delete(self, name: str) -> bool:
        with self._write() as conn:
            gone = conn.execute("DELETE FROM workspaces WHERE name = ?", (name,)).rowcount > 0
            if gone:
                conn.execute("UPDATE catalog_version SET version = version + 1")
            self._forget(name)
            if gone and self.directory is not None:
                remove_database_files(self._path(name))
        return gone

    def _open_store(self, name: str) -> Store:
        return SqliteStore(":memory:" if self.memory else self._path(name))

    def version(self) -> int:
        return int(self._rows("SELECT version FROM catalog_version")[0][0])

    def close(self) -> None:
        with self._lock:
            self._close_stores()
            for conn in self._connections:
                conn.close()
            self._connections.clear()
            if self._shared is not None:
                self._shared.close()
                self._shared = None

    # --- inside --------------------------------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{name}.db"


__all__ = ["SqliteCatalog"]
