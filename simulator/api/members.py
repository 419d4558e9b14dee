"""Member management v2 (``/IntegratedPanelService/api/Respondent``): POST adds (201, no body), PUT updates (200),
GET reads. Every request declares ``Accept: application/json;version=2.0``; like Toluna's, the routes take no API
key (the PartnerGUID names the panel)."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from simulator.domain.errors import BadRequestError
from simulator.services.members import Members

from .context import arg, bind
from .errors import json_response
from .journaling import note
from .limits import json_body

VERSION = "application/json;version=2.0"


def _require_v2() -> None:
    accepted = request.headers.get("Accept", "").replace(" ", "").lower()
    if VERSION not in accepted.split(","):
        raise BadRequestError(
            f"This route is version 2.0 of the member API: send the header 'Accept: {VERSION}' "
            f"(got '{request.headers.get('Accept', '')}')."
        )


def _write(members: Members, update: bool) -> Response:
    doc = json_body()
    code = doc.get("MemberCode") if isinstance(doc, dict) else None
    guid = doc.get("PartnerGUID") if isinstance(doc, dict) else None
    note("member_update" if update else "member_add", str(guid or "").lower() or None, str(code) if code else None)
    _require_v2()
    try:
        members.save(doc, update)
    except Exception as e:
        g.journal_note = str(e)
        raise
    return Response(status=200 if update else 201)  # no body either way, as in Toluna's examples


def add_member(members: Members) -> Response:
    return _write(members, update=False)


def update_member(members: Members) -> Response:
    return _write(members, update=True)


def get_member(members: Members) -> Response:
    code, guid = arg("memberCode"), arg("partnerGUID")
    note("member_get", (guid or "").lower() or None, code)
    _require_v2()
    return json_response(members.view(guid, code))


def blueprint(members: Members) -> Blueprint:
    bp = Blueprint("members", __name__, url_prefix="/IntegratedPanelService/api")
    bind(bp, "/Respondent", add_member, members, methods=["POST"])
    bind(bp, "/Respondent", update_member, members, methods=["PUT"])
    bind(bp, "/Respondent", get_member, members)
    return bp
