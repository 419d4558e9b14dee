"""Repro capsules through real servers: a sandbox whose world moved away from its scenario is exported, opened on
another port in exactly that state (the same GenerateInvite gives the same result code), and its tape replayed
against it without a status or result-code difference; a file that is not a capsule is refused in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from simulator.cli import main
from simulator.services.capsules import pack
from tests.support import KEY, PANEL, ROOT, Sandbox, free_port

MEMBERS = "/IntegratedPanelService/api/Respondent"
V2 = {"Accept": "application/json;version=2.0"}
HELD = 4200003  # put on hold: GenerateInvite answers QUOTA_NOT_LIVE
OPEN = 4200001  # the added member gets an invite to it


def _add_member(base: str, code: str) -> requests.Response:
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
    return requests.post(base + MEMBERS, json=doc, headers=V2, timeout=30)


def _now(base: str) -> datetime:
    return datetime.fromisoformat(requests.get(f"{base}/_sandbox/clock", timeout=30).json()["Now"])


@pytest.fixture
def capsule(fresh_sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[Path, int]]:
    """A capsule of the shared sandbox after the world moved: a member added, an invite made, a quota on hold, the
    clock advanced a day; and the result code of the GenerateInvite that fails."""
    base = fresh_sandbox.base_url
    assert _add_member(base, "CAPSULE-1").status_code == 201
    assert fresh_sandbox.invite("CAPSULE-1", OPEN).status_code == 200
    assert fresh_sandbox.control("PUT", f"quotas/{HELD}", json={"live": False}).ok
    assert fresh_sandbox.control("POST", "clock/advance", json={"days": 1}).ok
    failing = fresh_sandbox.invite("M-ANNA", HELD)
    assert failing.status_code == 400
    file = tmp_path / "partner.capsule"
    assert main(["capsule", "export", "--url", base, "-o", str(file)]) == 0
    assert "3 journal entries on the tape" in capsys.readouterr().out
    yield file, failing.json()["ResultCode"]


@pytest.fixture
def opened(capsule: tuple[Path, int], tmp_path: Path) -> Iterator[str]:
    """``capsule open`` on another port: its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "simulator.cli", "capsule", "open", str(capsule[0]), "--port", str(port)]
    cmd += ["--db", str(tmp_path / "opened.db"), "--workers", "1"]
    with (tmp_path / "opened.log").open("wb") as log:
        process = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "opened.log").read_text()
            try:
                if requests.get(f"{base}/_sandbox/health", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_an_opened_capsule_answers_as_the_partners_sandbox_did(
    fresh_sandbox: Sandbox, capsule: tuple[Path, int], opened: str, capsys: pytest.CaptureFixture[str]
) -> None:
    file, code = capsule
    key = {"API_AUTH_KEY": KEY}
    es = f"{opened}/IPExternalSamplingService/ExternalSample/{PANEL}"
    again = requests.get(f"{es}/M-ANNA/Invite/{HELD}", headers=key, timeout=30)
    assert again.status_code == 400 and again.json()["ResultCode"] == code
    quotas = requests.get(f"{es}/Quotas", headers=key, timeout=30).json()["Surveys"]
    assert HELD not in {q["QuotaID"] for s in quotas for q in s["Quotas"]}  # still on hold
    assert abs((_now(opened) - _now(fresh_sandbox.base_url)).total_seconds()) < 30  # a day ahead, both
    params = {"memberCode": "CAPSULE-1", "partnerGUID": PANEL}
    member = requests.get(opened + MEMBERS + "/", params=params, headers=V2, timeout=30)
    assert member.status_code == 200 and member.json()["PostalCode"] == "07001"
    invite = requests.get(f"{es}/CAPSULE-1/Invite/{OPEN}", headers=key, timeout=30)
    assert invite.status_code == 200  # the open invite made before the export

    assert main(["capsule", "replay", str(file), "--against", opened]) == 0
    out = capsys.readouterr().out
    assert "2 request(s) sent again, 1 not sent" in out and "0 differ in status or result code" in out


@pytest.mark.parametrize(
    "content",
    [b"not a capsule at all", b"PK\x03\x04 damaged zip", b'{"format": "something else"}', "zip without capsule"],
)
def test_a_file_that_is_not_a_capsule_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | str
) -> None:
    file = tmp_path / "foreign.capsule"
    if isinstance(content, str):
        with zipfile.ZipFile(file, "w") as z:
            z.writestr("readme.txt", content)
    else:
        file.write_bytes(content)
    for command in (["open", str(file), "--db", str(tmp_path / "x.db")], ["replay", str(file)]):
        assert main(["capsule", *command]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"toluna-sandbox: {file}") and "Fix: " in err and "Traceback" not in err
        assert err.count("\n") == 1


@pytest.mark.slow
def test_a_capsule_posted_to_a_sandbox_puts_its_state_back(client: FlaskClient) -> None:
    """``POST /_sandbox/capsule`` takes the capsule file (or ``GET``'s document) and replaces the whole state."""
    assert client.put(f"/_sandbox/quotas/{HELD}", json={"live": False}).status_code == 200
    doc = client.get("/_sandbox/capsule").get_json()
    assert doc["format"] == "toluna-sandbox capsule" and doc["scenario"]["name"]
    held = client.get(f"/_sandbox/explain?member=M-ANNA&quota={HELD}").get_json()["ResultCode"]
    assert client.put(f"/_sandbox/quotas/{HELD}", json={"live": True}).status_code == 200
    assert client.get(f"/_sandbox/explain?member=M-ANNA&quota={HELD}").get_json()["ResultCode"] != held
    opened = client.post("/_sandbox/capsule", data=pack(doc), content_type="application/zip")
    assert opened.status_code == 200, opened.get_data(as_text=True)
    assert client.get(f"/_sandbox/explain?member=M-ANNA&quota={HELD}").get_json()["ResultCode"] == held
    refused = client.post("/_sandbox/capsule", data=b"PK\x03\x04 damaged", content_type="application/zip")
    assert refused.status_code == 400 and refused.get_json()["Message"].startswith("the request body is a damaged zip")
