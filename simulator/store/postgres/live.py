"""What the processes serving one PostgreSQL database share, kept in the database itself.

The state version is read from ``meta`` on every request (one indexed read): a change committed by any process on
any host is seen by the next request, with no window. The outbox's signal is a ``LISTEN``: a commit that queues
notifications sends a ``NOTIFY`` on the sandbox's channel, and a thread of every listening process counts them, so
an idle dispatcher polls a number in memory rather than the database. A lost listening connection is opened again
(the count moves on, so dispatchers take a look). The journal is stored by every request itself: there are no
per-process queues to wait for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

log = logging.getLogger("simulator.store")


class PostgresLive:
    def __init__(
        self,
        read_version: Callable[[], int],
        notify: Callable[[], None],
        connect: Callable[[], psycopg.Connection[Any]],
        channel: str,
    ) -> None:
        self._read_version = read_version
        self._notify = notify
        self._connect = connect
        self.channel = channel
        self._count = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._listening = threading.Event()

    @property
    def version(self) -> int:
        return self._read_version()

    # --- the outbox's signal -------------------------------------------------------------------------------------
    @property
    def outbox_signal(self) -> int:
        """A count of the notifications' commits this process has heard of (the listener starts on first use)."""
        if self._thread is None:
            self._start()
        return self._count

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(target=self._listen, name="outbox-listener", daemon=True)
                self._thread.start()
        self._listening.wait(5.0)  # a commit made right after the first look is heard

    def _listen(self) -> None:
        while not self._closed.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    self._listening.set()
                    self._count += 1  # (re)connected: something may have been queued meanwhile
                    while not self._closed.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=64):
                            self._count += 1
            except psycopg.Error as exc:
                if self._closed.is_set():
                    return
                log.warning("outbox listener: %s; listening again in 1 s", exc)
                self._count += 1
                time.sleep(1.0)

    def signal_outbox(self) -> None:
        """After a commit that queued notifications: this process knows at once, every listening one hears of it."""
        self._count += 1
        self._notify()

    # --- journal queues: none ----------------------------------------------------------------------------------
    def mark_queued(self, count: int) -> None:
        """Nothing to count: entries are stored by the request that made them."""

    def mark_stored(self, count: int) -> None:
        """Nothing to count: entries are stored by the request that made them."""

    def wait_for_others(self, timeout: float = 5.0) -> bool:
        return True

    def close(self) -> None:
        self._closed.set()
