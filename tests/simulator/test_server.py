"""The production server (granian): what a request carries is what the client sent, and nothing a worker queued is
lost when the server stops."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import ES, PANEL, start_sandbox

pytestmark = pytest.mark.server


def test_the_server_environment_never_passes_for_a_request_header(tmp_path: Path) -> None:
    # granian builds each WSGI environ from the process environment: HTTP_PROXY there would read as a Proxy header
    sandbox = start_sandbox(tmp_path, env={"HTTP_PROXY": "http://proxy.corp:3128", "HTTP_X_SET_IN_ENV": "yes"})
    try:
        assert sandbox.get(f"{ES}/{PANEL}/Quotas", headers={"X-Sent-By-Client": "1"}).status_code == 200
        entries = sandbox.control("GET", "journal", params={"route": "quotas"}).json()["Entries"]
        headers = {name.lower() for name in entries[-1]["request_headers"]}
        assert "x-sent-by-client" in headers  # the test can see headers at all
        assert not headers & {"proxy", "x-set-in-env"}, headers
    finally:
        sandbox.stop()


def test_what_workers_journaled_is_stored_when_the_server_stops(tmp_path: Path) -> None:
    # granian's workers end with os._exit: the journal's last batch is stored by a multiprocessing finalizer
    sandbox = start_sandbox(tmp_path)
    try:
        for _ in range(5):
            sandbox.get(f"{ES}/{PANEL}/Quotas")
    finally:
        sandbox.stop()
    again = start_sandbox(tmp_path)
    try:
        assert len(again.control("GET", "journal", params={"route": "quotas"}).json()["Entries"]) == 5
    finally:
        again.stop()
