"""Toluna's reporting API (``/IntegratedPanelService/api/Reports/...``), from the sandbox's own history.

Registered under the documented prefix and under ``IntergratedPanelService``, the spelling of Toluna's own
Postman collection. The partner is named by ``SamplePartnerGuid``; an unknown one is a 400 as at Toluna.
"""

from __future__ import annotations

from flask import Blueprint, Response

from simulator.domain import reports as r
from simulator.domain.errors import BadRequestError, NotFoundError
from simulator.domain.events import quota_is_live
from simulator.domain.model import Panel, Survey

from .context import arg, backend
from .errors import json_response
from .journaling import note

PREFIXES = ("/IntegratedPanelService/api/Reports", "/IntergratedPanelService/api/Reports")


def _partner(route: str, member: str | None = None) -> Panel:
    guid = (arg("SamplePartnerGuid") or "").strip().lower()
    note(route, guid or None, member)
    panel = backend().store.inventory.snapshot().panels.get(guid)
    if panel is None:
        raise BadRequestError(f"Could not find Partner for {arg('SamplePartnerGuid') or 'the PartnerGUID'}")
    return panel


def _span() -> r.Span:
    try:
        return r.date_range(arg("StartDate"), arg("EndDate"))
    except r.ReportError as e:
        raise BadRequestError(str(e)) from None


def _waves(panel: Panel, name: str) -> list[Survey]:
    """The survey waves of the panel's culture with this name (``WaveID`` narrows them), or a 404."""
    surveys = [s for s in backend().store.inventory.snapshot().surveys_for(panel.culture) if s.name == name]
    wave = arg("WaveID")
    if wave is not None:
        surveys = [s for s in surveys if str(s.wave_id) == wave.strip()]
    surveys = [s for s in surveys if s.state.status != "deleted"]
    if not surveys:
        raise NotFoundError(f"Could not find a Survey for {name}")
    return surveys


def _names(survey_id: int, wave_id: int) -> str | None:
    s = backend().store.inventory.snapshot().survey(survey_id, wave_id)
    return s.name if s else None


def _in(rows: list[r.Row], span: r.Span) -> list[r.Row]:
    return [row for row in rows if span[0] <= row.event_at <= span[1]]


def _status(s: Survey) -> Response:
    if s.state.status == "closed":
        status = "CLOSED"
    else:
        status = "LIVE" if any(quota_is_live(s, q) for q in s.quotas) else "ONHOLD"
    return json_response(r.survey_status(status, s.name, s.survey_id, s.wave_id))


def status_by_id(survey_id: str) -> Response:
    panel = _partner("report_survey_status")
    snap = backend().store.inventory.snapshot()
    found = [s for s in snap.surveys_for(panel.culture) if str(s.survey_id) == survey_id.strip()]
    found = [s for s in found if s.state.status != "deleted"]
    if not found:
        raise NotFoundError(f"Could not find a Survey for {survey_id}")
    return _status(found[-1])  # a tracker's current wave


def status_by_name(name: str) -> Response:
    panel = _partner("report_survey_status")
    return _status(_waves(panel, name)[-1])


def survey_member_status(name: str) -> Response:
    panel = _partner("report_survey_member_status")
    span = _span()
    surveys = _waves(panel, name)
    waves = {(s.survey_id, s.wave_id) for s in surveys}
    rows = _in(backend().store.reports.rows(panel.guid, _names, waves=waves), span)
    wave = surveys[-1].wave_id if arg("WaveID") is not None else None
    doc = r.survey_member_status(panel.guid, surveys[-1].survey_id, name, wave, rows, span, backend().store.now())
    return json_response(doc)


def member_survey_status(member: str) -> Response:
    panel = _partner("report_member_survey_status", member)
    span = _span()
    rows = _in(backend().store.reports.rows(panel.guid, _names, member_code=member), span)
    return json_response(r.member_survey_status(panel.guid, member, rows, span, backend().store.now()))


def panel_activity_summary() -> Response:
    panel = _partner("report_panel_activity_summary")
    span = _span()
    rows = _in(backend().store.reports.rows(panel.guid, _names), span)
    return json_response(r.panel_activity_summary(panel.guid, rows, span, backend().store.now()))


def panel_completes() -> Response:
    panel = _partner("report_panel_completes")
    span = _span()
    rows = _in(backend().store.reports.rows(panel.guid, _names), span)
    return json_response(r.panel_completes(panel.guid, rows, span, backend().store.now()))


def activity_details(member: str, name: str) -> Response:
    panel = _partner("report_member_activity_details", member)
    surveys = _waves(panel, name)
    waves = {(s.survey_id, s.wave_id) for s in surveys}
    store = backend().store
    visits = store.reports.activities(panel.guid, member, waves)
    history = [  # participations a scenario loaded: the member started those surveys, no visit recorded it
        row.activity()
        for row in store.reports.rows(panel.guid, _names, member_code=member, waves=waves)
        if row.reference_id is None
    ]
    visits = sorted(history + visits, key=lambda v: v.at)
    wave = surveys[-1].wave_id if arg("WaveID") is not None else None
    doc = r.member_activity_details(panel.guid, member, surveys[-1].survey_id, name, wave, visits, store.now())
    return json_response(doc)


def blueprint(prefix: str, name: str) -> Blueprint:
    bp = Blueprint(name, __name__, url_prefix=prefix)
    rules = [
        ("/Surveys/<seg:survey_id>/StatusByID", status_by_id),
        ("/Surveys/<seg:name>/StatusByName", status_by_name),
        ("/Survey/<seg:name>/StatusByName", status_by_name),  # the spelling of Toluna's Postman collection
        ("/Surveys/<seg:name>/MemberStatus", survey_member_status),
        ("/Members/<seg:member>/SurveyStatus", member_survey_status),
        ("/Surveys/PanelActivitySummary", panel_activity_summary),
        ("/Surveys/PanelCompletes", panel_completes),
        ("/Surveys/<seg:member>/<seg:name>/ActivityDetails", activity_details),
    ]
    for i, (rule, view) in enumerate(rules):
        bp.add_url_rule(rule, f"{view.__name__}_{i}", view, methods=["GET"], strict_slashes=False)
    return bp
