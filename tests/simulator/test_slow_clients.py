"""Slow clients cannot stop the sandbox: 20 connections trickling header lines hold no worker thread.

The production server runs 2 workers x 4 threads. Under a thread-per-connection server, eight clients sending a
header line a second took all eight threads and GetQuotas timed out for everyone; the server reads connections in
an event loop, so only whole requests reach the threads. Figures (latency, throughput with and without slow clients)
are in ``make bench BENCH_ARGS="--only slow_clients"``; this test pins the behaviour: with 20 slow clients
connected, every GetQuotas and GenerateInvite still gets its answer, none waits for a slow client.
"""

from __future__ import annotations

import urllib.parse

import pytest
import requests

from bench.trickle import SlowClients
from tests.support import ES, KEY, PANEL, Sandbox

pytestmark = pytest.mark.server

#: Far beyond a normal answer on a loaded 2-core machine, far below the seconds a stalled server makes clients wait.
PATIENCE_S = 3.0


def test_twenty_slow_clients_leave_every_request_answered(fresh_sandbox: Sandbox) -> None:
    sandbox = fresh_sandbox
    url = urllib.parse.urlsplit(sandbox.base_url)
    path = f"{ES}/{PANEL}/Quotas"
    with SlowClients(url.hostname or "127.0.0.1", url.port or 80, count=20, interval=1.0, path=path) as slow:
        assert slow.wait_connected(), f"only {slow.connected} of 20 slow clients could connect"
        answers = []
        for _ in range(12):  # more requests than the server has threads, each on a fresh connection
            with requests.Session() as session:
                answers.append(session.get(sandbox.base_url + path, headers={"API_AUTH_KEY": KEY}, timeout=PATIENCE_S))
        invite = requests.get(
            f"{sandbox.base_url}{ES}/{PANEL}/M-ANNA/Invite/4200001", headers={"API_AUTH_KEY": KEY}, timeout=PATIENCE_S
        )
        still_trickling = slow.connected
    assert [a.status_code for a in answers] == [200] * 12
    assert all(a.json()["Surveys"] for a in answers)
    assert invite.status_code == 200 and invite.json()["QuotaID"] == 4200001
    assert still_trickling == 20, "the slow clients were cut off, so the test measured nothing"
