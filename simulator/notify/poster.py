"""POSTs for the dispatcher's sender threads: one keep-alive connection per partner host and thread, on the
standard library's ``http.client``.

A delivery is one request and one answer; the general HTTP clients cost more CPU per request than the rest of a
delivery together (a claim and a record in SQLite), which capped one worker below 1,000 notifications a second.
A kept connection the partner has closed while idle is noticed before it is used (the socket reads as ready with
nothing to read), so a POST is never sent twice because of it.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
from urllib.parse import urlsplit

USER_AGENT = "toluna-sandbox-notifications"
EXCERPT = 512


class DeliveryError(Exception):
    """No answer: the text recorded for the attempt."""


class Poster:
    """Not thread-safe: one per sender thread."""

    def __init__(self) -> None:
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
        """(status, the answer's first characters); raises DeliveryError when no answer came."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryError(f"request failed: not an http(s) URL: {url!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise DeliveryError(f"request failed: bad port in {url!r}") from None
        key = (parts.scheme, parts.hostname, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = self._connection(key, timeout)
        sent = {"Host": parts.netloc, "User-Agent": USER_AGENT, "Content-Length": str(len(body)), **headers}
        try:
            conn.request("POST", target, body=body, headers=sent)
            resp = conn.getresponse()
            data = resp.read()
        except TimeoutError:
            self._drop(key)
            raise DeliveryError(f"timeout after {timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            self._drop(key)
            raise DeliveryError(f"connection error: {exc.__class__.__name__}") from None
        if resp.will_close:
            self._drop(key)
        return resp.status, data[: EXCERPT * 4].decode("utf-8", "replace")[:EXCERPT]

    def _connection(self, key: tuple[str, str, int], timeout: float) -> http.client.HTTPConnection:
        conn = self._connections.get(key)
        if conn is not None and (conn.sock is None or _closed_by_peer(conn.sock)):
            self._drop(key)
            conn = None
        if conn is None:
            scheme, host, port = key
            if scheme == "https":
                conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
            else:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            self._connections[key] = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def close(self) -> None:
        for key in list(self._connections):
            self._drop(key)

    def _drop(self, key: tuple[str, str, int]) -> None:
        conn = self._connections.pop(key, None)
        if conn is not None:
            conn.close()


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle keep-alive socket that reads as ready has been closed (or spoken on) by the other side."""
    try:
        ready, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(ready)
