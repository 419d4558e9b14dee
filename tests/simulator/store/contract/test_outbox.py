"""The outbox: notifications stored with the change they report, leased for delivery, every attempt recorded."""

from __future__ import annotations

import os
import subprocess
import time

from simulator.store import Store

from .samples import PANEL, SECOND_PANEL, outgoing


def queue(store: Store, *numbers: int, max_attempts: int = 8, delay: float = 0.0) -> list[int]:
    with store.transaction() as tx:
        return store.outbox.queue(tx, [outgoing(n, max_attempts=max_attempts) for n in numbers], delay)


def test_queued_claimed_and_delivered(store: Store) -> None:
    assert store.outbox.pending() == 0 and store.outbox.next_due() is None
    a, b = queue(store, 1, 2)
    assert a < b and store.outbox.last_id() == b and store.outbox.pending() == 2
    assert store.outbox.next_due() is not None
    first, second = store.outbox.claim("w1")
    assert (first.id, second.id) == (a, b)  # queue order
    assert (first.url, first.content_type, first.body) == (
        "http://partner.test/notify/1",
        "application/json",
        '{"n": 1}',
    )
    assert (first.headers, first.attempts, first.max_attempts) == ({"X-Secret": "s"}, 0, 8)
    assert store.outbox.claim("w2") == []  # leased to w1
    assert store.outbox.record(first, "w1", 200, None, 12.5, "accepted") is True
    delivered = store.outbox.get(a)
    assert delivered is not None
    assert (delivered["ID"], delivered["Status"], delivered["Attempts"][0]["Status"]) == (a, "delivered", 200)
    assert (delivered["Kind"], delivered["PanelGUID"], delivered["About"]) == ("quota", PANEL, {"QuotaID": 1})
    assert delivered["Attempts"][0]["Response"] == "accepted" and delivered["DeliveredAt"] is not None
    assert store.outbox.pending() == 1  # the other one is still on its way
    assert [n["ID"] for n in store.outbox.list(status="delivered")] == [a]
    assert [n["ID"] for n in store.outbox.list(status="pending")] == [b]
    assert store.outbox.get(12345) is None


def test_a_failure_goes_behind_the_rest_of_the_queue(store: Store) -> None:
    a, b = queue(store, 1, 2, max_attempts=2)
    [first] = store.outbox.claim("w", limit=1)
    assert store.outbox.record(first, "w", 500, None, 3.0, "no") is False
    retry = store.outbox.get(a)
    assert retry is not None and (retry["Status"], retry["Attempts"][0]["Status"]) == ("pending", 500)
    assert [c.id for c in store.outbox.claim("w")] == [b, a]  # retried after the rest (no retry delay here)


def test_a_notification_is_given_up_after_its_attempts(store: Store) -> None:
    [a] = queue(store, 1, max_attempts=2)
    for _ in range(2):
        [c] = store.outbox.claim("w")
        store.outbox.record(c, "w", None, "connection refused", 5.0, "")
    given_up = store.outbox.get(a)
    assert given_up is not None and given_up["Status"] == "failed"
    assert [t["Error"] for t in given_up["Attempts"]] == ["connection refused"] * 2
    assert store.outbox.claim("w") == [] and store.outbox.pending() == 0 and store.outbox.next_due() is None


def test_only_the_lease_owner_ends_a_delivery(store: Store) -> None:
    [a] = queue(store, 1)
    [mine] = store.outbox.claim("w1")
    store.outbox.record(mine, "w2", 200, None, 1.0, "")
    assert store.outbox.get(a)["Status"] == "pending"  # type: ignore[index]


def test_a_delayed_notification_waits(store: Store) -> None:
    before = time.time()
    queue(store, 1, delay=60.0)
    assert store.outbox.claim("w") == [] and store.outbox.pending() == 1
    due = store.outbox.next_due()
    assert due is not None and before + 59 <= due <= time.time() + 61


def test_a_resend_is_a_new_notification_of_the_same_document(store: Store) -> None:
    [a] = queue(store, 1)
    [c] = store.outbox.claim("w")
    store.outbox.record(c, "w", 200, None, 1.0, "")
    again = store.outbox.resend(a)
    assert again is not None and again > a and store.outbox.last_id() == again
    resent = store.outbox.get(again)
    original = store.outbox.get(a)
    assert resent is not None and original is not None
    assert (resent["Status"], resent["ResendOf"], resent["Attempts"]) == ("pending", a, [])
    assert (resent["URL"], resent["Body"], resent["Headers"]) == (
        original["URL"],
        original["Body"],
        original["Headers"],
    )
    assert original["Status"] == "delivered"  # its history stays
    assert store.outbox.resend(12345) is None


def test_listing_filters(store: Store) -> None:
    with store.transaction() as tx:
        a, b, c = store.outbox.queue(tx, [outgoing(1), outgoing(2, panel=SECOND_PANEL), outgoing(3, kind="complete")])
    assert [n["ID"] for n in store.outbox.list()] == [a, b, c]
    assert [n["ID"] for n in store.outbox.list(panel=SECOND_PANEL)] == [b]
    assert [n["ID"] for n in store.outbox.list(kind="complete")] == [c]
    assert [n["ID"] for n in store.outbox.list(after=a, limit=1)] == [b]
    assert [n["ID"] for n in store.outbox.list(ids=[c, a])] == [a, c]


def test_the_signal_changes_when_notifications_are_committed(store: Store) -> None:
    signal = store.outbox.signal
    assert store.outbox.signal == signal
    queue(store, 1)
    assert store.outbox.signal != signal


def test_leases_of_a_process_that_is_gone_are_released(store: Store) -> None:
    a, _ = queue(store, 1, 2)
    gone = subprocess.Popen(["true"])
    gone.wait()
    store.outbox.claim(f"{gone.pid}-1", limit=1)  # its process died mid-delivery
    store.outbox.claim(f"{os.getpid()}-1", limit=1)  # still delivering
    assert store.outbox.claim("w") == []
    assert store.outbox.release_dead() == 1
    assert [c.id for c in store.outbox.claim("w")] == [a]
