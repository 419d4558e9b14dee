"""PostgreSQL plumbing: a connection pool per sandbox (per workspace schema), the shared SQL's placeholders, the
transactions and the locks that make several processes, on one host or several, behave as one sandbox.

Every exclusive write transaction takes one transaction-scoped advisory lock, the sandbox's own: the state's
writes (quota counters, invites, members, a scenario load) run one at a time across every process, exactly as
SQLite's ``BEGIN IMMEDIATE`` runs them on one file, so the SQL of ``simulator.store.sql`` keeps its meaning.
Appends that cannot conflict (journal entries, delivery attempts) and the outbox's claims (``FOR UPDATE SKIP
LOCKED``) do not take it. Reads run in autocommit, or in a ``REPEATABLE READ`` snapshot when several must agree.

Each connection names its process in ``application_name`` (``tsbx <host> <pid>``): a dispatcher's lease is dead
when no connection of its process is left (``pg_stat_activity``), on whatever host it ran.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from ...domain.errors import SandboxGone
from ..sql.database import AfterCommit
from .live import PostgresLive
from .schema import IDENTITY_TABLES, MIGRATIONS, RESTARTING_IDS, SCHEMA_VERSION

log = logging.getLogger("simulator.store")

#: Connections one process keeps per sandbox at most (request threads, deliveries, the background tasks).
POOL_SIZE = 12
_MARK = re.compile(r"'[^']*'|\?")
_translated: dict[str, str] = {}
_TRANSLATED_MAX = 2_000


class SchemaError(RuntimeError):
    """A database this sandbox cannot use (a newer schema); said before anything is read or written."""


def translate(sql: str) -> str:
    """The shared SQL's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled), cached."""
    done = _translated.get(sql)
    if done is None:
        if len(_translated) >= _TRANSLATED_MAX:  # statements built with a varying number of placeholders
            _translated.clear()
        done = _translated[sql] = _MARK.sub(lambda m: "%s" if m.group() == "?" else m.group(), sql.replace("%", "%%"))
    return done


def _clean(value: Any) -> Any:
    """PostgreSQL's text holds no NUL character: one (a fuzzer's request in the journal) is kept as U+FFFD."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


def _params(params: Sequence[Any]) -> Sequence[Any]:
    return [_clean(p) for p in params]


class Connection:
    """A pooled connection inside a transaction, speaking the shared SQL (the port's opaque ``Transaction``)."""

    __slots__ = ("raw",)

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self.raw.execute(translate(sql), _params(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        cur = self.raw.cursor()
        cur.executemany(translate(sql), (_params(r) for r in rows))
        return cur


def _key(text: str) -> int:
    """A 64-bit advisory lock key for ``text``."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def sandbox_lock_key(schema: str) -> int:
    """The advisory lock every exclusive write of the sandbox in ``schema`` holds (and a workspace's drop takes)."""
    return _key(f"toluna-sandbox:{schema}")


def process_tag(pid: int | None = None) -> str:
    """How a process of this host names itself to PostgreSQL (and in the leases its dispatchers hold)."""
    return f"tsbx {socket.gethostname()[:40]} {pid or os.getpid()}"


class Database(AfterCommit):
    """One sandbox in one PostgreSQL schema (``public`` for the default workspace)."""

    no_limit = "ALL"
    listed_ids = "(SELECT CAST(jsonb_array_elements_text(CAST(? AS jsonb)) AS BIGINT))"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    queued_journal = False

    def __init__(self, url: str, schema: str = "public") -> None:
        self.url = url
        self.schema = schema
        self._lock_key = sandbox_lock_key(schema)
        self._local = threading.local()
        self._pid = os.getpid()
        with psycopg.connect(url, connect_timeout=10, **self._kwargs()) as first:  # fails fast, says why
            self._migrate(first)
        self.pool = self._open_pool()
        channel = "tsbx_outbox_" + re.sub(r"[^a-z0-9_]", "_", schema.lower())
        self.live = PostgresLive(self.stored_version, self._notify_outbox, self._listener, channel)

    # --- connections -----------------------------------------------------------------------------------------
    def _kwargs(self) -> dict[str, Any]:
        return {
            "autocommit": True,
            "application_name": process_tag(),
            "options": f"-c search_path={self.schema}",
        }

    def _open_pool(self) -> ConnectionPool:
        pool = ConnectionPool(
            self.url, min_size=1, max_size=POOL_SIZE, kwargs=self._kwargs(), open=False, name=f"tsbx-{self.schema}"
        )
        pool.open(wait=True, timeout=30.0)
        return pool

    def _listener(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, **self._kwargs())

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        if os.getpid() != self._pid:  # a forked server worker: its parent's connections are not its own
            self._pid, self.pool = os.getpid(), self._open_pool()
        with self.pool.connection() as raw:
            try:
                yield raw
            except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName) as exc:
                if self.schema != "public" and not self._schema_exists():
                    raise SandboxGone from exc
                raise

    def _schema_exists(self) -> bool:
        """Whether this sandbox's schema is still there (a workspace's is dropped when it is deleted)."""
        with self.pool.connection() as raw:
            return raw.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)).fetchone() is not None

    # --- schema ----------------------------------------------------------------------------------------------
    def _migrate(self, raw: psycopg.Connection[Any]) -> None:
        raw.execute("BEGIN")
        try:
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (_key("toluna-sandbox:migrate"),))
            raw.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            raw.execute("CREATE TABLE IF NOT EXISTS sandbox_schema (version INTEGER NOT NULL)")
            row = raw.execute("SELECT version FROM sandbox_schema").fetchone()
            found = int(row[0]) if row else 0
            if found > SCHEMA_VERSION:
                raise SchemaError(
                    f"the database's schema {self.schema!r} is at version {found}, newer than this toluna-sandbox "
                    f"knows ({SCHEMA_VERSION}). Fix: run a newer toluna-sandbox, or give --db another database."
                )
            for version in range(found + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version]:
                    raw.execute(statement)
            if found < SCHEMA_VERSION:
                raw.execute("DELETE FROM sandbox_schema")
                raw.execute("INSERT INTO sandbox_schema(version) VALUES (%s)", (SCHEMA_VERSION,))
                if found:
                    log.info("schema %s: upgraded from version %d to %d", self.schema, found, SCHEMA_VERSION)
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")

    # --- transactions ----------------------------------------------------------------------------------------
    @contextmanager
    def write(self, exclusive: bool = True) -> Iterator[Connection]:
        """One write transaction; ``exclusive`` ones hold the sandbox's advisory lock until they end. Inside
        another write transaction of this thread, that one is used."""
        current: Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self._connection() as raw:
            raw.execute(f"BEGIN; SELECT pg_advisory_xact_lock({self._lock_key})" if exclusive else "BEGIN")
            conn = self._local.conn = Connection(raw)
            try:
                yield conn
            except BaseException:
                self._local.conn = None
                self._pop_after_commit()
                with suppress(psycopg.Error):  # a lost connection has rolled back already
                    raw.execute("ROLLBACK")
                raise
            self._local.conn = None
            raw.execute("COMMIT")
        for callback in self._pop_after_commit():
            callback()

    def append(self, inserts: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """One statement in autocommit: every insert but the last in a ``WITH`` of its own (PostgreSQL runs them
        all, atomically); one round trip whatever the count."""
        pairs = [(translate(sql), _params(row)) for sql, rows in inserts for row in rows]
        if not pairs:
            return
        head = ", ".join(f"i{n} AS ({sql})" for n, (sql, _) in enumerate(pairs[:-1]))
        statement = (f"WITH {head} " if head else "") + pairs[-1][0]
        params = [p for _, row in pairs for p in row]
        current: Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            current.raw.execute(statement, params)
            return
        with self._connection() as raw:
            raw.execute(statement, params)

    @contextmanager
    def snapshot_read(self) -> Iterator[Connection]:
        current: Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self._connection() as raw:
            raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            conn = self._local.conn = Connection(raw)
            try:
                yield conn
            finally:
                self._local.conn = None
                with suppress(psycopg.Error):
                    raw.execute("COMMIT")

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        current: Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            return current.execute(sql, params).fetchall()
        with self._connection() as raw:
            return raw.execute(translate(sql), _params(params)).fetchall()

    # --- the state version -----------------------------------------------------------------------------------
    def stored_version(self, conn: Connection | None = None) -> int:
        sql = "SELECT value FROM meta WHERE key = 'version'"
        rows = conn.execute(sql).fetchall() if conn is not None else self.read(sql)
        return int(rows[0][0]) if rows else 0

    def bump_version(self, conn: Connection) -> int:
        row = conn.execute(
            "INSERT INTO meta(key, value) VALUES ('version', '1') ON CONFLICT (key) DO UPDATE "
            "SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT) RETURNING value"
        ).fetchone()
        return int(row[0])

    def _notify_outbox(self) -> None:
        self.read("SELECT pg_notify(?, '')", (self.live.channel,))

    # --- what the engines say differently --------------------------------------------------------------------
    def columns(self, conn: Connection, table: str) -> set[str]:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ?",
            (table,),
        ).fetchall()
        return {r[0] for r in rows}

    def errors(self) -> tuple[type[Exception], ...]:
        return (psycopg.Error,)

    def lease_owner(self, owner: str) -> str:
        """A dispatcher's owner (``"<pid>-<id>"``, the pid its process's) with the host and pid it connects as."""
        pid = owner.split("-", 1)[0]
        return f"{owner}@{process_tag(int(pid) if pid.isdigit() else None)}"

    def dead_owners(self, owners: list[str]) -> list[str]:
        """An owner is ``"<pid>-<id>@tsbx <host> <pid>"``: gone when no connection of that process is left."""
        alive = {r[0] for r in self.read("SELECT DISTINCT application_name FROM pg_stat_activity")}
        return [o for o in owners if "@" in o and o.split("@", 1)[1] not in alive]

    def ids_restart(self, tables: Iterable[str]) -> None:
        """After a load or an import: tables numbered like SQLite's rowids go on after their highest id, the others
        after the highest id they ever gave (and past any id an import wrote)."""
        chosen = sorted(set(tables) & IDENTITY_TABLES)
        if not chosen:
            return
        with self.write() as conn:
            for table in chosen:
                top = f"COALESCE((SELECT MAX(id) FROM {table}), 0)"
                seq = f"pg_get_serial_sequence('{table}', 'id')"
                if table in RESTARTING_IDS:
                    conn.execute(f"SELECT setval({seq}, {top} + 1, false)")
                else:
                    conn.execute(
                        f"SELECT setval({seq}, GREATEST({top} + 1, nextval({seq})), false)",
                    )

    def close(self) -> None:
        self.live.close()
        if os.getpid() == self._pid:
            self.pool.close()
