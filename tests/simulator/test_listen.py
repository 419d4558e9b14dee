"""``toluna-sandbox listen`` on real sockets: the sandbox's notifications printed as they arrive, forwarded to the
partner with its answer passed back, ``EncryptedValue`` checked, bad bodies shown raw, and a clean stop on signals."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from simulator.cli import main
from simulator.cli_listen import ListenServer, Options
from tests.receiver import Receiver
from tests.support import PANEL, ROOT, Sandbox, free_port

KEY = "listen-secret-1"


@dataclass
class Listener:
    server: ListenServer
    out: io.StringIO

    def url(self, path: str) -> str:
        return self.server.url + path

    def lines(self) -> list[str]:
        return self.out.getvalue().splitlines()


@pytest.fixture
def listen() -> Iterator[Callable[..., Listener]]:
    started: list[ListenServer] = []

    def start(**options: Any) -> Listener:
        out = io.StringIO()
        server = ListenServer("127.0.0.1", 0, Options(**options), out)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        started.append(server)
        return Listener(server, out)

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def fire(sandbox: Sandbox, event: str, **body: Any) -> dict[str, Any]:
    """An event made to happen, its notification delivered; the outbox's record of it."""
    answer = sandbox.control("POST", f"events/{event}", json=body).json()
    (notification_id,) = answer["Notifications"]
    sandbox.control("POST", "outbox/wait", params={"ids": notification_id, "timeout": 10}).raise_for_status()
    return sandbox.control("GET", f"outbox/{notification_id}").json()


def point(sandbox: Sandbox, setting: str, url: str, **panel: Any) -> None:
    sandbox.control("PUT", f"panels/{PANEL}", json={"settings": {setting: url}, **panel}).raise_for_status()


def test_a_quota_status_from_the_sandbox_is_printed_and_answered_200(
    fresh_sandbox: Sandbox, listen: Callable[..., Listener]
) -> None:
    listener = listen()
    point(fresh_sandbox, "Quota Notification URL", listener.url("/toluna/quota"))
    sent = fire(fresh_sandbox, "quota-status", quota=4200002, live=False)
    assert sent["Attempts"][-1]["Status"] == 200
    (shown,) = listener.lines()
    assert "quota status" in shown and "quota 4200002" in shown and "on hold" in shown
    assert shown.endswith("POST /toluna/quota -> 200")


def test_forwarding_passes_the_partners_answer_back_to_the_sandbox(
    fresh_sandbox: Sandbox, listen: Callable[..., Listener], receiver: Receiver
) -> None:
    receiver.misbehave("/partner/quota", times=1, status=202)
    listener = listen(forward_to=receiver.url("/partner"))
    point(fresh_sandbox, "Quota Notification URL", listener.url("/quota?src=toluna"))
    sent = fire(fresh_sandbox, "quota-status", quota=4200001, live=True)
    assert (sent["Attempts"][-1]["Status"], sent["Attempts"][-1]["Response"]) == (202, '{"ok": true}')
    (got,) = receiver.received("/partner/quota")
    assert got.path == "/partner/quota?src=toluna" and json.loads(got.body)["IsLive"] is True
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.headers["User-Agent"] == "toluna-sandbox-notifications"
    assert listener.lines()[-1].endswith(f"-> 202 from {receiver.url('/partner/quota?src=toluna')}")


def test_forwarding_to_a_partner_that_is_down_answers_502_and_says_why(listen: Callable[..., Listener]) -> None:
    listener = listen(forward_to=f"http://127.0.0.1:{free_port()}", timeout=2.0)
    body = {"SurveyID": 3100001, "Status": "Closed", "DateTime": "2026-11-29 23:29:44", "WaveId": 900001}
    answer = requests.post(listener.url("/survey"), json=body, timeout=10)
    assert answer.status_code == 502 and "ConnectionRefusedError" in answer.json()["Error"]
    (shown,) = listener.lines()
    assert "survey closed" in shown and "-> 502 partner unreachable at http://127.0.0.1:" in shown


def test_an_encrypted_xml_completion_is_checked_with_the_key(
    fresh_sandbox: Sandbox, listen: Callable[..., Listener]
) -> None:
    right = listen(algorithm="HMAC-SHA256", key=KEY, json=True)
    encryption = {"encryption_algorithm": "HMAC-SHA256", "encryption_key": KEY, "notification_format": "xml"}
    point(fresh_sandbox, "Completion Notification URL", right.url("/complete"), **encryption)
    sent = fire(fresh_sandbox, "complete", member="M-ANNA", quota=4200001)
    assert sent["Body"].startswith("<?xml") and "<EncryptedValue>" in sent["Body"]
    (entry,) = [json.loads(line) for line in right.lines()]
    assert entry["kind"] == "complete" and entry["signature"] == "ok"
    assert entry["about"]["member"] == "M-ANNA" and entry["about"]["quota"] == "4200001" and entry["status"] == 200

    wrong = listen(algorithm="HMAC-SHA256", key="another-secret")
    headers = {"Content-Type": "application/xml"}
    assert requests.post(wrong.url("/complete"), data=sent["Body"], headers=headers, timeout=10).status_code == 200
    unsigned = sent["Body"].split("<EncryptedValue>")[0] + "</confirmation>"
    requests.post(wrong.url("/complete"), data=unsigned, headers=headers, timeout=10).raise_for_status()
    bad, missing = wrong.lines()
    assert "complete       member M-ANNA" in bad and "signature BAD" in bad
    assert "signature missing" in missing


def test_a_body_that_is_no_notification_is_printed_raw_and_the_listener_goes_on(
    listen: Callable[..., Listener],
) -> None:
    listener = listen()
    garbage = requests.post(listener.url("/complete"), data=b"{not json <at all", timeout=10)
    latin = requests.post(listener.url("/terminate"), data="<é/>".encode("latin-1"), timeout=10)
    terminate = {"UniqueCode": "M-BOB", "SurveyId": 3100001, "Reason": "QuotaFull", "WaveId": 900001}
    fine = requests.post(listener.url("/terminate"), json=terminate, timeout=10)
    assert [r.status_code for r in (garbage, latin, fine)] == [200, 200, 200]
    first, second, third = listener.lines()
    assert "unreadable" in first and "neither JSON nor XML" in first and "'{not json <at all'" in first
    assert "unreadable" in second and "not UTF-8 text" in second
    assert "terminate" in third and "member M-BOB" in third and "reason QuotaFull" in third


@contextmanager
def ctrl_c_reaches_children() -> Iterator[None]:
    """Children started meanwhile get Ctrl-C as a command started in a terminal does. A run started in the
    background by a script (``make test &``) ignores SIGINT, and its children inherit that, so Python would never turn
    it into KeyboardInterrupt; a handler here is reset to the default in the child when it starts."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_command_ends_cleanly_on_ctrl_c_and_sigterm(stop: signal.Signals) -> None:
    command = [sys.executable, "-m", "simulator.cli", "listen", "--port", "0", "--json"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with ctrl_c_reaches_children():
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with proc:
        try:
            assert proc.stderr is not None and proc.stdout is not None
            ready = proc.stderr.readline()
            assert "ready on http://127.0.0.1:" in ready, ready
            base = ready.split("ready on ")[1].split()[0]
            doc = {"QuotaID": 4200001, "SurveyID": 3100001, "WaveID": 900001, "IsLive": True}
            assert requests.post(base + "/quota", json=doc, timeout=10).json() == {"Received": True}
            assert json.loads(proc.stdout.readline())["about"]["live"] is True
            proc.send_signal(stop)
            assert proc.wait(timeout=10) == 0
            rest = proc.stderr.read()
            assert "stopped" in rest and "Traceback" not in rest
        finally:
            proc.kill()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--algorithm", "HMAC-SHA1"], "needs --key"),
        (["--algorithm", "ROT13"], "unknown algorithm 'ROT13'"),
        (["--forward-to", "ftp://partner"], "write an http(s) URL"),
    ],
)
def test_bad_flags_name_the_fix(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["listen", "--port", "0", *argv])
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_a_taken_port_names_the_fix(listen: Callable[..., Listener], capsys: pytest.CaptureFixture[str]) -> None:
    taken = listen().server.server_address[1]
    assert main(["listen", "--port", str(taken)]) == 2
    assert "pass another --port" in capsys.readouterr().err
