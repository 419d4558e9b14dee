"""The operator's control API (``/_sandbox/...``): scenario, reset, quota and survey states, clock, journal,
explain, participations, faults. Loopback clients, and others that send the admin token (``admin``); each route
takes the query parameters and body keys ``control_keys`` declares for it, and refuses any other."""

from __future__ import annotations

import copy
import time
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from jsonschema import Draft202012Validator
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule

from simulator import __version__
from simulator.domain import questions as qid
from simulator.domain import registration
from simulator.domain.clock import ClockRangeError, parse_instant
from simulator.domain.errors import BadRequestError, ConflictError, NotFoundError
from simulator.domain.faults import FaultRule
from simulator.domain.inventory_codec import state_to_dict
from simulator.domain.model import Member, MemberStatus, Participation
from simulator.domain.reference import culture_for, import_body, targets_of
from simulator.domain.settings import unknown_setting
from simulator.scenario.errors import schema_error
from simulator.scenario.loader import load_text
from simulator.schemas import validator

from . import control_keys
from .admin import require_admin
from .context import backend, base_url
from .errors import json_response
from .gates import whole_number
from .limits import ConfinedDir, file_name, json_body

bp = Blueprint("control", __name__, url_prefix="/_sandbox")
bp.before_request(require_admin)


def _route() -> str:
    """The call as a refusal names it (``PUT /_sandbox/quotas/4200001``)."""
    return f"{request.method} {request.path}"


@bp.before_request
def strict_request() -> None:
    """Query parameters and a body a route does not take are refused before anything is done (``_body`` checks
    the keys of a JSON body)."""
    endpoint = request.endpoint or ""
    if endpoint == f"{bp.name}.{unknown_route.__name__}":
        return
    control_keys.check_query(endpoint, request.args, _route())
    control_keys.check_no_body(endpoint, lambda: request.get_data(cache=True), _route())


#: A control call that changes state and carries this header is carried out once: the same key again (a client
#: repeating a call whose answer it lost on a dropped connection) gets the first answer back.
IDEMPOTENCY_HEADER = "Idempotency-Key"


#: How long a repeat waits for the first call with its key to finish (``outbox/wait`` may take 120 s).
IDEMPOTENCY_WAIT = 130.0


@bp.before_request
def replay_repeated_call() -> Response | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if request.method in ("GET", "HEAD") or not key:
        return None
    key, meta = f"{request.method} {request.path} {key[:200]}", backend().store.meta  # a key names one call
    deadline = time.monotonic() + IDEMPOTENCY_WAIT
    while True:
        if meta.claim_reply(key):
            g.idempotency_key = key  # this call carries it out; remember_answer keeps the answer
            return None
        stored = meta.reply(key)  # another call has the key: its answer, once it has one
        if stored is not None and stored[0] != meta.PENDING:
            status, content_type, body = stored
            return Response(body, status=status, content_type=content_type)
        if time.monotonic() >= deadline:
            raise ConflictError(f"A call with {IDEMPOTENCY_HEADER} {key} is still being carried out; try again.")
        time.sleep(0.02)  # (a key let go after a 500 is claimed on the next turn)


@bp.after_request
def remember_answer(response: Response) -> Response:
    key = g.pop("idempotency_key", None)
    if key is None:
        return response
    meta = backend().store.meta
    if response.status_code < 500 and not response.is_streamed:
        meta.remember_reply(key, response.status_code, response.content_type or "", response.get_data())
    else:
        meta.forget_reply(key)
    return response


@bp.teardown_request
def free_unanswered_key(_exc: BaseException | None) -> None:
    key = g.pop("idempotency_key", None)  # still set: no answer went through remember_answer
    if key is not None:
        backend().store.meta.forget_reply(key)


#: The ids and numbers the store looks up are SQLite integers: a path id beyond them is a 404, a query one a 400.
MAX_ROW = 2**63 - 1
ROW_ID = f"int(max={MAX_ROW})"


def whole(text: str) -> int:
    """A whole number from 0 to ``MAX_ROW`` in ASCII digits, or a ``ValueError`` (``"²"``, ``"1_000"`` and ``"1e30"``
    included)."""
    value = whole_number(text)
    if value is None or not 0 <= value <= MAX_ROW:
        raise ValueError(text)
    return value


#: How much of a refused value a 400 quotes back.
MESSAGE_QUOTE = 300


def _body() -> dict[str, Any]:
    """The JSON body, its keys checked against the route's in ``control_keys`` and its values against the route's
    schema: a bad one is a 400 that says what to fix (and quotes at most the start of a value it refuses)."""
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequestError("Send a JSON object.")
    spec = control_keys.body_of(request.endpoint or "", request.view_args)
    control_keys.check_body_keys(spec, body, _route())
    schema = _schema(spec.kind) if spec else None
    if schema is not None:
        errors = list(schema.iter_errors(body))
        if errors:
            e = schema_error("request body", errors)
            problem = e.problem if len(e.problem) <= MESSAGE_QUOTE else e.problem[:MESSAGE_QUOTE] + "…"
            raise BadRequestError(f"{e.path or 'body'}: {problem}. Fix: {e.fix}")
    return body


@bp.get("/scenario")
def show_scenario() -> Response:
    store = backend().store
    snap = store.inventory.snapshot()
    panels = [
        {
            "PanelGUID": p.guid,
            "Name": p.name,
            "Culture": p.culture,
            "CountryID": p.country_id,
            "API_AUTH_KEY": p.api_key,
            "PARTNER_AUTH_KEY": p.reference_data_key or None,
            "EsEnabled": p.es_enabled,
            "Members": store.members.count(p.guid),
            "Surveys": len(snap.surveys_for(p.culture)),
        }
        for p in snap.panels.values()
    ]
    return json_response(
        {
            "Name": store.meta.get("scenario_name"),
            "Source": store.meta.get("scenario_source"),
            "BaseURL": base_url(),
            "Clock": store.meta.clock().to_dict(),
            "Panels": panels,
        }
    )


@bp.post("/scenario")
def load_scenario() -> Response:
    text = request.get_data(cache=True)  # the loader decodes it (UTF-8 only) and names a bad byte's line
    if not text.strip():
        raise BadRequestError("Send the scenario file (YAML or JSON) as the request body.")
    scenario = load_text(text, file_name(request.args.get("name"), "<posted scenario>"), ConfinedDir("."))
    store = backend().store
    store.load(scenario)
    return json_response(scenario.summary())


@bp.post("/reset")
def reset() -> Response:
    """Reload the current scenario from scratch and clear the journal."""
    store = backend().store
    source, text = store.meta.get("scenario_source"), store.meta.get("scenario_text")
    if not text:
        raise BadRequestError("No scenario has been loaded yet.")
    base = Path(source).parent if source and not source.startswith("<") else Path(".")
    scenario = load_text(text, source or "<scenario>", base)
    store.load(scenario, clear_journal=True)
    return json_response(scenario.summary())


@bp.put(f"/quotas/<{ROW_ID}:quota_id>")
def change_quota(quota_id: int) -> Response:
    """Body: any of ``live``, ``es_enabled``, ``interval_unavailable``, ``EstimatedCompletesRemaining``,
    ``CompletesRequired``, ``SubQuotas: {SubQuotaID: CurrentCompletes}``."""
    q, sent = backend().change_quota(quota_id, _body())
    return json_response(
        {"QuotaID": quota_id, "State": state_to_dict(q.state), "Live": q.state.live, "Notifications": sent}
    )


@bp.put(f"/surveys/<{ROW_ID}:survey_id>")
def change_survey(survey_id: int) -> Response:
    """Body: SurveyState fields (``status``, ``es_enabled``, ...) and ``EstimatedCompletesRemaining``; every
    wave of the survey, or only ``WaveID`` when the body names one."""
    changed, _ = backend().change_survey(survey_id, _body())
    return json_response(
        [{"SurveyID": s.survey_id, "WaveID": s.wave_id, "State": state_to_dict(s.state)} for s in changed]
    )


@bp.put("/panels/<guid>")
def change_panel(guid: str) -> Response:
    """Body: panel fields as a scenario file names them (``settings``, ``auto_routing``, ...): point the sandbox at
    a partner's end pages and notification endpoints without editing the scenario."""
    body = _body()
    for name in body.get("settings") or {}:
        unknown = unknown_setting(name)
        if unknown:
            raise BadRequestError(f"settings.{name}: {unknown[0]}. Fix: {unknown[1]}")
    panel = backend().change_panel(guid, body)
    return json_response({"PanelGUID": panel.guid, "Panel": asdict(panel)})


def _schema(kind: str) -> Draft202012Validator | None:
    """What judges the values of a body of this kind (a fault rule judges its own)."""
    if kind == control_keys.PANEL:
        return _panel_change_validator()
    return None if kind in (control_keys.FAULT, control_keys.TEXT) else validator("control", kind)


@cache
def _panel_change_validator() -> Draft202012Validator:
    """The scenario file's panel fields, less the identity ones: one definition for both."""
    return Draft202012Validator(control_keys.panel_change_schema())


@bp.get("/clock")
def get_clock() -> Response:
    return json_response(backend().store.meta.clock().to_dict())


@bp.put("/clock")
def set_clock() -> Response:
    body = _body()
    try:
        instant = parse_instant(body["now"])
    except ValueError:
        raise BadRequestError('Send {"now": "2026-01-15T12:00:00Z", "frozen": true|false}.') from None
    meta = backend().store.meta
    try:
        setting = meta.clock().set_to(instant, frozen=bool(body.get("frozen", False))).checked()
    except ClockRangeError as e:
        raise BadRequestError(str(e)) from None
    meta.set_clock(setting)
    return json_response({**setting.to_dict(), "TimelineFired": backend().run_timeline(base_url())})


@bp.post("/clock/advance")
def advance_clock() -> Response:
    body = _body()
    units = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
    seconds = sum(float(body.get(k, 0)) * n for k, n in units.items())
    meta = backend().store.meta
    try:
        setting = meta.clock().advance(seconds)
    except ClockRangeError as e:
        raise BadRequestError(str(e)) from None
    meta.set_clock(setting)
    return json_response({**setting.to_dict(), "TimelineFired": backend().run_timeline(base_url())})


@bp.post("/events/<kind>")
def trigger(kind: str) -> Response:
    """Make something happen now and tell the partner: ``complete``, ``terminate``, ``prestart`` (a member and a
    quota), ``quota-status`` (a quota live or not), ``survey-closed``. Answers with the notifications queued."""
    b = backend()
    if kind in ("complete", "terminate", "prestart"):
        step = b.trigger_visit(kind, _body(), base_url())
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
        body = _body()
        return json_response({"Event": kind, "Notifications": b.trigger_quota_status(body["quota"], body["live"])})
    if kind == "survey-closed":
        body = _body()
        return json_response(
            {"Event": kind, "Notifications": b.trigger_survey_closed(body["survey"], body.get("wave"))}
        )
    if kind == "reconciliation":
        return json_response({"Event": kind, "Notifications": b.trigger_reconciliation(_body())})
    raise NotFoundError(
        f"No event {kind!r}: use complete, terminate, prestart, quota-status, survey-closed or reconciliation."
    )


@bp.get("/timeline")
def timeline() -> Response:
    return json_response(
        {"Now": backend().store.meta.clock().to_dict()["Now"], "Entries": backend().store.timeline.all()}
    )


@bp.post("/timeline/run")
def run_timeline() -> Response:
    """Fire what is due now (workers also do it by themselves about once a second)."""
    return json_response({"Fired": backend().run_timeline(base_url())})


@bp.get("/journal/count")
def journal_count() -> Response:
    """How many entries follow ``after`` (cheap enough to poll while waiting for a client to go quiet)."""
    try:
        after = whole(request.args.get("after", "0"))
    except ValueError:
        raise BadRequestError("after is a whole number.") from None
    count, last = backend().store.journal.count(after)
    return json_response({"Count": count, "LastID": last})


@bp.get("/journal")
def journal() -> Response:
    a = request.args
    try:
        quota = whole(a["quota"]) if a.get("quota") else None
        after = whole(a["after"]) if a.get("after") else None
        limit = max(1, min(whole(a.get("limit", "100")), 10_000))
    except ValueError:
        raise BadRequestError("quota, after and limit are whole numbers.") from None
    entries = backend().store.journal.query(
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


@bp.get("/explain")
def explain() -> Response:
    a = request.args
    try:
        quota = whole(a.get("quota", ""))
    except ValueError:
        quota = None
    if not a.get("member") or quota is None:
        raise BadRequestError("Give member=, a numeric quota= and (with several panels) panel=.")
    b = backend()
    panel = a.get("panel") or _default_panel()
    decision, check = b.explain(panel, a["member"], quota)
    return json_response(
        {
            "ResultCode": int(decision.code),
            "Result": decision.code.name,
            "Reason": decision.reason,
            "Sampling": check.to_dict() if check else None,
            "Tree": check.render() if check else None,
        }
    )


def _default_panel() -> str:
    """Without ``panel=``, the first panel the scenario declares (as in scenario files)."""
    panels = list(backend().store.inventory.snapshot().panels)
    if not panels:
        raise BadRequestError("No panel is loaded.")
    return panels[0]


_STATUS = {
    "started": qid.STARTED,
    "terminated": qid.TERMINATED,
    "qualified": qid.QUALIFIED,
    "quota_full": qid.QUOTA_FULL,
}


@bp.post("/participations")
def add_participation() -> Response:
    """Record history by hand (what the survey flow records when members take surveys)."""
    body = _body()
    b = backend()
    panel = (body.get("panel") or _default_panel()).lower()
    member = b.store.members.get(panel, str(body.get("member", "")))
    if member is None:
        raise NotFoundError(f"No member {body.get('member')} in panel {panel}.")
    wave = int(body["wave"]) if body.get("wave") else None
    survey = b.store.inventory.snapshot().survey(int(body.get("survey", 0)), wave)
    status = _STATUS.get(body.get("status"), body.get("status"))
    if survey is None or status not in qid.PARTICIPATION_STATUSES:
        raise BadRequestError("Give an inventory survey= and status= (1, 3, 9, 10 or their names).")
    try:
        at = parse_instant(body["at"]) if body.get("at") else b.store.now()
    except ValueError:
        raise BadRequestError(
            f"at: {str(body['at'])[:MESSAGE_QUOTE]!r} is not a time. Fix: write e.g. 2026-01-15T12:00:00Z"
        ) from None
    p = Participation(
        panel,
        member.member_code,
        survey.survey_id,
        survey.wave_id,
        status,
        at,
        body.get("quota"),
    )
    with b.store.db.write() as conn:
        b.store.members.add_participations(conn, [(p, member.account_group)])
    return json_response({"Recorded": True, "At": at.astimezone(UTC).isoformat()}, 201)


@bp.get("/faults")
def list_faults() -> Response:
    return json_response({"Faults": [{"ID": i, **r.to_dict()} for i, r in backend().store.meta.faults()]})


@bp.post("/faults")
def add_fault() -> Response:
    body = _body()
    try:
        rule = FaultRule.from_dict(body)
    except (ValueError, TypeError) as exc:
        raise BadRequestError(f"Not a fault rule: {exc}") from None
    return json_response({"ID": backend().store.meta.add_fault(rule), **rule.to_dict()}, 201)


@bp.delete(f"/faults/<{ROW_ID}:fault_id>")
def remove_fault(fault_id: int) -> Response:
    if not backend().store.meta.remove_fault(fault_id):
        raise NotFoundError(f"No fault rule {fault_id}.")
    return json_response({"Removed": fault_id})


@bp.delete("/faults")
def clear_faults() -> Response:
    backend().store.meta.clear_faults()
    return json_response({"Faults": []})


@bp.get("/health")
def health() -> Response:
    return json_response({"Status": "ok", "Time": datetime.now(UTC).isoformat(), "Version": __version__})


_MEMBER_STATUS = {s.name.lower(): s for s in MemberStatus}


@bp.get("/members/<code>")
def show_member(code: str) -> Response:
    """A member as the sandbox holds it (status, answers, whether it is routable), for support."""
    panel = (request.args.get("panel") or _default_panel()).lower()
    member = backend().store.members.get(panel, code)
    if member is None:
        raise NotFoundError(f"No member {code} in panel {panel}.")
    return json_response(
        {
            **registration.to_wire(member),
            "Status": member.status.name.lower(),
            "StatusID": int(member.status),
            "AccountGroup": member.account_group,
            "DeviceTypeID": member.device_type_id,
        }
    )


@bp.put("/members/<code>")
def change_member(code: str) -> Response:
    """Body: ``status`` (registered, opt_out, suspended, blocked_for_abuse, pii_data_regulated, or 1-5) and/or
    ``active``: Toluna moving a member through its statuses."""
    body = _body()
    b = backend()
    named = {p.lower() for p in (body.get("panel"), request.args.get("panel")) if p}
    if len(named) > 1:
        raise BadRequestError("panel: the body and the query name different panels. Fix: name the panel once.")
    panel = named.pop() if named else _default_panel().lower()
    member = b.store.members.get(panel, code)
    if member is None:
        raise NotFoundError(f"No member {code} in panel {panel}.")
    status = body.get("status")
    if status is not None:
        member.status = MemberStatus(int(status)) if isinstance(status, int | float) else _MEMBER_STATUS[status]
    if "active" in body:
        member.is_active = bool(body["active"])
    if member.status is MemberStatus.PII_DATA_REGULATED:  # the data goes, for good
        member = Member(member.panel_guid, member.member_code, status=member.status, is_active=False)
    b.store.members.put(member)
    return json_response({"MemberCode": code, "Status": member.status.name.lower(), "IsActive": member.is_active})


@bp.get("/visits")
def visits_of_link() -> Response:
    """Every click on the invite link ``token`` (its ``od`` parameter): a client whose click lost its answer reads
    here whether it reached the sandbox, and where it was sent."""
    token = request.args.get("token", "")
    if not token:
        raise BadRequestError("Give token= (the invite URL's od parameter).")
    found = backend().store.visits.of_link(token)
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
                for v in found
            ]
        }
    )


@bp.get("/outbox")
def outbox() -> Response:
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
    store = backend().store
    found = store.outbox.list(
        status=a.get("status"),
        kind=a.get("kind"),
        panel=a.get("panel"),
        after=after,
        ids=ids or None,
        limit=limit,
    )
    return json_response(
        {
            "Notifications": found,
            "Pending": store.outbox.pending(),
            "CarriedOver": store.outbox.carried_over(),
            "LastID": store.outbox.last_id(),
        }
    )


@bp.post("/outbox")
def outbox_craft() -> Response:
    """Body: ``kind`` and ``doc`` (rendered in the panel's format, or ``format``) or ``body`` (sent as it is);
    optional ``panel``, ``url`` (default: the panel's endpoint for the kind), ``headers``, ``attempts`` (default 1),
    ``subject``. A notification Toluna would not send as such (stale, tampered, malformed): the receiver's test."""
    body = _body()
    return json_response({"ID": backend().queue_crafted(body)}, 201)


@bp.get(f"/outbox/<{ROW_ID}:notification_id>")
def outbox_item(notification_id: int) -> Response:
    found = backend().store.outbox.get(notification_id)
    if found is None:
        raise NotFoundError(f"No notification {notification_id}.")
    return json_response(found)


@bp.post(f"/outbox/<{ROW_ID}:notification_id>/resend")
def outbox_resend(notification_id: int) -> Response:
    b = backend()
    new = b.store.outbox.resend(notification_id)
    if new is None:
        raise NotFoundError(f"No notification {notification_id}.")
    if b.dispatcher is not None:
        b.dispatcher.wake.set()
    return json_response({"ID": new, "ResendOf": notification_id}, 201)


@bp.post("/outbox/wait")
def outbox_wait() -> Response:
    """Wait (at most ``timeout`` seconds, default 10) until the notifications ``ids`` (default: the current run's)
    are no longer pending; what became of them."""
    a = request.args
    try:
        timeout = min(float(a.get("timeout", 10)), 120.0)
        ids = [whole(i) for i in a.get("ids", "").split(",") if i.strip()]
        if not timeout >= 0:  # NaN too: it would never time out
            raise ValueError(timeout)
    except ValueError:
        raise BadRequestError("timeout is a number of seconds; ids a comma-separated list.") from None
    store = backend().store
    deadline = time.monotonic() + timeout
    while True:
        waiting = store.outbox.list(status="pending", ids=ids or None, limit=10_000)
        if not waiting or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    done = store.outbox.list(ids=ids, limit=10_000) if ids else []
    return json_response({"Pending": len(waiting), "Notifications": done})


@bp.post("/reference")
def import_reference() -> Response:
    """Body: a Toluna QuestionsAndAnswersData answer (a JSON list of questions). It replaces the questions of the
    cultures it covers; what the inventory targets is learned again on top."""
    body = json_body(force=True)
    if not isinstance(body, list):
        raise BadRequestError("Send a QuestionsAndAnswersData body: the JSON list of questions Toluna answers.")
    store = backend().store
    snap = store.inventory.snapshot()
    data = copy.deepcopy(snap.reference)
    try:
        count = import_body(data, body)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequestError(f"Not a list of Toluna questions: {exc!r}") from None
    learned = 0
    for culture in {p.culture for p in snap.panels.values()}:
        known = culture_for(data, culture)
        learned += data.learn(known.culture_id, targets_of([s for s in snap.surveys_for(culture)]))
    store.inventory.replace_reference(data)
    return json_response({"Questions": count, "LearnedFromInventory": learned})


_ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@bp.route("/", defaults={"rest": ""}, methods=_ANY_METHOD, strict_slashes=False)
@bp.route("/<path:rest>", methods=_ANY_METHOD)
def unknown_route(rest: str) -> Response:
    """No control route has this path (404), or none takes this method (405, with ``Allow``); either way the answer
    lists the routes that exist."""
    rules = [r for r in current_app.url_map.iter_rules() if r.endpoint.startswith(f"{bp.name}.")]
    real = [r for r in rules if r.endpoint != request.endpoint]
    routes = sorted(
        control_keys.route_label(m, r.rule) for r in real for m in sorted((r.methods or set()) - {"HEAD", "OPTIONS"})
    )
    known = Map([Rule(r.rule, methods=r.methods, endpoint=r.endpoint) for r in real], merge_slashes=False)
    try:
        known.bind("sandbox").match(request.path, method=request.method)
    except MethodNotAllowed as exc:
        allowed = sorted(set(exc.valid_methods or ()) - {"HEAD", "OPTIONS"})
        answer = json_response(
            {
                "Message": f"{request.path} does not take {request.method}. Fix: use {', '.join(allowed)}.",
                "Routes": routes,
            },
            405,
        )
        answer.headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
        return answer
    except (NotFound, RequestRedirect):
        pass
    return json_response(
        {"Message": f"No control route {request.method} {request.path}. Fix: use one of Routes.", "Routes": routes},
        404,
    )
