"""The outbox's dispatcher: one thread per server process that claims due notifications and POSTs them, a few at
a time, with keep-alive connections and the panel's timeout. A process that queues a notification wakes its own
dispatcher at once; the others look for work a few times a second (and after a restart, for what was pending)."""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from simulator.domain.errors import SandboxGone
from simulator.store.port import OutboxRepo
from simulator.store.records import Claimed

from .poster import DeliveryError, Poster

log = logging.getLogger("simulator.notify")
IDLE_WAIT = 0.25  # how long an idle dispatcher waits before looking again
POLL = 0.005  # how often an idle dispatcher looks at the shared signal (a memory read)
RELEASE_EVERY = 2.0  # how often an idle dispatcher looks for leases held by processes that are gone


class Dispatcher:
    def __init__(self, outbox: OutboxRepo, concurrency: int = 8) -> None:
        self.outbox = outbox
        self.concurrency = concurrency
        self.owner = f"{os.getpid()}-{id(self):x}"
        self.wake = threading.Event()
        self._free = threading.Semaphore(concurrency)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="notify")
        self._senders = threading.local()
        self._thread: threading.Thread | None = None
        self._released_at = 0.0
        self._stopped = threading.Event()

    def start(self) -> Dispatcher:
        self._release_dead()  # a worker killed mid-delivery: its notifications are taken over now
        self._thread = threading.Thread(target=self._loop, name="notify-dispatcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop claiming (a deleted workspace's dispatcher); deliveries under way finish on their own."""
        self._stopped.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=False)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                if not self.step():
                    self._idle()
            except SandboxGone:  # a deleted workspace's: this process stops its dispatcher within about a second
                self._stopped.wait(IDLE_WAIT)
            except Exception:  # a busy database or a broken row must not stop deliveries for good
                log.exception("notification dispatcher")
                time.sleep(IDLE_WAIT)

    def step(self) -> int:
        """Claim as many due notifications as there are free senders and hand them out; how many."""
        if not self._free.acquire(timeout=IDLE_WAIT):
            return 0
        slots = 1
        while slots < self.concurrency and self._free.acquire(blocking=False):
            slots += 1
        claimed = self.outbox.claim(self.owner, slots)
        for _ in range(slots - len(claimed)):
            self._free.release()
        for item in claimed:
            self._pool.submit(self._deliver, item)
        return len(claimed)

    def _release_dead(self) -> None:
        self._released_at = time.monotonic()
        freed = self.outbox.release_dead()
        if freed:
            log.info("took over %d notification(s) from a dispatcher that is gone", freed)

    def _idle(self) -> None:
        """Wait until something may be due: this process queued (``wake``), another process queued (the shared
        signal, looked at every ``POLL``), the next retry or lease end falls due, or ``IDLE_WAIT`` passed."""
        if time.monotonic() - self._released_at >= RELEASE_EVERY:
            self._release_dead()
        seen = self.outbox.signal
        due = self.outbox.next_due()
        wait = IDLE_WAIT if due is None else min(max(due - datetime.now(UTC).timestamp(), 0.0), IDLE_WAIT)
        deadline = time.monotonic() + wait
        while not self.wake.wait(min(POLL, max(deadline - time.monotonic(), 0.0))):
            if self.outbox.signal != seen or time.monotonic() >= deadline:
                break
        self.wake.clear()

    def _poster(self) -> Poster:
        poster = getattr(self._senders, "poster", None)
        if poster is None:
            poster = self._senders.poster = Poster()
        return poster

    def _deliver(self, item: Claimed) -> None:
        started = time.perf_counter()
        status, error, excerpt = None, None, ""
        try:
            headers = {"Content-Type": item.content_type, **item.headers}
            status, excerpt = self._poster().post(item.url, item.body.encode("utf-8"), headers, item.timeout)
        except DeliveryError as exc:
            error = str(exc)
        finally:
            latency = (time.perf_counter() - started) * 1000
            try:
                self.outbox.record(item, self.owner, status, error, latency, excerpt)
            except SandboxGone:
                log.debug("notification %s: its workspace is gone", item.id)
            except Exception:
                log.exception("notification %s: could not record the attempt", item.id)
            self._free.release()
            if status is None or not 200 <= status < 300:
                self.wake.set()  # others may be due; this one went behind them
