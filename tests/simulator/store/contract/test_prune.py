"""Retention: ``prune`` removes old journal entries, finished notifications, kept answers and used-up fault rules,
never a pending notification."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from simulator.store import Store
from simulator.store.records import Limits, Pruned

from .samples import entry, outgoing

#: Every limit off: each test turns on the one it is about.
NONE = Limits(journal_entries=0, outbox_finished=0, max_age_days=0, replies=0, replies_max_age_hours=0)


def stored(store: Store) -> int:
    """How many journal entries there are, once every entry added so far is stored: a pass prunes what is stored
    (an entry still on its way is pruned by a later pass)."""
    return store.journal.count()[0]


def test_nothing_goes_with_every_limit_off(store: Store) -> None:
    store.journal.add(entry("/old", wall_age=timedelta(days=400)))
    assert stored(store) == 1
    assert store.prune(NONE) == Pruned()
    assert len(store.journal.query()) == 1


def test_journal_entries_older_than_the_age_limit_go(store: Store) -> None:
    for n, days in enumerate((10, 9, 3, 0)):
        store.journal.add(entry(f"/{n}", wall_age=timedelta(days=days)))
    assert stored(store) == 4
    assert store.prune(dataclasses.replace(NONE, max_age_days=5)).journal == 2
    assert [e.path for e in store.journal.query()] == ["/2", "/3"]


def test_the_journal_keeps_its_newest_entries(store: Store) -> None:
    for n in range(5):
        store.journal.add(entry(f"/{n}"))
    assert stored(store) == 5
    assert store.prune(dataclasses.replace(NONE, journal_entries=2)).journal == 3
    assert [e.path for e in store.journal.query()] == ["/3", "/4"]
    store.journal.add(entry("/5"))
    assert [e.path for e in store.journal.query()] == ["/3", "/4", "/5"]


def test_finished_notifications_go_by_count_and_pending_ones_never(store: Store) -> None:
    with store.transaction() as tx:
        ids = store.outbox.queue(tx, [outgoing(n, max_attempts=1) for n in range(5)])
    for claimed in store.outbox.claim("w", limit=3):  # delivered, given up, delivered; two stay pending
        store.outbox.record(claimed, "w", 500 if claimed.id == ids[1] else 200, None, 1.0, "")
    assert store.prune(dataclasses.replace(NONE, outbox_finished=1)).outbox == 2
    assert [n["ID"] for n in store.outbox.list(after=0)] == ids[2:]
    assert store.outbox.get(ids[0]) is None
    store.prune(dataclasses.replace(NONE, outbox_finished=1, max_age_days=1e-9))  # everything finished is old
    assert [(n["ID"], n["Status"]) for n in store.outbox.list(after=0)] == [(i, "pending") for i in ids[3:]]
    assert store.outbox.pending() == 2


def test_kept_answers_go_by_count_and_one_being_carried_out_stays(store: Store) -> None:
    for key in ("a", "b"):
        store.meta.claim_reply(key)
        store.meta.remember_reply(key, 200, "application/json", key.encode())
    store.meta.claim_reply("busy")
    assert store.prune(dataclasses.replace(NONE, replies=1)).replies == 1
    assert store.meta.reply("a") is None and store.meta.reply("b") == (200, "application/json", b"b")
    assert store.meta.reply("busy") == (store.meta.PENDING, "", b"")


def test_used_up_fault_rules_go(store: Store) -> None:
    [(counted, _)] = store.meta.faults()
    kept = store.meta.add_fault(dataclasses.replace(store.meta.faults()[0][1], times=None))
    while store.meta.consume_fault(counted):
        pass
    assert store.prune(NONE).faults == 1
    assert [i for i, _ in store.meta.faults()] == [kept]
