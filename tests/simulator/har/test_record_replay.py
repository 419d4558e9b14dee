"""A partner's session against the real server, exported as HAR 1.2 and replayed: nothing differs on the same
world, the changed result code is reported once the world changes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import requests

from simulator.cli import main
from tests.support import ES, PANEL, Sandbox, click

from .support import har_problems

MEMBERS = "/IntegratedPanelService/api/Respondent"


def partner_session(sandbox: Sandbox) -> None:
    assert sandbox.get(f"{ES}/{PANEL}/Quotas").ok
    assert sandbox.control("GET", "explain?member=M-BOB&quota=4200002").json()["ResultCode"] == 1
    url = sandbox.invite("M-ANNA", 4200001).json()["URL"]
    assert sandbox.invite("M-BOB", 4200002).ok
    assert sandbox.invite("M-BLOCKED", 4200001).json()["ResultCode"] == 14
    member = {
        "PartnerGUID": PANEL,
        "MemberCode": "HAR-1",
        "BirthDate": "06/21/1985",
        "PostalCode": "07001",
        "RegistrationAnswers": [{"QuestionID": 1001007, "Answers": [{"AnswerID": 2000246}]}],
    }
    headers = {"Accept": "application/json;version=2.0"}
    assert requests.post(sandbox.base_url + MEMBERS, json=member, headers=headers, timeout=30).status_code == 201
    with requests.Session() as browser:  # the member clicks the invite, then the survey ends
        assert click(url, browser).status_code == 200
        assert click(url, browser, outcome="qualified").status_code == 302


def replay(har: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    code = main(["replay", str(har), "--against", sandbox.base_url, "--json"])
    return code, json.loads(capsys.readouterr().out)["Differences"]


def test_export_then_replay(fresh_sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    partner_session(fresh_sandbox)
    har = tmp_path / "session.har"
    assert main(["har", "export", "--url", fresh_sandbox.base_url, "-o", str(har)]) == 0
    assert "7 request(s) written" in capsys.readouterr().out
    doc = json.loads(har.read_text(encoding="utf-8"))
    assert har_problems(doc) == []
    entries = doc["log"]["entries"]
    started = [datetime.fromisoformat(e["startedDateTime"]) for e in entries]
    assert started == sorted(started)
    routes = [e["_route"] for e in entries]
    assert routes == ["quotas", "invite", "invite", "invite", "member_add", "survey_entry", "survey_entry"]
    quotas = entries[0]["response"]["content"]
    assert quotas["size"] > 4096 and len(quotas["text"]) == 4096 and quotas["_truncated"] is True
    refused = entries[3]
    assert refused["_resultCode"] == 14 and refused["response"]["content"]["text"].endswith('"ResultCode":14}')
    assert not any("_truncated" in e["response"]["content"] for e in entries[1:])

    fresh_sandbox.reset()
    code, found = replay(har, fresh_sandbox, capsys)
    assert (code, found) == (0, [])

    fresh_sandbox.reset()
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": False}).raise_for_status()
    code, found = replay(har, fresh_sandbox, capsys)
    assert code == 1
    by_index = {d["Index"]: d for d in found}
    assert by_index[1]["Path"].endswith("/M-ANNA/Invite/4200001")
    assert by_index[1]["Differences"] == ["status 200 -> 400", "ResultCode 1 -> 9 (QUOTA_NOT_LIVE)"]
    assert by_index[3]["Differences"] == ["ResultCode 14 (MEMBER_BLOCKED) -> 9 (QUOTA_NOT_LIVE)"]
    assert 4 not in by_index  # the member add answers as before


def test_replay_refuses_a_bad_file_and_a_missing_sandbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.har"
    bad.write_text('{"log": {"entries": [{"request": {"method": "GET"}}]}}', encoding="utf-8")
    assert main(["replay", str(bad), "--against", "http://127.0.0.1:9"]) == 2
    assert "log.entries[0] has no request.url" in capsys.readouterr().err
    bad.write_text(
        '{"log": {"entries": [{"request": {"method": "GET", "url": "http://h/", "headers": []}, '
        '"response": {"status": "200"}}]}}',
        encoding="utf-8",
    )
    assert main(["replay", str(bad), "--against", "http://127.0.0.1:9"]) == 2
    assert "log.entries[0].response.status is not a whole number" in capsys.readouterr().err
    good = tmp_path / "empty.har"
    good.write_text('{"log": {"version": "1.2", "entries": []}}', encoding="utf-8")
    assert main(["replay", str(good), "--against", "http://127.0.0.1:9"]) == 2
    assert "no sandbox answers at http://127.0.0.1:9" in capsys.readouterr().err
