"""The dashboard offering: GetSurveys (``/IntegratedPanelService/api/Surveys/``). Like Toluna's, these routes take
no API key: the partner is named by ``partnerGuid``."""

from __future__ import annotations

from flask import Blueprint, Response, request

from simulator.domain.dashboard import DashboardRequestError, SurveysRequest
from simulator.domain.errors import BadRequestError
from simulator.domain.model import Panel
from simulator.services.dashboard import Dashboard

from .context import arg, base_url, bind
from .errors import json_response
from .journaling import note
from .limits import json_body


def _partner(dashboard: Dashboard, route: str, member: str | None) -> Panel:
    guid = arg("partnerGuid")
    note(route, (guid or "").strip().lower() or None, member)
    return dashboard.partner(guid)


def _device_types() -> list[str]:
    return [v for k, v in request.args.items(multi=True) if k.lower() == "devicetypeids"]


def get_surveys(dashboard: Dashboard) -> Response:
    member_code = (arg("memberCode") or "").strip()
    panel = _partner(dashboard, "get_surveys", member_code or None)
    if not member_code:
        raise BadRequestError("memberCode is required.")
    try:
        wanted = SurveysRequest.parse(arg("numberOfSurveys"), _device_types(), arg("mobileCompatible"))
    except DashboardRequestError as e:
        raise BadRequestError(str(e)) from None
    return json_response(dashboard.surveys(panel, member_code, wanted, base_url()))


def next_profile_url(dashboard: Dashboard) -> Response:
    """The URL (a JSON string) of the member's next profile to fill; 404 when the profile is complete."""
    member_code = (arg("memberCode") or "").strip()
    panel = _partner(dashboard, "next_profile_url", member_code or None)
    if not member_code:
        raise BadRequestError("memberCode is required.")
    back, cancel = arg("returnURL"), arg("cancelURL")
    if not back or not cancel:
        raise BadRequestError("returnURL and cancelURL are required.")
    return json_response(dashboard.next_profile_url(panel, member_code, back, cancel, base_url()))


def register_and_get_surveys(dashboard: Dashboard) -> Response:
    doc = json_body()
    info = doc.get("NewIPMemberInfo") if isinstance(doc, dict) else None
    code = info.get("MemberCode") if isinstance(info, dict) else None
    guid = info.get("PartnerGUID") if isinstance(info, dict) else None
    note("register_and_get_surveys", str(guid or "").lower() or None, str(code) if code else None)
    if isinstance(info, dict) and not isinstance(guid, str):
        raise BadRequestError("NewIPMemberInfo.PartnerGUID is required.")
    return json_response(dashboard.register_and_get_surveys(doc, base_url()))


def blueprint(dashboard: Dashboard) -> Blueprint:
    bp = Blueprint("dashboard", __name__, url_prefix="/IntegratedPanelService/api")
    bind(bp, "/Surveys", get_surveys, dashboard, strict_slashes=False)
    bind(bp, "/Profile/GetNextProfileURL", next_profile_url, dashboard, strict_slashes=False)
    bind(bp, "/Surveys/RegisterMemberAndGetSurveys", register_and_get_surveys, dashboard, methods=["POST"])
    return bp
