"""The console's outbox (``/console/outbox``): the notifications of the current run, newest first, each with every
delivery attempt; filters by status and kind; a resend per notification (``Notifications.resend``, as the control
API's resend)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from simulator.notify.routing import ENDPOINT_SETTINGS
from simulator.services import Services
from simulator.services.notifications import Notifications

from ..context import bind
from ..control.requests import ROW_ID
from .pages import back

STATUSES = ("pending", "delivered", "failed")
KINDS = (*ENDPOINT_SETTINGS, "reconciliation")
#: How many notifications the page shows (the newest), and how many it reads to find them.
SHOWN = 50
READ = 10_000


def _choice(name: str, allowed: tuple[str, ...]) -> tuple[str | None, str | None]:
    """A filter from the query string: (value, None), (None, None) when absent, or (None, problem)."""
    value = (request.args.get(name) or "").strip().lower()
    if not value:
        return None, None
    if value not in allowed:
        return None, f"Unknown {name} {value[:30]!r}: use one of {', '.join(allowed)}."
    return value, None


def outbox_page(notifications: Notifications) -> tuple[str, int]:
    status, bad_status = _choice("status", STATUSES)
    kind, bad_kind = _choice("kind", KINDS)
    listing = notifications.listing(status=status, kind=kind, limit=READ)
    newest = listing["Notifications"][::-1][:SHOWN]
    rows: list[dict[str, Any]] = [notifications.get(n["ID"]) or {**n, "Attempts": []} for n in newest]
    problems = [p for p in (bad_status, bad_kind) if p]
    html = render_template(
        "console/outbox.html",
        rows=rows,
        total=len(listing["Notifications"]),
        shown=SHOWN,
        pending=listing["Pending"],
        status=status,
        kind=kind,
        statuses=STATUSES,
        kinds=KINDS,
        problems=problems,
    )
    return html, 400 if problems else 200


def resend(notifications: Notifications, notification_id: int) -> Response:
    target = url_for("console.outbox_page")
    new = notifications.resend(notification_id)
    if new is None:
        return back(target, f"No notification #{notification_id}. Fix: pick one from the list.", ok=False)
    return back(target, f"Notification #{notification_id} sent again as #{new}.")


def register(bp: Blueprint, services: Services) -> None:
    bind(bp, "/console/outbox", outbox_page, services.notifications)
    bind(bp, f"/console/outbox/<{ROW_ID}:notification_id>/resend", resend, services.notifications, methods=["POST"])
