"""A partner's endpoints for the tests: a real HTTP server on a free loopback port that records every request and
answers as told (succeed, fail with a status a number of times, hang past the sandbox's timeout, hold requests until
the test lets them go, or drop the connection)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(slots=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: str
    at: float


@dataclass(slots=True)
class Rule:
    prefix: str
    times: int
    status: int = 500
    hang: float = 0.0
    drop: bool = False
    gate: threading.Event | None = None  # held until set (at most GATE_LIMIT seconds)


#: The longest a held request waits for its gate, so a test that fails before letting go leaves no thread behind.
GATE_LIMIT = 20.0


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def misbehave(self, prefix: str, times: int, status: int = 500, hang: float = 0.0, drop: bool = False) -> None:
        with self.lock:
            self.rules.append(Rule(prefix, times, status, hang, drop))

    def hold(self, prefix: str, times: int) -> threading.Event:
        """The next ``times`` requests to ``prefix`` wait, unanswered, until the returned event is set."""
        gate = threading.Event()
        with self.lock:
            self.rules.append(Rule(prefix, times, 200, gate=gate))
        return gate

    def _rule_for(self, path: str) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if path.startswith(rule.prefix) and rule.times > 0:
                    rule.times -= 1
                    return rule
        return None

    def received(self, prefix: str = "") -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def wait_for(self, count: int, prefix: str = "", timeout: float = 15) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(prefix)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"expected {count} request(s) to {prefix or '/'}, got {len(self.received(prefix))}")


def start_receiver() -> Receiver:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def _answer(self) -> None:
            receiver = holder["r"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
            rule = receiver._rule_for(self.path)
            with receiver.lock:
                receiver.requests.append(Received(self.command, self.path, dict(self.headers), body, time.time()))
            if rule and rule.drop:
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if rule and rule.hang:
                time.sleep(rule.hang)
            if rule and rule.gate:
                rule.gate.wait(GATE_LIMIT)
            status = rule.status if rule else 200
            data = b'{"ok": true}' if status < 300 else b'{"ok": false}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = holder["r"] = Receiver(server)
    threading.Thread(target=server.serve_forever, name="receiver", daemon=True).start()
    return receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


#: The default scenario panel's notification settings, and where each goes on a receiver.
URLS = {
    "Completion Notification URL": "/complete",
    "Terminate Notification URL": "/terminate",
    "Survey Notification URL": "/survey",
    "Quota Notification URL": "/quota",
}


def point(sandbox: Any, receiver: Receiver, **panel: Any) -> None:
    """The default panel's notification endpoints on the receiver (and any other panel fields)."""
    from tests.support import PANEL

    settings = {name: receiver.url(path) for name, path in URLS.items()} | panel.pop("settings", {})
    sandbox.control("PUT", f"panels/{PANEL}", json={"settings": settings, **panel}).raise_for_status()
