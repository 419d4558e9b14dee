"""A session of the reference partner (its own pacing, members, invites, recontact paging) recorded as HAR replays
against the sandbox reset to the same scenario with no difference: what support relies on when it replays a
partner's HAR. Member writes keep their recorded distance (Toluna's 1000 ms rule), other requests go at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from simulator.cli import main
from simulator.har.replay import Pacer
from tests.support import KEY, PANEL, ROOT, free_port, start_sandbox


def _write(member: str, at: str, method: str = "PUT") -> dict:
    return {"_member": member, "startedDateTime": at, "request": {"method": method}}


def test_member_writes_keep_their_recorded_distance_and_reads_go_at_once() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    pacer = Pacer(clock=lambda: now[0], sleep=sleep)
    pacer.wait(_write("M-1", "2026-12-06T08:00:00.000Z", "POST"))
    now[0] += 0.05  # the POST's answer took 50 ms
    pacer.wait(_write("M-2", "2026-12-06T08:00:00.100Z"))  # another member: no wait
    pacer.wait({**_write("M-1", "2026-12-06T08:00:00.200Z"), "request": {"method": "GET"}})  # a read: no wait
    assert slept == []
    pacer.wait(_write("M-1", "2026-12-06T08:00:00.400Z"))  # 0.4 s after M-1's first write, as recorded
    assert slept == [0.35]
    now[0] += 5
    pacer.wait(_write("M-1", "2026-12-06T08:00:00.900Z"))  # its recorded distance has passed already: no wait
    assert slept == [0.35]


def test_a_reference_partner_session_replays_with_no_difference(tmp_path: Path) -> None:
    sandbox = start_sandbox(tmp_path)
    port = free_port()
    env = {**os.environ, "TOLUNA_SANDBOX_URL": sandbox.base_url, "TOLUNA_PANEL_GUID": PANEL, "TOLUNA_API_KEY": KEY}
    partner = subprocess.Popen(
        [sys.executable, "-m", "examples.reference_partner", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/run"
        deadline = time.monotonic() + 30
        while True:
            try:
                first = requests.post(url, timeout=60)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the reference partner did not start"
                time.sleep(0.2)
        assert first.ok and first.json()["invites"] > 0
        time.sleep(1.2)  # a second cycle updates the members it registered
        assert requests.post(url, timeout=60).ok
        har = tmp_path / "partner.har"
        assert main(["har", "export", "--url", sandbox.base_url, "-o", str(har)]) == 0
        assert sandbox.control("POST", "reset").ok
        assert main(["replay", str(har), "--against", sandbox.base_url]) == 0
    finally:
        partner.terminate()
        partner.wait(10)
        sandbox.stop()
