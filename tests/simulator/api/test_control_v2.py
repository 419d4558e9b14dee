"""The control API's second round, through a real server on a real port: calls made safe to repeat (Idempotency-Key),
crafted notifications, one fault rule removed, the journal count, panel notification headers and cache_seconds."""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from simulator.scenario.loader import load_text
from tests.receiver import Received, Receiver, point
from tests.support import ES, PANEL, Sandbox


def header(got: Received, name: str) -> str | None:
    """A received header, whatever its case on the wire."""
    return next((v for k, v in got.headers.items() if k.lower() == name.lower()), None)


def listed(sandbox: Sandbox, **params: Any) -> list[dict[str, Any]]:
    resp = sandbox.control("GET", "outbox", params={"limit": 1000, **params})
    assert resp.status_code == 200, resp.text
    return resp.json()["Notifications"]


def settled(sandbox: Sandbox, notification_id: int) -> dict[str, Any]:
    """The notification once it is no longer pending, with its attempts."""
    sandbox.control("POST", "outbox/wait", params={"ids": notification_id, "timeout": 5}).raise_for_status()
    return sandbox.control("GET", f"outbox/{notification_id}").json()


def toluna_time(text: str) -> datetime:
    """CacheExpires as Toluna writes it (``2026-12-06T10:00:00.1234567Z``): up to seven decimals, Python keeps six."""
    found = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?Z", text)
    assert found, f"not Toluna's CacheExpires format: {text!r}"
    fraction = (found.group(2) or "")[:6].ljust(6, "0")
    return datetime.fromisoformat(f"{found.group(1)}.{fraction}+00:00")


# --- Idempotency-Key -------------------------------------------------------------------------------------------
def test_the_same_idempotency_key_is_carried_out_once(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(fresh_sandbox, receiver)

    def quota_on_hold(key: str) -> requests.Response:
        return fresh_sandbox.control(
            "POST", "events/quota-status", json={"quota": 4200001, "live": False}, headers={"Idempotency-Key": key}
        )

    key = uuid.uuid4().hex
    first = quota_on_hold(key)
    assert first.status_code == 200, first.text
    [sent] = first.json()["Notifications"]
    for _ in range(4):  # a new connection each time: either worker may answer, and both know the key
        again = quota_on_hold(key)
        assert (again.status_code, again.headers["Content-Type"], again.content) == (
            first.status_code,
            first.headers["Content-Type"],
            first.content,
        )
    assert [n["ID"] for n in listed(fresh_sandbox, kind="quota")] == [sent]

    other = quota_on_hold(uuid.uuid4().hex)  # another key is another call (said again even though already on hold)
    assert other.status_code == 200 and other.json()["Notifications"] != [sent]
    assert len(listed(fresh_sandbox, kind="quota")) == 2
    receiver.wait_for(2, "/quota")
    fresh_sandbox.control("POST", "outbox/wait", params={"timeout": 5}).raise_for_status()
    assert len(receiver.received("/quota")) == 2


def test_one_key_sent_at_once_by_several_clients_is_carried_out_once(fresh_sandbox: Sandbox) -> None:
    """A client retrying while its first try is still being answered, maybe by the other worker."""
    body = {"quota": 4200001, "live": False}
    for round_ in range(1, 4):  # a race: a few rounds, so that a check-then-act gap shows
        key = uuid.uuid4().hex

        def send(_: int, key: str = key) -> requests.Response:
            return fresh_sandbox.control("POST", "events/quota-status", json=body, headers={"Idempotency-Key": key})

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(send, range(4)))
        assert {(a.status_code, a.content) for a in answers} == {(200, answers[0].content)}
        assert len(listed(fresh_sandbox, kind="quota")) == round_


# --- crafted notifications -------------------------------------------------------------------------------------
def test_a_crafted_stale_quota_status_arrives_byte_for_byte(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(fresh_sandbox, receiver, notification_headers={"X-Partner-Secret": "s3", "Authorization": "Basic dTpw"})
    doc = {
        "QuotaID": 4200001,
        "SurveyID": 3100001,
        "WaveID": 900001,
        "IsLive": True,
        "UpdateDateTimeUTC": "2018-10-22 19:58:42.99 +00:00",  # long before anything the sandbox has said
    }
    resp = fresh_sandbox.control("POST", "outbox", json={"kind": "quota", "doc": doc})
    assert resp.status_code == 201, resp.text
    crafted = resp.json()["ID"]
    [got] = receiver.wait_for(1, "/quota")
    assert got.method == "POST" and got.body == json.dumps(doc)  # the document as given, keys in its order
    assert header(got, "Content-Type").startswith("application/json")  # type: ignore[union-attr]
    assert (header(got, "X-Partner-Secret"), header(got, "Authorization")) == ("s3", "Basic dTpw")
    [item] = listed(fresh_sandbox, kind="quota")
    assert item["ID"] == crafted and item["About"]["crafted"] is True and item["URL"] == receiver.url("/quota")
    shown = settled(fresh_sandbox, crafted)
    assert shown["Status"] == "delivered" and [a["Status"] for a in shown["Attempts"]] == [200]


def test_a_malformed_body_is_sent_as_is_and_one_attempt_means_one(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(fresh_sandbox, receiver, notification_retry_seconds=0.1)  # a retry, were there one, would come at once
    receiver.misbehave("/complete", times=10, status=400)
    raw = '{"UniqueCode": "M-ANNA", "Revenue": 150,, "SurveyId": \r\n  <oops/>'
    body = {"kind": "complete", "body": raw, "attempts": 1, "headers": {"X-Case": "malformed"}}
    resp = fresh_sandbox.control("POST", "outbox", json=body)
    assert resp.status_code == 201, resp.text
    [got] = receiver.wait_for(1, "/complete")
    assert got.body == raw
    assert header(got, "X-Case") == "malformed" and header(got, "Content-Type").startswith("application/json")  # type: ignore[union-attr]
    shown = settled(fresh_sandbox, resp.json()["ID"])
    assert shown["Status"] == "failed" and shown["MaxAttempts"] == 1
    assert [a["Status"] for a in shown["Attempts"]] == [400]
    time.sleep(0.5)
    assert len(receiver.received("/complete")) == 1


def test_a_crafted_notification_needs_an_endpoint(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(fresh_sandbox, receiver, settings={"Completion Notification URL": None})
    doc = {"UniqueCode": "M-ANNA", "SurveyId": 3100001}
    refused = fresh_sandbox.control("POST", "outbox", json={"kind": "complete", "doc": doc})
    assert refused.status_code == 400 and "url" in refused.json()["Message"]
    assert listed(fresh_sandbox) == []
    for bad in ({"kind": "complete"}, {"kind": "complete", "doc": doc, "body": "x"}, {"kind": "bonus", "body": "x"}):
        assert fresh_sandbox.control("POST", "outbox", json=bad).status_code == 400
    named = {"kind": "complete", "doc": doc, "url": receiver.url("/elsewhere"), "format": "xml"}
    assert fresh_sandbox.control("POST", "outbox", json=named).status_code == 201
    [got] = receiver.wait_for(1, "/elsewhere")
    assert (
        got.body.startswith('<?xml version="1.0"?>\n<confirmation ') and "<UniqueCode>M-ANNA</UniqueCode>" in got.body
    )
    assert header(got, "Content-Type").startswith("application/xml")  # type: ignore[union-attr]


def test_a_crafted_reconciliation_goes_to_the_reconciliation_url(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(
        fresh_sandbox,
        receiver,
        reconciliation_url=receiver.url("/reconcile"),
        reconciliation_header={"X-Partner-Secret": "s3"},
    )
    doc = {"UniqueCode": "M-ANNA", "QuotaId": 4200001, "ReconciliationId": 7, "Revenue": 150}
    resp = fresh_sandbox.control("POST", "outbox", json={"kind": "reconciliation", "doc": doc})
    assert resp.status_code == 201, resp.text  # the panel's endpoint for reconciliations is its reconciliation_url
    [got] = receiver.wait_for(1, "/reconcile")
    assert json.loads(got.body) == doc and header(got, "X-Partner-Secret") == "s3"


# --- notification_headers ------------------------------------------------------------------------------------
def test_a_header_for_one_endpoint_goes_to_that_endpoint_only(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    headers = {"X-Everyone": "all", "Quota Notification URL": {"X-Quota-Secret": "q1"}}
    point(fresh_sandbox, receiver, notification_headers=headers)
    done = fresh_sandbox.control("POST", "events/complete", json={"member": "M-ANNA", "quota": 4200001})
    assert done.status_code == 200, done.text
    fresh_sandbox.control("PUT", "quotas/4200002", json={"live": False}).raise_for_status()
    fresh_sandbox.control("PUT", "surveys/3100002", json={"status": "closed"}).raise_for_status()
    [quota] = receiver.wait_for(1, "/quota")
    [survey] = receiver.wait_for(1, "/survey")
    [complete] = receiver.wait_for(1, "/complete")
    assert (header(quota, "X-Quota-Secret"), header(quota, "X-Everyone")) == ("q1", "all")
    for other in (survey, complete):
        assert (header(other, "X-Quota-Secret"), header(other, "X-Everyone")) == (None, "all")
    assert all(header(r, "Quota Notification URL") is None for r in (quota, survey, complete))


def test_a_scenario_file_takes_the_new_panel_fields() -> None:
    text = (
        "name: tiny\npanels:\n  - guid: 11111111-2222-3333-4444-555555555555\n    culture: EN-US\n    api_key: k\n"
        "    cache_seconds: 5\n"
        "    notification_headers: {X-Everyone: all, Quota Notification URL: {X-Quota-Secret: q1}}\n"
        "inventory:\n  - culture: EN-US\n    surveys: []\n"
    )
    [panel] = load_text(text, "tiny.yaml").panels
    assert panel.cache_seconds == 5
    assert panel.notification_headers == {"X-Everyone": "all", "Quota Notification URL": {"X-Quota-Secret": "q1"}}


# --- cache_seconds and the journal's notes -----------------------------------------------------------------
def test_cache_seconds_moves_cache_expires_and_the_journal_keeps_it(fresh_sandbox: Sandbox) -> None:
    now = datetime(2027, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    fresh_sandbox.control("PUT", "clock", json={"now": "2027-03-04T05:06:07.123456Z", "frozen": True})

    def expires(path: str) -> datetime:
        resp = fresh_sandbox.get(f"{ES}/{PANEL}/{path}")
        assert resp.status_code == 200, resp.text
        return toluna_time(resp.json()["CacheExpires"])

    assert expires("Quotas") == now + timedelta(seconds=60)  # the default
    fresh_sandbox.control("PUT", f"panels/{PANEL}", json={"cache_seconds": 5}).raise_for_status()
    assert expires("Quotas") == now + timedelta(seconds=5)
    assert expires("QuotaStatus/4200001") == now + timedelta(seconds=5)
    fresh_sandbox.control("POST", "faults", json={"route": "quotas", "latency_ms": 1}).raise_for_status()
    assert expires("Quotas") == now + timedelta(seconds=5)  # answered by the blueprint, not the fast path
    entries = fresh_sandbox.control("GET", "journal", params={"route": "quotas"}).json()["Entries"]
    notes = [e["note"] for e in sorted(entries, key=lambda e: e["wall_at"])]  # two workers: stored in any order
    assert [toluna_time(n.removeprefix("CacheExpires ")) - now for n in notes] == [
        timedelta(seconds=60),
        timedelta(seconds=5),
        timedelta(seconds=5),
    ]
    assert all(n.startswith("CacheExpires ") for n in notes)


# --- faults by id and the bulk note --------------------------------------------------------------------------
def test_deleting_one_fault_rule_stops_that_rule_only(fresh_sandbox: Sandbox) -> None:
    before = {f["ID"] for f in fresh_sandbox.control("GET", "faults").json()["Faults"]}
    ids = []
    for quota, code in ((4200001, 36), (4200081, 37)):
        rule = {"route": "invite", "member_code": "M-BOB", "quota_id": quota, "result_code": code}
        resp = fresh_sandbox.control("POST", "faults", json=rule)
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["ID"])

    def bulk() -> list[tuple[int, int]]:
        resp = fresh_sandbox.post(f"{ES}/{PANEL}/M-BOB/Invites", json={"QuotaIDs": [4200001, 4200081]})
        assert resp.status_code == 200, resp.text
        return [(i["QuotaID"], i["ResultCode"]) for i in resp.json()["Invites"]]

    assert bulk() == [(4200001, 36), (4200081, 37)]
    removed = fresh_sandbox.control("DELETE", f"faults/{ids[0]}")
    assert removed.status_code == 200 and removed.json() == {"Removed": ids[0]}
    assert bulk() == [(4200001, 1), (4200081, 37)]
    assert {f["ID"] for f in fresh_sandbox.control("GET", "faults").json()["Faults"]} == before | {ids[1]}
    assert fresh_sandbox.control("DELETE", f"faults/{ids[0]}").status_code == 404
    entries = fresh_sandbox.control("GET", "journal", params={"route": "invites"}).json()["Entries"]
    assert [e["note"] for e in sorted(entries, key=lambda e: e["wall_at"])] == [
        "fault rule forced the answers for quotas [4200001, 4200081]",
        "fault rule forced the answers for quotas [4200081]",
    ]


# --- journal count -----------------------------------------------------------------------------------------
def test_the_journal_count(fresh_sandbox: Sandbox) -> None:
    start = fresh_sandbox.control("GET", "journal/count").json()
    assert start["Count"] == 0  # a reset clears the journal
    last = start["LastID"]
    for _ in range(3):  # counted at once after the calls (entries may still sit in a worker's queue): a few rounds
        fresh_sandbox.invite("M-ANNA", 4200001).close()
        fresh_sandbox.get(f"{ES}/{PANEL}/Quotas").close()
        fresh_sandbox.get(f"{ES}/{PANEL}/QuotaStatus/4200001").close()
        counted = fresh_sandbox.control("GET", "journal/count", params={"after": last}).json()
        entries = fresh_sandbox.control("GET", "journal", params={"after": last}).json()["Entries"]
        assert sorted(e["route"] for e in entries) == ["invite", "quota_status", "quotas"]  # two workers: any order
        assert counted == {"Count": 3, "LastID": entries[-1]["id"]}
        last = counted["LastID"]
    assert fresh_sandbox.control("GET", "journal/count").json() == {"Count": 9, "LastID": last}
    assert fresh_sandbox.control("GET", "journal/count", params={"after": entries[0]["id"]}).json()["Count"] == 2
    assert fresh_sandbox.control("GET", "journal/count", params={"after": last}).json() == {"Count": 0, "LastID": last}
    assert fresh_sandbox.control("GET", "journal/count", params={"after": "-1"}).status_code == 400


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b'{"kind": "quota", "doc": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "nested too deeply"),
        (json.dumps({"kind": "quota", "body": "x" * 2_000_000}).encode(), 413, "at most 1048576"),
        (b'{"kind": "quota", "body": "\xff\xfe"}', 400, "not valid UTF-8"),
    ],
)
def test_a_hostile_crafted_body_is_a_short_answer(fresh_sandbox: Sandbox, body: bytes, status: int, says: str) -> None:
    """Too deep, too big, not UTF-8: a 4xx in the control API's shape that quotes little of what it refused."""
    resp = fresh_sandbox.control("POST", "outbox", data=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == status and says in resp.json()["Message"], resp.text[:300]
    assert len(resp.content) < 1000
    assert listed(fresh_sandbox) == []
