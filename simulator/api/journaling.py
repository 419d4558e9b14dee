"""Hooks that write every partner request and its response to the journal (control routes excepted)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import Flask, Response, g, request

from simulator.store.journal import BODY_LIMIT, RESPONSE_LIMIT, Entry

from .context import backend

_SKIP_PREFIXES = ("/_sandbox", "/openapi.json", "/static")
_HIDDEN_HEADERS = frozenset({"Cookie"})


def note(route: str, panel: str | None = None, member: str | None = None, quota: int | None = None) -> None:
    """Tell the journal which Toluna route this request is and whom it is about."""
    g.journal = {"route": route, "panel_guid": panel, "member_code": member, "quota_id": quota}


def _text(data: bytes, limit: int = BODY_LIMIT) -> str | None:
    return data[:limit].decode("utf-8", errors="replace") if data else None


def register(app: Flask) -> None:
    @app.before_request
    def start_clock() -> None:
        g.t0 = time.perf_counter()
        if not request.path.startswith("/_sandbox"):
            backend().store.inventory.pin()

    @app.teardown_request
    def unpin(_exc: BaseException | None) -> None:
        backend().store.inventory.unpin()

    @app.after_request
    def record(resp: Response) -> Response:
        if request.path.startswith(_SKIP_PREFIXES) or getattr(g, "no_journal", False):
            return resp
        info = getattr(g, "journal", {})
        body = b"" if resp.direct_passthrough else resp.get_data()
        store = backend().store
        store.journal.add(
            Entry(
                at=store.now().isoformat(),
                wall_at=datetime.now(UTC).isoformat(),
                method=request.method,
                path=request.path,
                query=request.query_string.decode("latin-1"),
                route=info.get("route"),
                panel_guid=info.get("panel_guid"),
                member_code=info.get("member_code"),
                quota_id=info.get("quota_id"),
                status=resp.status_code,
                result_code=getattr(g, "result_code", None),
                duration_ms=round((time.perf_counter() - g.t0) * 1000, 3),
                request_headers={k: v for k, v in request.headers.items() if k not in _HIDDEN_HEADERS},
                request_body=_text(request.get_data(cache=True)),
                response_body=_text(body, RESPONSE_LIMIT),
                response_length=len(body),
                note=getattr(g, "journal_note", None),
            )
        )
        return resp
