"""Which partner endpoint hears of which event: member status goes to the member's panel (completion or terminate
URL), reconciliation to its reconciliation URL, quota status and survey closed to every panel of the culture (quota
notifications only where enabled)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simulator.domain.errors import BadRequestError
from simulator.domain.events import Event, QuotaStatus, Reconciliation, SurveyClosed, VisitEnded
from simulator.domain.model import Panel
from simulator.store.records import Outgoing

from . import payloads

MEMBER_URLS = {
    "complete": "Completion Notification URL",
    "terminate": "Terminate Notification URL",
    "prestart": "Terminate Notification URL",
}


def _setting(panel: Panel, name: str) -> str | None:
    value = (panel.settings.get(name) or "").strip()
    return value or None


def quota_notifications_on(panel: Panel) -> bool:
    return (panel.settings.get("Quota Notifications Enabled") or "True").strip().lower() == "true"


ENDPOINT_SETTINGS = {**MEMBER_URLS, "quota": "Quota Notification URL", "survey": "Survey Notification URL"}


def endpoint_headers(panel: Panel, kind: str) -> dict[str, str]:
    """The headers the panel's endpoint for ``kind`` requires: those for every endpoint, then its own."""
    own = panel.notification_headers.get(ENDPOINT_SETTINGS.get(kind, ""))
    headers = {k: v for k, v in panel.notification_headers.items() if isinstance(v, str)}
    if isinstance(own, dict):
        headers.update({str(k): str(v) for k, v in own.items()})
    if kind == "reconciliation":
        headers.update(panel.reconciliation_header)
    return headers


def _outgoing(panel: Panel, kind: str, url: str, doc: dict[str, object], subject: dict[str, object]) -> Outgoing:
    body, content_type = payloads.render(kind, doc, panel.notification_format)
    return _item(panel, kind, url, panel.notification_format, (body, content_type), {}, subject, None)


def _item(
    panel: Panel,
    kind: str,
    url: str,
    fmt: str,
    rendered: tuple[str, str],
    headers: dict[str, str],
    subject: dict[str, object],
    attempts: int | None,
) -> Outgoing:
    """A notification to ``url`` with the endpoint's headers (plus ``headers``) and the panel's delivery settings."""
    body, content_type = rendered
    return Outgoing(
        kind=kind,
        panel_guid=panel.guid,
        url=url,
        format=fmt,
        content_type=content_type,
        body=body,
        headers={**endpoint_headers(panel, kind), **headers},
        subject=subject,
        max_attempts=panel.notification_attempts if attempts is None else attempts,
        retry_seconds=panel.notification_retry_seconds,
        timeout=panel.notification_timeout,
    )


def crafted(panel: Panel, spec: dict[str, Any]) -> Outgoing:
    """A notification composed by the operator: ``kind``, and ``doc`` (rendered in the panel's format, or
    ``format``) or ``body`` (sent as it is); ``url`` (default: the panel's endpoint for the kind), ``headers``,
    ``attempts`` (default 1), ``subject``."""
    kind = str(spec["kind"])
    endpoint = panel.reconciliation_url if kind == "reconciliation" else panel.settings.get(ENDPOINT_SETTINGS[kind])
    url = (spec.get("url") or endpoint or "").strip()
    if not url:
        raise BadRequestError(f"The panel has no endpoint for {kind} notifications: name a url.")
    fmt = str(spec.get("format") or panel.notification_format)
    if "doc" in spec:
        rendered = payloads.render(kind, spec["doc"], fmt)
    else:
        xml = fmt == "xml"
        rendered = (str(spec["body"]), "application/xml; charset=utf-8" if xml else "application/json; charset=utf-8")
    subject = {**(spec.get("subject") or {}), "crafted": True}
    return _item(panel, kind, url, fmt, rendered, spec.get("headers") or {}, subject, int(spec.get("attempts") or 1))


def outgoing(events: Iterable[Event], panels: Iterable[Panel]) -> list[Outgoing]:
    """The notifications ``events`` call for, one per event and listening panel."""
    panels = list(panels)
    by_guid = {p.guid: p for p in panels}
    out: list[Outgoing] = []
    for e in events:
        if isinstance(e, VisitEnded):
            panel = by_guid.get(e.panel_guid)
            url = _setting(panel, MEMBER_URLS[e.kind]) if panel else None
            if panel and url:
                subject = {"member": e.member_code, "survey": e.survey_id, "wave": e.wave_id, "quota": e.quota_id}
                out.append(_outgoing(panel, e.kind, url, payloads.member_status(e, panel), subject))
        elif isinstance(e, QuotaStatus):
            for panel in (p for p in panels if p.culture == e.culture and quota_notifications_on(p)):
                url = _setting(panel, "Quota Notification URL")
                if url:
                    subject = {"survey": e.survey_id, "wave": e.wave_id, "quota": e.quota_id, "live": e.is_live}
                    out.append(_outgoing(panel, "quota", url, payloads.quota_status(e), subject))
        elif isinstance(e, Reconciliation):
            c = e.complete
            panel = by_guid.get(c.panel_guid)
            if panel and panel.reconciliation_url:
                subject = {"member": c.member_code, "survey": c.survey_id, "wave": c.wave_id, "quota": c.quota_id}
                doc = payloads.reconciliation(c, e.reconciliation_id, c.revenue_cents, e.completed_at, e.at)
                out.append(_outgoing(panel, "reconciliation", panel.reconciliation_url, doc, subject))
        elif isinstance(e, SurveyClosed):
            for panel in (p for p in panels if p.culture == e.culture):
                url = _setting(panel, "Survey Notification URL")
                if url:
                    subject = {"survey": e.survey_id, "wave": e.wave_id}
                    out.append(_outgoing(panel, "survey", url, payloads.survey_closed(e), subject))
    return out
