"""The SQLite implementation of the store port: one file per sandbox (or ``:memory:``), WAL. What it keeps to itself
(``db``): connections (one per thread), the writer lock file that queues writers before SQLite's own lock, and the
shared-memory sidecar (``live``: the state version, the journal's counts, the outbox signal)."""

from __future__ import annotations

from pathlib import Path

from ..sql import SqlStore
from .db import Database


class SqliteStore(SqlStore):
    db: Database

    def __init__(self, path: str | Path = ":memory:") -> None:
        super().__init__(Database(path))


__all__ = ["SqliteStore"]
