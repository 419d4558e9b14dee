"""The PostgreSQL implementation of the store port: one schema per sandbox (``public`` for the default workspace),
shared by every process on every host that opens it. What it keeps to itself (``db``): the connection pool, the
advisory lock that serializes the state's writes, the versioned schema (``schema``) and the outbox's ``LISTEN``
(``live``)."""

from __future__ import annotations

from ..sql import SqlStore
from .db import Database, SchemaError


class PostgresStore(SqlStore):
    db: Database

    def __init__(self, url: str, schema: str = "public") -> None:
        super().__init__(Database(url, schema))


__all__ = ["PostgresStore", "SchemaError"]
