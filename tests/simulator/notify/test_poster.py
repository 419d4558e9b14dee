"""The dispatcher's HTTP client against real sockets: keep-alive, a connection the partner closed while idle,
timeouts and refusals as the attempt's error text."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from simulator.notify.poster import DeliveryError, Poster


class KeepAlive(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: ClassVar[set[int]] = set()
    close_after_answer = False
    delay = 0.0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        KeepAlive.connections.add(self.client_address[1])  # one client port per connection
        time.sleep(KeepAlive.delay)
        answer = b'{"Received": true, "Echo": "' + body + b'"}'
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:  # the client gave up waiting (the timeout test)
            self.close_connection = True
            return
        if KeepAlive.close_after_answer:  # the partner's server drops idle connections without saying so
            self.close_connection = True

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    KeepAlive.connections, KeepAlive.close_after_answer, KeepAlive.delay = set(), False, 0.0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_one_connection_serves_many_posts(server: str) -> None:
    poster = Poster()
    for n in range(5):
        status, text = poster.post(f"{server}/quota?x=1", str(n).encode(), {"Content-Type": "text/plain"}, 5)
        assert status == 200 and f'"Echo": "{n}"' in text
    poster.close()
    assert len(KeepAlive.connections) == 1


def test_a_connection_the_partner_closed_while_idle_is_replaced_not_reused(server: str) -> None:
    KeepAlive.close_after_answer = True
    poster = Poster()
    assert poster.post(f"{server}/q", b"1", {}, 5)[0] == 200
    time.sleep(0.1)  # the close has arrived
    assert poster.post(f"{server}/q", b"2", {}, 5)[0] == 200
    poster.close()
    assert len(KeepAlive.connections) == 2


def test_a_slow_partner_is_a_timeout_and_a_closed_port_a_connection_error(server: str) -> None:
    KeepAlive.delay = 1.0
    with pytest.raises(DeliveryError, match=r"timeout after 0\.2 s"):
        Poster().post(f"{server}/q", b"1", {}, 0.2)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DeliveryError, match="connection error: ConnectionRefusedError"):
        Poster().post(f"http://127.0.0.1:{port}/q", b"1", {}, 1)
    with pytest.raises(DeliveryError, match="not an http"):
        Poster().post("ftp://example/q", b"1", {}, 1)
