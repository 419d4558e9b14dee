"""Shared test support: the default scenario's identities and a real sandbox server on a real port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = ROOT / "fixtures" / "scenarios" / "default.yaml"

PANEL = "7a3f5c2e-8b1d-4e6a-9c0f-2d4b6e8a1c3e"
KEY = "0f6b2d9e-3c4a-4b8e-a1d5-7e9c2f4a6b80"
PANEL_ES_OFF = "b4e1d7a2-6c3f-4a9b-8e2d-1f5c7a9b3d64"
PANEL_NO_INVITES = "c9d2f6b1-4e8a-4c7d-b3f1-8a2e6c4d9f07"
KEY_OTHER = "5d8e1a3c-9b2f-4e6d-a7c1-3f9b5d2e8a46"
ES = "/IPExternalSamplingService/ExternalSample"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sandbox:
    """A running ``toluna-sandbox serve`` process (the production server) and helpers to talk to it."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, key: str | None = KEY, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", {})
        if key is not None:
            headers["API_AUTH_KEY"] = key
        return requests.get(self.base_url + path, headers=headers, timeout=30, **kw)

    def post(self, path: str, key: str | None = KEY, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", {})
        if key is not None:
            headers["API_AUTH_KEY"] = key
        return requests.post(self.base_url + path, headers=headers, timeout=30, **kw)

    def control(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(method, f"{self.base_url}/_sandbox/{path}", timeout=60, **kw)

    def invite(self, member: str, quota: int, panel: str = PANEL, key: str = KEY) -> requests.Response:
        return self.get(f"{ES}/{panel}/{member}/Invite/{quota}", key=key)

    def reset(self) -> None:
        self.control("POST", "reset").raise_for_status()

    def kill(self) -> None:
        """kill -9 the server and its workers at once (it runs in its own process group)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()  # the server and every worker it started


def start_sandbox(
    tmp: Path, scenario: Path = DEFAULT_SCENARIO, *extra: str, workers: int = 2, env: dict[str, str] | None = None
) -> Sandbox:
    port = free_port()
    log = tmp / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "simulator.cli",
        "serve",
        "--scenario",
        str(scenario),
        "--db",
        str(tmp / "s.db"),
        "--port",
        str(port),
        "--workers",
        str(workers),
        *extra,
    ]
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    sandbox = Sandbox(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sandbox exited: {log.read_text()}")
        try:  # a server still starting may accept and answer late: not an error, a reason to ask again
            if requests.get(f"{sandbox.base_url}/_sandbox/health", timeout=5).ok:
                return sandbox
        except requests.RequestException:
            time.sleep(0.1)
    sandbox.stop()
    raise RuntimeError(f"sandbox did not start: {log.read_text()}")


# --- the survey flow --------------------------------------------------------------------------------------
def invite(sandbox: Sandbox, member: str, quota: int) -> str:
    resp = sandbox.invite(member, quota)
    assert resp.status_code == 200, resp.text
    return resp.json()["URL"]


def click(url: str, session: requests.Session | None = None, **params: str) -> requests.Response:
    return (session or requests).get(url, params=params, allow_redirects=False, timeout=30)


def reference(page: requests.Response) -> str:
    found = re.search(r'name="ref" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)
