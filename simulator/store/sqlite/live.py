"""What the processes serving one database share in memory: the state version and each process's journal queue.

A sidecar file beside the database (``<db>-live``) is mapped into every process that opens the database.
Every request checks whether the inventory changed; reading that version from SQLite cost a read transaction
(about a fifth of a GetQuotas request), reading it from shared memory costs nothing. The journal's per-process
counters (entries queued, entries stored) let a reader wait exactly until every other worker has stored what it
had queued when the read began, instead of guessing with a sleep.

Writers queue on a lock file (``<db>-writer``) before they ask SQLite for its write lock. SQLite's own busy
handler polls with growing sleeps (1, 2, 5, 10 ... 100 ms), so two workers writing at once made invites wait tens of
milliseconds; a blocked ``flock`` is woken as soon as the holder lets go.

The version in SQLite stays the truth: the sidecar copy is written inside the transaction that bumps it, so it
is never behind a committed version for longer than that transaction's commit (a reader that sees a newer
number than SQLite's simply reads again on its next request). An in-memory database keeps the same counters in
this process only.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import struct
import threading
import time
from collections.abc import Iterator

_MAGIC = b"TSBXLIV1"
_SLOTS = 128
_SLOT = struct.Struct("<qqq")  # pid, entries queued, entries stored
_HEADER = 16  # magic, version
_SIZE = 8192
_WORD = struct.Struct("<q")
_OUTBOX_AT = _SIZE - _WORD.size  # after the slots: the outbox's signal


class LiveState:
    def __init__(self, db_path: str | None) -> None:
        """``db_path`` None: a private buffer for an in-memory database."""
        self._fd: int | None = None
        if db_path is None:
            self._buf: mmap.mmap | bytearray = bytearray(_SIZE)
            self._buf[:8] = _MAGIC
        else:
            self._fd = os.open(f"{db_path}-live", os.O_RDWR | os.O_CREAT, 0o644)
            with self._locked():
                if os.fstat(self._fd).st_size < _SIZE:
                    os.ftruncate(self._fd, _SIZE)
                self._buf = mmap.mmap(self._fd, _SIZE)
                if self._buf[:8] != _MAGIC:
                    self._buf[:_SIZE] = bytes(_SIZE)
                    self._buf[:8] = _MAGIC
        self._slot_pid: int | None = None
        self._slot = 0
        self._writer_thread_lock = threading.Lock()
        self._writer_fd = None if db_path is None else os.open(f"{db_path}-writer", os.O_RDWR | os.O_CREAT, 0o644)

    @contextlib.contextmanager
    def writer(self) -> Iterator[None]:
        """Held around every write transaction: one thread of one process at a time, handed over at once."""
        with self._writer_thread_lock:
            if self._writer_fd is None:
                yield
                return
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _locked(self):  # type: ignore[no-untyped-def]
        if self._fd is None:
            yield
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    # --- the state version --------------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return int(_WORD.unpack_from(self._buf, 8)[0])

    def set_version(self, value: int) -> None:
        _WORD.pack_into(self._buf, 8, value)

    # --- the outbox's signal -------------------------------------------------------------------------------------
    @property
    def outbox_signal(self) -> int:
        """Changes whenever some process commits new notifications: idle dispatchers of every process watch it."""
        return int(_WORD.unpack_from(self._buf, _OUTBOX_AT)[0])

    def signal_outbox(self) -> None:
        """Two processes signalling at once may both write the same number: the number still changed, which is
        all a watcher asks."""
        _WORD.pack_into(self._buf, _OUTBOX_AT, self.outbox_signal + 1)

    # --- journal queues -----------------------------------------------------------------------------------------
    def _own_slot(self) -> int:
        """This process's slot, claimed on first use (server workers fork: the pid decides, not the object)."""
        pid = os.getpid()
        if self._slot_pid == pid:
            return self._slot
        with self._locked():
            chosen = None
            for i in range(_SLOTS):
                owner = self._slot_values(i)[0]
                if owner == 0 or not process_alive(owner):
                    chosen = i
                    break
            if chosen is None:  # more live processes than slots: share the last one (waits get looser, not wrong)
                chosen = _SLOTS - 1
            _SLOT.pack_into(self._buf, _HEADER + chosen * _SLOT.size, pid, 0, 0)
        self._slot_pid, self._slot = pid, chosen
        return chosen

    def _slot_values(self, i: int) -> tuple[int, int, int]:
        return _SLOT.unpack_from(self._buf, _HEADER + i * _SLOT.size)  # type: ignore[return-value]

    def mark_queued(self, count: int) -> None:
        """This process has queued ``count`` journal entries since it started."""
        _WORD.pack_into(self._buf, _HEADER + self._own_slot() * _SLOT.size + 8, count)

    def mark_stored(self, count: int) -> None:
        """This process has stored its first ``count`` queued entries."""
        _WORD.pack_into(self._buf, _HEADER + self._own_slot() * _SLOT.size + 16, count)

    def wait_for_others(self, timeout: float = 5.0) -> bool:
        """Wait until every other live process has stored what it had queued now; False on timeout."""
        me = os.getpid()
        pending = {}
        for i in range(_SLOTS):
            pid, queued, stored = self._slot_values(i)
            if pid and pid != me and stored < queued:
                pending[i] = (pid, queued)
        deadline = time.monotonic() + timeout
        while pending:
            for i, (pid, queued) in list(pending.items()):
                now_pid, _, stored = self._slot_values(i)
                if now_pid != pid or stored >= queued or not process_alive(pid):
                    del pending[i]
            if not pending:
                break
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def close(self) -> None:
        if self._slot_pid == os.getpid():  # free the slot for the next process
            _SLOT.pack_into(self._buf, _HEADER + self._slot * _SLOT.size, 0, 0, 0)
            self._slot_pid = None
        if isinstance(self._buf, mmap.mmap):
            self._buf.close()
        for fd in (self._fd, self._writer_fd):
            if fd is not None:
                os.close(fd)
        self._fd = self._writer_fd = None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
