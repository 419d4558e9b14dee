"""Toluna's reporting API (``/IntegratedPanelService/api/Reports/...``), from the sandbox's own history.

Registered under the documented prefix and under ``IntergratedPanelService``, the spelling of Toluna's own
Postman collection. The partner is named by ``SamplePartnerGuid``.
"""

from __future__ import annotations

from flask import Blueprint, Response

from simulator.services.reports import Reports

from .context import arg, bind
from .errors import json_response
from .journaling import note

PREFIXES = ("/IntegratedPanelService/api/Reports", "/IntergratedPanelService/api/Reports")


def _partner(route: str, member: str | None = None) -> str | None:
    """Note the route and whom it is about; the partner's GUID as sent."""
    guid = arg("SamplePartnerGuid")
    note(route, (guid or "").strip().lower() or None, member)
    return guid


def status_by_id(reports: Reports, survey_id: str) -> Response:
    return json_response(reports.status_by_id(_partner("report_survey_status"), survey_id))


def status_by_name(reports: Reports, name: str) -> Response:
    return json_response(reports.status_by_name(_partner("report_survey_status"), name, arg("WaveID")))


def survey_member_status(reports: Reports, name: str) -> Response:
    guid = _partner("report_survey_member_status")
    return json_response(reports.survey_member_status(guid, name, arg("WaveID"), arg("StartDate"), arg("EndDate")))


def member_survey_status(reports: Reports, member: str) -> Response:
    guid = _partner("report_member_survey_status", member)
    return json_response(reports.member_survey_status(guid, member, arg("StartDate"), arg("EndDate")))


def panel_activity_summary(reports: Reports) -> Response:
    guid = _partner("report_panel_activity_summary")
    return json_response(reports.panel_activity_summary(guid, arg("StartDate"), arg("EndDate")))


def panel_completes(reports: Reports) -> Response:
    guid = _partner("report_panel_completes")
    return json_response(reports.panel_completes(guid, arg("StartDate"), arg("EndDate")))


def activity_details(reports: Reports, member: str, name: str) -> Response:
    guid = _partner("report_member_activity_details", member)
    return json_response(reports.activity_details(guid, member, name, arg("WaveID")))


def blueprint(prefix: str, name: str, reports: Reports) -> Blueprint:
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
        bind(bp, rule, view, reports, endpoint=f"{view.__name__}_{i}", strict_slashes=False)
    return bp
