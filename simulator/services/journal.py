"""The request journal: every exchange with the partner, written by the HTTP layer and read by the conformance
suite and support; and every click on an invite link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulator.domain.model import Visit
from simulator.store import Store
from simulator.store.records import Entry


class RequestJournal:
    def __init__(self, store: Store) -> None:
        self.store = store

    def pin(self) -> None:
        """One request sees one state of the inventory, from its first read to its answer."""
        self.store.inventory.pin()

    def unpin(self) -> None:
        self.store.inventory.unpin()

    def now(self) -> datetime:
        return self.store.now()

    def add(self, entry: Entry) -> None:
        self.store.journal.add(entry)

    def count(self, after_id: int) -> tuple[int, int]:
        return self.store.journal.count(after_id)

    def query(self, **filters: Any) -> list[Entry]:
        return self.store.journal.query(**filters)

    def visits_of_link(self, token: str) -> list[Visit]:
        return self.store.visits.of_link(token)
