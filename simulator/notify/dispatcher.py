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

import requests

from simulator.store.outbox import Claimed, Outbox

log = logging.getLogger("simulator.notify")
IDLE_WAIT = 0.25  # how long an idle dispatcher waits before looking again


class Dispatcher:
    def __init__(self, outbox: Outbox, concurrency: int = 8) -> None:
        self.outbox = outbox
        self.concurrency = concurrency
        self.owner = f"{os.getpid()}-{id(self):x}"
        self.wake = threading.Event()
        self._free = threading.Semaphore(concurrency)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="notify")
        self._sessions = threading.local()
        self._thread: threading.Thread | None = None

    def start(self) -> Dispatcher:
        self._thread = threading.Thread(target=self._loop, name="notify-dispatcher", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while True:
            try:
                if not self.step():
                    self._idle()
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

    def _idle(self) -> None:
        due = self.outbox.next_due()
        wait = IDLE_WAIT if due is None else min(max(due - datetime.now(UTC).timestamp(), 0.005), IDLE_WAIT)
        self.wake.wait(wait)
        self.wake.clear()

    def _session(self) -> requests.Session:
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
            session.headers["User-Agent"] = "toluna-sandbox-notifications"
        return session

    def _deliver(self, item: Claimed) -> None:
        started = time.perf_counter()
        status, error, excerpt = None, None, ""
        try:
            resp = self._session().post(
                item.url,
                data=item.body.encode("utf-8"),
                headers={"Content-Type": item.content_type, **item.headers},
                timeout=item.timeout,
            )
            status, excerpt = resp.status_code, resp.text[:512]
        except requests.Timeout:
            error = f"timeout after {item.timeout:g} s"
        except requests.ConnectionError as exc:
            error = f"connection error: {exc.__class__.__name__}"
        except requests.RequestException as exc:
            error = f"request failed: {exc}"
        finally:
            latency = (time.perf_counter() - started) * 1000
            try:
                self.outbox.record(item, self.owner, status, error, latency, excerpt)
            except Exception:
                log.exception("notification %s: could not record the attempt", item.id)
            self._free.release()
            if status is None or not 200 <= status < 300:
                self.wake.set()  # others may be due; this one went behind them
