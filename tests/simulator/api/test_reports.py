"""Toluna's reporting API, computed from what members did in the sandbox, through the real server."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import requests

from tests.support import PANEL, Sandbox, click, invite, reference

REPORTS = "/IntegratedPanelService/api/Reports"
GUID = {"SamplePartnerGuid": PANEL}


def window(sandbox: Sandbox, days: int = 29) -> dict[str, str]:
    now = datetime.fromisoformat(sandbox.control("GET", "clock").json()["Now"].replace("Z", "+00:00"))
    fmt = "%Y-%m-%d %H:%M:%S"
    return {
        "StartDate": (now - timedelta(days=days)).strftime(fmt),
        "EndDate": (now + timedelta(hours=1)).strftime(fmt),
    }


def report(sandbox: Sandbox, path: str, **params: str) -> requests.Response:
    return requests.get(f"{sandbox.base_url}{REPORTS}/{path}", params={**GUID, **params}, timeout=30)


def test_a_complete_shows_in_every_report(fresh_sandbox: Sandbox) -> None:
    url = invite(fresh_sandbox, "M-ANNA", 4200001)
    with requests.Session() as s:
        page = click(url + "&clickid=k-1", s)
        ref = reference(page)
        s.post(url + "&clickid=k-1", data={"ref": ref, "outcome": "qualified"}, allow_redirects=False, timeout=30)
    click(url)  # clicked again: Survey Taken, before the start
    span = window(fresh_sandbox)

    completes = report(fresh_sandbox, "Surveys/PanelCompletes", **span).json()
    assert completes["Name"] == "PanelCompletesReport" and completes["PartnerGUID"] == PANEL
    mine = [c for c in completes["CompletesSummary"] if c["MemberCode"] == "M-ANNA"]
    assert mine == [
        {
            "SurveyID": 3100001,
            "SurveyName": "3100001-US",
            "WaveID": 900001,
            "MemberCode": "M-ANNA",
            "EventDate": mine[0]["EventDate"],
            "AdditionalData": "clickid=k-1",
        }
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", mine[0]["EventDate"])

    member = report(fresh_sandbox, "Members/M-ANNA/SurveyStatus", **span).json()
    assert [(d["SurveyID"], d["Status"], d["ReferenceID"], d["WaveId"]) for d in member["Details"]] == [
        (3100001, "Qualified", ref, 900001)
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", member["CreatedUTC"])

    survey = report(fresh_sandbox, "Surveys/3100001-US/MemberStatus", **span).json()
    assert survey["Name"] == "SurveyMemberStatusReport" and survey["SurveyID"] == 3100001
    assert {"MemberCode": "M-ANNA", "Status": "Qualified", "ReferenceID": ref} == {
        k: v for k, v in survey["Details"][-1].items() if k != "EventDate"
    }

    activity = report(fresh_sandbox, "Surveys/M-ANNA/3100001-US/ActivityDetails").json()
    assert [a["Status"] for a in activity["MemberResponse"]] == ["Success", "SurveyTaken"]
    assert activity["MemberResponse"][0]["ReferenceID"] == ref

    summary = report(fresh_sandbox, "Surveys/PanelActivitySummary", **span).json()
    counts = {s["Status"]: s["StatusCount"] for s in summary["Summary"]}
    assert counts["Qualified"] >= 1 + 1  # M-ANNA, and X-TRACKER-W1's qualified history in the scenario


def test_a_visit_never_finished_is_abandoned_a_day_later(fresh_sandbox: Sandbox) -> None:
    click(invite(fresh_sandbox, "M-DAN", 4200001))
    span = window(fresh_sandbox)
    assert report(fresh_sandbox, "Members/M-DAN/SurveyStatus", **span).json()["Details"][0]["Status"] == "Started"
    fresh_sandbox.control("POST", "clock/advance", json={"hours": 25}).raise_for_status()
    details = report(fresh_sandbox, "Members/M-DAN/SurveyStatus", **window(fresh_sandbox)).json()["Details"]
    assert details[0]["Status"] == "Abandoned"


def test_survey_status_by_id_and_by_name(fresh_sandbox: Sandbox) -> None:
    assert report(fresh_sandbox, "Surveys/3100001/StatusByID").json() == {
        "Status": "LIVE",
        "SurveyName": "3100001-US",
        "SurveyID": 3100001,
        "WaveID": 900001,
    }
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": False}).raise_for_status()
    assert report(fresh_sandbox, "Surveys/3100001-US/StatusByName").json()["Status"] == "ONHOLD"
    fresh_sandbox.control("PUT", "surveys/3100001", json={"status": "closed"}).raise_for_status()
    # the spelling of Toluna's Postman collection: /Survey/ and IntergratedPanelService
    typo = requests.get(
        f"{fresh_sandbox.base_url}/IntergratedPanelService/api/Reports/Survey/3100001-US/StatusByName",
        params={"SamplePartnerGUID": PANEL},
        timeout=30,
    )
    assert typo.json()["Status"] == "CLOSED"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"StartDate": "2026-03-01", "EndDate": "2026-04-15"}, "Search date range cannot exceed 30 days"),
        ({"StartDate": "2026-03-05 10:00:00", "EndDate": "2026-03-01"}, "2026-03-05 10:00:00 must precede 2026-03-01"),
        ({"EndDate": "2026-03-01"}, "StartDate is required"),
        ({"StartDate": "yesterday", "EndDate": "2026-03-01"}, "not valid for StartDate"),
    ],
)
def test_date_ranges_are_checked(sandbox: Sandbox, params: dict[str, str], message: str) -> None:
    resp = report(sandbox, "Surveys/PanelCompletes", **params)
    assert resp.status_code == 400 and message in resp.json()["Message"]


def test_unknown_partner_and_survey(sandbox: Sandbox) -> None:
    resp = requests.get(f"{sandbox.base_url}{REPORTS}/Surveys/3100001/StatusByID?SamplePartnerGuid=nobody", timeout=30)
    assert resp.status_code == 400 and resp.json() == {"Message": "Could not find Partner for nobody"}
    assert report(sandbox, "Surveys/9999999/StatusByID").status_code == 404
    assert report(sandbox, "Surveys/NO-SUCH/MemberStatus", **window(sandbox)).status_code == 404
