"""Hooks that write every partner request and its response to the journal (control routes excepted)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.datastructures import EnvironHeaders

from simulator.domain.faults import ROUTES as ES_ROUTES
from simulator.services.journal import RequestJournal
from simulator.store.records import BODY_LIMIT, QUOTAS_HEAD, RESPONSE_LIMIT, Entry

#: Every ``route`` the journal records (what the views pass to ``note``): the names ``GET /_sandbox/journal?route=``
#: and ``toluna-sandbox journal --route`` take. The External Sample routes and Settings come first, as fault rules
#: name them; a reference data route is ``reference_`` and its view's name.
JOURNAL_ROUTES: tuple[str, ...] = (
    *ES_ROUTES,
    "member_add",
    "member_update",
    "member_get",
    "get_surveys",
    "next_profile_url",
    "register_and_get_surveys",
    "profile_page",
    "survey_entry",
    "survey_outcome",
    "reference_cultures",
    "reference_questions_and_answers",
    "reference_question_data",
    "reference_device_types",
    "reference_study_types",
    "reference_currencies",
    "reference_question_categories",
    "reference_rejection_types",
    "report_survey_status",
    "report_survey_member_status",
    "report_member_survey_status",
    "report_panel_activity_summary",
    "report_panel_completes",
    "report_member_activity_details",
)

_SKIP_PREFIXES = ("/_sandbox", "/openapi.json", "/static")
_HIDDEN_HEADERS = frozenset({"Cookie"})


def note(route: str, panel: str | None = None, member: str | None = None, quota: int | None = None) -> None:
    """Tell the journal which Toluna route this request is and whom it is about."""
    g.journal = {"route": route, "panel_guid": panel, "member_code": member, "quota_id": quota}


def _text(data: bytes, limit: int = BODY_LIMIT) -> str | None:
    return data[:limit].decode("utf-8", errors="replace") if data else None


def record(
    journal: RequestJournal,
    environ: dict[str, Any],
    *,
    started: float,
    status: int,
    response: bytes,
    info: dict[str, Any],
    request_body: bytes = b"",
    result_code: int | None = None,
    note: str | None = None,
    response_length: int | None = None,
) -> None:
    """Queue the journal entry of one exchange (the Flask hook's and the fast path's, field for field).
    ``response`` may be only the head of a long body when ``response_length`` gives the whole length."""
    journal.add(
        Entry(
            at=journal.now().isoformat(),
            wall_at=datetime.now(UTC).isoformat(),
            method=environ.get("REQUEST_METHOD", "GET"),
            path=environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace"),  # WSGI's latin-1
            query=environ.get("QUERY_STRING", ""),
            route=info.get("route"),
            panel_guid=info.get("panel_guid"),
            member_code=info.get("member_code"),
            quota_id=info.get("quota_id"),
            status=status,
            result_code=result_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            request_headers={k: v for k, v in EnvironHeaders(environ).items() if k not in _HIDDEN_HEADERS},
            request_body=_text(request_body),
            response_body=_text(response, QUOTAS_HEAD if info.get("route") == "quotas" else RESPONSE_LIMIT),
            response_length=len(response) if response_length is None else response_length,
            note=note,
        )
    )


def register(app: Flask, journal: RequestJournal) -> None:
    @app.before_request
    def start_clock() -> None:
        g.t0 = time.perf_counter()
        if not request.path.startswith("/_sandbox"):
            journal.pin()
            # read (and keep) the body before a view parses it as a form, which would leave nothing to journal
            request.get_data(cache=True)

    @app.teardown_request
    def unpin(_exc: BaseException | None) -> None:
        journal.unpin()

    @app.after_request
    def after(resp: Response) -> Response:
        if request.path.startswith(_SKIP_PREFIXES) or getattr(g, "no_journal", False):
            return resp
        record(
            journal,
            request.environ,
            started=g.t0,
            status=resp.status_code,
            response=b"" if resp.direct_passthrough else resp.get_data(),
            info=getattr(g, "journal", {}),
            request_body=request.get_data(cache=True),
            result_code=getattr(g, "result_code", None),
            note=getattr(g, "journal_note", None),
        )
        return resp
