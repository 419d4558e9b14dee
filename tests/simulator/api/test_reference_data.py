"""Reference data through the real server: PARTNER_AUTH_KEY, every QuestionsAndAnswersData filter, question data,
the static lists, and questions learned from an inventory."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support import DEFAULT_SCENARIO, PANEL, Sandbox

REF = "/IPUtilityService/ReferenceData"
KEY = {"PARTNER_AUTH_KEY": "e3b7c1d9-2a6f-4d8b-9c4e-6a1f3b7d5c28"}
US = 1


def qa(sandbox: Sandbox, **body: Any) -> list[dict[str, Any]]:
    resp = requests.post(sandbox.base_url + REF + "/QuestionsAndAnswersData", json=body, headers=KEY, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def ids(questions: list[dict[str, Any]]) -> set[int]:
    return {q["TranslatedQuestion"]["QuestionID"] for q in questions}


@pytest.mark.parametrize(
    "path",
    [
        "/Cultures",
        "/DeviceTypes",
        "/StudyTypes",
        "/Currencies",
        "/QuestionCategories",
        "/Rejectiontypes",
        "/QuestionAndAnswersData/1001007/5",
    ],
)
def test_the_partner_auth_key_opens_reference_data(sandbox: Sandbox, path: str) -> None:
    assert requests.get(sandbox.base_url + REF + path, timeout=30).status_code == 403
    wrong = requests.get(sandbox.base_url + REF + path, headers={"PARTNER_AUTH_KEY": "nope"}, timeout=30)
    assert wrong.status_code == 403 and "PARTNER_AUTH_KEY" in wrong.json()["Message"]
    assert requests.get(sandbox.base_url + REF + path, headers=KEY, timeout=30).status_code == 200


def test_static_lists_in_toluna_shapes(sandbox: Sandbox) -> None:
    def get(path: str) -> Any:
        return requests.get(sandbox.base_url + REF + path, headers=KEY, timeout=30).json()

    assert {"CultureID": 1, "Name": "en-us", "Description": "United States English"} in get("/Cultures")
    assert {"CultureID": 5, "Name": "en-gb", "Description": "United Kingdom English"} in get("/Cultures")
    assert {"DeviceTypeID": 3, "Type": "SMARTPHONE"} in get("/DeviceTypes")
    assert {"StudyTypeID": 100133, "Name": "CANDY", "Description": "CANDY"} in get("/StudyTypes")
    assert {"CurrencyID": 12, "Name": "New Zealand Dollar"} in get("/Currencies")
    assert {"Name": "Games", "Description": None, "CategoryID": 14} in get("/QuestionCategories")
    rejections = get("/RejectionTypes")
    assert rejections == get("/Rejectiontypes")
    assert {r["RespondentRejectionTypeID"]: r["PartnerRejectionName"] for r in rejections}[4] == "SurveyTaken"


def test_each_filter_filters(sandbox: Sandbox) -> None:
    everything = qa(sandbox, CultureIDs=[US], IncludeComputed=True, IncludeRoutables=True, IncludeDemographics=True)
    plain = ids(qa(sandbox, CultureIDs=[US]))
    assert plain and plain < ids(everything)
    assert 1001568 in ids(qa(sandbox, CultureIDs=[US], IncludeComputed="true")) - plain  # computed (DMA)
    assert 1012395 in ids(qa(sandbox, CultureIDs=[US], IncludeRoutables="true")) - plain  # routable
    assert 1001007 in ids(qa(sandbox, CultureIDs=[US], IncludeDemographics="true")) - plain  # gender
    work = qa(sandbox, CultureIDs=[US], CategoryIDs=[2], IncludeRoutables=True, IncludeDemographics=True)
    assert ids(work) == {1012395, 1005145, 1012405}
    assert qa(sandbox, CultureIDs=[US], LastUpdateDate="2030-01-01T00:00:00", IncludeRoutables=True) == []
    assert qa(sandbox, CultureIDs=[US], LastUpdateDate="2000-11-10", IncludeRoutables=True)
    french = qa(sandbox, CultureIDs=[9002], IncludeDemographics=True)
    gender = next(q for q in french if q["TranslatedQuestion"]["QuestionID"] == 1001007)
    assert gender["TranslatedQuestion"]["DisplayNameTranslation"] == "Sexe"
    assert [a["Translation"] for a in gender["TranslatedAnswers"]] == ["Femme", "Homme"]
    keys = [
        "IsRoutable",
        "InternalName",
        "TranslatedQuestion",
        "ChildQuestions",
        "TranslatedAnswers",
        "AnswerType",
        "AnswerValidationRegularExpression",
    ]
    assert all(list(q) == keys for q in everything)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"CultureIDs": [1, 2, 3, 4, 5, 6]}, "At most 5 CultureIDs"),
        ({"CultureIDs": []}, "CultureIDs is required"),
        ({"CultureIDs": [5], "IncludeComputed": "yes"}, "not valid for IncludeComputed"),
        ({"CultureIDs": [5], "LastUpdateDate": "yesterday"}, "not valid for LastUpdateDate"),
        ({"CultureIDs": ["five"]}, "CultureIDs must be a list of whole numbers"),
    ],
)
def test_bad_requests_are_400_with_the_reason(sandbox: Sandbox, body: dict[str, Any], message: str) -> None:
    resp = requests.post(sandbox.base_url + REF + "/QuestionsAndAnswersData", json=body, headers=KEY, timeout=30)
    assert resp.status_code == 400 and message in resp.json()["Message"]


def test_question_data_and_the_empty_answer_for_computed_questions(sandbox: Sandbox) -> None:
    def get(question: int) -> requests.Response:
        return requests.get(f"{sandbox.base_url}{REF}/QuestionAndAnswersData/{question}/{US}", headers=KEY, timeout=30)

    [employment] = get(1012395).json()
    assert employment["AnswerType"] == "SingleSelect" and employment["IsRoutable"] is True
    assert {a["AnswerID"] for a in employment["TranslatedAnswers"]} >= {3056605, 3056609}
    computed = get(1001568)
    assert computed.status_code == 200 and computed.content == b""
    assert get(4242424).json() == []


def test_an_inventory_teaches_the_reference_data_what_it_targets(fresh_sandbox: Sandbox) -> None:
    text = DEFAULT_SCENARIO.read_text().replace("AnswerIDs: [2000264, 2000265]", "AnswerIDs: [2000264, 7770001]")
    text = text.replace(
        "- QuestionID: 1001012\n      AnswerIDs: [2000264, 7770001]",
        "- QuestionID: 8880001\n      AnswerIDs: [7770002]",
    )
    fresh_sandbox.control("POST", "scenario", data=text).raise_for_status()
    try:
        everything = qa(fresh_sandbox, CultureIDs=[US], IncludeRoutables=True, IncludeDemographics=True)
        learned = {q["TranslatedQuestion"]["QuestionID"]: q for q in everything}
        assert 7770002 in {a["AnswerID"] for a in learned[8880001]["TranslatedAnswers"]}
        doc = {
            "PartnerGUID": PANEL,
            "MemberCode": "LEARNER",
            "BirthDate": "01/01/1980",
            "RegistrationAnswers": [
                {"QuestionID": 1001007, "Answers": [{"AnswerID": 2000246}]},
                {"QuestionID": 8880001, "Answers": [{"AnswerID": 7770002}]},
            ],
        }
        headers = {"Accept": "application/json;version=2.0"}
        added = requests.post(
            fresh_sandbox.base_url + "/IntegratedPanelService/api/Respondent", json=doc, headers=headers, timeout=30
        )
        assert added.status_code == 201, added.text  # a partner can register the answer the quota targets
    finally:
        fresh_sandbox.control("POST", "scenario", data=DEFAULT_SCENARIO.read_text()).raise_for_status()
