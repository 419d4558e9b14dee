"""Control routes that change Toluna's side of the world: the scenario, quota, survey and panel states, fault
rules, participation history, members' statuses, reference data."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC

from flask import Blueprint, Response, request

from simulator.domain import registration
from simulator.domain.errors import BadRequestError
from simulator.domain.faults import FaultRule
from simulator.domain.inventory_codec import state_to_dict
from simulator.domain.settings import unknown_setting
from simulator.services.members import Members
from simulator.services.world import World

from ..context import base_url, bind
from ..errors import json_response
from ..limits import ConfinedDir, file_name, json_body
from .requests import ROW_ID, body


def show_scenario(world: World) -> Response:
    return json_response(world.describe(base_url()))


def load_scenario(world: World) -> Response:
    text = request.get_data(cache=True)  # the loader decodes it (UTF-8 only) and names a bad byte's line
    if not text.strip():
        raise BadRequestError("Send the scenario file (YAML or JSON) as the request body.")
    scenario = world.load(text, file_name(request.args.get("name"), "<posted scenario>"), ConfinedDir("."))
    return json_response(scenario.summary())


def reset(world: World) -> Response:
    """Reload the current scenario from scratch and clear the journal."""
    return json_response(world.reset().summary())


def change_quota(world: World, quota_id: int) -> Response:
    """Body: any of ``live``, ``es_enabled``, ``interval_unavailable``, ``EstimatedCompletesRemaining``,
    ``CompletesRequired``, ``SubQuotas: {SubQuotaID: CurrentCompletes}``."""
    q, sent = world.change_quota(quota_id, body())
    return json_response(
        {"QuotaID": quota_id, "State": state_to_dict(q.state), "Live": q.state.live, "Notifications": sent}
    )


def change_survey(world: World, survey_id: int) -> Response:
    """Body: SurveyState fields (``status``, ``es_enabled``, ...) and ``EstimatedCompletesRemaining``; every
    wave of the survey, or only ``WaveID`` when the body names one."""
    changed, _ = world.change_survey(survey_id, body())
    return json_response(
        [{"SurveyID": s.survey_id, "WaveID": s.wave_id, "State": state_to_dict(s.state)} for s in changed]
    )


def change_panel(world: World, guid: str) -> Response:
    """Body: panel fields as a scenario file names them (``settings``, ``auto_routing``, ...): point the sandbox at
    a partner's end pages and notification endpoints without editing the scenario."""
    doc = body()
    for name in doc.get("settings") or {}:
        unknown = unknown_setting(name)
        if unknown:
            raise BadRequestError(f"settings.{name}: {unknown[0]}. Fix: {unknown[1]}")
    panel = world.change_panel(guid, doc)
    return json_response({"PanelGUID": panel.guid, "Panel": asdict(panel)})


def add_participation(world: World) -> Response:
    """Record history by hand (what the survey flow records when members take surveys)."""
    recorded = world.add_participation(body())
    return json_response({"Recorded": True, "At": recorded.astimezone(UTC).isoformat()}, 201)


def list_faults(world: World) -> Response:
    return json_response({"Faults": [{"ID": i, **r.to_dict()} for i, r in world.faults()]})


def add_fault(world: World) -> Response:
    doc = body()
    try:
        rule = FaultRule.from_dict(doc)
    except (ValueError, TypeError) as exc:
        raise BadRequestError(f"Not a fault rule: {exc}") from None
    return json_response({"ID": world.add_fault(rule), **rule.to_dict()}, 201)


def remove_fault(world: World, fault_id: int) -> Response:
    world.remove_fault(fault_id)
    return json_response({"Removed": fault_id})


def clear_faults(world: World) -> Response:
    world.clear_faults()
    return json_response({"Faults": []})


def show_member(members: Members, code: str) -> Response:
    """A member as the sandbox holds it (status, answers, whether it is routable), for support."""
    member = members.held(request.args.get("panel"), code)
    return json_response(
        {
            **registration.to_wire(member),
            "Status": member.status.name.lower(),
            "StatusID": int(member.status),
            "AccountGroup": member.account_group,
            "DeviceTypeID": member.device_type_id,
        }
    )


def change_member(members: Members, code: str) -> Response:
    """Body: ``status`` (registered, opt_out, suspended, blocked_for_abuse, pii_data_regulated, or 1-5) and/or
    ``active``: Toluna moving a member through its statuses."""
    doc = body()
    named = {p.lower() for p in (doc.get("panel"), request.args.get("panel")) if p}
    if len(named) > 1:
        raise BadRequestError("panel: the body and the query name different panels. Fix: name the panel once.")
    active = bool(doc["active"]) if "active" in doc else None
    member = members.set_status(named.pop() if named else None, code, doc.get("status"), active)
    return json_response({"MemberCode": code, "Status": member.status.name.lower(), "IsActive": member.is_active})


def import_reference(world: World) -> Response:
    """Body: a Toluna QuestionsAndAnswersData answer (a JSON list of questions). It replaces the questions of the
    cultures it covers; what the inventory targets is learned again on top."""
    doc = json_body(force=True)
    if not isinstance(doc, list):
        raise BadRequestError("Send a QuestionsAndAnswersData body: the JSON list of questions Toluna answers.")
    count, learned = world.import_reference(doc)
    return json_response({"Questions": count, "LearnedFromInventory": learned})


def register(bp: Blueprint, world: World, members: Members) -> None:
    bind(bp, "/scenario", show_scenario, world)
    bind(bp, "/scenario", load_scenario, world, methods=["POST"])
    bind(bp, "/reset", reset, world, methods=["POST"])
    bind(bp, f"/quotas/<{ROW_ID}:quota_id>", change_quota, world, methods=["PUT"])
    bind(bp, f"/surveys/<{ROW_ID}:survey_id>", change_survey, world, methods=["PUT"])
    bind(bp, "/panels/<guid>", change_panel, world, methods=["PUT"])
    bind(bp, "/participations", add_participation, world, methods=["POST"])
    bind(bp, "/faults", list_faults, world)
    bind(bp, "/faults", add_fault, world, methods=["POST"])
    bind(bp, f"/faults/<{ROW_ID}:fault_id>", remove_fault, world, methods=["DELETE"])
    bind(bp, "/faults", clear_faults, world, methods=["DELETE"])
    bind(bp, "/members/<code>", show_member, members)
    bind(bp, "/members/<code>", change_member, members, methods=["PUT"])
    bind(bp, "/reference", import_reference, world, methods=["POST"])
