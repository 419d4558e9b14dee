"""``/openapi.json``: the control API (``/_sandbox/...``), answered to loopback clients (or to any client that
sends the admin token when the server allows others)."""

from __future__ import annotations

from typing import Any

from simulator.domain.faults import FIELDS, ROUTES

from .control import IDEMPOTENCY_HEADER
from .control_keys import panel_change_schema
from .openapi_parts import (
    INTEGER,
    JSON,
    json_answer,
    json_body,
    message,
    operation,
    param,
    path,
    query,
    ref,
)

TAG = "Control"
ALLOW = {"Allow": {"required": True, "schema": {"type": "string"}}}
BASE = "/_sandbox"
#: Loopback clients need nothing; others need the admin token (when the server was started to allow them).
SECURITY: list[dict[str, list[str]]] = [{}, {"SandboxToken": []}]
BAD = message("Refused: the message says what to send (a body key not allowed, a value that does not fit, ...)")
MISSING = message("Nothing has this id or name")
ES_OR_MESSAGE = {"anyOf": [ref("EsError"), ref("Message")]}
IDEMPOTENCY = param(
    IDEMPOTENCY_HEADER, "header", {"type": "string"}, description="The same key again answers the first answer again"
)


def _op(method: str, op_id: str, summary: str, ok: dict[str, Any], **kw: Any) -> dict[str, Any]:
    responses = {"200": ok, "400": BAD, "403": message("Not a loopback client, or no valid X-Sandbox-Token")}
    status = kw.pop("status", "200")
    if status != "200":
        responses[status] = responses.pop("200")
    responses.update(kw.pop("more", {}))
    params = list(kw.pop("params", []))
    if method != "get":
        params.append(IDEMPOTENCY)
        responses["409"] = message(f"A call with the same {IDEMPOTENCY_HEADER} is still being carried out")
    return operation(op_id, summary, TAG, responses, params, security=SECURITY, **kw)


def _answer(schema: str, description: str = "Done") -> dict[str, Any]:
    return json_answer(description, ref(schema))


def _list(schema: str) -> dict[str, Any]:
    return {"type": "array", "items": ref(schema)} if schema else {"type": "array"}


def _paths_state() -> dict[str, Any]:
    scenario_body = {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            JSON: {"schema": {"type": "object"}},
        },
    }
    panel = {**panel_change_schema(), "description": "Panel fields as a scenario file names them"}
    return {
        f"{BASE}/scenario": {
            "get": _op("get", "ShowScenario", "The loaded scenario: panels, keys, clock.", _answer("ScenarioView")),
            "post": _op(
                "post",
                "LoadScenario",
                "Load a scenario file (YAML or JSON) sent as the body.",
                _answer("ScenarioSummary"),
                params=[query("name", description="A name for the posted scenario")],
                body=scenario_body,
                more={"400": json_answer("The scenario cannot be loaded", ref("ScenarioError"))},
            ),
        },
        f"{BASE}/reset": {
            "post": _op("post", "Reset", "Reload the current scenario; clear the journal.", _answer("ScenarioSummary"))
        },
        f"{BASE}/quotas/{{quotaId}}": {
            "put": _op(
                "put",
                "ChangeQuota",
                "Change a quota's state.",
                _answer("QuotaChanged"),
                params=[path("quotaId", INTEGER)],
                body=json_body(ref("QuotaChange")),
                more={"404": MISSING},
            )
        },
        f"{BASE}/surveys/{{surveyId}}": {
            "put": _op(
                "put",
                "ChangeSurvey",
                "Change a survey's state (every wave, or the WaveID named).",
                _answer("SurveysChanged"),
                params=[path("surveyId", INTEGER)],
                body=json_body(ref("SurveyChange")),
                more={"404": MISSING},
            )
        },
        f"{BASE}/panels/{{panelGuid}}": {
            "put": _op(
                "put",
                "ChangePanel",
                "Change a panel's fields (end pages, notification endpoints, ...).",
                _answer("PanelChanged"),
                params=[path("panelGuid")],
                body=json_body(panel),
                more={"404": MISSING},
            )
        },
        f"{BASE}/members/{{memberCode}}": {
            "get": _op(
                "get",
                "ShowMember",
                "A member as the sandbox holds it.",
                json_answer("The member", {"allOf": [ref("Member"), ref("MemberState")]}),
                params=[path("memberCode"), query("panel")],
                more={"404": MISSING},
            ),
            "put": _op(
                "put",
                "ChangeMember",
                "Move a member through Toluna's statuses.",
                _answer("MemberChanged"),
                params=[path("memberCode"), query("panel")],
                body=json_body(ref("MemberChange")),
                more={"404": MISSING},
            ),
        },
        f"{BASE}/participations": {
            "post": _op(
                "post",
                "AddParticipation",
                "Record a member's history by hand.",
                _answer("ParticipationRecorded"),
                status="201",
                body=json_body(ref("Participation")),
                more={"404": MISSING},
            )
        },
        f"{BASE}/reference": {
            "post": _op(
                "post",
                "ImportReference",
                "Import a QuestionsAndAnswersData answer (a JSON list of questions).",
                _answer("ReferenceImported"),
                body=json_body({"type": "array", "items": ref("Question")}),
            )
        },
    }


def _paths_time() -> dict[str, Any]:
    return {
        f"{BASE}/clock": {
            "get": _op("get", "GetClock", "The sandbox clock.", _answer("ClockView")),
            "put": _op(
                "put",
                "SetClock",
                "Set the sandbox clock; fire what the timeline has due.",
                _answer("ClockChanged"),
                body=json_body(ref("Clock")),
            ),
        },
        f"{BASE}/clock/advance": {
            "post": _op(
                "post",
                "AdvanceClock",
                "Move the sandbox clock on; fire what the timeline has due.",
                _answer("ClockChanged"),
                body=json_body(ref("ClockAdvance")),
            )
        },
        f"{BASE}/timeline": {"get": _op("get", "Timeline", "The timeline's entries.", _answer("Timeline"))},
        f"{BASE}/timeline/run": {"post": _op("post", "RunTimeline", "Fire what is due now.", _answer("TimelineRun"))},
        f"{BASE}/events/{{kind}}": {
            "post": _op(
                "post",
                "TriggerEvent",
                "Make something happen now and tell the partner: complete, terminate, prestart (body: VisitEvent),"
                " quota-status, survey-closed, reconciliation.",
                _answer("EventTriggered"),
                params=[path("kind")],
                body=json_body(
                    {
                        "anyOf": [
                            ref("VisitEvent"),
                            ref("QuotaStatusEvent"),
                            ref("SurveyClosedEvent"),
                        ]
                    }
                ),
                more={"404": MISSING},
            )
        },
    }


def _paths_observe() -> dict[str, Any]:
    whole = {"type": "integer", "minimum": 0}
    return {
        f"{BASE}/health": {"get": _op("get", "Health", "Whether the sandbox answers.", _answer("Health"))},
        f"{BASE}/journal": {
            "get": _op(
                "get",
                "Journal",
                "The partner requests the sandbox answered, with their answers.",
                _answer("Journal"),
                params=[
                    query("route"),
                    query("member"),
                    query("quota", whole),
                    query("panel"),
                    query("since"),
                    query("until"),
                    query("after", whole),
                    query("limit", {"type": "integer", "minimum": 1, "maximum": 10000}),
                ],
            )
        },
        f"{BASE}/journal/count": {
            "get": _op(
                "get",
                "JournalCount",
                "How many journal entries follow after=.",
                _answer("JournalCount"),
                params=[query("after", whole)],
            )
        },
        f"{BASE}/explain": {
            "get": _op(
                "get",
                "Explain",
                "Why GenerateInvite answers what it answers for a member and a quota.",
                _answer("Explanation"),
                params=[query("member", required=True), query("quota", whole, True), query("panel")],
                more={"400": json_answer("Refused; an unknown panel is {Result, ResultCode}", ES_OR_MESSAGE)},
            )
        },
        f"{BASE}/visits": {
            "get": _op(
                "get",
                "Visits",
                "Every click on an invite link.",
                _answer("Visits"),
                params=[query("token", required=True)],
            )
        },
    }


def _fault_rule() -> dict[str, Any]:
    """A fault rule's fields, with the bounds ``FaultRule.from_dict`` holds them to."""
    types = {str: "string", int: "integer", bool: "boolean"}
    props: dict[str, Any] = {"route": {"enum": ["any", *ROUTES]}}
    for name, (kind, low, high) in FIELDS.items():
        bounds = {"minimum": low} if low is not None else {}
        props[name] = {"type": types[kind], **bounds, **({"maximum": high} if high is not None else {})}
    return {"type": "object", "properties": props, "additionalProperties": False}


def _paths_faults() -> dict[str, Any]:
    return {
        f"{BASE}/faults": {
            "get": _op("get", "ListFaults", "The fault rules.", _answer("Faults")),
            "post": _op(
                "post",
                "AddFault",
                "Add a fault rule.",
                _answer("FaultRuleView"),
                status="201",
                body=json_body(_fault_rule()),
            ),
            "delete": _op("delete", "ClearFaults", "Remove every fault rule.", _answer("Faults")),
        },
        f"{BASE}/faults/{{faultId}}": {
            "delete": _op(
                "delete",
                "RemoveFault",
                "Remove one fault rule.",
                _answer("FaultRemoved"),
                params=[path("faultId", INTEGER)],
                more={"404": MISSING},
            )
        },
    }


def _paths_outbox() -> dict[str, Any]:
    ids = query("ids", description="Comma-separated notification ids")
    return {
        f"{BASE}/outbox": {
            "get": _op(
                "get",
                "Outbox",
                "Notifications, oldest first.",
                _answer("Outbox"),
                params=[
                    query("status", {"enum": ["pending", "delivered", "failed"]}),
                    query("kind"),
                    query("panel"),
                    query("after", {"type": "integer", "minimum": 0}),
                    ids,
                    query("limit", {"type": "integer", "minimum": 1, "maximum": 10000}),
                ],
            ),
            "post": _op(
                "post",
                "CraftNotification",
                "Queue a notification composed by the caller.",
                _answer("Notification"),
                status="201",
                body=json_body(ref("CraftedNotification")),
                more={"404": MISSING},
            ),
        },
        f"{BASE}/outbox/{{notificationId}}": {
            "get": _op(
                "get",
                "OutboxItem",
                "One notification.",
                json_answer("The notification", {"type": "object"}),
                params=[path("notificationId", INTEGER)],
                more={"404": MISSING},
            )
        },
        f"{BASE}/outbox/{{notificationId}}/resend": {
            "post": _op(
                "post",
                "ResendNotification",
                "Send a notification again.",
                _answer("Resent"),
                status="201",
                params=[path("notificationId", INTEGER)],
                more={"404": MISSING},
            )
        },
        f"{BASE}/outbox/wait": {
            "post": _op(
                "post",
                "WaitForOutbox",
                "Wait until the notifications named are no longer pending.",
                _answer("OutboxWait"),
                params=[query("timeout", {"type": "number", "minimum": 0, "maximum": 120}), ids],
            )
        },
    }


def _unknown_routes() -> dict[str, Any]:
    """Any other path under ``/_sandbox``: 404 (or 405 when the path exists for other methods), listing the routes."""
    answers = {
        "404": json_answer(
            "No control route has this path (a path no route pattern matches at all: {Message} alone)",
            {"anyOf": [ref("UnknownControlRoute"), ref("Message")]},
        ),
        "405": {**json_answer("The path takes other methods", ref("UnknownControlRoute")), "headers": ALLOW},
        "403": message("Not a loopback client, or no valid X-Sandbox-Token"),
    }
    out: dict[str, Any] = {}
    for route, params in ((f"{BASE}/", []), (f"{BASE}/{{rest}}", [path("rest")])):
        out[route] = {
            method: operation(
                f"UnknownControlRoute{method.title()}{'Root' if not params else ''}",
                "Not a control route: the answer lists the routes there are.",
                TAG,
                answers,
                params,
                security=SECURITY,
            )
            for method in ("get", "post", "put", "patch", "delete")
        }
    return out


def paths() -> dict[str, Any]:
    return {
        **_paths_state(),
        **_paths_time(),
        **_paths_observe(),
        **_paths_faults(),
        **_paths_outbox(),
        **_unknown_routes(),
    }
