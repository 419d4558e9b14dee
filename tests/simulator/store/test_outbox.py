"""The outbox's own rules: claims are exclusive, a failure goes behind the queue, success ends the lease."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from simulator.store.records import Outgoing
from simulator.store.sql.outbox import LEASE_SECONDS
from simulator.store.sqlite import SqliteStore


def item(n: int, retry: float = 0.0, attempts: int = 8) -> Outgoing:
    return Outgoing(
        "quota",
        "p",
        f"http://x/{n}",
        "json",
        "application/json",
        f'{{"n": {n}}}',
        {},
        {"n": n},
        max_attempts=attempts,
        retry_seconds=retry,
    )


def test_a_failed_notification_goes_behind_the_rest_of_the_queue(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with store.db.write() as conn:
        a, b, c = store.outbox.enqueue(conn, [item(1), item(2), item(3)])
    [first] = store.outbox.claim("w1", limit=1)
    assert first.id == a
    store.outbox.record(first, "w1", 500, None, 3.0, "no")
    assert [x.id for x in store.outbox.claim("w1", limit=10)] == [b, c, a]


def test_claims_are_exclusive_and_success_ends_them(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with store.db.write() as conn:
        [a] = store.outbox.enqueue(conn, [item(1)])
    [mine] = store.outbox.claim("w1")
    assert store.outbox.claim("w2") == []  # leased to w1
    assert store.outbox.record(mine, "w2", 200, None, 1.0, "") is False or store.outbox.get(a)["Status"] == "pending"
    assert store.outbox.record(mine, "w1", 200, None, 1.0, "ok") is True
    assert store.outbox.get(a)["Status"] == "delivered" and store.outbox.claim("w2") == []


def test_after_the_last_attempt_it_is_given_up(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with store.db.write() as conn:
        [a] = store.outbox.enqueue(conn, [item(1, attempts=2)])
    for _ in range(2):
        [x] = store.outbox.claim("w")
        store.outbox.record(x, "w", None, "connection error", 1.0, "")
    assert store.outbox.get(a)["Status"] == "failed" and store.outbox.claim("w") == []
    assert [t["Error"] for t in store.outbox.get(a)["Attempts"]] == ["connection error"] * 2


def test_leases_of_a_process_that_is_gone_are_taken_over(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with store.db.write() as conn:
        a, _ = store.outbox.enqueue(conn, [item(1), item(2)])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    store.outbox.claim(f"{gone.pid}-1", limit=1)  # killed mid-delivery
    store.outbox.claim(f"{os.getpid()}-2", limit=1)  # still delivering
    assert store.outbox.claim("w3") == []
    assert store.outbox.release_dead() == 1
    assert [x.id for x in store.outbox.claim("w3")] == [a]


def test_the_next_due_time_of_a_notification_in_flight_is_the_end_of_its_lease(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with store.db.write() as conn:
        store.outbox.enqueue(conn, [item(1)])
    before = time.time()
    store.outbox.claim("w1")
    due = store.outbox.next_due()
    assert due is not None and due >= before + LEASE_SECONDS - 1
