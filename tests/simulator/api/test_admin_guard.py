"""The control API answers loopback peers, and other peers that send the admin token; the loopback check reads the
socket's peer address only, so spoofed ``Host``, ``X-Forwarded-For`` or ``Forwarded`` headers open nothing. Real
servers on real sockets: one bound to a non-loopback address of this machine, one bound to ``::``."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from conformance.cli import build_parser as conformance_parser
from conformance.sandbox import SandboxClient, SandboxError
from simulator.api.admin import ENV, HEADER, is_loopback, is_loopback_host
from simulator.app import create_app
from simulator.cli import main
from simulator.store import Store
from tests.support import DEFAULT_SCENARIO, ES, PANEL, ROOT, Sandbox, click, free_port, invite

TOKEN = "test-admin-token-0123456789"
SPOOFS = [
    {},
    {"Host": "localhost"},
    {"Host": "127.0.0.1"},
    {"X-Forwarded-For": "127.0.0.1"},
    {"Forwarded": "for=127.0.0.1"},
    {"X-Real-IP": "127.0.0.1"},
    {HEADER: ""},
    {HEADER: "wrong-token"},
    {HEADER: TOKEN[:-1]},
]


def _addresses(family: socket.AddressFamily) -> list[str]:
    """This machine's non-loopback addresses of one family (``hostname -I``)."""
    try:
        listed = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return []
    v6 = family == socket.AF_INET6
    return [a for a in listed if (":" in a) == v6 and not is_loopback(a) and not a.lower().startswith("fe80")]


def _serve(tmp: Path, host: str, probe: str, *extra: str) -> Sandbox:
    """``toluna-sandbox serve --host host``, ready once ``probe`` (a host this machine reaches it at) answers."""
    port = free_port()
    log = tmp / "server.log"
    cmd = [sys.executable, "-m", "simulator.cli", "serve", "--scenario", str(DEFAULT_SCENARIO)]
    cmd += ["--db", str(tmp / "s.db"), "--host", host, "--port", str(port), "--workers", "1", *extra]
    env = {k: v for k, v in os.environ.items() if k != ENV} | {"PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    server = Sandbox(f"http://{probe}:{port}", process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(f"{server.base_url}/IntegratedPanelService/api/Settings", timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"sandbox did not start: {log.read_text()}")


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox bound to a non-loopback address, reached from that address: its peers are not loopback."""
    found = _addresses(socket.AF_INET)
    if not found:
        pytest.skip("this machine has no non-loopback IPv4 address (the test client checks below still run)")
    server = _serve(tmp_path_factory.mktemp("remote"), found[0], found[0], "--admin-token", TOKEN)
    yield server
    server.stop()


# --- the peer address, unit by unit --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("192.0.2.2", False),
        ("::ffff:192.0.2.2", False),
        ("fd00::2", False),
        ("0.0.0.0", False),
        ("localhost", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_is_the_peer_address_only(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_which_binds_stay_on_this_machine() -> None:
    assert all(map(is_loopback_host, ["127.0.0.1", "localhost", "::1", "[::1]"]))
    assert not any(map(is_loopback_host, ["0.0.0.0", "::", "[::]", "192.0.2.2", "sandbox.example"]))


def test_spoofed_headers_do_not_pass_for_loopback_in_the_app(store: Store) -> None:
    """The same property without a socket (``REMOTE_ADDR`` as a server sets it)."""
    client: FlaskClient = create_app(store, {"ADMIN_TOKEN": TOKEN}).test_client()
    peer = {"REMOTE_ADDR": "192.0.2.9"}
    for headers in SPOOFS:
        assert client.get("/_sandbox/scenario", headers=headers, environ_base=peer).status_code == 403, headers
    assert client.get("/_sandbox/scenario", headers={HEADER: TOKEN}, environ_base=peer).status_code == 200
    assert client.get("/_sandbox/scenario", environ_base={"REMOTE_ADDR": "::ffff:127.0.0.1"}).status_code == 200


# --- a real server on a non-loopback address -----------------------------------------------------------------
def test_spoofed_loopback_headers_open_nothing(remote: Sandbox) -> None:
    for headers in SPOOFS:
        resp = remote.control("GET", "scenario", headers=headers)
        assert resp.status_code == 403, headers
        assert HEADER in resp.json()["Message"]
    hidden = remote.control("GET", "anything-else", headers={"Host": "localhost"})
    assert hidden.status_code == 403 and "Routes" not in hidden.json()


def test_the_admin_token_opens_the_control_api(remote: Sandbox) -> None:
    admin = {HEADER: TOKEN}
    assert remote.control("GET", "scenario", headers=admin).json()["Panels"][0]["PanelGUID"] == PANEL
    refused = remote.control("POST", "faults", headers=admin, json={"member": "M-ANNA", "result_code": 36})
    assert refused.status_code == 400 and refused.json()["Unknown"] == ["member"]
    assert remote.control("GET", "nowhere", headers=admin).status_code == 404


def test_partner_routes_and_the_survey_walk_stay_open(remote: Sandbox) -> None:
    assert remote.get(f"{ES}/{PANEL}/Quotas").status_code == 200
    page = click(invite(remote, "M-ANNA", 4200001))
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]


def test_the_banner_warns_and_keeps_a_given_token_to_itself(remote: Sandbox) -> None:
    log = remote.log.read_text()
    host = remote.base_url.split("//")[1].rsplit(":", 1)[0]
    assert f"toluna-sandbox: warning: --host {host} is not loopback" in log
    assert f"Admin token (header {HEADER}; the control API asks non-loopback clients for it): as given" in log
    assert TOKEN not in log


def test_the_cli_sends_the_token(
    remote: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(SystemExit, match="403"):
        main(["journal", "--url", remote.base_url])
    assert main(["journal", "--url", remote.base_url, "--admin-token", TOKEN, "--json"]) == 0
    assert capsys.readouterr().out.startswith("[")
    monkeypatch.setenv(ENV, TOKEN)
    assert main(["outbox", "list", "--url", remote.base_url]) == 0
    assert main(["explain", "--url", remote.base_url, "--member", "M-ANNA", "--quota", "4200001"]) == 0
    assert "GenerateInvite would answer" in capsys.readouterr().out


def test_the_conformance_suite_attaches_with_the_token(remote: Sandbox) -> None:
    with pytest.raises(SandboxError, match="403"):
        SandboxClient(remote.base_url).scenario()
    assert SandboxClient(remote.base_url, admin_token=TOKEN).scenario()["Panels"][0]["PanelGUID"] == PANEL
    args = conformance_parser().parse_args(["run", "--sandbox-url", remote.base_url, "--admin-token", TOKEN])
    assert args.admin_token == TOKEN


# --- IPv6 --------------------------------------------------------------------------------------------------------
def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 on this machine")
def test_serving_on_ipv6(tmp_path: Path) -> None:
    server = _serve(tmp_path, "::", "[::1]")
    try:
        log = server.log.read_text()
        port = server.base_url.rsplit(":", 1)[1]
        assert f"Base URL (IP_ES_URL = IP_CORE_URL = IP_REF_DATA_URL): http://[::1]:{port}\n" in log
        assert "toluna-sandbox: warning: --host :: is not loopback" in log
        token = re.search(r"asks non-loopback clients for it\): (\S+)", log)
        assert token is not None and len(token.group(1)) >= 24
        assert server.control("GET", "health").status_code == 200  # [::1]
        assert requests.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=10).status_code == 200  # mapped
        for other in [f"[{a}]" for a in _addresses(socket.AF_INET6)] + _addresses(socket.AF_INET):
            url = f"http://{other}:{port}/_sandbox/health"
            assert requests.get(url, headers={"Host": "localhost"}, timeout=10).status_code == 403
            assert requests.get(url, headers={HEADER: token.group(1)}, timeout=10).status_code == 200
    finally:
        server.stop()


def test_control_from_anywhere_is_gone(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--control-from-anywhere"])
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert "--control-from-anywhere is gone" in said and "--admin-token" in said and HEADER in said
