"""What replay counts as a difference, without a server."""

from __future__ import annotations

from simulator.har.compare import Answer, differences, learned

PANEL = "7a3f5c2e-8b1d-4e6a-9c0f-2d4b6e8a1c3e"


def invite(origin: str, token: str) -> str:
    return f'{{"SurveyId":3100001,"QuotaID":4200001,"URL":"{origin}/TrafficUI/MSCUI/Page.aspx?pgtid=20&od={token}"}}'


def test_tokens_times_origins_and_minted_ids_are_not_differences() -> None:
    old = Answer(200, invite("http://127.0.0.1:8080", "UAhPBUhOGsHrhfFfhWej7Kug"), 0, origin="http://127.0.0.1:8080")
    new = Answer(200, invite("http://127.0.0.1:9090", "H5edKX6kN6G0R5wJ1OwIQLP-"), 0, origin="http://127.0.0.1:9090")
    assert differences(old, new) == []
    times = ('{"CacheExpires":"2026-12-06T08:15:08.768352Z"}', '{"CacheExpires":"2026-12-07T01:02:03.000001Z"}')
    assert differences(Answer(200, times[0], 0), Answer(200, times[1], 0)) == []
    ref = '<input type="hidden" name="ref" value="{}">'
    minted = (ref.format("40d88e1c-e06a-43e2-a674-912de7a70ff4"), ref.format("0b5c7e0f-3c1d-4f4e-9a53-5b8f3f1e2d11"))
    assert differences(Answer(200, minted[0], 0), Answer(200, minted[1], 0)) == []


def test_a_guid_the_request_carried_is_compared() -> None:
    other = "5d8e1a3c-9b2f-4e6d-a7c1-3f9b5d2e8a46"
    old = Answer(200, f'{{"PartnerGUID":"{PANEL}"}}', 0, known={PANEL})
    new = Answer(200, f'{{"PartnerGUID":"{other}"}}', 0, known={PANEL})
    assert differences(old, new) == [f"$.PartnerGUID: '{PANEL}' -> '<guid>'"]


def test_a_status_and_a_result_code_change_are_reported() -> None:
    refused = '{"Result":"QUOTA_NOT_LIVE","ResultCode":9}'
    old = Answer(200, invite("http://h", "UAhPBUhOGsHrhfFfhWej7Kug"), 0, result_code=1)
    found = differences(old, Answer(400, refused, 0))
    assert found == ["status 200 -> 400", "ResultCode 1 -> 9 (QUOTA_NOT_LIVE)"]
    blocked = '{"Result":"MEMBER_BLOCKED","ResultCode":14}'
    assert differences(Answer(400, blocked, 0), Answer(400, refused, 0)) == [
        "ResultCode 14 (MEMBER_BLOCKED) -> 9 (QUOTA_NOT_LIVE)"
    ]
    assert differences(Answer(201, "", 0), Answer(409, "", 0)) == ["status 201 -> 409"]


def test_a_cut_body_is_compared_on_its_kept_part_and_its_length() -> None:
    whole = '{"Surveys":[{"SurveyID":1,"LOI":15},{"SurveyID":2,"LOI":20}],"CacheExpires":"2026-12-06T08:15:08Z"}'
    kept = whole[:30]  # cut inside a value
    old = Answer(200, kept, len(whole), truncated=True)
    assert differences(old, Answer(200, whole, len(whole))) == []
    changed = whole.replace('"LOI":15', '"LOI":16')
    assert differences(old, Answer(200, changed, len(changed))) == []  # a change in the part cut off, same length
    shorter = whole.replace('"SurveyID":1,', "")
    found = differences(old, Answer(200, shorter, len(shorter)))
    assert (
        found[0].startswith("body differs at character 14")
        and found[-1] == f"length {len(whole)} -> {len(shorter)} bytes"
    )


def test_a_new_token_replaces_the_recorded_one_in_later_requests() -> None:
    old = Answer(200, invite("http://h", "UAhPBUhOGsHrhfFfhWej7Kug"), 0)
    new = Answer(200, invite("http://h", "H5edKX6kN6G0R5wJ1OwIQLP-"), 0)
    assert learned(old, new) == {"UAhPBUhOGsHrhfFfhWej7Kug": "H5edKX6kN6G0R5wJ1OwIQLP-"}
