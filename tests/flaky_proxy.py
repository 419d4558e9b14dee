"""A proxy in front of a sandbox that behaves like a bad network: it closes every connection that stays idle for
``idle_seconds`` (as load balancers and servers do with kept connections) and drops one in ``drop_every`` of the
requests a chosen client sends, alternately before forwarding it (the request is lost) and after (the answer is
lost). Tests run real clients through it to prove they survive."""

from __future__ import annotations

import socket
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Counts:
    requests: int = 0
    dropped_before: int = 0
    dropped_after: int = 0
    idle_closed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _read_head(sock: socket.socket, buffer: bytearray) -> bytes | None:
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:end])
    del buffer[:end]
    return head


def _length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _read_body(sock: socket.socket, buffer: bytearray, length: int) -> bytes:
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
    body = bytes(buffer[:length])
    del buffer[:length]
    return body


class FlakyProxy:
    def __init__(
        self, upstream: tuple[str, int], *, idle_seconds: float = 0.3, drop_every: int = 20, victim: bytes = b""
    ) -> None:
        """``victim``: a User-Agent prefix whose requests may be dropped (empty: anyone's)."""
        self.upstream, self.idle_seconds, self.drop_every, self.victim = upstream, idle_seconds, drop_every, victim
        self.counts = Counts()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, name="flaky-proxy", daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _serve(self, client: socket.socket) -> None:
        buffer = bytearray()
        try:
            while True:
                client.settimeout(self.idle_seconds if not buffer else None)
                try:
                    head = _read_head(client, buffer)
                except TimeoutError:
                    with self.counts.lock:
                        self.counts.idle_closed += 1
                    return
                if head is None:
                    return
                client.settimeout(30)
                request = head + _read_body(client, buffer, _length(head))
                fate = self._fate(head)
                if fate == "before":
                    return
                answer, framed = self._forward(request)
                if fate == "after":
                    return
                client.sendall(answer)
                if not framed:
                    return
        except OSError:
            return
        finally:
            client.close()

    def _fate(self, head: bytes) -> str:
        """Whether this request is dropped: before it is forwarded, after, or not at all."""
        agent = next((line for line in head.split(b"\r\n") if line.lower().startswith(b"user-agent:")), b"")
        with self.counts.lock:
            self.counts.requests += 1
            chosen = agent.split(b":", 1)[-1].strip().startswith(self.victim)
            if not chosen or self.counts.requests % self.drop_every:
                return "forward"
            if self.counts.dropped_before <= self.counts.dropped_after:
                self.counts.dropped_before += 1
                return "before"
            self.counts.dropped_after += 1
            return "after"

    def _forward(self, request: bytes) -> tuple[bytes, bool]:
        """One request on a fresh upstream connection (closed after it); the answer as the upstream framed it, and
        whether that framing lets the client's connection be kept."""
        head, _, body = request.partition(b"\r\n\r\n")
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        with socket.create_connection(self.upstream, timeout=60) as up:
            up.sendall(b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body)
            buffer = bytearray()
            answer_head = _read_head(up, buffer)
            if answer_head is None:
                return b"", False
            if any(line.lower().startswith(b"content-length:") for line in answer_head.split(b"\r\n")):
                # the upstream's "Connection: close" is the proxy's business: its client keeps its connection
                kept = [line for line in answer_head[:-4].split(b"\r\n") if not line.lower().startswith(b"connection:")]
                return b"\r\n".join(kept) + b"\r\n\r\n" + _read_body(up, buffer, _length(answer_head)), True
            while chunk := up.recv(65536):
                buffer += chunk
            chunked = b"transfer-encoding: chunked" in answer_head.lower()
            return answer_head + bytes(buffer), chunked
