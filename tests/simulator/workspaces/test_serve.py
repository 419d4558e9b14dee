"""Workspaces on the real server (``serve``: granian, 2 worker processes, one database): the CLI commands, a
workspace created through one process served by every process at once, a deleted one answering nowhere, and
Toluna's underscore headers reaching a workspace over a real socket."""

from __future__ import annotations

import time

import pytest
import requests

from simulator.cli import main
from tests.support import ES, Sandbox

from .conftest import KEY, PANEL, SCENARIO, other_keys, scenario_text

pytestmark = pytest.mark.server
#: Fresh connections, so that both worker processes answer some of them.
CONNECTIONS = 12


def _statuses(url: str, key: str) -> set[int]:
    return {requests.get(url, headers={"API_AUTH_KEY": key}, timeout=30).status_code for _ in range(CONNECTIONS)}


def test_the_workspace_commands(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--url", sandbox.base_url]
    try:
        assert main(["workspace", "create", "cli-ws", "--scenario", str(SCENARIO), "--token", "cli-token", *url]) == 0
        out = capsys.readouterr().out
        assert f"Base URL (IP_ES_URL = IP_CORE_URL = IP_REF_DATA_URL): {sandbox.base_url}/w/cli-ws" in out
        assert "cli-token" in out and "scenario 'golive'" in out
        assert main(["workspace", "list", *url]) == 0
        assert f"cli-ws  {sandbox.base_url}/w/cli-ws  created " in capsys.readouterr().out
        assert main(["workspace", "reset", "cli-ws", *url]) == 0
        assert "Workspace cli-ws reset: scenario 'golive' reloaded" in capsys.readouterr().out
        with pytest.raises(SystemExit, match=r"409 Workspace 'cli-ws' exists already\. Fix:"):
            main(["workspace", "create", "cli-ws", *url])
        with pytest.raises(SystemExit, match=r"400 Name: 'Bad_Name' is not a workspace name\. Fix:"):
            main(["workspace", "create", "Bad_Name", *url])
    finally:
        main(["workspace", "delete", "cli-ws", *url])
    assert "Workspace cli-ws deleted" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="404 No workspace 'cli-ws'"):
        main(["workspace", "delete", "cli-ws", *url])


def test_every_worker_serves_a_new_workspace_and_none_a_deleted_one(sandbox: Sandbox) -> None:
    body = {"Name": "both-workers", "Scenario": scenario_text(keys_of_its_own=True)}
    assert sandbox.control("POST", "workspaces", json=body).status_code == 201
    quotas = f"{sandbox.base_url}/w/both-workers{ES}/{other_keys(PANEL)}/Quotas"
    try:
        assert _statuses(quotas, other_keys(KEY)) == {200}  # API_AUTH_KEY (an underscore header) over a socket
        assert _statuses(quotas, KEY) == {403}  # the go-live key of another workspace opens nothing here
    finally:
        assert sandbox.control("DELETE", "workspaces/both-workers").status_code == 200
    deadline = time.monotonic() + 10  # each worker re-reads the catalog within ~1 s; slack for a loaded machine
    while _statuses(quotas, other_keys(KEY)) != {404}:
        assert time.monotonic() < deadline, "a deleted workspace still answers"
        time.sleep(0.2)
