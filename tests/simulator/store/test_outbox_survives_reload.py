"""Nothing stored in the outbox is lost to a scenario load, a reset or a restart, and no notification id is ever
given to another notification: in the store, over the control API of a real server, and across ``serve`` restarts
with a changed scenario file or ``--reset``."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from simulator.scenario.model import Scenario
from simulator.store import Store
from simulator.store.records import Limits, Outgoing
from simulator.store.sql.retention import prune
from simulator.store.sqlite import SqliteStore
from simulator.store.sqlite.db import SCHEMA, SCHEMA_VERSION
from tests.receiver import Receiver, point, start_receiver
from tests.support import DEFAULT_SCENARIO, Sandbox, start_sandbox


def item(n: int) -> Outgoing:
    return Outgoing("quota", "gone-panel", f"http://x/{n}", "json", "application/json", f'{{"n": {n}}}', {}, {"n": n})


def queue(store: Store, *numbers: int) -> list[int]:
    with store.db.write() as conn:
        return store.outbox.enqueue(conn, [item(n) for n in numbers])


def finish(store: Store, status: int, attempts: int = 1) -> None:
    """Deliver (200) or fail the next claimable notification ``attempts`` times."""
    for _ in range(attempts):
        [claimed] = store.outbox.claim("w", limit=1)
        store.outbox.record(claimed, "w", status, None, 1.0, "")


def test_a_load_and_a_reset_keep_every_notification_and_pending_ones_stay_claimable(
    tmp_path: Path, default_scenario: Scenario
) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.load(default_scenario)
    delivered, pending = queue(store, 1, 2)
    finish(store, 200)
    store.load(default_scenario)  # a new scenario replaces every panel: the notifications name none of them
    store.load(default_scenario, clear_journal=True)  # a reset
    assert store.outbox.get(delivered)["Status"] == "delivered"
    [claimed] = store.outbox.claim("w")
    assert (claimed.id, claimed.url, claimed.body) == (pending, "http://x/2", '{"n": 2}')
    assert store.outbox.carried_over() == 1 and store.outbox.pending() == 0
    [new] = queue(store, 3)
    assert new > pending
    assert [n["ID"] for n in store.outbox.list()] == [new]  # a listing shows the current run
    assert [n["ID"] for n in store.outbox.list(after=0)] == [delivered, pending, new]  # a cursor shows every one


def test_ids_are_never_reused_after_pruning_everything_and_reopening(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    first = queue(store, 1, 2, 3)
    for _ in first:
        finish(store, 200)
    later = datetime.now(UTC) + timedelta(days=30)
    assert prune(store.db, Limits(max_age_days=1), later).outbox == 3
    assert store.db.read("SELECT COUNT(*) FROM outbox")[0][0] == 0
    store.close()
    reopened = SqliteStore(tmp_path / "s.db")
    [next_id] = queue(reopened, 4)
    assert next_id == max(first) + 1
    assert reopened.outbox.get(first[0]) is None  # pruned: gone, never another notification under its id


def test_a_file_of_the_previous_schema_keeps_its_outbox_and_state(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    v5 = SCHEMA.replace(" AUTOINCREMENT", "").replace(",\n    at REAL NOT NULL DEFAULT 0)", ")")
    with sqlite3.connect(path) as conn:
        conn.executescript(v5)
        conn.execute("PRAGMA user_version = 5")
        conn.execute("INSERT INTO panels(guid, doc) VALUES ('p', '{}')")
        conn.execute(
            "INSERT INTO outbox(id, kind, panel_guid, url, format, content_type, headers, body, created_at, status, "
            "attempts, next_at, queue_seq, subject, max_attempts, retry_seconds, timeout) "
            "VALUES (7, 'quota', 'p', 'http://x/7', 'json', 'application/json', '{}', '{}', 0, 'pending', 0, 0, 1, "
            "'{}', 8, 1, 5)"
        )
        conn.execute("INSERT INTO control_replies(key, status, content_type, body) VALUES ('k', 200, 'x', x'')")
    store = SqliteStore(path)
    assert store.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.db.read("SELECT guid FROM panels")[0][0] == "p"
    assert store.meta.reply("k") == (200, "x", b"")
    [claimed] = store.outbox.claim("w")
    assert claimed.id == 7 and claimed.url == "http://x/7"
    store.outbox.record(claimed, "w", 200, None, 1.0, "")
    assert prune(store.db, Limits(max_age_days=1)).outbox == 1  # created at 0: long ago
    assert queue(store, 8) == [8]  # the carried table counts on from the rows it was given


def test_a_file_from_before_panel_positions_keeps_its_panels_in_scenario_order(tmp_path: Path) -> None:
    path = tmp_path / "v6.db"
    v6 = SCHEMA.replace(" position INTEGER NOT NULL DEFAULT 0,", "", 1)
    assert v6 != SCHEMA
    with sqlite3.connect(path) as conn:
        conn.executescript(v6)
        conn.execute("PRAGMA user_version = 6")
        conn.executemany("INSERT INTO panels(guid, doc) VALUES (?, '{}')", [("z-first",), ("a-second",), ("m-third",)])
    store = SqliteStore(path)
    assert [r[0] for r in store.db.read("SELECT guid FROM panels ORDER BY position, guid")] == [
        "z-first",
        "a-second",
        "m-third",
    ]
    store.close()


# --- a real server --------------------------------------------------------------------------------------------
def _outbox(sandbox: Sandbox, **params: object) -> dict:
    resp = sandbox.control("GET", "outbox", params={"limit": 1000, **params})
    resp.raise_for_status()
    return resp.json()


def _wait(sandbox: Sandbox, ids: list[int], timeout: float = 15) -> list[dict]:
    waited = sandbox.control("POST", "outbox/wait", params={"ids": ",".join(map(str, ids)), "timeout": timeout})
    assert waited.json()["Pending"] == 0, waited.text
    return waited.json()["Notifications"]


def test_a_reset_and_a_load_over_the_control_api_still_deliver_what_was_pending(
    fresh_sandbox: Sandbox, receiver: Receiver
) -> None:
    point(fresh_sandbox, receiver, notification_retry_seconds=0.2)
    receiver.misbehave("/quota", times=10_000, status=503)  # the partner is down
    ids = [
        fresh_sandbox.control("POST", "events/quota-status", json={"quota": q, "live": False}).json()["Notifications"]
        for q in (4200001, 4200002)
    ]
    held = [i for group in ids for i in group]
    receiver.wait_for(2, "/quota")
    bodies = {i: fresh_sandbox.control("GET", f"outbox/{i}").json()["Body"] for i in held}
    fresh_sandbox.reset()  # the panel's endpoints go back to the scenario's; the notifications keep theirs
    scenario = DEFAULT_SCENARIO.read_text()
    fresh_sandbox.control("POST", "scenario", data=scenario.encode()).raise_for_status()
    listed = _outbox(fresh_sandbox)
    # at least these two (a shared server may also carry an earlier test's undeliverable notifications)
    assert listed["CarriedOver"] >= len(held) and listed["Notifications"] == []
    assert {fresh_sandbox.control("GET", f"outbox/{i}").json()["Status"] for i in held} == {"pending"}
    receiver.rules.clear()  # the partner is back
    done = _wait(fresh_sandbox, held)
    assert {n["ID"]: (n["Status"], n["Body"]) for n in done} == {i: ("delivered", bodies[i]) for i in held}
    delivered = {json.loads(r.body)["QuotaID"] for r in receiver.received("/quota") if r.body}
    assert {4200001, 4200002} <= delivered
    point(fresh_sandbox, receiver)
    [new] = fresh_sandbox.control("POST", "events/quota-status", json={"quota": 4200003, "live": False}).json()[
        "Notifications"
    ]
    assert new > max(held)
    assert [n["ID"] for n in _outbox(fresh_sandbox, after=0)["Notifications"]][-len(held) - 1 :] == [*held, new]


def _hold_one(sandbox: Sandbox, receiver: Receiver, quota: int) -> int:
    """A quota notification the partner (down) failed to take once; its id. The server is stopped after."""
    try:
        body = sandbox.control("POST", "events/quota-status", json={"quota": quota, "live": False}).json()
        seen = len(receiver.received("/quota"))
        receiver.wait_for(seen + 1, "/quota")
        return int(body["Notifications"][0])
    finally:
        sandbox.stop()


def test_serve_with_a_changed_scenario_or_reset_delivers_what_was_pending(tmp_path: Path) -> None:
    receiver = start_receiver()
    scenario = tmp_path / "s.yaml"
    text = DEFAULT_SCENARIO.read_text().replace("http://127.0.0.1:8081/toluna/notify/quota", receiver.url("/quota"))
    text = text.replace(
        "  name: Sandbox Partner EN-US\n", "  name: Sandbox Partner EN-US\n  notification_retry_seconds: 0.1\n"
    )
    scenario.write_text(text)
    try:
        receiver.misbehave("/quota", times=10_000, drop=True)  # the partner is down
        held = _hold_one(start_sandbox(tmp_path, scenario, workers=1), receiver, 4200001)
        scenario.write_text(text.replace("name: default", "name: changed", 1))  # a changed file is loaded anew
        receiver.rules.clear()  # the partner is back
        changed = start_sandbox(tmp_path, scenario, workers=1)
        assert "loaded (1 pending notification(s) kept" in changed.log.read_text()
        assert [(n["ID"], n["Status"]) for n in _wait(changed, [held])] == [(held, "delivered")]
        receiver.misbehave("/quota", times=10_000, drop=True)  # down again
        again = _hold_one(changed, receiver, 4200002)
        assert again > held
        receiver.rules.clear()
        reset = start_sandbox(tmp_path, scenario, "--reset", workers=1)
        try:
            assert "loaded (1 pending notification(s) kept" in reset.log.read_text()
            assert [(n["ID"], n["Status"]) for n in _wait(reset, [held, again])] == [
                (held, "delivered"),
                (again, "delivered"),
            ]
        finally:
            reset.stop()
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
