"""The request journal as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/).

What the journal does not keep is written as HAR says to write the unknown (``-1`` sizes, empty lists), and what it
cut is marked: a body kept only in part has ``_truncated: true``, its ``size`` the whole length and its ``text``
the part kept."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from simulator import __version__

#: One page of ``GET /_sandbox/journal``: the query parameters in, the decoded answer out.
Fetch = Callable[[dict[str, object]], dict[str, Any]]

PAGE = 500
HTTP_VERSION = "HTTP/1.1"  # the journal does not keep the protocol version; the sandbox's server speaks HTTP/1.1
#: Header names as Toluna spells them (the journal keeps the WSGI spelling, ``Api-Auth-Key``).
TOLUNA_HEADERS = {"Api-Auth-Key": "API_AUTH_KEY", "Partner-Auth-Key": "PARTNER_AUTH_KEY"}
COMMENT = (
    "Exported from the toluna-sandbox request journal. Response headers and cookies are not journaled: "
    "response.headers is empty and content.mimeType is read from the body. Bodies the journal kept only in part "
    "carry _truncated: true, with size the whole length."
)


def read_journal(fetch: Fetch, filters: dict[str, object] | None = None) -> list[dict[str, Any]]:
    """Every journal entry matching ``filters``, page after page (``after=`` the last id seen)."""
    entries: list[dict[str, Any]] = []
    after: int | None = None
    while True:
        page = fetch({**(filters or {}), "limit": PAGE, **({"after": after} if after is not None else {})})
        found = page.get("Entries")
        if not isinstance(found, list):
            raise ValueError(f"the journal answered without an Entries list: {str(page)[:200]}")
        entries += found
        if len(found) < PAGE:
            return entries
        after = max(int(e["id"]) for e in found)


def _instant(text: object) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def request_order(entry: dict[str, Any]) -> tuple[datetime, datetime, int]:
    """When the request came: ``wall_at``, then the sandbox clock, then the id (ids follow the order the workers
    wrote their entries, not the order the requests came)."""
    return _instant(entry.get("wall_at")), _instant(entry.get("at")), int(entry.get("id") or 0)


def _pairs(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in items]


def _mime_type(text: str) -> str:
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return "application/json; charset=utf-8"
    if head == "<":
        return "text/html; charset=utf-8"
    return "text/plain; charset=utf-8" if text else "x-unknown"


def _is_cut(kept: str, length: int) -> bool:
    """Whether ``kept`` is only the head of a ``length``-byte body (a cut inside a character ends in U+FFFD)."""
    size = len(kept.encode("utf-8"))
    return length > size or (kept.endswith("\ufffd") and length != size)


def _request(e: dict[str, Any], scheme: str, fallback_host: str) -> dict[str, Any]:
    headers = {TOLUNA_HEADERS.get(k, k): str(v) for k, v in (e.get("request_headers") or {}).items()}
    host = headers.get("Host") or fallback_host
    query = e.get("query") or ""
    path = urllib.parse.quote(e.get("path") or "/", safe="/:@!$&'()*+,;=-._~")
    body = e.get("request_body") or ""
    length = headers.get("Content-Length", "")
    size = int(length) if length.isdigit() else len(body.encode("utf-8"))
    request: dict[str, Any] = {
        "method": e.get("method") or "GET",
        "url": f"{scheme}://{host}{path}" + (f"?{query}" if query else ""),
        "httpVersion": HTTP_VERSION,
        "cookies": [],  # the journal does not keep the Cookie header
        "headers": _pairs(headers.items()),
        "queryString": _pairs(urllib.parse.parse_qsl(query, keep_blank_values=True)),
        "headersSize": -1,
        "bodySize": size,
    }
    if size:
        mime = headers.get("Content-Type", "")
        post: dict[str, Any] = {"mimeType": mime, "text": body}
        if mime.startswith("application/x-www-form-urlencoded"):
            post["params"] = _pairs(urllib.parse.parse_qsl(body, keep_blank_values=True))
        if _is_cut(body, size):
            post["_truncated"] = True
        request["postData"] = post
    return request


def _response(e: dict[str, Any]) -> dict[str, Any]:
    text = e.get("response_body") or ""
    length = int(e.get("response_length") or 0)
    status = int(e.get("status") or 0)
    content: dict[str, Any] = {"size": length, "mimeType": _mime_type(text), "text": text}
    if _is_cut(text, length):
        content["_truncated"] = True
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return {
        "status": status,
        "statusText": reason,
        "httpVersion": HTTP_VERSION,
        "cookies": [],
        "headers": [],  # not journaled
        "content": content,
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": length,
    }


def har_entry(e: dict[str, Any], scheme: str = "http", fallback_host: str = "localhost") -> dict[str, Any]:
    """One journal entry (``Entry.to_dict()``) as a HAR entry, with the sandbox's own facts as ``_`` fields."""
    took = max(float(e.get("duration_ms") or 0), 0.0)
    return {
        "startedDateTime": request_order(e)[0].isoformat() if e.get("wall_at") else str(e.get("at") or ""),
        "time": took,
        "request": _request(e, scheme, fallback_host),
        "response": _response(e),
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": took, "receive": 0},
        "_journalId": e.get("id"),
        "_route": e.get("route"),
        "_resultCode": e.get("result_code"),
        "_note": e.get("note"),
        "_sandboxTime": e.get("at"),
        "_panel": e.get("panel_guid"),
        "_member": e.get("member_code"),
        "_quota": e.get("quota_id"),
    }


def to_har(entries: Iterable[dict[str, Any]], base_url: str) -> dict[str, Any]:
    """The HAR document of ``entries``, in the order the requests came."""
    base = urllib.parse.urlsplit(base_url)
    ordered = sorted(entries, key=request_order)
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "toluna-sandbox", "version": __version__},
            "comment": COMMENT,
            "entries": [har_entry(e, base.scheme or "http", base.netloc or "localhost") for e in ordered],
        }
    }


def dumps(har: dict[str, Any]) -> str:
    return json.dumps(har, indent=2, ensure_ascii=False) + "\n"
