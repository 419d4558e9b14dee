"""Control routes for time and events: the sandbox clock, the scenario's timeline, and events made to happen now
(``complete``, ``terminate``, ``prestart``, ``quota-status``, ``survey-closed``, ``reconciliation``)."""

from __future__ import annotations

from flask import Blueprint, Response

from simulator.domain.clock import parse_instant
from simulator.domain.errors import BadRequestError, NotFoundError
from simulator.services.timeline import Timeline
from simulator.services.triggers import Triggers

from ..context import base_url, bind
from ..errors import json_response
from .requests import body

_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def get_clock(clock: Timeline) -> Response:
    return json_response(clock.clock().to_dict())


def set_clock(clock: Timeline) -> Response:
    doc = body()
    try:
        instant = parse_instant(doc["now"])
    except ValueError:
        raise BadRequestError('Send {"now": "2026-01-15T12:00:00Z", "frozen": true|false}.') from None
    setting, fired = clock.set_clock(instant, bool(doc.get("frozen", False)), base_url())
    return json_response({**setting.to_dict(), "TimelineFired": fired})


def advance_clock(clock: Timeline) -> Response:
    doc = body()
    seconds = sum(float(doc.get(k, 0)) * n for k, n in _UNITS.items())
    setting, fired = clock.advance_clock(seconds, base_url())
    return json_response({**setting.to_dict(), "TimelineFired": fired})


def timeline_entries(clock: Timeline) -> Response:
    return json_response({"Now": clock.clock().to_dict()["Now"], "Entries": clock.entries()})


def run_timeline(clock: Timeline) -> Response:
    """Fire what is due now (workers also do it by themselves about once a second)."""
    return json_response({"Fired": clock.run(base_url())})


def trigger(triggers: Triggers, kind: str) -> Response:
    """Make something happen now and tell the partner: ``complete``, ``terminate``, ``prestart`` (a member and a
    quota), ``quota-status`` (a quota live or not), ``survey-closed``. Answers with the notifications queued."""
    if kind in ("complete", "terminate", "prestart"):
        step = triggers.visit(kind, body(), base_url())
        if step.visit is None:
            raise BadRequestError(step.note)
        return json_response(
            {
                "Event": kind,
                "Note": step.note,
                "ReferenceID": step.visit.reference_id,
                "EndPage": step.redirect,
                "Notifications": step.notifications,
            }
        )
    if kind == "quota-status":
        doc = body()
        return json_response({"Event": kind, "Notifications": triggers.quota_status(doc["quota"], doc["live"])})
    if kind == "survey-closed":
        doc = body()
        return json_response({"Event": kind, "Notifications": triggers.survey_closed(doc["survey"], doc.get("wave"))})
    if kind == "reconciliation":
        return json_response({"Event": kind, "Notifications": triggers.reconciliation(body())})
    raise NotFoundError(
        f"No event {kind!r}: use complete, terminate, prestart, quota-status, survey-closed or reconciliation."
    )


def register(bp: Blueprint, clock: Timeline, triggers: Triggers) -> None:
    bind(bp, "/clock", get_clock, clock)
    bind(bp, "/clock", set_clock, clock, methods=["PUT"])
    bind(bp, "/clock/advance", advance_clock, clock, methods=["POST"])
    bind(bp, "/timeline", timeline_entries, clock, endpoint="timeline")
    bind(bp, "/timeline/run", run_timeline, clock, methods=["POST"])
    bind(bp, "/events/<kind>", trigger, triggers, methods=["POST"])
