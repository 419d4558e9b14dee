"""Slow clients: connections that send a request's header lines one at a time, a line every ``interval`` seconds.

A thread-per-connection server gives each of them a thread for as long as it trickles; enough of them take every
thread and normal clients wait. ``SlowClients`` keeps ``count`` of them connected (a client the server closes
reconnects and starts over), so a measurement taken meanwhile sees the server with that many slow clients on it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class SlowClients:
    def __init__(self, host: str, port: int, count: int, interval: float = 1.0, path: str = "/") -> None:
        self.host, self.port, self.count, self.interval, self.path = host, port, count, interval, path
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.connected = 0  # connections open now
        self.connections = 0  # connections made in all
        self.closed_by_server = 0  # connections the server closed while they trickled

    def __enter__(self) -> SlowClients:
        for i in range(self.count):
            t = threading.Thread(target=self._trickle, name=f"slow-client-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.interval + 5)

    def wait_connected(self, timeout: float = 10) -> bool:
        """Until every slow client holds an open connection (or ``timeout``)."""
        deadline = threading.Event()
        for _ in range(int(timeout / 0.05)):
            if self.connected >= self.count:
                return True
            deadline.wait(0.05)
        return self.connected >= self.count

    def _count(self, field: str, step: int) -> None:
        with self._lock:
            setattr(self, field, getattr(self, field) + step)

    def _trickle(self) -> None:
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=5)
            except OSError:
                self._stop.wait(0.2)
                continue
            self._count("connections", 1)
            self._count("connected", 1)
            try:
                self._send_lines(sock)
            finally:
                self._count("connected", -1)
                with contextlib.suppress(OSError):
                    sock.close()

    def _send_lines(self, sock: socket.socket) -> None:
        line = 0
        try:
            sock.sendall(f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\n".encode())
            while not self._stop.wait(self.interval):
                sock.sendall(f"X-Slow-{line}: {'a' * 16}\r\n".encode())
                line += 1
        except OSError:
            self._count("closed_by_server", 1)
