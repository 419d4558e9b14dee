"""Control routes that read what happened: the request journal, the clicks on an invite link, the decision
GenerateInvite would take (explain), the notification outbox (and resending, composing, waiting), health."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, request

from simulator import __version__
from simulator.domain.errors import BadRequestError, NotFoundError
from simulator.services.explain import Explain
from simulator.services.journal import RequestJournal
from simulator.services.notifications import Notifications
from simulator.services.triggers import Triggers

from ..context import bind
from ..errors import json_response
from ..journaling import JOURNAL_ROUTES
from .requests import ROW_ID, body, whole


def journal_count(journal: RequestJournal) -> Response:
    """How many entries follow ``after`` (cheap enough to poll while waiting for a client to go quiet)."""
    try:
        after = whole(request.args.get("after", "0"))
    except ValueError:
        raise BadRequestError("after is a whole number.") from None
    count, last = journal.count(after)
    return json_response({"Count": count, "LastID": last})


def journal_entries(journal: RequestJournal) -> Response:
    a = request.args
    try:
        quota = whole(a["quota"]) if a.get("quota") else None
        after = whole(a["after"]) if a.get("after") else None
        limit = max(1, min(whole(a.get("limit", "100")), 10_000))
    except ValueError:
        raise BadRequestError("quota, after and limit are whole numbers.") from None
    if a.get("route") and a["route"] not in JOURNAL_ROUTES:
        raise BadRequestError(f"Unknown route '{a['route']}': the journal's routes are {', '.join(JOURNAL_ROUTES)}.")
    entries = journal.query(
        route=a.get("route"),
        member_code=a.get("member"),
        quota_id=quota,
        panel_guid=a.get("panel"),
        since=a.get("since"),
        until=a.get("until"),
        after_id=after,
        limit=limit,
    )
    return json_response({"Entries": [e.to_dict() for e in entries]})


def explain(explainer: Explain) -> Response:
    a = request.args
    try:
        quota = whole(a.get("quota", ""))
    except ValueError:
        quota = None
    if not a.get("member") or quota is None:
        raise BadRequestError("Give member=, a numeric quota= and (with several panels) panel=.")
    decision, check = explainer.explain(a.get("panel"), a["member"], quota)
    return json_response(
        {
            "ResultCode": int(decision.code),
            "Result": decision.code.name,
            "Reason": decision.reason,
            "Sampling": check.to_dict() if check else None,
            "Tree": check.render() if check else None,
        }
    )


def health() -> Response:
    return json_response({"Status": "ok", "Time": datetime.now(UTC).isoformat(), "Version": __version__})


def visits_of_link(journal: RequestJournal) -> Response:
    """Every click on the invite link ``token`` (its ``od`` parameter): a client whose click lost its answer reads
    here whether it reached the sandbox, and where it was sent."""
    token = request.args.get("token", "")
    if not token:
        raise BadRequestError("Give token= (the invite URL's od parameter).")
    return json_response(
        {
            "Visits": [
                {
                    "ReferenceID": v.reference_id,
                    "MemberCode": v.member_code,
                    "QuotaID": v.quota_id,
                    "Activity": v.activity,
                    "Outcome": v.outcome,
                    "EndPage": v.end_page,
                    "At": v.at.isoformat(),
                }
                for v in journal.visits_of_link(token)
            ]
        }
    )


def outbox(notifications: Notifications) -> Response:
    """Notifications, oldest first: ``status`` (pending, delivered, failed), ``kind``, ``panel``, ``after``, ``ids``;
    without ``after`` or ``ids``, those of the current run (since the last scenario load or reset; ``after=0`` lists
    every one kept). ``CarriedOver``: notifications from before the last load or reset still pending (and delivered)."""
    a = request.args
    try:
        after = whole(a["after"]) if a.get("after") else None
        ids = [whole(i) for i in a.get("ids", "").split(",") if i.strip()]
        limit = max(1, min(whole(a.get("limit", "100")), 10_000))
    except ValueError:
        raise BadRequestError("after, ids and limit are whole numbers.") from None
    filters = {"status": a.get("status"), "kind": a.get("kind"), "panel": a.get("panel")}
    return json_response(notifications.listing(**filters, after=after, ids=ids or None, limit=limit))


def outbox_craft(triggers: Triggers) -> Response:
    """Body: ``kind`` and ``doc`` (rendered in the panel's format, or ``format``) or ``body`` (sent as it is);
    optional ``panel``, ``url`` (default: the panel's endpoint for the kind), ``headers``, ``attempts`` (default 1),
    ``subject``. A notification Toluna would not send as such (stale, tampered, malformed): the receiver's test."""
    return json_response({"ID": triggers.crafted(body())}, 201)


def outbox_item(notifications: Notifications, notification_id: int) -> Response:
    found = notifications.get(notification_id)
    if found is None:
        raise NotFoundError(f"No notification {notification_id}.")
    return json_response(found)


def outbox_resend(notifications: Notifications, notification_id: int) -> Response:
    new = notifications.resend(notification_id)
    if new is None:
        raise NotFoundError(f"No notification {notification_id}.")
    return json_response({"ID": new, "ResendOf": notification_id}, 201)


def outbox_wait(notifications: Notifications) -> Response:
    """Wait (at most ``timeout`` seconds, default 10) until the notifications ``ids`` (default: the current run's)
    are no longer pending; what became of them."""
    a = request.args
    try:
        timeout = float(a.get("timeout", 10))
        ids = [whole(i) for i in a.get("ids", "").split(",") if i.strip()]
        if not timeout >= 0:  # NaN too: it would never time out
            raise ValueError(timeout)
    except ValueError:
        raise BadRequestError("timeout is a number of seconds; ids a comma-separated list.") from None
    return json_response(notifications.wait(ids, timeout))


def register(
    bp: Blueprint, journal: RequestJournal, explainer: Explain, notifications: Notifications, triggers: Triggers
) -> None:
    bind(bp, "/journal/count", journal_count, journal)
    bind(bp, "/journal", journal_entries, journal, endpoint="journal")
    bind(bp, "/explain", explain, explainer)
    bind(bp, "/health", health)
    bind(bp, "/visits", visits_of_link, journal)
    bind(bp, "/outbox", outbox, notifications)
    bind(bp, "/outbox", outbox_craft, triggers, methods=["POST"])
    bind(bp, f"/outbox/<{ROW_ID}:notification_id>", outbox_item, notifications)
    bind(bp, f"/outbox/<{ROW_ID}:notification_id>/resend", outbox_resend, notifications, methods=["POST"])
    bind(bp, "/outbox/wait", outbox_wait, notifications, methods=["POST"])
