"""Inputs fuzzing found answered with a 500 (or never answered): each now gets its route family's refusal, in the
status and shape ``/openapi.json`` documents."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator

from simulator.api.openapi import document
from tests.support import PANEL, Sandbox

V2 = {"Accept": "application/json;version=2.0"}
REGISTER = "/IntegratedPanelService/api/Surveys/RegisterMemberAndGetSurveys"
RESPONDENT = "/IntegratedPanelService/api/Respondent"
HUGE = 10**20


def _documented(method: str, route: str, status: int, body: Any) -> None:
    """The answer's body fits what the document declares for this operation and status."""
    answer = document()["paths"][route][method.lower()]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    components = {"components": document()["components"], **schema}
    errors = list(Draft202012Validator(components).iter_errors(body))
    assert not errors, errors[0].message


@pytest.mark.parametrize(
    "guid",
    [{"a": 1}, [PANEL], 5],
    ids=["object", "list", "number"],
)
def test_register_member_refuses_a_partner_guid_that_is_not_text(sandbox: Sandbox, guid: object) -> None:
    body = {"NewIPMemberInfo": {"PartnerGUID": guid, "MemberCode": "FUZZ-1"}}
    resp = sandbox.post(REGISTER, key=None, json=body)
    assert resp.status_code == 400
    assert "PartnerGUID" in resp.json()["Message"]
    _documented("POST", REGISTER, 400, resp.json())


@pytest.mark.parametrize("number", ["²", "١٢", "--5", "1e3"])
def test_member_answers_take_ascii_whole_numbers_only(sandbox: Sandbox, number: str) -> None:
    answers = [{"QuestionID": 1001007, "Answers": [{"AnswerID": number}]}]
    body = {"PartnerGUID": PANEL, "MemberCode": "FUZZ-2", "BirthDate": "01/01/1990", "RegistrationAnswers": answers}
    resp = sandbox.post(RESPONDENT, key=None, json=body, headers=dict(V2))
    assert resp.status_code == 400
    assert "AnswerID" in resp.json()["Message"]


def test_an_automatic_outcome_for_an_unknown_invite_is_not_a_crash(sandbox: Sandbox) -> None:
    resp = requests.post(
        sandbox.base_url + "/TrafficUI/MSCUI/Page.aspx",
        params={"od": "no-such-token", "outcome": "auto"},
        data={"ref": "no-such-visit"},
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 409
    assert resp.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "clock/advance", {"days": 1e300}),
        ("POST", "clock/advance", {"minutes": -1.4e16}),
        ("PUT", "clock", {"now": "0001-01-01T00:00:00Z", "frozen": True}),
        ("PUT", "clock", {"now": "9999-12-31T23:59:59Z"}),
    ],
)
def test_the_clock_stays_in_a_range_date_arithmetic_holds_in(
    fresh_sandbox: Sandbox, method: str, path: str, body: dict[str, Any]
) -> None:
    before = fresh_sandbox.control("GET", "clock").json()
    resp = fresh_sandbox.control(method, path, json=body)
    assert resp.status_code == 400
    assert "between 1900-01-01 and 9000-01-01" in resp.json()["Message"]
    assert fresh_sandbox.control("GET", "clock").json()["Frozen"] == before["Frozen"]
    assert fresh_sandbox.control("GET", "timeline").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"outbox/{HUGE}", 404),
        ("POST", f"outbox/{HUGE}/resend", 404),
        ("DELETE", f"faults/{HUGE}", 404),
        ("GET", f"journal?after={HUGE}", 400),
        ("GET", f"journal?quota={HUGE}", 400),
        ("GET", f"journal/count?after={HUGE}", 400),
        ("GET", "journal/count?after=%C2%B2", 400),
        ("GET", "journal?limit=1_000", 400),  # ASCII digits only, as ASP.NET binds numbers
        ("GET", "outbox?limit=%D9%A5", 400),
        ("GET", "outbox?after=1_0", 400),
        ("GET", f"outbox?ids={HUGE}", 400),
        ("GET", "explain?member=M-ANNA&quota=%C2%B2", 400),
        ("POST", "outbox/wait?timeout=nan", 400),
    ],
)
def test_control_numbers_beyond_what_the_store_holds_are_refused(
    sandbox: Sandbox, method: str, path: str, status: int
) -> None:
    resp = sandbox.control(method, path)
    assert resp.status_code == status
    assert isinstance(resp.json()["Message"], str)


def test_a_member_status_sent_as_a_float_is_taken(fresh_sandbox: Sandbox) -> None:
    resp = fresh_sandbox.control("PUT", "members/M-BOB", json={"status": 3.0})
    assert resp.status_code == 200
    assert resp.json()["Status"] == "suspended"


@pytest.mark.parametrize(
    "rule",
    [
        {"route": "quotas", "quota_id": "x"},
        {"route": "quotas", "times": ""},
        {"route": "quotas", "times": 24219032127573004910592},  # beyond SQLite's integers: was a 500
        {"route": "quotas", "quota_id": 2**31},
        {"route": "quotas", "http_status": 700},
        {"route": "quotas", "latency_ms": 10**9},
        {"route": "nowhere"},
        {"route": "quotas", "drop_connection": "yes"},
    ],
)
def test_a_fault_rule_out_of_bounds_is_refused(fresh_sandbox: Sandbox, rule: dict[str, Any]) -> None:
    before = fresh_sandbox.control("GET", "faults").json()["Faults"]
    resp = fresh_sandbox.control("POST", "faults", json=rule)
    assert resp.status_code == 400
    assert resp.json()["Message"].startswith("Not a fault rule:")
    assert fresh_sandbox.control("GET", "faults").json()["Faults"] == before


def test_a_participation_at_a_time_that_is_not_one_is_refused(sandbox: Sandbox) -> None:
    body = {"member": "M-DAN", "survey": 3100001, "status": 3, "at": "þ"}
    resp = sandbox.control("POST", "participations", json=body)
    assert resp.status_code == 400
    assert "is not a time" in resp.json()["Message"]


@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-12-31T20:00:00-12:00", "9999-12-31T21:00:00-12:00"), ("0001-01-01T00:00:00+01:00", "0001-01-02")],
)
def test_a_report_span_beyond_the_years_utc_holds_is_refused(sandbox: Sandbox, start: str, end: str) -> None:
    resp = sandbox.get(
        "/IntegratedPanelService/api/Reports/Surveys/PanelCompletes",
        key=None,
        params={"SamplePartnerGuid": PANEL, "StartDate": start, "EndDate": end},
    )
    assert resp.status_code == 400
    assert "is not valid for StartDate" in resp.json()["Message"]
