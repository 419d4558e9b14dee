"""The control API and the state it moves: quotas on hold, the clock, the journal, explain, scenario loading."""

from __future__ import annotations

from tests.support import DEFAULT_SCENARIO, ES, PANEL, Sandbox, start_sandbox


def quota_ids(sandbox: Sandbox) -> set[int]:
    body = sandbox.get(f"{ES}/{PANEL}/Quotas").json()
    return {q["QuotaID"] for s in body["Surveys"] for q in s["Quotas"]}


def test_put_a_quota_on_hold_and_live_again(fresh_sandbox: Sandbox) -> None:
    assert 4200001 in quota_ids(fresh_sandbox)
    resp = fresh_sandbox.control("PUT", "quotas/4200001", json={"live": False})
    assert resp.json()["Live"] is False
    assert 4200001 not in quota_ids(fresh_sandbox)
    assert fresh_sandbox.invite("M-ANNA", 4200001).json()["ResultCode"] == 9
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": True})
    assert fresh_sandbox.invite("M-ANNA", 4200001).status_code == 200


def test_filling_a_subquota_and_a_quota(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.control("PUT", "quotas/4200081", json={"SubQuotas": {"6400019": 40}})
    assert fresh_sandbox.invite("M-BOB", 4200081).json()["ResultCode"] == 41
    fresh_sandbox.control("PUT", "quotas/4200081", json={"EstimatedCompletesRemaining": 0})
    assert fresh_sandbox.invite("M-BOB", 4200081).json()["ResultCode"] == 28
    assert 4200081 not in quota_ids(fresh_sandbox)


def test_closing_a_survey(fresh_sandbox: Sandbox) -> None:
    resp = fresh_sandbox.control("PUT", "surveys/3100001", json={"status": "closed"})
    assert resp.json() == [{"SurveyID": 3100001, "WaveID": 900001, "State": {"status": "closed"}}]
    assert fresh_sandbox.invite("M-ANNA", 4200001).json()["ResultCode"] == 10
    assert fresh_sandbox.get(f"{ES}/{PANEL}/QuotaStatus/4200001").json()["ResultCode"] == 10


def test_the_clock_drives_ages_and_daily_limits(fresh_sandbox: Sandbox) -> None:
    # M-TEEN was born 2010-01-20: 17 on 2028-01-19, 18 on 2028-01-20 (quota 4200001 wants 18-99)
    fresh_sandbox.control("PUT", "clock", json={"now": "2028-01-19T23:00:00Z", "frozen": True})
    assert fresh_sandbox.invite("M-TEEN", 4200001).json()["ResultCode"] == 16
    clock = fresh_sandbox.control("POST", "clock/advance", json={"hours": 0, "minutes": 90}).json()
    assert clock["Now"].startswith("2028-01-20T00:30") and clock["Frozen"] is True
    assert fresh_sandbox.invite("M-TEEN", 4200001).status_code == 200


def test_daily_limit_resets_on_the_next_utc_day(fresh_sandbox: Sandbox) -> None:
    assert fresh_sandbox.invite("L-DAILY", 4200001).json()["ResultCode"] == 39
    fresh_sandbox.control("POST", "clock/advance", json={"days": 1})
    assert fresh_sandbox.invite("L-DAILY", 4200001).status_code == 200


def test_journal_records_requests_and_filters(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.invite("M-WRONG-EDU", 4200003)
    fresh_sandbox.get(f"{ES}/{PANEL}/Quotas")
    entries = fresh_sandbox.control("GET", "journal", params={"route": "invite"}).json()["Entries"]
    assert [(e["member_code"], e["quota_id"], e["status"], e["result_code"]) for e in entries] == [
        ("M-WRONG-EDU", 4200003, 400, 16)
    ]
    assert entries[0]["request_headers"]["Api-Auth-Key"]
    assert entries[0]["response_body"] == '{"Result":"MEMBER_DOES_NOT_MATCH_QUOTA","ResultCode":16}'
    quotas = fresh_sandbox.control("GET", "journal", params={"route": "quotas"}).json()["Entries"]
    body = fresh_sandbox.get(f"{ES}/{PANEL}/Quotas").content
    assert quotas[0]["response_length"] == len(body) > 4096  # the full length, and only the head is kept
    assert quotas[0]["response_body"] == body[:4096].decode()
    assert fresh_sandbox.control("GET", "journal", params={"member": "NOBODY"}).json()["Entries"] == []


def test_explain_shows_why(sandbox: Sandbox) -> None:
    body = sandbox.control("GET", "explain", params={"member": "M-WRONG-EDU", "quota": 4200003}).json()
    assert body["ResultCode"] == 16
    assert "Q1001101 routable wants any of [2002273, 2002274, 2002275]; member has 2002268 -> no-match" in body["Tree"]
    gated = sandbox.control("GET", "explain", params={"member": "M-BLOCKED", "quota": 4200001}).json()
    assert gated["ResultCode"] == 14 and gated["Sampling"]["Matched"] is True


def test_a_bad_scenario_is_refused_and_nothing_is_lost(fresh_sandbox: Sandbox) -> None:
    before = quota_ids(fresh_sandbox)
    bad = "panels:\n  - guid: 7a3f5c2e-8b1d-4e6a-9c0f-2d4b6e8a1c3e\n    culture: EN-US\n    api_kee: x\n"
    resp = fresh_sandbox.control("POST", "scenario", data=bad, params={"name": "bad.yaml"})
    assert resp.status_code == 400
    body = resp.json()
    assert body["File"] == "bad.yaml" and body["Path"] == "panels[0]"
    assert "api_kee" in body["Message"] and "rename it to 'api_key'" in body["Fix"]
    assert quota_ids(fresh_sandbox) == before


def test_loading_another_scenario_replaces_the_state(fresh_sandbox: Sandbox) -> None:
    small = (
        "name: tiny\npanels:\n  - {guid: 11111111-2222-3333-4444-555555555555, culture: EN-US, api_key: k}\n"
        "inventory:\n  - culture: EN-US\n    surveys: []\n"
    )
    resp = fresh_sandbox.control("POST", "scenario", data=small)
    assert resp.json()["Name"] == "tiny"
    assert fresh_sandbox.get(f"{ES}/{PANEL}/Quotas").status_code == 403
    shown = fresh_sandbox.control("GET", "scenario").json()
    assert [p["PanelGUID"] for p in shown["Panels"]] == ["11111111-2222-3333-4444-555555555555"]
    fresh_sandbox.control("POST", "scenario", data=DEFAULT_SCENARIO.read_text()).raise_for_status()


def test_fault_rules_force_codes_latency_and_500(fresh_sandbox: Sandbox) -> None:
    fault = {"route": "invite", "member_code": "M-ANNA", "result_code": 36, "times": 1}
    assert fresh_sandbox.control("POST", "faults", json=fault).status_code == 201
    assert fresh_sandbox.invite("M-ANNA", 4200001).json()["ResultCode"] == 36
    assert fresh_sandbox.invite("M-ANNA", 4200001).status_code == 200  # the rule had one shot
    fresh_sandbox.control("POST", "faults", json={"route": "quotas", "http_status": 500, "latency_ms": 300})
    resp = fresh_sandbox.get(f"{ES}/{PANEL}/Quotas")
    assert resp.status_code == 500 and resp.json() == {"Message": "An error has occurred."}
    assert resp.elapsed.total_seconds() >= 0.3


def test_a_dropped_connection(fresh_sandbox: Sandbox) -> None:
    import pytest
    import requests

    fresh_sandbox.control("POST", "faults", json={"route": "quota_status", "drop_connection": True})
    # The connection closes before an answer is whole: no status line at all, or one whose body never comes.
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        fresh_sandbox.get(f"{ES}/{PANEL}/QuotaStatus/4200001")
    assert fresh_sandbox.get(f"{ES}/{PANEL}/Quotas").status_code == 200  # only the rule's route is cut


def test_state_survives_a_restart(tmp_path) -> None:
    first = start_sandbox(tmp_path)
    try:
        first.control("PUT", "quotas/4200001", json={"live": False}).raise_for_status()
        url = first.invite("M-ANNA", 4200002).json()["URL"]
    finally:
        first.stop()
    second = start_sandbox(tmp_path)  # same database file, same scenario: state is resumed
    try:
        assert second.invite("M-ANNA", 4200001).json()["ResultCode"] == 9
        assert second.invite("M-ANNA", 4200002).json()["URL"].split("od=")[1] == url.split("od=")[1]
        assert second.control("GET", "journal", params={"route": "invite"}).json()["Entries"][0]["quota_id"] == 4200002
    finally:
        second.stop()


def test_control_api_is_loopback_only_by_default(client) -> None:
    resp = client.get("/_sandbox/scenario", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert resp.status_code == 403
    assert client.get("/_sandbox/scenario").status_code == 200
