"""The workspaces of a PostgreSQL sandbox: one schema per workspace (``acme`` is the schema ``ws_acme``, a
``PostgresStore`` like the default one in ``public``), listed in ``public.sandbox_workspaces``.

A create or delete bumps ``public.sandbox_catalog_version`` in its own transaction, so every process on every
host learns of it by reading one row. A delete drops the workspace's schema with everything in it.

Other processes may be using the workspace's tables while it is dropped (a request, a delivery, a pruning pass).
The drop first takes the workspace's write lock, then waits at most ``DROP_LOCK_WAIT`` for each table, less than
PostgreSQL's ``deadlock_timeout`` (1 s unless configured lower): a process that holds one table and asks for one the
drop has taken never becomes a deadlock's victim; the drop lets go of everything and tries again."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

from ..port import Store
from ..workspaces import OpenStores, WorkspaceExists, WorkspaceRecord
from . import PostgresStore
from .db import process_tag, sandbox_lock_key

T = TypeVar("T")
#: How long a workspace's drop waits for one table before it lets go and tries again.
DROP_LOCK_WAIT = "200ms"
#: How long a drop keeps trying before the delete fails.
DROP_PATIENCE_S = 30.0

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS public.sandbox_workspaces "
    '(name TEXT COLLATE "C" PRIMARY KEY, token_digest TEXT NOT NULL, created_at TEXT NOT NULL)',
    "CREATE TABLE IF NOT EXISTS public.sandbox_catalog_version (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "version BIGINT NOT NULL)",
    "INSERT INTO public.sandbox_catalog_version VALUES (1, 0) ON CONFLICT DO NOTHING",
)
_BUMP = "UPDATE public.sandbox_catalog_version SET version = version + 1"


def schema_of(name: str) -> str:
    """The schema of workspace ``name`` (names hold no ``_``, so no two names share a schema)."""
    return "ws_" + name.replace("-", "_")


def _drop(conn: psycopg.Connection[Any], name: str) -> None:
    """Drop workspace ``name``'s schema, if any, inside ``conn``'s transaction (see the module's note on locks)."""
    schema = schema_of(name)
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (sandbox_lock_key(schema),))
    conn.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_WAIT}'")
    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class PostgresCatalog(OpenStores):
    def __init__(self, url: str) -> None:
        self.url = url
        OpenStores.__init__(self)
        kwargs: dict[str, Any] = {"autocommit": True, "application_name": process_tag()}
        self._pool = ConnectionPool(url, min_size=1, max_size=2, kwargs=kwargs, open=False, name="tsbx-catalog")
        self._pool.open(wait=True, timeout=30.0)
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('toluna-sandbox:catalog'))")
            for statement in _SCHEMA:
                conn.execute(statement)

    def _rows(self, sql: str, params: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def list(self) -> list[WorkspaceRecord]:
        rows = self._rows("SELECT name, token_digest, created_at FROM public.sandbox_workspaces ORDER BY name")
        return [WorkspaceRecord(*row) for row in rows]

    def get(self, name: str) -> WorkspaceRecord | None:
        rows = self._rows(
            "SELECT name, token_digest, created_at FROM public.sandbox_workspaces WHERE name = %s", (name,)
        )
        return WorkspaceRecord(*rows[0]) if rows else None

    def create(self, name: str, token_digest: str) -> WorkspaceRecord:
        record = WorkspaceRecord(name, token_digest, _now())

        def create(conn: psycopg.Connection[Any]) -> None:
            if conn.execute("SELECT 1 FROM public.sandbox_workspaces WHERE name = %s", (name,)).fetchone():
                raise WorkspaceExists(name)
            self._forget(name)
            _drop(conn, name)  # left by a process after a delete
            conn.execute(
                "INSERT INTO public.sandbox_workspaces VALUES (%s, %s, %s)", (name, token_digest, record.created_at)
            )
            conn.execute(_BUMP)

        with self._lock:
            self._changing_catalog(create)
        return record

    def delete(self, name: str) -> bool:
        def delete(conn: psycopg.Connection[Any]) -> bool:
            gone = conn.execute("DELETE FROM public.sandbox_workspaces WHERE name = %s", (name,)).rowcount > 0
            if gone:
                _drop(conn, name)
                conn.execute(_BUMP)
            return gone

        with self._lock:
            self._forget(name)
            return self._changing_catalog(delete)

    def _changing_catalog(self, change: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``change`` in one transaction that holds the catalog, tried again while a drop in it had to let go."""
        deadline = time.monotonic() + DROP_PATIENCE_S
        while True:
            try:
                with self._pool.connection() as conn, conn.transaction():
                    conn.execute("LOCK TABLE public.sandbox_workspaces IN EXCLUSIVE MODE")
                    return change(conn)
            except psycopg.errors.LockNotAvailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _open_store(self, name: str) -> Store:
        return PostgresStore(self.url, schema_of(name))

    def version(self) -> int:
        return int(self._rows("SELECT version FROM public.sandbox_catalog_version")[0][0])

    def close(self) -> None:
        with self._lock:
            self._close_stores()
            self._pool.close()


__all__ = ["PostgresCatalog", "schema_of"]
