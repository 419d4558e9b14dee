"""The dashboard offering: GetSurveys (``/IntegratedPanelService/api/Surveys/``). Like Toluna's, these routes take
no API key: the partner is named by ``partnerGuid``."""

from __future__ import annotations

from flask import Blueprint, Response, request

from simulator.domain.dashboard import DashboardRequestError, SurveysRequest
from simulator.domain.errors import BadRequestError
from simulator.domain.model import Panel

from .context import arg, backend, base_url
from .errors import json_response
from .journaling import note
from .limits import json_body

bp = Blueprint("dashboard", __name__, url_prefix="/IntegratedPanelService/api")


def partner(guid: str | None, route: str, member: str | None) -> Panel:
    """The panel a dashboard request names, or a 400 as at Toluna."""
    note(route, (guid or "").strip().lower() or None, member)
    panel = backend().store.inventory.snapshot().panels.get((guid or "").strip().lower())
    if panel is None:
        raise BadRequestError(f"Could not find Partner for {guid or 'the partnerGuid'}")
    return panel


def _device_types() -> list[str]:
    return [v for k, v in request.args.items(multi=True) if k.lower() == "devicetypeids"]


@bp.get("/Surveys", strict_slashes=False)
def get_surveys() -> Response:
    member_code = (arg("memberCode") or "").strip()
    panel = partner(arg("partnerGuid"), "get_surveys", member_code or None)
    if not member_code:
        raise BadRequestError("memberCode is required.")
    try:
        wanted = SurveysRequest.parse(arg("numberOfSurveys"), _device_types(), arg("mobileCompatible"))
    except DashboardRequestError as e:
        raise BadRequestError(str(e)) from None
    return json_response(backend().dashboard_surveys(panel, member_code, wanted, base_url()))


@bp.get("/Profile/GetNextProfileURL", strict_slashes=False)
def next_profile_url() -> Response:
    """The URL (a JSON string) of the member's next profile to fill; 404 when the profile is complete."""
    member_code = (arg("memberCode") or "").strip()
    panel = partner(arg("partnerGuid"), "next_profile_url", member_code or None)
    if not member_code:
        raise BadRequestError("memberCode is required.")
    back, cancel = arg("returnURL"), arg("cancelURL")
    if not back or not cancel:
        raise BadRequestError("returnURL and cancelURL are required.")
    return json_response(backend().next_profile_url(panel, member_code, back, cancel, base_url()))


@bp.post("/Surveys/RegisterMemberAndGetSurveys")
def register_and_get_surveys() -> Response:
    doc = json_body()
    info = doc.get("NewIPMemberInfo") if isinstance(doc, dict) else None
    code = info.get("MemberCode") if isinstance(info, dict) else None
    guid = info.get("PartnerGUID") if isinstance(info, dict) else None
    note("register_and_get_surveys", str(guid or "").lower() or None, str(code) if code else None)
    if isinstance(info, dict) and not isinstance(guid, str):
        raise BadRequestError("NewIPMemberInfo.PartnerGUID is required.")
    _, _, surveys = backend().register_and_get_surveys(doc, base_url())
    return json_response(surveys)
