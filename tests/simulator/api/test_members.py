"""Member management v2 through the real server: Toluna's answers, its validation rules, and members that
GenerateInvite then samples."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.support import DEFAULT_SCENARIO, PANEL, Sandbox

ROUTE = "/IntegratedPanelService/api/Respondent"
V2 = {"Accept": "application/json;version=2.0"}


def body(code: str, **fields: Any) -> dict[str, Any]:
    doc = {
        "PartnerGUID": PANEL,
        "MemberCode": code,
        "BirthDate": "06/21/1985",
        "PostalCode": "07001",
        "RegistrationAnswers": [
            {"QuestionID": 1001007, "Answers": [{"AnswerID": 2000246}]},
            {"QuestionID": 1001107, "Answers": [{"AnswerID": 2002321}]},
        ],
    }
    doc.update(fields)
    return doc


def send(sandbox: Sandbox, method: str, doc: Any, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.request(
        method, sandbox.base_url + ROUTE, json=doc, headers=V2 if headers is None else headers, timeout=30
    )


def get(sandbox: Sandbox, code: str) -> requests.Response:
    params = {"memberCode": code, "partnerGUID": PANEL}
    return requests.get(sandbox.base_url + ROUTE + "/", params=params, headers=V2, timeout=30)


def test_add_get_update_and_sample(fresh_sandbox: Sandbox) -> None:
    answers = [
        {"QuestionID": 1001007, "Answers": [{"AnswerID": 2000246}]},
        {"QuestionID": 1001101, "Answers": [{"AnswerID": 2002268}]},
    ]
    added = send(fresh_sandbox, "POST", body("REG-1", RegistrationAnswers=answers))
    assert added.status_code == 201 and added.content == b""
    member = get(fresh_sandbox, "REG-1").json()
    assert member["BirthDate"] == "6/21/1985" and member["PostalCode"] == "07001" and member["IsActive"] is True
    assert {a["QuestionID"] for a in member["RegistrationAnswers"]} >= {1001007, 1001101}
    assert fresh_sandbox.invite("REG-1", 4200001).status_code == 200  # female, 41: the quota's sampling passes
    assert fresh_sandbox.invite("REG-1", 4200003).json()["ResultCode"] == 16  # an education the quota does not want
    time.sleep(1.05)  # Toluna's 1000 ms rule
    update = {
        "PartnerGUID": PANEL,
        "MemberCode": "REG-1",
        "AnsweredQuestions": [{"QuestionID": 1001101, "AnswerID": 2002274}],
    }
    updated = send(fresh_sandbox, "PUT", update)
    assert updated.status_code == 200 and updated.content == b""
    assert fresh_sandbox.invite("REG-1", 4200003).status_code == 200  # education now matches


def test_a_second_write_within_a_second_is_refused_and_journaled(fresh_sandbox: Sandbox) -> None:
    assert send(fresh_sandbox, "POST", body("REG-2")).status_code == 201
    again = send(fresh_sandbox, "PUT", {"PartnerGUID": PANEL, "MemberCode": "REG-2", "PostalCode": "10001"})
    assert again.status_code == 409 and "less than 1000 ms" in again.json()["Message"]
    entries = fresh_sandbox.control("GET", "journal", params={"member": "REG-2"}).json()["Entries"]
    entries.sort(key=lambda e: e["wall_at"])  # two workers' entries are stored in flush order
    assert [(e["route"], e["status"]) for e in entries] == [("member_add", 201), ("member_update", 409)]
    assert "1000 ms" in entries[1]["note"]
    time.sleep(1.05)
    assert send(fresh_sandbox, "PUT", {"PartnerGUID": PANEL, "MemberCode": "REG-2", "PostalCode": "10001"}).ok


def test_registration_answers_win_over_answered_questions(fresh_sandbox: Sandbox) -> None:
    doc = body("REG-3", AnsweredQuestions=[{"QuestionID": 1001007, "AnswerID": 2000247}])
    assert send(fresh_sandbox, "POST", doc).status_code == 201
    gender = [a for a in get(fresh_sandbox, "REG-3").json()["RegistrationAnswers"] if a["QuestionID"] == 1001007]
    assert gender == [{"QuestionID": 1001007, "Answers": [{"AnswerID": 2000246, "AnswerValue": None}]}]


def test_multi_select_and_open_ended_answers(fresh_sandbox: Sandbox) -> None:
    doc = body(
        "REG-4",
        RegistrationAnswers=[
            {"QuestionID": 1001007, "Answers": [{"AnswerID": 2000247}]},
            {"QuestionID": 1012227, "Answers": [{"AnswerID": 3055267}, {"AnswerID": 3055271}]},
            {"QuestionID": 1001042, "Answers": [{"AnswerID": 2224509, "AnswerValue": "10001"}]},
        ],
    )
    assert send(fresh_sandbox, "POST", doc).status_code == 201
    answers = {a["QuestionID"]: a["Answers"] for a in get(fresh_sandbox, "REG-4").json()["RegistrationAnswers"]}
    assert [a["AnswerID"] for a in answers[1012227]] == [3055267, 3055271]
    assert answers[1001042] == [{"AnswerID": 2224509, "AnswerValue": "10001"}]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"RegistrationAnswers": [{"QuestionID": 9999999, "Answers": [{"AnswerID": 1}]}]}, "QuestionID 9999999"),
        ({"RegistrationAnswers": [{"QuestionID": 1001007, "Answers": [{"AnswerID": 2000999}]}]}, "AnswerID 2000999"),
        ({"RegistrationAnswers": [{"QuestionID": 1001568, "Answers": [{"AnswerID": 2112087}]}]}, "is computed"),
        ({"RegistrationAnswers": [{"QuestionID": 1001540, "Answers": [{"AnswerID": 2006372}]}]}, "is computed"),
        (
            {
                "RegistrationAnswers": [
                    {"QuestionID": 1001007, "Answers": [{"AnswerID": 2000246}, {"AnswerID": 2000247}]}
                ]
            },
            "single-select",
        ),
        ({"BirthDate": "1985-06-21"}, "use MM/DD/YYYY"),
        ({"BirthDate": "13/01/1985"}, "use MM/DD/YYYY"),
        ({"BirthDate": f"01/01/{time.gmtime().tm_year - 15}"}, "under 16 cannot be registered in United States"),
        ({"IsActive": "maybe"}, "not valid for IsActive"),
        ({"PartnerGUID": "00000000-0000-0000-0000-000000000000"}, "Invalid PartnerGUID"),
        ({"MemberCode": ""}, "MemberCode is required"),
    ],
)
def test_invalid_members_are_refused_and_not_created(sandbox: Sandbox, fields: dict[str, Any], message: str) -> None:
    code = f"BAD-{abs(hash(message)) % 10**8}"
    resp = send(sandbox, "POST", body(code, **fields))
    assert resp.status_code == 400 and message in resp.json()["Message"]
    assert get(sandbox, code).status_code == 400


def test_the_accept_header_is_required(sandbox: Sandbox) -> None:
    resp = send(sandbox, "POST", body("REG-5"), headers={"Accept": "application/json"})
    assert resp.status_code == 400 and "Accept: application/json;version=2.0" in resp.json()["Message"]
    assert (
        requests.get(
            sandbox.base_url + ROUTE, params={"memberCode": "M-ANNA", "partnerGUID": PANEL}, timeout=30
        ).status_code
        == 400
    )


def test_toluna_answers_for_existing_and_missing_members(sandbox: Sandbox) -> None:
    exists = send(sandbox, "POST", body("M-ANNA"))
    assert exists.status_code == 409 and exists.json()["Message"] == (
        f"An IP Member for MemberCode M-ANNA and PartnerGUID {PANEL} already exists. To update a Member, please use "
        "the PUT verb."
    )
    missing = send(sandbox, "PUT", {"PartnerGUID": PANEL, "MemberCode": "NOBODY", "PostalCode": "1"})
    assert missing.status_code == 404
    assert get(sandbox, "NOBODY").json() == {
        "Message": f"No member found with member code NOBODY and partner Guid {PANEL}"
    }


def test_blocked_members_get_400_on_member_routes_and_409_on_post(sandbox: Sandbox) -> None:
    assert get(sandbox, "M-BLOCKED").status_code == 400
    assert send(sandbox, "PUT", {"PartnerGUID": PANEL, "MemberCode": "M-BLOCKED", "PostalCode": "1"}).status_code == 400
    assert send(sandbox, "POST", body("M-BLOCKED")).status_code == 409


def test_inactive_members_leave_routing(fresh_sandbox: Sandbox) -> None:
    assert send(fresh_sandbox, "POST", body("REG-6", IsActive="false")).status_code == 201
    assert fresh_sandbox.invite("REG-6", 4200001).json()["ResultCode"] == 22


def test_pii_regulation_is_permanent(fresh_sandbox: Sandbox) -> None:
    assert send(fresh_sandbox, "POST", body("REG-7")).status_code == 201
    time.sleep(1.05)
    assert send(fresh_sandbox, "PUT", {"PartnerGUID": PANEL, "MemberCode": "REG-7", "IsPIIDataRegulated": True}).ok
    assert get(fresh_sandbox, "REG-7").status_code == 400
    time.sleep(1.05)
    assert (
        send(fresh_sandbox, "PUT", {"PartnerGUID": PANEL, "MemberCode": "REG-7", "PostalCode": "1"}).status_code == 404
    )
    assert fresh_sandbox.invite("REG-7", 4200001).json()["ResultCode"] == 12
    stored = fresh_sandbox.control("GET", "members/REG-7").json()
    assert stored["RegistrationAnswers"] == [] and stored["BirthDate"] is None and stored["PostalCode"] is None


def test_zero_clears_a_documented_answer_on_put(fresh_sandbox: Sandbox) -> None:
    assert send(fresh_sandbox, "POST", body("REG-8")).status_code == 201
    time.sleep(1.05)
    clear = {"PartnerGUID": PANEL, "MemberCode": "REG-8", "AnsweredQuestions": [{"QuestionID": 1001007, "AnswerID": 0}]}
    assert send(fresh_sandbox, "PUT", clear).status_code == 200
    assert fresh_sandbox.invite("REG-8", 4200001).json()["ResultCode"] == 13  # no gender: Toluna cannot place her


def test_member_statuses_over_the_control_api_drive_result_codes(fresh_sandbox: Sandbox) -> None:
    for status, code in (("opt_out", 13), ("suspended", 22), ("blocked_for_abuse", 14), ("pii_data_regulated", 12)):
        fresh_sandbox.control("PUT", "members/M-DAN", json={"status": status}).raise_for_status()
        assert fresh_sandbox.invite("M-DAN", 4200001).json()["ResultCode"] == code
    assert fresh_sandbox.control("GET", "members/M-DAN").json()["Status"] == "pii_data_regulated"


def test_postal_areas_give_computed_answers(fresh_sandbox: Sandbox) -> None:
    text = (
        "name: areas\npanels:\n  - {guid: 11111111-2222-3333-4444-555555555555, culture: EN-US, api_key: k}\n"
        "postal_areas:\n  - {prefix: '070', answers: {1001540: 2006372}}\n"
    )
    fresh_sandbox.control("POST", "scenario", data=text).raise_for_status()
    try:
        doc = {
            "PartnerGUID": "11111111-2222-3333-4444-555555555555",
            "MemberCode": "AREA-1",
            "PostalCode": "07001",
            "BirthDate": "01/01/1980",
        }
        assert send(fresh_sandbox, "POST", doc).status_code == 201
        member = fresh_sandbox.control("GET", "members/AREA-1").json()
        assert {"QuestionID": 1001540, "Answers": [{"AnswerID": 2006372, "AnswerValue": None}]} in member[
            "RegistrationAnswers"
        ]
    finally:
        fresh_sandbox.control("POST", "scenario", data=DEFAULT_SCENARIO.read_text()).raise_for_status()
