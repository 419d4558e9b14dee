"""External Sample routes through the real server: shapes, listing rules, paging, auth, older route forms."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlparse

import pytest

from simulator.schemas import validator
from tests.support import ES, KEY, KEY_OTHER, PANEL, PANEL_NO_INVITES, Sandbox


def listed(body: dict) -> dict[int, list[int]]:
    return {s["SurveyID"] * 10**7 + s["WaveID"]: [q["QuotaID"] for q in s["Quotas"]] for s in body["Surveys"]}


def quota_ids(body: dict) -> set[int]:
    return {q["QuotaID"] for s in body["Surveys"] for q in s["Quotas"]}


def test_get_quotas_shape_and_key_order(sandbox: Sandbox) -> None:
    resp = sandbox.get(f"{ES}/{PANEL}/Quotas")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    body = resp.json()
    assert not list(validator("toluna", "GetQuotasResponse").iter_errors(body))
    assert list(body) == ["Surveys", "CountryID", "CacheExpires"]
    assert body["CountryID"] == 2000223
    survey = body["Surveys"][0]
    assert list(survey)[:4] == ["SurveyID", "SurveyName", "SurveyTopic", "WaveID"]
    assert list(survey)[-2:] == ["IsTqsSurvey", "SurveyWaveExclusions"]
    assert next(iter(survey["Quotas"][0]["Layers"][0]["SubQuotas"][0])) == "QuestionsAndAnswers"


def test_get_quotas_lists_only_what_the_partner_may_sample(sandbox: Sandbox) -> None:
    ids = quota_ids(sandbox.get(f"{ES}/{PANEL}/Quotas").json())
    assert {4200001, 4200002, 4200003, 4200042, 4200072, 4200081, 4200102} <= ids
    hidden = {
        4200071: "on hold",
        4200041: "closed wave",
        4200101: "full",
        4200011: "closed",
        4200012: "deleted",
        4200013: "not ES",
        4200014: "other partner",
        4200015: "excluded",
        4200016: "study type",
        4200017: "customer",
        4200181: "quota not ES",
        4200191: "survey cap reached",
    }
    assert not ids & set(hidden), {hidden[i] for i in ids & set(hidden)}


def test_tracker_waves_are_distinct(sandbox: Sandbox) -> None:
    body = sandbox.get(f"{ES}/{PANEL}/Quotas").json()
    waves = [(s["SurveyID"], s["WaveID"]) for s in body["Surveys"] if s["SurveyID"] == 3100004]
    assert waves == [(3100004, 900042)]


def test_recontact_surveys_appear_when_the_panel_has_listed_members(sandbox: Sandbox) -> None:
    mine = quota_ids(sandbox.get(f"{ES}/{PANEL}/Quotas").json())
    assert {4200061, 4200062} <= mine
    others = quota_ids(sandbox.get(f"{ES}/{PANEL_NO_INVITES}/Quotas", key=KEY_OTHER).json())
    assert not {4200061, 4200062} & others
    assert 4200001 in others


@pytest.mark.parametrize(
    "query", ["includeRoutables=false", "includeRoutables=FALSE", "includeRoutables:false", "IncludeRoutables=False"]
)
def targets(body: dict) -> list[dict]:
    return [
        t
        for s in body["Surveys"]
        for q in s["Quotas"]
        for layer in q["Layers"]
        for sq in layer["SubQuotas"]
        for t in sq["QuestionsAndAnswers"]
    ]


@pytest.mark.parametrize(
    "query", ["includeRoutables=false", "includeRoutables=FALSE", "includeRoutables:false", "IncludeRoutables=False"]
)
def test_include_routables_false_drops_routable_questions(sandbox: Sandbox, query: str) -> None:
    found = targets(sandbox.get(f"{ES}/{PANEL}/Quotas?{query}").json())
    assert found and not [t for t in found if t["IsRoutable"]]


@pytest.mark.parametrize("query", ["", "includeRoutables=true", "includeRoutables:TRUE"])
def test_include_routables_default_and_postman_spelling_keep_them(sandbox: Sandbox, query: str) -> None:
    found = targets(sandbox.get(f"{ES}/{PANEL}/Quotas?{query}").json())
    assert [t for t in found if t["IsRoutable"]]


def test_bad_include_routables_is_a_clear_400(sandbox: Sandbox) -> None:
    resp = sandbox.get(f"{ES}/{PANEL}/Quotas?includeRoutables=maybe")
    assert resp.status_code == 400
    assert "includeRoutables" in resp.json()["Message"]


def test_older_route_forms_and_any_case(sandbox: Sandbox) -> None:
    for path in (
        f"/ExternalSample/{PANEL}/Quotas",
        f"/ipexternalsamplingservice/externalsample/{PANEL}/quotas",
        f"{ES}/{PANEL.upper()}/Quotas/",
    ):
        assert sandbox.get(path).status_code == 200, path


def test_wrong_or_missing_key_is_403_with_a_body(sandbox: Sandbox) -> None:
    for key in (None, "not-a-key", KEY_OTHER):
        resp = sandbox.get(f"{ES}/{PANEL}/Quotas", key=key)
        assert resp.status_code == 403
        assert "API_AUTH_KEY" in resp.json()["Message"]


def test_the_underscore_header_survives_the_production_server(sandbox: Sandbox) -> None:
    """Raw http.client, header written exactly as Toluna names it: the production server must pass it on."""
    url = urlparse(sandbox.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.putrequest("GET", f"{ES}/{PANEL}/Quotas")
    conn.putheader("API_AUTH_KEY", KEY)
    conn.endheaders()
    try:
        resp = conn.getresponse()
        assert resp.status == 200
        assert json.loads(resp.read())["CountryID"] == 2000223
    finally:
        conn.close()


def test_generate_invite_body_follows_toluna_example(fresh_sandbox: Sandbox) -> None:
    body = fresh_sandbox.invite("M-ANNA", 4200002).json()
    assert list(body) == ["SurveyId", "WaveID", "QuotaID", "MemberAmount", "PartnerAmount", "URL", "LOI", "IR"]
    assert body["PartnerAmount"] == 2.25 and body["MemberAmount"] == 1.12
    assert (body["LOI"], body["IR"]) == (22, 20)  # LOI/IR at invite time differ from GetQuotas (20, 25)
    assert body["URL"].startswith(fresh_sandbox.base_url + "/TrafficUI/MSCUI/Page.aspx?pgtid=20&od=")
    again = fresh_sandbox.invite("M-ANNA", 4200002).json()
    assert again["URL"] == body["URL"]  # a repeated request returns the same invite


def test_one_quota_per_survey(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.control("PUT", "quotas/4200071", json={"live": True}).raise_for_status()
    assert fresh_sandbox.invite("M-BOB", 4200072).status_code == 200
    second = fresh_sandbox.invite("M-BOB", 4200071)  # the other quota of the same survey
    assert second.json() == {"Result": "MEMBER_DOES_NOT_MATCH_QUOTA", "ResultCode": 16}
    entry = fresh_sandbox.control("GET", "journal", params={"member": "M-BOB", "quota": 4200071}).json()["Entries"][-1]
    assert "one quota per survey" in entry["note"]


def test_bulk_invites(fresh_sandbox: Sandbox) -> None:
    resp = fresh_sandbox.post(f"{ES}/{PANEL}/M-BOB/Invites", json={"QuotaIDs": [4200001, 4200081, 4200071, 999]})
    assert resp.status_code == 200
    body = resp.json()
    assert not list(validator("toluna", "BulkInvitesResponse").iter_errors(body))
    results = [(i["QuotaID"], i["ResultCode"], i["Result"], i["Invite"] is None) for i in body["Invites"]]
    assert results == [
        (4200001, 1, "SUCCESS", False),
        (4200081, 1, "SUCCESS", False),
        (4200071, 9, "QUOTA_NOT_LIVE", True),
        (999, 10, "NO_QUOTA_ID", True),
    ]
    assert list(body["Invites"][0]["Invite"]) == [
        "SurveyID",
        "WaveID",
        "QuotaID",
        "URL",
        "LOI",
        "IR",
        "MemberAmount",
        "PartnerAmount",
    ]


@pytest.mark.parametrize(
    "payload", [{"QuotaIDs": list(range(1, 102))}, {"QuotaIDs": []}, {"Quotas": [1]}, {"QuotaIDs": ["a"]}, None]
)
def test_bulk_invites_rejects_malformed_bodies(sandbox: Sandbox, payload: object) -> None:
    resp = sandbox.post(f"{ES}/{PANEL}/M-BOB/Invites", json=payload)
    assert resp.status_code == 400
    assert "QuotaIDs" in resp.json()["Message"]


def test_recontact_paging_is_ordered_and_starts_after_the_last_code(sandbox: Sandbox) -> None:
    path = f"{ES}/{PANEL}/Recontact/4200061/MemberCodes"
    first = sandbox.get(path).json()
    assert not list(validator("toluna", "RecontactResponse").iter_errors(first))
    assert first["MaxResults"] == 10000 and first["HasAdditionalMembers"] is True
    codes = first["MemberCodes"]
    assert codes == sorted(codes, key=lambda c: c.encode()) and codes[0] == "R-LISTED"
    second = sandbox.get(path, params={"maxResults": 25, "lastMemberCodeReceived": codes[-1]}).json()
    assert second["MaxResults"] == 25 and second["MemberCodes"][0] > codes[-1]
    seen, last = 0, None
    while True:
        page = sandbox.get(path, params={"maxResults": 10000, **({"lastMemberCodeReceived": last} if last else {})})
        body = page.json()
        seen += body["MaxResults"]
        if not body["HasAdditionalMembers"]:
            break
        last = body["MemberCodes"][-1]
    assert seen == 25001


@pytest.mark.parametrize("value", ["0", "-5", "abc", "10001", "1.5"])
def test_bad_max_results_is_a_clear_400(sandbox: Sandbox, value: str) -> None:
    resp = sandbox.get(f"{ES}/{PANEL}/Recontact/4200061/MemberCodes", params={"maxResults": value})
    assert resp.status_code == 400
    assert "maxResults must be a whole number from 1 to 10000" in resp.json()["Message"]


def test_quota_status(sandbox: Sandbox) -> None:
    on_hold = sandbox.get(f"{ES}/{PANEL}/QuotaStatus/4200071")
    assert on_hold.status_code == 200
    body = on_hold.json()
    assert list(body) == [
        "QuotaID",
        "CountryID",
        "CompletesRequired",
        "EstimatedCompletesRemaining",
        "Layers",
        "CacheExpires",
    ]
    assert not list(validator("toluna", "QuotaStatusResponse").iter_errors(body))
    assert sandbox.get(f"{ES}/{PANEL}/QuotaStatus/4200014").json()["ResultCode"] == 42
    assert sandbox.get(f"{ES}/{PANEL}/QuotaStatus/4200011").json()["ResultCode"] == 10
    assert sandbox.get(f"{ES}/{PANEL}/QuotaStatus/123").json()["ResultCode"] == 10
    assert sandbox.get(f"{ES}/{PANEL}/QuotaStatus/abc").json()["ResultCode"] == 10


def test_settings(sandbox: Sandbox) -> None:
    resp = sandbox.get(f"/IntegratedPanelService/api/Settings?partnerGUID={PANEL}")
    assert resp.status_code == 200
    body = resp.json()
    assert not list(validator("toluna", "SettingsResponse").iter_errors(body))
    values = {s["Name"]: s["Value"] for s in body}
    assert len(body) == 21 and values["Panel GUID"] == PANEL
    assert values["Qualified URL"].startswith("http://127.0.0.1:8081/toluna/end/qualified")
    assert values["Standard EncryptionResult Parameter Name"] is None
    assert sandbox.get(f"/IntegratedPanelService/api/Settings?partnerGuid={PANEL}", key=KEY_OTHER).status_code == 403


def test_unknown_routes_and_methods(sandbox: Sandbox) -> None:
    assert sandbox.get("/IPExternalSamplingService/Nothing").status_code == 404
    resp = sandbox.post(f"{ES}/{PANEL}/Quotas")
    assert resp.status_code == 405 and "does not support http method 'POST'" in resp.json()["Message"]


def test_openapi_document_is_built_from_the_schemas(sandbox: Sandbox) -> None:
    doc = sandbox.get("/openapi.json", key=None).json()
    assert doc["openapi"].startswith("3.1")
    assert f"{ES}/{{panelGuid}}/Quotas" in doc["paths"]
    schemas = doc["components"]["schemas"]
    assert schemas["GetQuotasResponse"]["properties"]["Surveys"]["items"] == {"$ref": "#/components/schemas/Survey"}
    assert doc["components"]["securitySchemes"]["ApiAuthKey"]["name"] == "API_AUTH_KEY"


def test_parallel_invites_keep_one_quota_per_survey(fresh_sandbox: Sandbox) -> None:
    """Many parallel requests, two server workers: each member ends with invites for one quota of the survey."""
    from concurrent.futures import ThreadPoolExecutor

    fresh_sandbox.control("PUT", "quotas/4200071", json={"live": True}).raise_for_status()
    members = [f"GEN-{i:06d}" for i in range(40)]
    jobs = [(m, q) for m in members for q in (4200071, 4200072, 4200072, 4200071)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda job: (job, fresh_sandbox.invite(*job)), jobs))
    assert {r.status_code for _, r in answers} <= {200, 400}
    for member in members:
        granted = {(q, r.json()["URL"]) for (m, q), r in answers if m == member and r.status_code == 200}
        assert len({q for q, _ in granted}) <= 1, granted  # never two quotas of one survey
        assert len({url for _, url in granted}) <= 1, granted  # a repeated request gets the same invite
