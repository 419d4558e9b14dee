"""Console page: the request journal, the partner's requests and the sandbox's answers, newest first. Filters by
route, member, quota, result code and time (on the sandbox clock); each entry opens to its headers, bodies and note.
The page's own URL with ``after=<last id>&format=json`` gives the rows that came since, which a few lines of
JavaScript on the page ask for every 2 s and put on top (without JavaScript, a reload shows them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from simulator.domain.codes import ResultCode
from simulator.services import Services
from simulator.services.journal import RequestJournal
from simulator.store.records import Entry

from ..context import bind
from ..errors import json_response
from ..journaling import JOURNAL_ROUTES

#: Rows a page shows at most (the newest), and rows one live update brings at most (the oldest new ones first).
PAGE_ROWS = 100
LIVE_ROWS = 200
TEMPLATE = "console/journal.html"


class FilterError(ValueError):
    """A filter the page cannot use; the message names it and what to give instead."""


def _whole(name: str, text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise FilterError(f"{name} is a whole number (got {text!r}).")
    return int(text)


def _time(name: str, text: str) -> str:
    """An ISO time on the sandbox clock (UTC when no offset is given), in the journal's own form (UTC)."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{name} is an ISO date and time such as 2026-01-31T09:30 (got {text!r}).") from None
    return (at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


def shown_filters() -> dict[str, str]:
    """The filters as the form shows them."""
    return {k: (request.args.get(k) or "").strip() for k in ("route", "member", "quota", "code", "since", "until")}


def filters(shown: dict[str, str]) -> dict[str, Any]:
    """The filters as the journal takes them; a ``FilterError`` for one it cannot use."""
    return {
        "route": shown["route"] or None,
        "member_code": shown["member"] or None,
        "quota_id": _whole("quota", shown["quota"]) if shown["quota"] else None,
        "result_code": _whole("code (a result code)", shown["code"]) if shown["code"] else None,
        "since": _time("since", shown["since"]) if shown["since"] else None,
        "until": _time("until", shown["until"]) if shown["until"] else None,
    }


def _pretty(text: str | None) -> str:
    """A JSON body indented; any other body as it is."""
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _code(number: int | None) -> str:
    if number is None:
        return ""
    try:
        return f"{ResultCode(number).name} ({number})"
    except ValueError:
        return str(number)


def row(e: Entry) -> dict[str, Any]:
    """One journal entry as the page shows it."""
    return {
        "e": e,
        "code": _code(e.result_code),
        "headers": "\n".join(f"{k}: {v}" for k, v in e.request_headers.items()),
        "request": _pretty(e.request_body),
        "response": _pretty(e.response_body),
    }


def _rows_html(rows: list[dict[str, Any]]) -> str:
    """The page's ``rows`` block alone: the same markup a reload would show."""
    template = current_app.jinja_env.get_template(TEMPLATE)
    return "".join(template.blocks["rows"](template.new_context({"rows": rows})))


def journal_page(journal: RequestJournal) -> Response | str | tuple[str, int]:
    """``?route=&member=&quota=&code=&since=&until=``: the newest entries matching; ``after=<id>&format=json``:
    the entries after that id, rendered as rows, for the live update."""
    as_json = request.args.get("format") == "json"
    shown = shown_filters()
    try:
        given = filters(shown)
        after_text = (request.args.get("after") or "").strip()
        after = _whole("after", after_text) if after_text else None
    except FilterError as e:
        if as_json:
            return json_response({"Message": str(e)}, 400)
        return _page(shown, [], 0, str(e)), 400
    if as_json:
        entries = journal.query(**given, after_id=after or 0, limit=LIVE_ROWS)
        rows = _rows_html([row(e) for e in reversed(entries)])
        last = max([after or 0, *(e.id or 0 for e in entries)])
        return json_response({"Last": last, "Count": len(entries), "Rows": rows})
    newest = journal.count(0)[1]  # before the query: an entry stored meanwhile comes with the first live update
    entries = journal.query(**given, after_id=after, limit=PAGE_ROWS, newest_first=True)
    last = entries[0].id if entries else newest
    return _page(shown, [row(e) for e in entries], last or 0, None)


def _page(shown: dict[str, str], rows: list[dict[str, Any]], last: int, error: str | None) -> str:
    return render_template(
        TEMPLATE, shown=shown, rows=rows, last=last, error=error, page_rows=PAGE_ROWS, routes=JOURNAL_ROUTES
    )


def register(bp: Blueprint, services: Services) -> None:
    bind(bp, "/console/journal", journal_page, services.journal)
