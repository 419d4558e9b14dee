"""Two ``serve`` commands on one PostgreSQL database (A with one worker, B with two: three processes) are one
sandbox: quota counters stay exact under completes spread over them, each notification is delivered once, the
member API's 1000 ms rule holds across them, the journal and the sandbox clock are the same whichever is asked, and
a process killed while it holds deliveries loses none of them."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.receiver import GATE_LIMIT, Receiver, point
from tests.simulator.api.test_members import body, send
from tests.simulator.api.test_survey_flow import END
from tests.support import ES, PANEL, Sandbox

from .pair import Pair, Visit, finish, leases, process_group, started_visits

pytestmark = pytest.mark.server

QUOTA = 4200001
ROOM = 10
MEMBERS = 64
#: The kill: completes through A on another quota, the first deliveries held by the receiver until A is killed.
KILL_QUOTA = 4200005
COMPLETES = 40
TAKEOVER = 15.0  # seconds: the others free a dead process's leases within ~2 s, and every lease ends after 30 s


def quota_status(sandbox: Sandbox) -> dict[str, Any]:
    resp = sandbox.get(f"{ES}/{PANEL}/QuotaStatus/{QUOTA}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def layer_completes(status: dict[str, Any]) -> list[int]:
    return [sum(sq["CurrentCompletes"] for sq in layer["SubQuotas"]) for layer in status["Layers"]]


def listed_quotas(sandbox: Sandbox) -> set[int]:
    surveys = sandbox.get(f"{ES}/{PANEL}/Quotas").json()["Surveys"]
    return {q["QuotaID"] for survey in surveys for q in survey["Quotas"]}


def last_notification(sandbox: Sandbox) -> int:
    return int(sandbox.control("GET", "outbox").json()["LastID"])


def delivered(sandbox: Sandbox, after: int, count: int, timeout: float) -> dict[int, dict[str, Any]]:
    """The panel's notifications queued after id ``after`` (``count`` of them), once none is pending any more (at
    most ``timeout`` seconds), by id."""
    listed = sandbox.control("GET", "outbox", params={"panel": PANEL, "after": str(after), "limit": "1000"})
    ids = [n["ID"] for n in listed.json()["Notifications"]]
    assert len(ids) == count, listed.text[:500]
    waited = sandbox.control("POST", "outbox/wait", params={"ids": ",".join(map(str, ids)), "timeout": timeout})
    assert waited.json()["Pending"] == 0, waited.text[:500]
    return {n["ID"]: n for n in waited.json()["Notifications"]}


def test_parallel_completes_through_two_servers_count_exactly_and_notify_once(pair: Pair, receiver: Receiver) -> None:
    a, b = pair.a, pair.b
    point(a, receiver)
    first = last_notification(b)
    a.control("PUT", f"quotas/{QUOTA}", json={"EstimatedCompletesRemaining": ROOM}).raise_for_status()
    before = layer_completes(quota_status(b))
    visits = started_visits(a, MEMBERS, QUOTA)
    assert all(QUOTA in listed_quotas(server) for server in (a, b))  # each server's GetQuotas has seen it live

    def complete(numbered: tuple[int, Visit]) -> str:
        i, visit = numbered
        return finish(visit, "qualified", b if i % 2 else a, a)  # half through each server

    with ThreadPoolExecutor(MEMBERS) as pool:
        ends = list(pool.map(complete, enumerate(visits)))

    assert sum(e.startswith(END + "qualified") for e in ends) == ROOM
    assert sum(e.startswith(END + "quotafull") for e in ends) == MEMBERS - ROOM
    for server in (a, b):
        status = quota_status(server)
        assert status["EstimatedCompletesRemaining"] == 0
        assert layer_completes(status) == [n + ROOM for n in before]  # each layer credited once per complete
        assert QUOTA not in listed_quotas(server)  # whichever server counted the last complete
        assert server.invite("M-DAN", QUOTA).json()["ResultCode"] == 28

    stored = delivered(b, first, MEMBERS + 1, timeout=20)  # a notification per visit, and the quota's
    assert {(n["Status"], n["Attempts"]) for n in stored.values()} == {("delivered", 1)}  # none delivered twice
    assert [n["About"]["live"] for n in stored.values() if n["Kind"] == "quota"] == [False]
    codes = Counter(json.loads(r.body)["UniqueCode"] for r in receiver.received("/complete"))
    codes.update(json.loads(r.body)["UniqueCode"] for r in receiver.received("/terminate"))
    assert codes == Counter(v.member for v in visits)  # every visit's notification, and each exactly once
    assert len(receiver.received("/complete")) == ROOM
    [filled] = receiver.received("/quota")  # the quota went full once: one announcement
    assert json.loads(filled.body) | {"UpdateDateTimeUTC": None} == {
        "QuotaID": QUOTA,
        "SurveyID": 3100001,
        "WaveID": 900001,
        "IsLive": False,
        "UpdateDateTimeUTC": None,
    }


def test_a_member_written_through_one_server_is_too_soon_for_the_other(pair: Pair) -> None:
    a, b = pair.a, pair.b
    assert send(a, "POST", body("SCALE-1")).status_code == 201
    update = {"PartnerGUID": PANEL, "MemberCode": "SCALE-1", "PostalCode": "10001"}
    again = send(b, "PUT", update)
    assert again.status_code == 409 and "less than 1000 ms" in again.json()["Message"]
    time.sleep(1.05)  # Toluna's 1000 ms rule, on the wall clock, whichever server answers
    assert send(b, "PUT", update).status_code == 200
    assert a.control("GET", "members/SCALE-1").json()["PostalCode"] == "10001"


def test_the_journal_and_the_clock_are_the_same_in_both_servers(pair: Pair) -> None:
    a, b = pair.a, pair.b
    last = b.control("GET", "journal/count").json()["LastID"]
    assert a.get(f"{ES}/{PANEL}/Quotas").status_code == 200
    [entry] = b.control("GET", "journal", params={"after": last}).json()["Entries"]
    assert entry["route"] == "quotas" and entry["status"] == 200
    assert entry["request_headers"]["Host"] == a.base_url.removeprefix("http://")  # A's request, in B's journal

    frozen = "2031-05-06T07:08:09Z"
    a.control("PUT", "clock", json={"now": frozen, "frozen": True}).raise_for_status()
    shown = b.control("GET", "clock").json()
    assert (instant(shown["Now"]), shown["Frozen"]) == (instant(frozen), True)
    expires = b.get(f"{ES}/{PANEL}/Quotas").json()["CacheExpires"]
    assert instant(expires) == instant(frozen) + timedelta(seconds=60)  # B's answers are dated on A's clock
    [quotas] = b.control("GET", "journal", params={"after": entry["id"]}).json()["Entries"]
    assert instant(quotas["at"]) == instant(frozen)

    a.control("POST", "clock/advance", json={"days": 1}).raise_for_status()
    assert instant(b.control("GET", "clock").json()["Now"]) == instant(frozen) + timedelta(days=1)
    expires = b.get(f"{ES}/{PANEL}/QuotaStatus/{QUOTA}").json()["CacheExpires"]
    assert instant(expires) == instant(frozen) + timedelta(days=1, seconds=60)
    real = datetime.now(UTC).isoformat()
    b.control("PUT", "clock", json={"now": real, "frozen": False}).raise_for_status()
    assert a.control("GET", "clock").json()["Frozen"] is False  # running again, for A as well


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_process_killed_while_delivering_loses_no_notification(pair: Pair, receiver: Receiver) -> None:
    a, b = pair.a, pair.b
    point(a, receiver, notification_timeout=GATE_LIMIT)  # a held delivery waits for the gate, never times out
    gate = receiver.hold("/complete", times=COMPLETES)  # no delivery ends until the gate opens: a lease stays a lease
    first = last_notification(b)
    visits = started_visits(a, COMPLETES, KILL_QUOTA)
    try:
        with ThreadPoolExecutor(8) as pool:
            ends = list(pool.map(lambda v: finish(v, "qualified", a, a), visits))
        assert sum(e.startswith(END + "qualified") for e in ends) == COMPLETES

        doomed = process_group(a.process.pid)
        deadline = time.monotonic() + TAKEOVER
        while not (held := {i for i, pid in leases(pair.url).items() if pid in doomed}):
            assert time.monotonic() < deadline, "A never held a delivery"
            time.sleep(0.02)
        # kill -9, the server and its worker at once, deliveries in hand (the receiver holds them): from now on
        # only the others can end A's leases
        a.kill()
    finally:
        gate.set()  # B's own deliveries are answered; A's connections are gone

    stored = delivered(b, first, COMPLETES, timeout=TAKEOVER)  # B delivered what was left, A's leases too
    assert held <= set(stored)
    assert {n["Status"] for n in stored.values()} == {"delivered"}

    seen = Counter(json.loads(r.body)["UniqueCode"] for r in receiver.received("/complete"))
    assert set(seen) == {v.member for v in visits}  # every notification at least once: none lost
    held_by_a = {json.loads(stored[i]["Body"])["UniqueCode"] for i in held}
    assert {code for code, n in seen.items() if n > 1} <= held_by_a  # only what A had in hand can come twice
