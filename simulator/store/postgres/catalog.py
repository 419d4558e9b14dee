"""The workspaces of a PostgreSQL sandbox: one schema per workspace (``acme`` is the schema ``ws_acme``, a
``PostgresStore`` like the default one in ``public``), listed in ``public.sandbox_workspaces``.

A create or delete bumps ``public.sandbox_catalog_version`` in its own transaction, so every process on every
host learns of it by reading one row. A delete drops the workspace's schema with everything in it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg_pool import ConnectionPool

from ..port import Store
from ..workspaces import OpenStores, WorkspaceExists, WorkspaceRecord
from . import PostgresStore
from .db import process_tag

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
        with self._lock, self._pool.connection() as conn, conn.transaction():
            conn.execute("LOCK TABLE public.sandbox_workspaces IN EXCLUSIVE MODE")
            if conn.execute("SELECT 1 FROM public.sandbox_workspaces WHERE name = %s", (name,)).fetchone():
                raise WorkspaceExists(name)
            self._forget(name)
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema_of(name)}" CASCADE')  # left by a process after a delete
            conn.execute(
                "INSERT INTO public.sandbox_workspaces VALUES (%s, %s, %s)", (name, token_digest, record.created_at)
            )
            conn.execute(_BUMP)
        return record

    def delete(self, name: str) -> bool:
        with self._lock:
            self._forget(name)
            with self._pool.connection() as conn, conn.transaction():
                conn.execute("LOCK TABLE public.sandbox_workspaces IN EXCLUSIVE MODE")
                gone = conn.execute("DELETE FROM public.sandbox_workspaces WHERE name = %s", (name,)).rowcount > 0
                if gone:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema_of(name)}" CASCADE')
                    conn.execute(_BUMP)
        return gone

    def _open_store(self, name: str) -> Store:
        return PostgresStore(self.url, schema_of(name))

    def version(self) -> int:
        return int(self._rows("SELECT version FROM public.sandbox_catalog_version")[0][0])

    def close(self) -> None:
        with self._lock:
            self._close_stores()
            self._pool.close()


__all__ = ["PostgresCatalog", "schema_of"]
