"""Hostile requests over a real socket against the production server: each gets a 4xx or a refused or closed
connection (the server may refuse some before the application sees them), never a 5xx, and the server still
answers GetQuotas afterwards. Nothing is read outside the paths the sandbox was given."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.support import DEFAULT_SCENARIO, ES, KEY, PANEL, Sandbox

REF_KEY = "e3b7c1d9-2a6f-4d8b-9c4e-6a1f3b7d5c28"
INVITES = f"{ES}/{PANEL}/M-ANNA/Invites"
MB = 1024 * 1024


def exchange(sandbox: Sandbox, head: bytes, body: Iterable[bytes] = ()) -> int | None:
    """Send a raw request; the answer's status, or None when the server closed or reset the connection."""
    url = urlsplit(sandbox.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        try:
            sock.sendall(head)
            for part in body:
                sock.sendall(part)
        except OSError:
            pass  # the server answered (or closed) before taking the whole request: read what it said
        answer = b""
        try:
            while b"\r\n" not in answer:
                got = sock.recv(4096)
                if not got:
                    break
                answer += got
        except (ConnectionResetError, BrokenPipeError):
            pass
    if not answer:
        return None
    return int(answer.split(b" ", 2)[1])


def request(method: str, target: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    if body:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def refused(sandbox: Sandbox, status: int | None) -> None:
    """A 4xx or a closed connection, and the server still serves GetQuotas."""
    assert status is None or 400 <= status < 500, status
    assert sandbox.get(f"{ES}/{PANEL}/Quotas").status_code == 200


def chunked(size: int, end: bool = True) -> Iterable[bytes]:
    part = b"x" * 65536
    for _ in range(size // len(part)):
        yield b"%x\r\n" % len(part) + part + b"\r\n"
    if end:
        yield b"0\r\n\r\n"


def test_bodies_over_the_limit_are_refused(sandbox: Sandbox) -> None:
    target = INVITES.encode()
    json_head = (b"API_AUTH_KEY: " + KEY.encode(), b"Content-Type: application/json")
    honest = request("POST", target, *json_head, body=b" " * (10 * MB))
    assert exchange(sandbox, honest) in (413, None)
    refused(sandbox, None)
    lying = request("POST", target, *json_head, b"Content-Length: " + str(10 * MB).encode()) + b'{"QuotaIDs":[1]}'
    refused(sandbox, exchange(sandbox, lying))
    streamed = request("POST", target, *json_head, b"Transfer-Encoding: chunked")
    assert exchange(sandbox, streamed, chunked(2 * MB)) in (413, None)
    refused(sandbox, exchange(sandbox, streamed, chunked(MB + 65536, end=False)))  # a body that never ends
    scenario = request("POST", b"/_sandbox/scenario", b"Transfer-Encoding: chunked")
    refused(sandbox, exchange(sandbox, scenario, chunked(40 * MB)))


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", INVITES, {"API_AUTH_KEY": KEY}),
        ("POST", "/IntegratedPanelService/api/Respondent", {"Accept": "application/json;version=2.0"}),
        ("PUT", "/IntegratedPanelService/api/Respondent", {"Accept": "application/json;version=2.0"}),
        ("POST", "/IntegratedPanelService/api/Surveys/RegisterMemberAndGetSurveys", {}),
        ("POST", "/IPUtilityService/ReferenceData/QuestionsAndAnswersData", {"PARTNER_AUTH_KEY": REF_KEY}),
        ("POST", "/_sandbox/faults", {}),
        ("POST", "/_sandbox/reference", {}),
        ("PUT", "/_sandbox/clock", {}),
    ],
)
def test_json_nested_100000_deep_is_a_400(sandbox: Sandbox, method: str, path: str, headers: dict[str, str]) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    headers = {**headers, "Content-Type": "application/json"}
    resp = requests.request(method, sandbox.base_url + path, data=body, headers=headers, timeout=30)
    assert resp.status_code == 400
    assert resp.json() == {"Message": "The JSON body is nested too deeply (at most 64 levels)."}
    refused(sandbox, resp.status_code)


def test_what_is_not_utf8_is_refused(sandbox: Sandbox) -> None:
    key = b"API_AUTH_KEY: " + KEY.encode()
    quotas = f"{ES}/{PANEL}/Quotas".encode()
    for raw in (
        request("GET", f"{ES}/{PANEL}/M-\xff/Invite/4200001".encode("latin-1"), key),
        request("GET", f"{ES}/{PANEL}/M-%FF%FE/Invite/4200001".encode(), key),
        request("GET", quotas + b"?includeRoutables=%C3%28", key),
        request("GET", quotas + b"?includeRoutables=\xff", key),
        request("GET", quotas, b"API_AUTH_KEY: " + KEY.encode() + b"\xff"),  # never opens the panel
        request("GET", b"/IPUtilityService/ReferenceData/Cultures", b"PARTNER_AUTH_KEY: \xc3" + REF_KEY.encode()),
        request("POST", INVITES.encode(), key, b"Content-Type: application/json", body=b'{"QuotaIDs": "\xff"}'),
        request("POST", b"/_sandbox/scenario", body=b"name: caf\xe9\n"),
    ):
        refused(sandbox, exchange(sandbox, raw))


def test_header_floods_are_refused(sandbox: Sandbox) -> None:
    key = b"API_AUTH_KEY: " + KEY.encode()
    quotas = f"{ES}/{PANEL}/Quotas".encode()
    many = [b"X-Flood-%d: v" % i for i in range(500)]
    refused(sandbox, exchange(sandbox, request("GET", quotas, key, *many)))
    refused(sandbox, exchange(sandbox, request("GET", quotas, key, b"X-Long: " + b"v" * 70_000)))
    refused(sandbox, exchange(sandbox, request("GET", quotas, key, b"X-Huge: " + b"v" * MB)))
    refused(sandbox, exchange(sandbox, request("GET", quotas + b"?q=" + b"x" * 70_000, key)))


@pytest.mark.parametrize(
    "target",
    [
        b"/../../../../etc/passwd",
        b"/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        b"/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        f"{ES}/{PANEL}/..%2f..%2f..%2fetc%2fpasswd/Invite/1".encode(),
        f"{ES}/{PANEL}/%2e%2e/Quotas".encode(),
        b"/TrafficUI/MSCUI/..%5c..%5c..%5cetc%5cpasswd",
        b"/TrafficUI/MSCUI/Page.aspx/../../../etc/passwd",
        b"/_sandbox/../../etc/passwd",
        b"//etc/passwd",
        b"/etc/passwd",
        b"/static/../../etc/passwd",
        b"/web/templates/message.html",
        b"/IntegratedPanelService/api/Reports/Surveys/..%2f..%2f..%2fetc%2fpasswd/StatusByName",
    ],
)
def test_paths_that_climb_or_name_files_read_nothing(sandbox: Sandbox, target: bytes) -> None:
    status = exchange(sandbox, request("GET", target, b"API_AUTH_KEY: " + KEY.encode()))
    refused(sandbox, status)
    body = requests.get(sandbox.base_url + target.decode(), headers={"API_AUTH_KEY": KEY}, timeout=30)
    assert body.status_code < 500 and "root:" not in body.text and "{%" not in body.text


def loaded(sandbox: Sandbox) -> dict[str, object]:
    """What the server has loaded (its clock aside)."""
    return {k: v for k, v in sandbox.control("GET", "scenario").json().items() if k != "Clock"}


def test_control_calls_that_take_a_name_or_a_file_stay_inside(sandbox: Sandbox, tmp_path: Path) -> None:
    before = loaded(sandbox)
    secret = tmp_path / "secret.json"
    secret.write_text('[{"QuestionID": 1}]')
    panel = f"panels:\n  - {{guid: {PANEL}, culture: EN-US, api_key: {KEY}}}\n"
    try:
        for name in ("../../../tmp/evil.yaml", "/etc/passwd", "..", "a\\b.yaml", str(secret)):
            resp = sandbox.control("POST", "scenario", params={"name": name}, data=panel)
            assert resp.status_code == 400 and "plain file name" in resp.json()["Message"]
        for file in (str(secret), "/etc/passwd", "../" * 12 + "etc/passwd", f"../../../..{tmp_path}/secret.json"):
            for key in ("reference_data:\n  file", "inventory:\n  - culture: EN-US\n    file"):
                resp = sandbox.control("POST", "scenario", data=f"{panel}{key}: {file!r}\n")
                assert 400 <= resp.status_code < 500, resp.text
                assert "root:" not in resp.text and "QuestionID" not in resp.text
        assert loaded(sandbox) == before
    finally:  # a refusal that failed must not leave the shared server on another scenario
        if loaded(sandbox) != before:
            sandbox.control("POST", "scenario", data=DEFAULT_SCENARIO.read_bytes()).raise_for_status()
    refused(sandbox, 400)
