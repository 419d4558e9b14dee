"""``/openapi.json``: an OpenAPI 3.1 document built from the same JSON Schemas the tests validate against."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import Blueprint, Response

from simulator.schemas import load

from .errors import JSON_TYPE

bp = Blueprint("openapi", __name__)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


_ERRORS = {
    "400": _json("EsError", "Refused: Result and ResultCode say why"),
    "403": _json("Message", "Forbidden: invalid API_AUTH_KEY"),
    "500": _json("Message", "Internal error"),
}
_KEY = [{"ApiAuthKey": []}]


def _param(name: str, where: str, schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema}


_GUID = _param("panelGuid", "path", {"type": "string", "format": "uuid"})
_QUOTA = _param("quotaId", "path", {"type": "integer"})
_MEMBER = _param("memberCode", "path", {"type": "string"})


def _op(summary: str, params: list, ok: dict[str, Any], body: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": _KEY,
        "parameters": params,
        "responses": {"200": ok, **_ERRORS},
    }
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return op


def _paths() -> dict[str, Any]:
    es = "/IPExternalSamplingService/ExternalSample/{panelGuid}"
    return {
        f"{es}/Quotas": {
            "get": _op(
                "GetQuotas: open surveys and quotas for the panel",
                [_GUID, _param("includeRoutables", "query", {"type": "boolean", "default": True}, False)],
                _json("GetQuotasResponse", "The inventory"),
            )
        },
        f"{es}/{{memberCode}}/Invite/{{quotaId}}": {
            "get": _op(
                "GenerateInvite: an invite for a sampled member",
                [_GUID, _MEMBER, _QUOTA],
                _json("InviteResponse", "The invite"),
            )
        },
        f"{es}/{{memberCode}}/Invites": {
            "post": _op(
                "Bulk invites: up to 100 quotas for one member",
                [_GUID, _MEMBER],
                _json("BulkInvitesResponse", "One result per quota"),
                body="BulkInvitesRequest",
            )
        },
        f"{es}/Recontact/{{quotaId}}/MemberCodes": {
            "get": _op(
                "GetRecontactMembersForQuota: recontact-eligible member codes, paged",
                [
                    _GUID,
                    _QUOTA,
                    _param("maxResults", "query", {"type": "integer", "minimum": 1, "maximum": 10000}, False),
                    _param("lastMemberCodeReceived", "query", {"type": "string"}, False),
                ],
                _json("RecontactResponse", "One page"),
            )
        },
        f"{es}/QuotaStatus/{{quotaId}}": {
            "get": _op(
                "Get Quota Details: one quota whether or not GetQuotas lists it",
                [_GUID, _QUOTA],
                _json("QuotaStatusResponse", "The quota"),
            )
        },
        "/IntegratedPanelService/api/Settings": {
            "get": _op(
                "Get Settings: the panel's settings list",
                [_param("partnerGUID", "query", {"type": "string", "format": "uuid"})],
                _json("SettingsResponse", "The settings"),
            )
        },
    }


@cache
def document() -> dict[str, Any]:
    defs = json.loads(json.dumps(load("toluna")["$defs"]).replace("#/$defs/", "#/components/schemas/"))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Toluna Integrated Panel sandbox", "version": "1.0"},
        "paths": _paths(),
        "components": {
            "schemas": defs,
            "securitySchemes": {"ApiAuthKey": {"type": "apiKey", "in": "header", "name": "API_AUTH_KEY"}},
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return Response(json.dumps(document()), 200, content_type=JSON_TYPE)
