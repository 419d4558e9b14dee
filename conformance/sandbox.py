"""The suite's way to the simulator: its HTTP control API only, so a run can judge a partner against a sandbox
started here or one that runs elsewhere (a shared support sandbox)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from simulator.api.admin import token_headers

from . import http as suite_http


class SandboxError(RuntimeError):
    """The sandbox is unreachable or refused a control call (the message says which and why)."""


class SandboxClient:
    """The control API over a session that repeats a call whose connection dropped: reads as they are, changes
    with an idempotency key, so a repeat is never carried out twice. ``admin_token`` goes with every call (a
    sandbox on another machine asks for it; a loopback one needs none)."""

    def __init__(self, base_url: str, timeout: float = 60, admin_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = suite_http.session(repeat_sent=True)
        self.http.headers.update(token_headers(admin_token))

    def call(self, method: str, path: str, **kw: Any) -> Any:
        url = f"{self.base_url}/_sandbox/{path.lstrip('/')}"
        if method.upper() not in ("GET", "HEAD"):
            kw["headers"] = suite_http.idempotent(kw.get("headers"))
        try:
            resp = self.http.request(method, url, timeout=self.timeout, **kw)
        except requests.RequestException as exc:
            raise SandboxError(
                f"no sandbox answers at {self.base_url}: {method} /_sandbox/{path} failed after retries "
                f"({exc.__class__.__name__})"
            ) from None
        if resp.status_code >= 400:
            try:
                message = resp.json().get("Message", resp.text)
            except ValueError:
                message = resp.text[:300]
            raise SandboxError(f"{method} /_sandbox/{path}: {resp.status_code} {message}")
        return resp.json()

    def alive(self) -> bool:
        try:
            return requests.get(f"{self.base_url}/_sandbox/health", headers=self.http.headers, timeout=2).ok
        except requests.RequestException:
            return False

    def scenario(self) -> dict[str, Any]:
        return self.call("GET", "scenario")

    def load(self, text: str, name: str) -> dict[str, Any]:
        return self.call("POST", "scenario", data=text.encode(), params={"name": name})

    def last_journal_id(self) -> int:
        """The id of the newest journal entry: what a run's requests come after."""
        return int(self.call("GET", "journal/count")["LastID"])

    def journal(self, after: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Every journal entry after ``after`` (paged through), oldest first."""
        out: list[dict[str, Any]] = []
        while True:
            page = self.call("GET", "journal", params={**filters, "after": after, "limit": 10_000})["Entries"]
            out += page
            if len(page) < 10_000:
                return out
            after = page[-1]["id"]

    def explain(self, member: str, quota: int, panel: str) -> dict[str, Any]:
        return self.call("GET", "explain", params={"member": member, "quota": quota, "panel": panel})

    def change_panel(self, guid: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.call("PUT", f"panels/{guid}", json=body)

    def event(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", f"events/{kind}", json=body)

    def member(self, panel: str, code: str) -> dict[str, Any] | None:
        try:
            return self.call("GET", f"members/{code}", params={"panel": panel})
        except SandboxError:
            return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalSandbox:
    """A ``toluna-sandbox serve`` process on a free loopback port, with its own database, for one run."""

    def __init__(self, scenario_text: str, name: str = "scenario.yaml", workers: int = 2) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="toluna-conformance-")
        scenario = Path(self.dir.name) / name
        scenario.write_text(scenario_text, encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(self.dir.name) / "sandbox.log"
        cmd = [
            sys.executable,
            "-m",
            "simulator.cli",
            "serve",
            "--scenario",
            str(scenario),
            "--db",
            str(Path(self.dir.name) / "sandbox.db"),
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy())
        client = SandboxClient(self.url)
        deadline = time.monotonic() + 60
        while not client.alive():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SandboxError(f"the sandbox did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.process)
        self.dir.cleanup()


def stop_process(process: subprocess.Popen[bytes], wait: float = 10) -> None:
    """SIGTERM, and SIGKILL when it has not ended within ``wait`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
