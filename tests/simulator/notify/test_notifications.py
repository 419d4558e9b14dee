"""Toluna's notifications through real HTTP to a real receiver on a real port: every kind and format, encryption,
retries, restarts, two workers, resends."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from simulator.notify.encryption import encrypt
from tests.receiver import URLS, Receiver, point, start_receiver
from tests.support import DEFAULT_SCENARIO, ES, PANEL, Sandbox, click, invite, start_sandbox


def parse(body: str) -> dict[str, Any]:
    if body.lstrip().startswith("<"):
        root = ET.fromstring(body.split("?>", 1)[-1])
        return {"_root": root.tag, **{child.tag: child.text for child in root}}
    return json.loads(body)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_complete_and_a_termination_in_each_format(fresh_sandbox: Sandbox, receiver: Receiver, fmt: str) -> None:
    point(fresh_sandbox, receiver, notification_format=fmt)
    done = click(invite(fresh_sandbox, "M-ANNA", 4200001) + "&clickid=77", outcome="qualified")
    assert done.status_code == 302
    [complete] = receiver.wait_for(1, "/complete")
    doc = parse(complete.body)
    expected = {
        "UniqueCode": "M-ANNA",
        "SurveyId": "3100001",
        "SurveyRef": "3100001-US",
        "Revenue": "150",
        "WaveId": "900001",
        "QuotaID": "4200001",
        "AdditionalData": "clickid=77",
    }
    assert {k: str(doc[k]) for k in expected} == expected
    assert time.strptime(doc["DateTime"], "%Y-%m-%d %H:%M:%S")
    assert "IsAutoRouted" not in doc and "Reason" not in doc
    if fmt == "xml":
        assert doc["_root"] == "confirmation" and complete.headers["Content-Type"].startswith("application/xml")
    else:
        assert list(doc) == [
            "UniqueCode",
            "SurveyId",
            "SurveyRef",
            "Revenue",
            "DateTime",
            "WaveId",
            "QuotaID",
            "AdditionalData",
        ]
    click(invite(fresh_sandbox, "M-BOB", 4200002), outcome="quota_full")
    [terminate] = receiver.wait_for(1, "/terminate")
    doc = parse(terminate.body)
    assert doc["Reason"] == "QuotaFull" and doc["UniqueCode"] == "M-BOB" and str(doc["QuotaID"]) == "4200002"
    assert doc.get("_root", "termination") == "termination"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_pre_start_rejection_notification(fresh_sandbox: Sandbox, receiver: Receiver, fmt: str) -> None:
    point(fresh_sandbox, receiver, notification_format=fmt)
    url = invite(fresh_sandbox, "M-ANNA", 4200001)
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": False}).raise_for_status()
    click(url)
    [prestart] = receiver.wait_for(1, "/terminate")
    doc = parse(prestart.body)
    assert doc["Reason"] == "SurveyNotAvailable" and str(doc["RejectionID"]) == "11"
    assert doc["RejectionName"] == "QuotaOnHold" and str(doc["IncidenceRate"]) == "40"


def test_panels_from_before_enhanced_terminates_get_no_rejection(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(fresh_sandbox, receiver, enhanced_terminates=False)
    url = invite(fresh_sandbox, "M-ANNA", 4200001)
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": False}).raise_for_status()
    click(url)
    doc = parse(receiver.wait_for(1, "/terminate")[0].body)
    assert "RejectionID" not in doc and "RejectionName" not in doc and doc["IncidenceRate"] == 40


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_quota_status_goes_to_every_panel_of_the_culture(fresh_sandbox: Sandbox, receiver: Receiver, fmt: str) -> None:
    point(fresh_sandbox, receiver, notification_format=fmt)
    other = "c9d2f6b1-4e8a-4c7d-b3f1-8a2e6c4d9f07"
    fresh_sandbox.control("PUT", f"panels/{other}", json={"settings": {"Quota Notification URL": receiver.url("/q2")}})
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": False}).raise_for_status()
    [mine] = receiver.wait_for(1, "/quota")
    [theirs] = receiver.wait_for(1, "/q2")  # a quota that is not the other partner's: sent all the same
    doc = parse(mine.body)
    assert {k: str(doc[k]).lower() for k in ("QuotaID", "SurveyID", "WaveID", "IsLive")} == {
        "QuotaID": "4200001",
        "SurveyID": "3100001",
        "WaveID": "900001",
        "IsLive": "false",
    }
    assert doc["UpdateDateTimeUTC"].endswith(" +00:00") and len(doc["UpdateDateTimeUTC"]) == len(
        "2018-10-22 19:58:42.99 +00:00"
    )
    assert json.loads(theirs.body)["QuotaID"] == 4200001
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": True}).raise_for_status()
    assert str(parse(receiver.wait_for(2, "/quota")[1].body)["IsLive"]).lower() == "true"


def test_a_filled_quota_is_announced_once(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(fresh_sandbox, receiver)
    fresh_sandbox.control("PUT", "quotas/4200001", json={"EstimatedCompletesRemaining": 1}).raise_for_status()
    click(invite(fresh_sandbox, "M-ANNA", 4200001), outcome="qualified")
    receiver.wait_for(1, "/complete")
    [filled] = receiver.wait_for(1, "/quota")
    assert json.loads(filled.body)["IsLive"] is False
    time.sleep(0.5)
    assert len(receiver.received("/quota")) == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_survey_closed(fresh_sandbox: Sandbox, receiver: Receiver, fmt: str) -> None:
    point(fresh_sandbox, receiver, notification_format=fmt)
    fresh_sandbox.control("PUT", "surveys/3100002", json={"status": "closed"}).raise_for_status()
    doc = parse(receiver.wait_for(1, "/survey")[0].body)
    assert doc["Status"] == "Closed" and str(doc["SurveyID"]) == "3100002" and str(doc["WaveId"]) == "900002"
    assert doc["SurveyRef"] == "3100002-US" and doc.get("_root", "survey") == "survey"


def test_duplicate_completions(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(fresh_sandbox, receiver, duplicate_completions=True)
    click(invite(fresh_sandbox, "M-ANNA", 4200001), outcome="qualified")
    first, second = receiver.wait_for(2, "/complete")
    assert first.body == second.body
    fresh_sandbox.control("POST", "outbox/wait", params={"timeout": 10}).raise_for_status()
    listed = fresh_sandbox.control("GET", "outbox", params={"kind": "complete"}).json()["Notifications"]
    original, copy = sorted(listed, key=lambda n: n["ID"])
    assert original["Body"] == copy["Body"] == first.body
    # the copy comes as the member's refresh, a moment after the first: it is not sent before then (however
    # late a loaded machine sends the first)
    sent = fresh_sandbox.control("GET", f"outbox/{copy['ID']}").json()["Attempts"][0]["At"]
    assert datetime.fromisoformat(sent) - datetime.fromisoformat(copy["CreatedAt"]) >= timedelta(seconds=1)


def test_reconciliation_with_its_header(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(
        fresh_sandbox,
        receiver,
        reconciliation_url=receiver.url("/reconcile"),
        reconciliation_header={"X-Partner-Secret": "s3"},
    )
    click(invite(fresh_sandbox, "M-ANNA", 4200001), outcome="qualified")
    answer = fresh_sandbox.control(
        "POST", "events/reconciliation", json={"member": "M-ANNA", "quota": 4200001, "reason": 7}
    )
    assert answer.json()["Notifications"]
    [got] = receiver.wait_for(1, "/reconcile")
    doc = json.loads(got.body)
    assert got.headers["X-Partner-Secret"] == "s3"
    assert (doc["UniqueCode"], doc["QuotaId"], doc["ReconciliationId"], doc["Revenue"]) == ("M-ANNA", 4200001, 7, 150)


@pytest.mark.parametrize("algorithm", ["SHA256", "SHA1", "MD5", "BASE64", "HMAC-SHA256", "HMAC-SHA1", "HMAC-MD5"])
def test_standard_encryption_on_notifications_and_redirects(
    fresh_sandbox: Sandbox, receiver: Receiver, algorithm: str
) -> None:
    point(
        fresh_sandbox,
        receiver,
        encryption_algorithm=algorithm,
        encryption_key="supersecret",
        settings={"Standard EncryptionResult Parameter Name": "encValue"},
    )
    done = click(invite(fresh_sandbox, "M-ANNA", 4200001), outcome="qualified")
    doc = json.loads(receiver.wait_for(1, "/complete")[0].body)
    assert doc["EncryptedValue"] == encrypt(algorithm, "3100001900001M-ANNA", "supersecret")
    location = done.headers["Location"]
    signed, value = location.rsplit("&encValue=", 1)
    assert value == encrypt(algorithm, signed + "&", "supersecret")
    assert parse_qs(urlsplit(location).query)["mc"] == ["M-ANNA"]


def test_a_failed_delivery_is_retried_and_every_attempt_logged(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    # The retry waits long enough for two more changes and their deliveries on a loaded machine.
    point(fresh_sandbox, receiver, notification_retry_seconds=3)
    receiver.misbehave("/quota", times=1, status=500)
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": False}).raise_for_status()
    receiver.wait_for(1, "/quota")
    for quota in (4200002, 4200003):
        fresh_sandbox.control("PUT", f"quotas/{quota}", json={"live": False}).raise_for_status()
    got = receiver.wait_for(4, "/quota")
    order = [json.loads(r.body)["QuotaID"] for r in got]
    assert order[0] == 4200001 and order[-1] == 4200001  # the others were delivered while it waited to retry
    fresh_sandbox.control("POST", "outbox/wait", params={"timeout": 10}).raise_for_status()  # the last answer noted
    [first] = fresh_sandbox.control("GET", "outbox", params={"kind": "quota", "limit": 1}).json()["Notifications"]
    shown = fresh_sandbox.control("GET", f"outbox/{first['ID']}").json()
    assert shown["Status"] == "delivered" and [a["Status"] for a in shown["Attempts"]] == [500, 200]
    assert all(a["LatencyMs"] >= 0 and a["At"] for a in shown["Attempts"])
    assert '{"ok": false}' in [a["Response"] for a in shown["Attempts"]]


def test_timeouts_and_refused_connections_are_retried(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(
        fresh_sandbox,
        receiver,
        notification_timeout=0.5,
        notification_retry_seconds=0.2,
        settings={"Survey Notification URL": "http://127.0.0.1:9/closed"},
    )
    receiver.misbehave("/quota", times=1, hang=2.0)
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": False}).raise_for_status()
    fresh_sandbox.control("PUT", "surveys/3100002", json={"status": "closed"}).raise_for_status()
    got = receiver.wait_for(3, "/quota")  # the held one, the closed survey's quota, the held one again
    held = json.loads(got[0].body)["QuotaID"]  # whichever the dispatcher sent first
    fresh_sandbox.control("POST", "outbox/wait", params={"timeout": 5}).raise_for_status()
    listed = fresh_sandbox.control("GET", "outbox", params={"kind": "quota"}).json()["Notifications"]
    assert sorted(json.loads(n["Body"])["QuotaID"] for n in listed) == [4200001, 4200002]
    [quota] = [n for n in listed if json.loads(n["Body"])["QuotaID"] == held]
    attempts = fresh_sandbox.control("GET", f"outbox/{quota['ID']}").json()["Attempts"]
    assert attempts[0]["Error"].startswith("timeout") and attempts[-1]["Status"] == 200
    survey = fresh_sandbox.control("GET", "outbox", params={"kind": "survey"}).json()["Notifications"][0]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and survey["Attempts"] < 2:
        time.sleep(0.1)
        survey = fresh_sandbox.control("GET", f"outbox/{survey['ID']}").json()
        survey["Attempts"] = len(survey["Attempts"])
    tried = fresh_sandbox.control("GET", f"outbox/{survey['ID']}").json()["Attempts"]
    assert len(tried) >= 2 and all(a["Error"].startswith("connection error") for a in tried)


def test_giving_up_and_an_explicit_resend(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(fresh_sandbox, receiver, notification_attempts=2, notification_retry_seconds=0.1)
    receiver.misbehave("/survey", times=2, status=503)
    fresh_sandbox.control("PUT", "surveys/3100002", json={"status": "closed"}).raise_for_status()
    receiver.wait_for(2, "/survey")
    [item] = fresh_sandbox.control("GET", "outbox", params={"kind": "survey"}).json()["Notifications"]
    deadline = time.monotonic() + 5
    while item["Status"] != "failed" and time.monotonic() < deadline:
        time.sleep(0.05)
        item = fresh_sandbox.control("GET", f"outbox/{item['ID']}").json()
    assert item["Status"] == "failed"
    again = fresh_sandbox.control("POST", f"outbox/{item['ID']}/resend").json()
    assert again["ResendOf"] == item["ID"]
    third = receiver.wait_for(3, "/survey")[2]
    assert third.body == receiver.received("/survey")[0].body
    assert fresh_sandbox.control("GET", f"outbox/{again['ID']}").json()["ResendOf"] == item["ID"]


def test_two_workers_never_deliver_one_notification_twice(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(fresh_sandbox, receiver)
    quotas = [4200001, 4200002, 4200003, 4200041, 4200042, 4200005, 4200072, 4200102]
    for _ in range(4):
        for quota in quotas:
            for live in (False, True):
                fresh_sandbox.control("PUT", f"quotas/{quota}", json={"live": live}).raise_for_status()
    sent = fresh_sandbox.control("GET", "outbox", params={"kind": "quota", "limit": 1000}).json()["Notifications"]
    assert len(sent) >= 40
    receiver.wait_for(len(sent), "/quota")
    fresh_sandbox.control("POST", "outbox/wait", params={"timeout": 10}).raise_for_status()
    time.sleep(0.5)
    assert len(receiver.received("/quota")) == len(sent)  # a notification delivered twice would show here
    done = fresh_sandbox.control("GET", "outbox", params={"kind": "quota", "limit": 1000}).json()["Notifications"]
    assert {(n["Status"], n["Attempts"]) for n in done} == {("delivered", 1)}


def test_pending_deliveries_survive_kill_9(tmp_path: Path) -> None:
    receiver = start_receiver()
    receiver.misbehave("/quota", times=10_000, drop=True)  # the partner is down
    scenario = tmp_path / "s.yaml"
    text = DEFAULT_SCENARIO.read_text().replace("http://127.0.0.1:8081/toluna/notify/quota", receiver.url("/quota"))
    scenario.write_text(text)
    first = start_sandbox(tmp_path, scenario)
    try:
        for quota in (4200001, 4200002, 4200003):
            first.control("PUT", f"quotas/{quota}", json={"live": False}).raise_for_status()
        receiver.wait_for(3, "/quota")
    finally:
        first.kill()
    receiver.rules.clear()  # the partner is back
    dropped = len(receiver.received("/quota"))
    second = start_sandbox(tmp_path, scenario)
    try:
        receiver.wait_for(dropped + 3, "/quota", timeout=45)
        second.control("POST", "outbox/wait", params={"timeout": 30}).raise_for_status()
        delivered = [json.loads(r.body)["QuotaID"] for r in receiver.received("/quota")[dropped:]]
        assert sorted(delivered) == [4200001, 4200002, 4200003]  # each once, nothing lost
        outbox = second.control("GET", "outbox").json()["Notifications"]
        assert [n["Status"] for n in outbox] == ["delivered"] * 3
    finally:
        second.stop()
        receiver.server.shutdown()
        receiver.server.server_close()


def test_the_sandbox_tells_no_one_when_no_endpoint_is_set(fresh_sandbox: Sandbox) -> None:
    settings = {name: None for name in URLS}
    fresh_sandbox.control("PUT", f"panels/{PANEL}", json={"settings": settings}).raise_for_status()
    click(invite(fresh_sandbox, "M-ANNA", 4200001), outcome="qualified")
    assert requests.get(f"{fresh_sandbox.base_url}/_sandbox/outbox", timeout=10).json()["Notifications"] == []
    assert fresh_sandbox.get(f"{ES}/{PANEL}/QuotaStatus/4200001").status_code == 200
