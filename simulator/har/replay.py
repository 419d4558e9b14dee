"""Send a HAR file's requests again, in the file's order, to a sandbox, and say which answers differ.

Each request goes out as recorded (method, path, query, headers, body) to the new address, without following
redirects; cookies the answers set are sent back, as a browser would. An invite token or a minted GUID the sandbox
gave in a recorded answer is replaced, in the requests that follow, by the one it gives this time (so the click on
an invite URL replays the new invite)."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from . import HarError
from .compare import Answer, differences, guids_in, learned

#: Headers the client computes itself, or that belong to the recorded connection.
NOT_SENT = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "te", "upgrade", "cookie"}
)


@dataclass
class Difference:
    index: int  # the entry's place in the HAR file, from 0
    method: str
    path: str
    what: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"#{self.index} {self.method} {self.path}: " + "; ".join(self.what)

    def to_dict(self) -> dict[str, Any]:
        return {"Index": self.index, "Method": self.method, "Path": self.path, "Differences": self.what}


_KINDS = {int: "a whole number", str: "a string", list: "a list"}


def _need(entry: Any, index: int, kind: type, *path: str) -> None:
    value = entry
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise HarError(f"log.entries[{index}] has no {'.'.join(path)}: every HAR 1.2 entry needs it.")
        value = value[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise HarError(f"log.entries[{index}].{'.'.join(path)} is not {_KINDS[kind]}: {str(value)[:60]!r}.")


def load(path: str | Path) -> list[dict[str, Any]]:
    """The entries of a HAR file, checked for what a replay needs."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise HarError(f"{path}: cannot read it ({exc.strerror or exc}).") from None
    except ValueError as exc:
        raise HarError(f"{path}: not JSON ({exc}); give a HAR file (toluna-sandbox har export writes one).") from None
    entries = doc.get("log", {}).get("entries") if isinstance(doc, dict) and isinstance(doc.get("log"), dict) else None
    if not isinstance(entries, list):
        raise HarError(f"{path}: not a HAR file: it has no log.entries list.")
    for i, entry in enumerate(entries):
        for key, kind in (("method", str), ("url", str), ("headers", list)):
            _need(entry, i, kind, "request", key)
        _need(entry, i, int, "response", "status")
        if not isinstance(entry["request"].get("postData", {}), dict):
            raise HarError(f"log.entries[{i}].request.postData is not an object.")
        content = entry["response"].get("content", {})
        if not isinstance(content, dict) or not isinstance(content.get("size", 0), int):
            raise HarError(f"log.entries[{i}].response.content is not an object with a whole-number size.")
        url = urllib.parse.urlsplit(entry["request"]["url"])
        if url.scheme not in ("http", "https") or not url.netloc:
            raise HarError(f"log.entries[{i}].request.url is not an absolute http(s) URL: {url.geturl()[:100]!r}.")
    return entries


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _swap(text: str, learnt: dict[str, str]) -> str:
    for old, new in learnt.items():
        text = text.replace(old, new)
    return text


def _recorded(entry: dict[str, Any]) -> Answer:
    request, response = entry["request"], entry["response"]
    content = response.get("content") or {}
    text = str(content.get("text") or "")
    body = str((request.get("postData") or {}).get("text") or "")
    headers = " ".join(str(h.get("value", "")) for h in request["headers"] if isinstance(h, dict))
    code = entry.get("_resultCode")
    return Answer(
        status=int(response["status"]),
        text=text,
        size=int(content.get("size", len(text.encode("utf-8")))),
        truncated=content.get("_truncated") is True,
        origin=_origin(str(request["url"])),
        known=guids_in(str(request["url"]), body, headers),
        result_code=code if isinstance(code, int) else None,
    )


def check_sandbox(target: str, control_headers: dict[str, str]) -> None:
    """A sandbox answers at ``target`` (its control API's health), or a ``HarError`` saying what to fix."""
    try:
        resp = requests.get(f"{target.rstrip('/')}/_sandbox/health", headers=control_headers, timeout=30)
    except requests.RequestException as exc:
        raise HarError(f"no sandbox answers at {target} ({exc.__class__.__name__}).") from None
    if resp.status_code == 403:
        raise HarError(f"the sandbox at {target} asks for its admin token: pass --admin-token.")
    if resp.status_code != 200:
        raise HarError(f"{target} is not a sandbox (its /_sandbox/health answered {resp.status_code}).")


def _outgoing(request: dict[str, Any], learnt: dict[str, str]) -> tuple[str, str, dict[str, str], str]:
    """The recorded request as it goes out now: method, path with query, headers, body (learnt values swapped in)."""
    url = urllib.parse.urlsplit(_swap(str(request["url"]), learnt))
    headers = {
        str(h["name"]): _swap(str(h.get("value", "")), learnt)
        for h in request["headers"]
        if isinstance(h, dict)
        and str(h.get("name", ":")).lower() not in NOT_SENT
        and not str(h["name"]).startswith(":")
    }
    body = _swap(str((request.get("postData") or {}).get("text") or ""), learnt)
    return str(request["method"]), url.path + (f"?{url.query}" if url.query else ""), headers, body


#: The longest a replayed member write waits to keep its recorded distance from the member's previous write.
MAX_PACE = 2.0


class Pacer:
    """Member writes keep the distance they were recorded at: Toluna refuses a second write of a member within
    1000 ms, so a session that paced its writes must not be replayed faster than it was recorded (up to
    ``MAX_PACE`` seconds a write). Other requests go out at once."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._last: dict[str, tuple[datetime, float]] = {}  # member -> recorded start, monotonic send time
        self._clock, self._sleep = clock, sleep

    def wait(self, entry: dict[str, Any]) -> None:
        member, started = entry.get("_member"), _started(entry)
        if str(entry["request"]["method"]).upper() not in ("POST", "PUT") or not member or started is None:
            return
        previous = self._last.get(str(member))
        if previous is not None:
            gap = min((started - previous[0]).total_seconds(), MAX_PACE)
            delay = previous[1] + gap - self._clock()
            if delay > 0:
                self._sleep(delay)
        self._last[str(member)] = (started, self._clock())


def _started(entry: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(entry.get("startedDateTime", "")).replace("Z", "+00:00"))
    except ValueError:
        return None


def replay(entries: list[dict[str, Any]], target: str) -> list[Difference]:
    """Send every entry's request to ``target`` in order; the answers that differ from the recorded ones."""
    base = target.rstrip("/")
    learnt: dict[str, str] = {}
    found = []
    pacer = Pacer()
    with requests.Session() as session:
        for index, entry in enumerate(entries):
            method, path, headers, body = _outgoing(entry["request"], learnt)
            pacer.wait(entry)
            try:
                resp = session.request(
                    method,
                    base + path,
                    headers=headers,
                    data=body.encode("utf-8") or None,
                    allow_redirects=False,
                    timeout=60,
                )
            except (requests.RequestException, ValueError) as exc:
                raise HarError(f"entry #{index}: {method} {path} got no answer from {target} ({exc}).") from None
            recorded = _recorded(entry)
            known = guids_in(path, body, " ".join(headers.values()))
            text = resp.content.decode("utf-8", errors="replace")
            replayed = Answer(resp.status_code, text, len(resp.content), origin=_origin(base), known=known)
            learnt.update(learned(recorded, replayed))
            what = differences(recorded, replayed)
            if what and (entry["request"].get("postData") or {}).get("_truncated") is True:
                what.append("the request body was recorded only in part and sent as kept")
            if what:
                found.append(Difference(index, method, urllib.parse.urlsplit(path).path, what))
    return found
