"""Notifications: the events a change calls for become stored notifications (in the transaction of the change), and
this process's dispatcher (``notify.dispatcher``, built by the app factory) delivers them. Also what the operator
does with the outbox: list, wait, resend, craft."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from simulator.domain.events import Event
from simulator.domain.model import Panel
from simulator.notify.routing import crafted, outgoing
from simulator.store import Store, Transaction

#: The longest an operator's wait for deliveries may last.
MAX_WAIT = 120.0


class Notifications:
    """``wake`` tells this process's dispatcher that something was queued (none: nothing delivers from here)."""

    def __init__(self, store: Store, wake: Callable[[], None] | None = None) -> None:
        self.store = store
        self.wake = wake

    def _wake(self) -> None:
        if self.wake is not None:
            self.wake()

    def queue(self, tx: Transaction, events: Sequence[Event], delay: float = 0.0) -> list[int]:
        """Queue the notifications ``events`` call for (due ``delay`` seconds from now), inside the caller's unit of
        work; their outbox ids. This process's dispatcher is woken once the work commits."""
        items = outgoing(list(events), self.store.inventory.snapshot().panels.values())
        ids = self.store.outbox.queue(tx, items, delay)
        if ids and self.wake is not None:
            self.store.after_commit(self.wake)
        return ids

    def send(self, events: Sequence[Event]) -> list[int]:
        """Queue notifications that go with no other change (a unit of work of their own)."""
        with self.store.transaction() as tx:
            return self.queue(tx, events)

    def craft(self, panel: Panel, body: dict[str, Any]) -> int:
        """A notification composed by the caller (a stale quota status, a tampered or malformed completion), sent
        to the panel's endpoint for its kind with the endpoint's headers, like any other."""
        item = crafted(panel, body)
        with self.store.transaction() as tx:
            (notification_id,) = self.store.outbox.queue(tx, [item])
        self._wake()
        return notification_id

    def resend(self, notification_id: int) -> int | None:
        new = self.store.outbox.resend(notification_id)
        if new is not None:
            self._wake()
        return new

    def listing(self, **filters: Any) -> dict[str, Any]:
        """The outbox's notifications (``OutboxRepo.list`` filters) with its counts."""
        outbox = self.store.outbox
        return {
            "Notifications": outbox.list(**filters),
            "Pending": outbox.pending(),
            "CarriedOver": outbox.carried_over(),
            "LastID": outbox.last_id(),
        }

    def get(self, notification_id: int) -> dict[str, Any] | None:
        return self.store.outbox.get(notification_id)

    def wait(self, ids: list[int], timeout: float) -> dict[str, Any]:
        """Wait (at most ``timeout`` seconds) until the notifications ``ids`` (none: the current run's) are no longer
        pending; what became of them."""
        outbox = self.store.outbox
        deadline = time.monotonic() + min(timeout, MAX_WAIT)
        while True:
            waiting = outbox.list(status="pending", ids=ids or None, limit=10_000)
            if not waiting or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        done = outbox.list(ids=ids, limit=10_000) if ids else []
        return {"Pending": len(waiting), "Notifications": done}
