"""What the SQL repositories ask of an engine: connections that run the SQL they share, transactions, the state
version, and the few things the engines say differently.

The repositories (``inventory``, ``members`` ... ``outbox``) are written once, in SQL that SQLite and PostgreSQL
both run: ``?`` placeholders, ``INSERT ... ON CONFLICT``, ``RETURNING``, ``CASE`` rather than boolean arithmetic.
What cannot be said the same way is a property or a method of the ``Database`` (``no_limit``, ``listed_ids``,
``skip_locked``, ``columns``, the owners of leases). ``simulator.store.sqlite`` and ``simulator.store.postgres`` each
provide one ``Database``; nothing else differs between the two stores.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Cursor(Protocol):
    rowcount: int
    description: Any

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Any: ...


class Connection(Protocol):
    """A connection inside a transaction (the opaque ``Transaction`` of the port)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any: ...


class Live(Protocol):
    """What every process serving one database shares: the state version, the outbox's signal, and (for an engine
    whose journal entries are queued per process) how far each process has stored its queue."""

    @property
    def version(self) -> int: ...

    @property
    def outbox_signal(self) -> int: ...

    def signal_outbox(self) -> None: ...

    def mark_queued(self, count: int) -> None: ...

    def mark_stored(self, count: int) -> None: ...

    def wait_for_others(self, timeout: float = 5.0) -> bool: ...


class Database(Protocol):
    live: Live
    #: Journal entries are queued per process and stored by a writer thread (True), or stored by ``add`` itself.
    queued_journal: bool
    #: The SQL for "no limit" after ``LIMIT`` (SQLite: -1, PostgreSQL: ALL).
    no_limit: str
    #: A subquery giving the integers of a JSON list passed as one parameter.
    listed_ids: str
    #: Appended to the subquery that picks notifications to claim: rows another process is claiming are skipped.
    skip_locked: str

    def write(self, exclusive: bool = True) -> AbstractContextManager[Connection]:
        """One write transaction. ``exclusive``: serialized with every other exclusive one of every process (the
        state's writes: quota counters, invites, members); False for appends that cannot conflict (the journal,
        delivery records)."""

    def snapshot_read(self) -> AbstractContextManager[Connection]:
        """One read transaction: every SELECT inside sees the same committed state."""

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def append(self, inserts: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """Run each statement once per row of its own, all or none, as cheaply as the engine can: inserts that
        conflict with nothing and whose results nobody reads (journal entries)."""

    def after_commit(self, callback: Callable[[], None]) -> None: ...

    def stored_version(self, conn: Connection | None = None) -> int: ...

    def bump_version(self, conn: Connection) -> int: ...

    def columns(self, conn: Connection, table: str) -> set[str]:
        """The columns of ``table`` (a state table a capsule may fill)."""

    def errors(self) -> tuple[type[Exception], ...]:
        """What the engine raises for a row that does not fit (a capsule's rows)."""

    def lease_owner(self, owner: str) -> str:
        """How ``owner`` (a dispatcher: ``"<pid>-<id>"``) is written in a lease, so ``dead_owners`` can tell."""

    def dead_owners(self, owners: list[str]) -> list[str]:
        """Those of ``owners`` (as ``lease_owner`` wrote them) whose process is gone."""

    def ids_restart(self, tables: Iterable[str]) -> None:
        """After ``tables`` were emptied and refilled by a load: new rows are numbered after the highest id left."""

    def close(self) -> None: ...


class AfterCommit:
    """The callbacks a thread's open write transaction runs once it commits; both engines' ``Database`` use it."""

    _local: threading.local

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current write transaction has committed (not if it rolls back)."""
        pending = getattr(self._local, "after", None)
        if pending is None:
            pending = self._local.after = []
        pending.append(callback)

    def _pop_after_commit(self) -> list[Callable[[], None]]:
        pending = getattr(self._local, "after", None) or []
        self._local.after = []
        return pending
