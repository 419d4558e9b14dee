"""Retention: the journal, finished notifications, kept control answers and used-up fault rules are held to their
limits by count and by age; pending notifications and the sandbox's state are never pruned."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from simulator.domain.faults import FaultRule
from simulator.scenario.model import Scenario
from simulator.store import Store
from simulator.store.records import Entry, Limits, Outgoing
from simulator.store.sql.retention import prune
from simulator.store.sqlite import SqliteStore
from simulator.store.sqlite.db import WAL_LIMIT

from .test_shared_state import entry as shared_entry

NO_LIMITS = Limits(journal_entries=0, outbox_finished=0, max_age_days=0, replies=0, replies_max_age_hours=0)


def entry(n: int, at: datetime, response: str = "{}") -> Entry:
    return shared_entry(response=response, at=at, path=f"/x/{n}")


def journal_paths(store: Store) -> list[str]:
    return [e.path for e in store.journal.query(limit=10_000)]


def test_the_journal_keeps_its_newest_entries_and_the_texts_they_refer_to(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    now = datetime.now(UTC)
    for n in range(30):
        store.journal.add(entry(n, now, response=f'{{"Surveys": "{n % 3}{"x" * 600}"}}'))  # long: stored by hash
    store.journal.flush()
    done = prune(store.db, dataclasses.replace(NO_LIMITS, journal_entries=10))
    assert (done.journal, done.journal_texts) == (20, 0)  # the 10 kept still refer to all three texts
    assert journal_paths(store) == [f"/x/{n}" for n in range(20, 30)]
    done = prune(store.db, dataclasses.replace(NO_LIMITS, journal_entries=1))
    assert (done.journal, done.journal_texts) == (9, 2)
    assert [e.response_body[:15] for e in store.journal.query()] == ['{"Surveys": "2x']


def test_the_journal_drops_entries_older_than_the_age_limit(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    now = datetime.now(UTC)
    for n, age in enumerate((10, 9, 3, 1, 0)):
        store.journal.add(entry(n, now - timedelta(days=age)))
    store.journal.flush()
    assert prune(store.db, dataclasses.replace(NO_LIMITS, max_age_days=5), now).journal == 2
    assert journal_paths(store) == ["/x/2", "/x/3", "/x/4"]
    assert prune(store.db, dataclasses.replace(NO_LIMITS, max_age_days=5), now + timedelta(days=30)).journal == 3
    store.journal.add(entry(9, now))
    store.journal.flush()
    assert [e.id for e in store.journal.query()] == [6]  # ids go on counting after the journal was emptied


def notification(n: int) -> Outgoing:
    return Outgoing("quota", "p", f"http://x/{n}", "json", "application/json", "{}", {}, {}, max_attempts=1)


def test_finished_notifications_are_pruned_with_their_attempts_pending_ones_never(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with store.db.write() as conn:
        ids = store.outbox.enqueue(conn, [notification(n) for n in range(6)])
    for claimed in store.outbox.claim("w", limit=4):  # two delivered, two given up, two still pending
        store.outbox.record(claimed, "w", 200 if claimed.id % 2 else 500, None, 1.0, "")
    later = datetime.now(UTC) + timedelta(days=365)
    assert prune(store.db, dataclasses.replace(NO_LIMITS, outbox_finished=1)).outbox == 3
    assert [n["ID"] for n in store.outbox.list(after=0)] == ids[3:]
    assert prune(store.db, dataclasses.replace(NO_LIMITS, max_age_days=1), later).outbox == 1
    assert [(n["ID"], n["Status"]) for n in store.outbox.list(after=0)] == [(i, "pending") for i in ids[4:]]
    attempts = store.db.read("SELECT DISTINCT notification_id FROM outbox_attempts")
    assert attempts == []  # every pruned notification's attempts went with it


def test_control_answers_go_by_age_and_count_and_one_being_carried_out_stays(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    for key in ("a", "b", "c", "busy"):
        assert store.meta.claim_reply(key)
    for key in ("a", "b", "c"):
        store.meta.remember_reply(key, 200, "application/json", b"{}")
    done = prune(store.db, dataclasses.replace(NO_LIMITS, replies=1))
    assert done.replies == 2
    assert store.meta.reply("c") is not None and store.meta.reply("busy") == (store.meta.PENDING, "", b"")
    later = datetime.now(UTC) + timedelta(hours=25)
    assert prune(store.db, dataclasses.replace(NO_LIMITS, replies_max_age_hours=24), later).replies == 2


def test_used_up_fault_rules_are_pruned_and_their_ids_never_come_back(
    tmp_path: Path, default_scenario: Scenario
) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.load(dataclasses.replace(default_scenario, faults=[]))
    once = store.meta.add_fault(FaultRule(route="invite", http_status=503, times=1))
    always = store.meta.add_fault(FaultRule(route="quotas", http_status=503))
    assert store.meta.consume_fault(once)
    assert prune(store.db, NO_LIMITS).faults == 1
    assert [i for i, _ in store.meta.faults()] == [always]
    assert store.meta.add_fault(FaultRule(route="invite", http_status=500)) > always


def test_state_is_never_pruned(store: Store) -> None:
    tables = ("members", "participations", "visits", "invites", "recontact", "panels", "surveys", "timeline")
    before = {t: store.db.read(f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables}
    prune(store.db, Limits(1, 1, 0.0001, 1, 0.0001), datetime.now(UTC) + timedelta(days=3650))
    assert {t: store.db.read(f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables} == before
    assert before["members"] > 0 and before["participations"] > 0


def test_the_wal_is_cut_back_once_a_checkpoint_has_emptied_it(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with store.db.write() as conn:  # a large transaction (a scenario load) grows the WAL well past the limit
        conn.execute("CREATE TABLE big (x BLOB)")
        conn.executemany("INSERT INTO big VALUES (zeroblob(65536))", [()] * (2 * WAL_LIMIT // 65536))
    wal = Path(f"{tmp_path / 's.db'}-wal")
    assert wal.stat().st_size > WAL_LIMIT
    store.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    for statement in ("DROP TABLE big", "CREATE TABLE small (x)"):  # the next writes start the WAL over
        with store.db.write() as conn:
            conn.execute(statement)
    assert wal.stat().st_size <= WAL_LIMIT
