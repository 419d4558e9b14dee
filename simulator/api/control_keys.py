"""What each control route takes, declared once: its query parameters and the keys of its JSON body. A key or a
parameter a route does not take is a 400 that names it and lists what the route takes; nothing is ignored."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from simulator.domain.errors import BadRequestError
from simulator.domain.faults import FaultRule
from simulator.schemas import load

#: A body that is not a JSON object of keys (a scenario file, a list of questions).
TEXT = "text"
#: The fault rule (its keys are the rule's fields, as ``GET /_sandbox/faults`` lists them).
FAULT = "fault"
#: A panel change (the scenario file's panel fields less its identity).
PANEL = "panel"
#: A new workspace (``POST /_sandbox/workspaces``).
WORKSPACE = "workspace"
WORKSPACE_KEYS = ("Name", "Scenario", "AdminToken")
#: Bodies a route that takes none may still carry (an empty JSON object).
EMPTY_BODIES = (b"", b"{}", b"null")


@dataclass(frozen=True, slots=True)
class Body:
    """``kind``: TEXT, FAULT, PANEL, WORKSPACE or a ``control.json`` definition (its values are checked against it);
    ``keys``: the keys taken, when fewer than the definition's (one definition serving several events)."""

    kind: str
    keys: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Takes:
    """``query``: the parameters; ``body``: None (no body), a ``Body``, or per ``kind`` (the events route) one."""

    query: tuple[str, ...] = ()
    body: Body | Mapping[str, Body] | None = None


_VISIT = ("member", "quota", "panel")

#: Every control route by its endpoint (the view's name in ``simulator.api.control``).
ROUTES: dict[str, Takes] = {
    "show_scenario": Takes(),
    "load_scenario": Takes(query=("name",), body=Body(TEXT)),
    "reset": Takes(),
    "change_quota": Takes(body=Body("QuotaChange")),
    "change_survey": Takes(body=Body("SurveyChange")),
    "change_panel": Takes(body=Body(PANEL)),
    "get_clock": Takes(),
    "set_clock": Takes(body=Body("Clock")),
    "advance_clock": Takes(body=Body("ClockAdvance")),
    "trigger": Takes(
        body={
            "complete": Body("VisitEvent", _VISIT),
            "terminate": Body("VisitEvent", (*_VISIT, "reason", "outcome")),
            "prestart": Body("VisitEvent", (*_VISIT, "rejection")),
            "reconciliation": Body("VisitEvent", (*_VISIT, "reason")),
            "quota-status": Body("QuotaStatusEvent"),
            "survey-closed": Body("SurveyClosedEvent"),
        }
    ),
    "timeline": Takes(),
    "run_timeline": Takes(),
    "journal_count": Takes(query=("after",)),
    "journal": Takes(query=("route", "member", "quota", "panel", "since", "until", "after", "limit")),
    "explain": Takes(query=("member", "quota", "panel")),
    "add_participation": Takes(body=Body("Participation")),
    "list_faults": Takes(),
    "add_fault": Takes(body=Body(FAULT)),
    "remove_fault": Takes(),
    "clear_faults": Takes(),
    "health": Takes(),
    "show_member": Takes(query=("panel",)),
    "change_member": Takes(query=("panel",), body=Body("MemberChange")),
    "visits_of_link": Takes(query=("token",)),
    "outbox": Takes(query=("status", "kind", "panel", "after", "ids", "limit")),
    "outbox_craft": Takes(body=Body("CraftedNotification")),
    "outbox_item": Takes(),
    "outbox_resend": Takes(),
    "outbox_wait": Takes(query=("ids", "timeout")),
    "import_reference": Takes(body=Body(TEXT)),
    "export_capsule": Takes(),
    "open_capsule": Takes(body=Body(TEXT)),
    "list_workspaces": Takes(),
    "create_workspace": Takes(body=Body(WORKSPACE)),
    "reset_workspace": Takes(),
    "delete_workspace": Takes(),
}


def takes(endpoint: str) -> Takes:
    """What the route ``endpoint`` (``control.<view>``) takes; a route missing from the table takes nothing."""
    return ROUTES.get(endpoint.rpartition(".")[2], Takes())


def body_of(endpoint: str, view_args: Mapping[str, Any] | None) -> Body | None:
    """The body the route takes for this request (the events route: per ``kind``; an unknown kind: None)."""
    body = takes(endpoint).body
    if isinstance(body, Mapping):
        return body.get(str((view_args or {}).get("kind")))
    return body


@cache
def panel_change_schema() -> dict[str, Any]:
    """The scenario file's panel fields, less the identity ones: one definition for the file and the control API."""
    props = load("scenario")["properties"]["panels"]["items"]["properties"]
    kept = {k: v for k, v in props.items() if k not in ("guid", "culture", "country_id")}
    return {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": kept}


@cache
def body_keys(kind: str) -> tuple[str, ...]:
    """The keys a JSON object body of this kind may have, in their documented order."""
    if kind == FAULT:
        return tuple(f.name for f in fields(FaultRule))
    if kind == PANEL:
        return tuple(panel_change_schema()["properties"])
    if kind == WORKSPACE:
        return WORKSPACE_KEYS
    return tuple(load("control")["$defs"][kind]["properties"])


class UnknownKeysError(BadRequestError):
    """A 400 that also lists, for programs, the names refused (``Unknown``) and those the route takes (``Allowed``)."""

    def __init__(self, message: str, unknown: list[str], allowed: tuple[str, ...]) -> None:
        super().__init__(message)
        self.unknown, self.allowed = unknown, list(allowed)

    def body(self) -> object:
        return {"Message": str(self), "Unknown": self.unknown, "Allowed": self.allowed}


_CONVERTED = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def route_label(method: str, rule: str) -> str:
    """``PUT /_sandbox/quotas/<int:quota_id>`` -> ``PUT /_sandbox/quotas/{quota_id}``."""
    return method + " " + _CONVERTED.sub(r"{\1}", rule)


def _refuse(where: str, what: str, unknown: list[str], allowed: tuple[str, ...], route: str) -> UnknownKeysError:
    fixes = []
    for key in unknown:
        close = difflib.get_close_matches(key, allowed, n=1)
        fixes.append(f"rename '{key}' to '{close[0]}'" if close else f"remove '{key}'")
    names = ", ".join(f"'{k}'" for k in unknown)
    plural = "s" if len(unknown) > 1 else ""
    listed = ", ".join(allowed) if allowed else f"no {what}s"
    message = f"{where}: unknown {what}{plural} {names}. Fix: {', '.join(fixes)} ({route} takes {listed})"
    return UnknownKeysError(message, unknown, allowed)


def check_query(endpoint: str, args: Mapping[str, str] | Any, route: str) -> None:
    """Refuse query parameters the route does not take."""
    allowed = takes(endpoint).query
    unknown = sorted({k for k in args if k not in allowed})
    if unknown:
        raise _refuse("query", "parameter", unknown, allowed, route)


def check_no_body(endpoint: str, read: Callable[[], bytes], route: str) -> None:
    """A route that takes no body refuses one (an empty JSON object aside); ``read`` gives the body."""
    if takes(endpoint).body is None and read().strip() not in EMPTY_BODIES:
        raise BadRequestError(f"body: {route} takes no body. Fix: send the request without one")


def check_body_keys(spec: Body | None, body: Mapping[str, Any], route: str) -> None:
    """Refuse top-level body keys the route does not take (their values are the route's schema's to judge)."""
    if spec is None or spec.kind == TEXT:
        return
    allowed = spec.keys or body_keys(spec.kind)
    unknown = [k for k in body if k not in allowed]
    if unknown:
        raise _refuse("body", "key", unknown, allowed, route)
