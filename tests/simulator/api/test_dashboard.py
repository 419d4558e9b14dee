"""The dashboard offering's GetSurveys through the real server: the same rules as External Sample choose the
surveys; numberOfSurveys, device types and the panel's cap narrow them; each URL is the member's own invite."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from simulator.domain.dashboard import SurveysRequest
from tests.support import ES, PANEL, Sandbox, click

SURVEYS = "/IntegratedPanelService/api/Surveys/"
KEYS = ["SurveyID", "Name", "URL", "Duration", "IR", "MemberAmount", "PartnerAmount", "WaveId"]


def surveys(sandbox: Sandbox, member: str, **params: str | list[str]) -> requests.Response:
    query = {"memberCode": member, "partnerGuid": PANEL, **params}
    return requests.get(sandbox.base_url + SURVEYS, params=query, timeout=30)


def test_get_surveys_offers_what_the_member_may_take_best_paid_first(fresh_sandbox: Sandbox) -> None:
    items = surveys(fresh_sandbox, "M-ANNA").json()
    assert 1 <= len(items) <= 5 and all(list(i) == KEYS for i in items)
    amounts = [i["PartnerAmount"] for i in items]
    assert amounts == sorted(amounts, reverse=True)
    listed = {s["SurveyID"]: s for s in fresh_sandbox.get(f"{ES}/{PANEL}/Quotas").json()["Surveys"]}
    for item in items:
        survey = listed[item["SurveyID"]]  # only surveys the partner could sample too
        assert (item["Name"], item["Duration"], item["IR"], item["WaveId"]) == (
            survey["SurveyName"],
            survey["LOI"],
            survey["IR"],
            survey["WaveID"],
        )
        assert item["MemberAmount"] == round(item["PartnerAmount"] * 0.5, 2)
    page = click(items[0]["URL"])
    assert page.status_code == 200 and 'id="member">M-ANNA<' in page.text  # the member's own link
    assert 3100003 not in {i["SurveyID"] for i in surveys(fresh_sandbox, "M-WRONG-EDU", numberOfSurveys="5").json()}


def test_number_of_surveys_and_the_panel_cap(fresh_sandbox: Sandbox) -> None:
    assert len(surveys(fresh_sandbox, "M-ANNA", numberOfSurveys="2").json()) == 2
    assert len(surveys(fresh_sandbox, "M-ANNA", numberOfSurveys="50").json()) == 5  # Toluna offers 5 at most
    fresh_sandbox.control("PUT", f"panels/{PANEL}", json={"settings": {"Max Surveys To Fetch": "3"}})
    assert len(surveys(fresh_sandbox, "M-ANNA", numberOfSurveys="5").json()) == 3


def test_device_types_narrow_the_offer(fresh_sandbox: Sandbox) -> None:
    devices = {s["SurveyID"]: s["DeviceTypeIDs"] for s in fresh_sandbox.get(f"{ES}/{PANEL}/Quotas").json()["Surveys"]}
    for params in ({"deviceTypeIDs": ["2", "3"]}, {"mobileCompatible": "true"}, {"deviceTypeIDs": "3"}):
        offered = [i["SurveyID"] for i in surveys(fresh_sandbox, "M-CARA", **params).json()]
        assert offered and all(3 in devices[s] or 2 in devices[s] for s in offered)
        assert 3100026 not in offered  # desktop only


@pytest.mark.parametrize(
    ("devices", "mobile", "expected"),
    [([], None, ()), ([], "true", (3,)), (["1"], "true", (1,)), (["1,2", "2"], None, (1, 2)), ([], "false", ())],
)
def test_device_type_parameters(devices: list[str], mobile: str | None, expected: tuple[int, ...]) -> None:
    assert SurveysRequest.parse("3", devices, mobile).device_types == expected


def test_a_member_toluna_cannot_place_gets_the_profile_survey(sandbox: Sandbox) -> None:
    [item] = surveys(sandbox, "M-NO-BIRTHDATE").json()
    assert item["SurveyID"] == 1000001 and item["Name"] == "MemberProfileSurvey"
    assert item["WaveId"] is None and item["IR"] is None and item["PartnerAmount"] == 0.0
    assert "/TrafficUI/MSCUI/Profilepage.aspx?" in item["URL"]


@pytest.mark.parametrize(
    ("member", "params", "message"),
    [
        ("NOBODY", {}, f"No member found with member code NOBODY and partner Guid {PANEL}"),
        ("M-PII", {}, f"No member found with member code M-PII and partner Guid {PANEL}"),
        ("M-BLOCKED", {}, "The member with member code M-BLOCKED is blocked."),
        ("M-ANNA", {"numberOfSurveys": "many"}, "The value 'many' is not valid for numberOfSurveys."),
        ("M-ANNA", {"deviceTypeIDs": "7"}, "The value '7' is not valid for deviceTypeIDs: use 1, 2 or 3."),
        ("M-ANNA", {"partnerGuid": "nobody"}, "Could not find Partner for nobody"),
    ],
)
def test_refusals_are_400_with_a_message(sandbox: Sandbox, member: str, params: dict[str, str], message: str) -> None:
    resp = surveys(sandbox, member, **params)
    assert resp.status_code == 400 and resp.json() == {"Message": message}


PROFILE = "/IntegratedPanelService/api/Profile/GetNextProfileURL/"


def next_profile(sandbox: Sandbox, member: str) -> requests.Response:
    params = {
        "memberCode": member,
        "partnerGuid": PANEL,
        "returnURL": "http://partner.example/back",
        "cancelURL": "http://partner.example/cancel",
    }
    return requests.get(sandbox.base_url + PROFILE, params=params, timeout=30)


def fill_profile_page(url: str) -> requests.Response:
    """Answer every question of a profile page with its first answer, and save."""
    page = requests.get(url, timeout=30)
    assert page.status_code == 200
    names = dict.fromkeys(re.findall(r'name="(q\d+)"', page.text))
    form: dict[str, str] = {"action": "save"}
    for name in names:
        first = re.search(rf'name="{name}"\s+value="(\d+)"', page.text)
        if first:
            form[name] = first.group(1)
    return requests.post(url, data=form, allow_redirects=False, timeout=30)


def test_next_profile_pages_until_the_profile_is_complete(fresh_sandbox: Sandbox) -> None:
    seen = []
    for _ in range(10):
        answer = next_profile(fresh_sandbox, "M-ANNA")
        if answer.status_code == 404:
            break
        url = answer.json()
        assert "/TrafficUI/MSCUI/Profilepage.aspx?" in url and "pt=" in url
        seen.append(parse_qs(urlsplit(url).query)["pt"][0])
        saved = fill_profile_page(url)
        assert saved.status_code == 302 and saved.headers["Location"] == "http://partner.example/back"
    assert answer.status_code == 404 and len(seen) == len(set(seen)) >= 3  # each profile offered once
    cancel = requests.post(
        next_profile(fresh_sandbox, "M-BOB").json(), data={"action": "cancel"}, allow_redirects=False, timeout=30
    )
    assert cancel.headers["Location"] == "http://partner.example/cancel"


def test_the_member_profile_survey_places_a_member(fresh_sandbox: Sandbox) -> None:
    [item] = surveys(fresh_sandbox, "M-NO-BIRTHDATE").json()
    page = requests.get(item["URL"], timeout=30)
    assert 'name="BirthDate"' in page.text
    done = requests.post(
        item["URL"],
        data={"action": "save", "BirthDate": "1980-05-17", "gender": "2000247"},
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 302 and done.headers["Location"].startswith("http://127.0.0.1:8081/toluna/end/qualified")
    assert "sid=1000001" in done.headers["Location"]
    offered = surveys(fresh_sandbox, "M-NO-BIRTHDATE").json()
    assert offered and all(i["SurveyID"] != 1000001 for i in offered)


def test_register_member_and_get_surveys(fresh_sandbox: Sandbox) -> None:
    route = fresh_sandbox.base_url + "/IntegratedPanelService/api/Surveys/RegisterMemberAndGetSurveys"
    doc = {
        "NewIPMemberInfo": {
            "PartnerGUID": PANEL,
            "MemberCode": "ONE-ROUTE",
            "BirthDate": "3/7/1982",
            "PostalCode": "07001",
            "AnsweredQuestions": [{"QuestionID": 1001007, "AnswerID": 2000246}],
        },
        "SurveysRequest": {"NumberOfSurveys": 3, "DeviceTypeIDs": [1]},
    }
    first = requests.post(route, json=doc, timeout=30)
    assert first.status_code == 200 and 1 <= len(first.json()) <= 3 and list(first.json()[0]) == KEYS
    doc["NewIPMemberInfo"]["BirthDate"] = "3/7/2001"  # an existing member: the changes are ignored
    again = requests.post(route, json=doc, timeout=30)
    assert again.status_code == 200
    member = fresh_sandbox.control("GET", "members/ONE-ROUTE").json()
    assert member["BirthDate"] == "3/7/1982"
    bad = requests.post(route, json={"SurveysRequest": {}}, timeout=30)
    assert bad.status_code == 400 and "NewIPMemberInfo" in bad.json()["Message"]
