"""Journal entries as HAR 1.2, without a server: required fields, request order, honest truncation, paging."""

from __future__ import annotations

from typing import Any

from simulator.har.export import PAGE, read_journal, to_har

from .support import har_problems

PANEL = "7a3f5c2e-8b1d-4e6a-9c0f-2d4b6e8a1c3e"


def entry(i: int, wall: str, **fields: Any) -> dict[str, Any]:
    base = {
        "id": i,
        "at": wall,
        "wall_at": wall,
        "method": "GET",
        "path": f"/IPExternalSamplingService/ExternalSample/{PANEL}/Quotas",
        "query": "",
        "route": "quotas",
        "panel_guid": PANEL,
        "member_code": None,
        "quota_id": None,
        "status": 200,
        "result_code": None,
        "duration_ms": 2.5,
        "request_headers": {"Host": "127.0.0.1:8080", "Api-Auth-Key": "k"},
        "request_body": None,
        "response_body": '{"Surveys":[]}',
        "response_length": 14,
        "note": None,
    }
    return {**base, **fields}


def test_entries_follow_the_request_time_not_the_id() -> None:
    entries = [
        entry(1, "2026-01-01T10:00:02+00:00"),
        entry(2, "2026-01-01T10:00:01.5+00:00", note="first"),
        entry(3, "2026-01-01T10:00:03+00:00"),
    ]
    har = to_har(entries, "http://127.0.0.1:8080")
    assert har_problems(har) == []
    assert [e["_journalId"] for e in har["log"]["entries"]] == [2, 1, 3]
    first = har["log"]["entries"][0]
    assert first["_note"] == "first" and first["_route"] == "quotas"
    assert first["request"]["url"] == f"http://127.0.0.1:8080/IPExternalSamplingService/ExternalSample/{PANEL}/Quotas"
    assert {"name": "API_AUTH_KEY", "value": "k"} in first["request"]["headers"]  # Toluna's spelling


def test_a_cut_body_says_so_and_keeps_its_real_length() -> None:
    head = '{"Surveys":[' + "x" * 4084
    cut = entry(1, "2026-01-01T10:00:00+00:00", response_body=head, response_length=15989)
    whole = entry(2, "2026-01-01T10:00:01+00:00", route="invite", response_body='{"Result":"MEMBER_BLOCKED"}')
    whole["response_length"] = len(whole["response_body"])
    form = entry(
        3,
        "2026-01-01T10:00:02+00:00",
        method="POST",
        query="pgtid=20&od=abc",
        request_headers={"Host": "h:1", "Content-Type": "application/x-www-form-urlencoded", "Content-Length": "20"},
        request_body=None,  # a body the journal did not keep
    )
    har = to_har([cut, whole, form], "http://127.0.0.1:8080")
    assert har_problems(har) == []
    quotas, invite, post = har["log"]["entries"]
    assert quotas["response"]["content"] == {
        "size": 15989,
        "mimeType": "application/json; charset=utf-8",
        "text": head,
        "_truncated": True,
    }
    assert quotas["response"]["bodySize"] == 15989
    assert "_truncated" not in invite["response"]["content"]
    assert post["request"]["postData"] == {
        "mimeType": "application/x-www-form-urlencoded",
        "text": "",
        "params": [],
        "_truncated": True,
    }
    assert post["request"]["bodySize"] == 20
    assert post["request"]["queryString"] == [{"name": "pgtid", "value": "20"}, {"name": "od", "value": "abc"}]


def test_the_schema_rejects_what_har_tools_would() -> None:
    har = to_har([entry(1, "2026-01-01T10:00:00+00:00")], "http://x")
    del har["log"]["entries"][0]["response"]["content"]["mimeType"]
    har["log"]["entries"][0]["route"] = "quotas"  # a custom field without its _
    problems = har_problems(har)
    assert any("mimeType" in p for p in problems) and any("route" in p for p in problems)


def test_the_journal_is_read_page_after_page() -> None:
    asked: list[dict[str, object]] = []

    def fetch(params: dict[str, object]) -> dict[str, Any]:
        asked.append(params)
        start = int(str(params.get("after", 0)))
        ids = range(start + 1, min(start + PAGE, PAGE + 3) + 1)
        return {"Entries": [entry(i, "2026-01-01T10:00:00+00:00") for i in ids]}

    found = read_journal(fetch, {"route": "invite"})
    assert [e["id"] for e in found] == list(range(1, PAGE + 4))
    assert asked == [{"route": "invite", "limit": PAGE}, {"route": "invite", "limit": PAGE, "after": PAGE}]
