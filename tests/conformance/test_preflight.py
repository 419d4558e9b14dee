"""``toluna-conformance preflight`` against a real sandbox serving ``fixtures/scenarios/golive.yaml`` (two profiles of
one partner) and a real notification receiver: every check passes for the good profile; a wrong key, an unknown
panel GUID, an endpoint that answers 500 or does not listen each fail, named, with their evidence."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conformance.certificate import verify_certificate, write_certificate
from conformance.cli import main
from conformance.config import RunConfig
from conformance.model import Report
from conformance.preflight import PROBE_HEADER, Preflight
from conformance.profiles import load_config, run_profile
from tests.support import ROOT, Sandbox, free_port, start_sandbox

EXAMPLE = ROOT / "examples" / "partner-profiles.yaml"
GOLIVE = ROOT / "fixtures" / "scenarios" / "golive.yaml"
PRODUCTION_PANEL = "9d7b5f31-6e8a-4c2d-b0f4-2e6a8c0d4b52"
PRODUCTION_KEYS = {
    "TOLUNA_PRODUCTION_API_AUTH_KEY": "2d4f6b8a-0c1e-4a3b-8d5f-7b9e1c3a5d63",
    "TOLUNA_PRODUCTION_PARTNER_AUTH_KEY": "6c8e0a2b-4d6f-4e8a-9b1d-3f5a7c9e1b74",
}
SETTING = {"complete": "Completion", "terminate": "Terminate", "survey": "Survey", "quota": "Quota"}
KINDS = tuple(SETTING)


class Receiver:
    """The partner's notification endpoints: ``/ok/...`` answers 204, ``/boom/...`` 500; every request is kept."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(500 if self.path.startswith("/boom") else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_HEAD = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture(scope="module")
def golive(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Sandbox]:
    """The golive scenario, its production panel registered with the receiver's endpoints."""
    server = start_sandbox(tmp_path_factory.mktemp("golive"), GOLIVE, workers=1)
    settings = {f"{SETTING[k]} Notification URL": f"{receiver.url}/ok/{k}" for k in KINDS}
    server.control("PUT", f"panels/{PRODUCTION_PANEL}", json={"settings": settings}).raise_for_status()
    yield server
    server.stop()


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PRODUCTION_KEYS.items():
        monkeypatch.setenv(name, value)


def config_for(tmp_path: Path, sandbox: Sandbox, receiver: Receiver, *edits: tuple[str, str]) -> Path:
    """The shipped example, pointed at this sandbox and this receiver, with ``edits`` (old, new) applied."""
    text = EXAMPLE.read_text().replace("http://127.0.0.1:8080", sandbox.base_url)
    text = text.replace("http://127.0.0.1:8082/toluna/notify", f"{receiver.url}/ok")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "profiles.yaml"
    path.write_text(text)
    return path


def preflight(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str]]:
    code = main(["preflight", "--config", str(path), "--profile", "production", *extra])
    return code, capsys.readouterr().out.splitlines()


def line(lines: list[str], check_id: str) -> str:
    found = [text for text in lines if text.split(": ", 1)[0].split("  ", 1)[-1] == check_id]
    assert len(found) == 1, lines
    return found[0]


@pytest.mark.usefixtures("keys")
def test_the_good_profile_passes_every_check_and_sends_no_member_data(
    golive: Sandbox, receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.requests.clear()
    code, lines = preflight(config_for(tmp_path, golive, receiver), capsys)
    assert code == 0, lines
    checks = [text for text in lines if text.startswith(("PASS", "FAIL"))]
    assert len(checks) == 3 + 2 + 1 + 1 + 4 and all(text.startswith("PASS") for text in checks)
    assert f"/ExternalSample/{PRODUCTION_PANEL}/Quotas -> 200" in line(lines, "panel EN-US")
    assert not any(value in "\n".join(lines) for value in PRODUCTION_KEYS.values())  # keys never shown
    probes = receiver.requests
    assert sorted(p["path"] for p in probes) == sorted(f"/ok/{k}" for k in KINDS)
    assert all(p["method"] == "POST" and p["body"] == b"" and p["headers"][PROBE_HEADER] == "1" for p in probes)


@pytest.mark.usefixtures("keys")
def test_a_wrong_key_fails_naming_the_key(
    golive: Sandbox, receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("TOLUNA_PRODUCTION_API_AUTH_KEY", "0f6b2d9e-0000-0000-0000-7e9c2f4a6b80")
    monkeypatch.setenv("TOLUNA_PRODUCTION_PARTNER_AUTH_KEY", "not-the-reference-data-key")
    code, lines = preflight(config_for(tmp_path, golive, receiver), capsys)
    assert code == 1
    assert line(lines, "key API_AUTH_KEY").startswith("FAIL  key API_AUTH_KEY: API_AUTH_KEY refused: GET ")
    assert "-> 403" in line(lines, "key API_AUTH_KEY")
    assert line(lines, "key PARTNER_AUTH_KEY").startswith("FAIL  key PARTNER_AUTH_KEY: PARTNER_AUTH_KEY refused")
    assert line(lines, "url IP_ES_URL").startswith("PASS")  # reaching the server is not the key's fault


@pytest.mark.usefixtures("keys")
def test_an_unknown_panel_guid_fails_with_result_code_3(
    golive: Sandbox, receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = "0badc0de-0000-4000-8000-000000000000"
    guid = f"EN-US: {PRODUCTION_PANEL}\n    keys:"
    path = config_for(
        tmp_path, golive, receiver, (guid, f"EN-US: {PRODUCTION_PANEL}\n      FR-FR: {unknown}\n    keys:")
    )
    code, lines = preflight(path, capsys)
    assert code == 1
    assert line(lines, "panel EN-US").startswith("PASS")
    fr = line(lines, "panel FR-FR")
    assert fr.startswith("FAIL") and "-> 400, result code 3 (PANEL_DOES_NOT_EXIST)" in fr and unknown in fr
    assert "Fix: use the panel GUID Toluna issued for FR-FR" in fr
    assert line(lines, "key API_AUTH_KEY").startswith("PASS")  # the EN-US panel confirms the key


@pytest.mark.usefixtures("keys")
def test_endpoints_that_fail_or_do_not_listen_fail_and_json_says_so(
    golive: Sandbox, receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    silent = f"http://127.0.0.1:{free_port()}/toluna/notify/quota"
    path = config_for(
        tmp_path,
        golive,
        receiver,
        (f"Survey Notification URL: {receiver.url}/ok/survey", f"Survey Notification URL: {receiver.url}/boom/survey"),
        (f"Quota Notification URL: {receiver.url}/ok/quota", f"Quota Notification URL: {silent}"),
    )
    code, lines = preflight(path, capsys, "--json")
    assert code == 1
    doc = json.loads("\n".join(lines))
    by_id = {c["id"]: c for c in doc["checks"]}
    assert by_id["notify Survey Notification URL"]["passed"] is False
    assert by_id["notify Survey Notification URL"]["status"] == 500
    assert by_id["notify Quota Notification URL"]["status"] is None
    assert "no answer (connection failed" in by_id["notify Quota Notification URL"]["evidence"]
    assert by_id["notify Completion Notification URL"]["passed"] is True
    # Toluna still has the receiver's endpoints on record: Get Settings says which ones differ from the profile
    assert by_id["settings EN-US"]["passed"] is False
    assert "Quota Notification URL is " in by_id["settings EN-US"]["evidence"]
    assert doc["profile"]["panels"] == {"EN-US": PRODUCTION_PANEL} and "keys" not in doc["profile"]


def test_the_sign_off_records_the_profile_and_never_its_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: None
) -> None:
    monkeypatch.setenv("TOLUNA_CONFORMANCE_HOME", str(tmp_path / "home"))
    flags: dict[str, Any] = {}
    profile = run_profile(EXAMPLE, "production", flags)
    assert flags["sandbox_url"] == "http://127.0.0.1:8080"  # the run attaches to the profile's sandbox
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\n")
    report = Report(
        scenario="s.yaml",
        sandbox_url="http://127.0.0.1:8080",
        sandbox_version="0",
        started="",
        finished="",
        partner="p",
    )
    path = write_certificate(report, RunConfig(scenario=scenario), tmp_path / "c.json", profile=profile)
    verified = verify_certificate(path)
    assert verified.status == "valid" and verified.manifest is not None
    recorded = verified.manifest["profile"]
    assert recorded["name"] == "production" and recorded["panels"] == {"EN-US": PRODUCTION_PANEL}
    assert set(recorded["urls"]) == {"IP_ES_URL", "IP_CORE_URL", "IP_REF_DATA_URL"}
    text = path.read_text()
    assert not any(v in text for v in PRODUCTION_KEYS.values()) and "TOLUNA_PRODUCTION_API_AUTH_KEY" not in text


def test_a_head_probe_is_available_for_receivers_that_cannot_change(
    golive: Sandbox, receiver: Receiver, tmp_path: Path, keys: None
) -> None:
    profile = load_config(config_for(tmp_path, golive, receiver)).profile("production")
    secrets, headers = profile.secrets()
    receiver.requests.clear()
    checks = Preflight(profile, secrets, headers, probe="head").run()
    assert all(c.passed for c in checks), [c.line() for c in checks if not c.passed]
    assert {p["method"] for p in receiver.requests} == {"HEAD"}
