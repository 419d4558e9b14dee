"""``toluna-sandbox trigger``, ``outbox`` and ``import-reference`` against a running sandbox and a real receiver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from simulator.cli import main
from tests.receiver import Receiver
from tests.support import PANEL, Sandbox, click, invite


def point(sandbox: Sandbox, receiver: Receiver) -> None:
    settings = {
        "Completion Notification URL": receiver.url("/complete"),
        "Terminate Notification URL": receiver.url("/terminate"),
        "Quota Notification URL": receiver.url("/quota"),
        "Survey Notification URL": receiver.url("/survey"),
    }
    sandbox.control("PUT", f"panels/{PANEL}", json={"settings": settings}).raise_for_status()


@pytest.mark.parametrize(
    ("argv", "path", "shown"),
    [
        (["complete", "--member", "M-ANNA", "--quota", "4200001"], "/complete", '"UniqueCode": "M-ANNA"'),
        (
            ["terminate", "--member", "M-BOB", "--quota", "4200002", "--reason", "QuotaFull"],
            "/terminate",
            '"Reason": "QuotaFull"',
        ),
        (
            ["prestart", "--member", "M-ANNA", "--quota", "4200001", "--rejection", "QuotaOnHold"],
            "/terminate",
            '"RejectionName": "QuotaOnHold"',
        ),
        (["quota-status", "--quota", "4200001", "--live", "false"], "/quota", '"IsLive": false'),
        (["quota-status", "--quota", "4200002", "--live", "true"], "/quota", '"IsLive": true'),
        (["survey-closed", "--survey", "3100002"], "/survey", '"Status": "Closed"'),
    ],
)
def test_trigger_prints_what_was_sent_where_and_the_answer(
    fresh_sandbox: Sandbox,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    path: str,
    shown: str,
) -> None:
    point(fresh_sandbox, receiver)
    assert main(["trigger", *argv, "--url", fresh_sandbox.base_url]) == 0
    out = capsys.readouterr().out
    assert f"-> POST {receiver.url(path)}" in out and shown in out
    assert "HTTP 200" in out and "status: delivered" in out
    assert receiver.received(path)


def test_a_triggered_complete_counts_like_a_real_one(fresh_sandbox: Sandbox, receiver: Receiver) -> None:
    point(fresh_sandbox, receiver)
    assert (
        main(["trigger", "complete", "--member", "M-ANNA", "--quota", "4200001", "--url", fresh_sandbox.base_url]) == 0
    )
    assert fresh_sandbox.invite("M-ANNA", 4200001).json()["ResultCode"] == 38


def test_outbox_list_show_and_resend(
    fresh_sandbox: Sandbox, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    point(fresh_sandbox, receiver)
    click(invite(fresh_sandbox, "M-ANNA", 4200001), outcome="qualified")
    receiver.wait_for(1, "/complete")
    fresh_sandbox.control("POST", "outbox/wait").raise_for_status()
    assert main(["outbox", "list", "--url", fresh_sandbox.base_url]) == 0
    listing = capsys.readouterr().out
    assert "delivered complete" in listing and receiver.url("/complete") in listing
    first = int(listing.split()[0].lstrip("#"))
    assert main(["outbox", "show", str(first), "--url", fresh_sandbox.base_url]) == 0
    assert "HTTP 200" in capsys.readouterr().out
    assert main(["outbox", "resend", str(first), "--url", fresh_sandbox.base_url]) == 0
    assert f"#{first} sent again as #" in capsys.readouterr().out
    assert len(receiver.wait_for(2, "/complete")) == 2


def test_import_reference_serves_a_toluna_body(fresh_sandbox: Sandbox, tmp_path: Path) -> None:
    body = [
        {
            "IsRoutable": True,
            "InternalName": "Pets",
            "TranslatedQuestion": {
                "QuestionID": 1002099,
                "CultureID": 1,
                "DisplayNameTranslation": "Pets?",
                "HelpTextTranslation": "",
                "SamplingSequenceNumber": None,
            },
            "ChildQuestions": None,
            "TranslatedAnswers": [{"AnswerID": 2099001, "Translation": "Dog", "AnswerInternalName": "Dog"}],
            "AnswerType": "SingleSelect",
            "AnswerValidationRegularExpression": None,
        }
    ]
    path = tmp_path / "qa.json"
    path.write_text(json.dumps(body))
    assert main(["import-reference", str(path), "--url", fresh_sandbox.base_url]) == 0
    got = requests.post(
        f"{fresh_sandbox.base_url}/IPUtilityService/ReferenceData/QuestionsAndAnswersData",
        json={"CultureIDs": [1], "IncludeRoutables": True, "IncludeDemographics": True},
        headers={"PARTNER_AUTH_KEY": "e3b7c1d9-2a6f-4d8b-9c4e-6a1f3b7d5c28"},
        timeout=30,
    ).json()
    by_id = {q["TranslatedQuestion"]["QuestionID"]: q for q in got}
    assert by_id[1002099]["TranslatedAnswers"][0]["Translation"] == "Dog"
    assert 1001007 in by_id  # what the inventory targets is learned again on top of the imported body
