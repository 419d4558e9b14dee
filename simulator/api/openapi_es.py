"""``/openapi.json``: External Sample (under both prefixes) and Get Settings, opened by ``API_AUTH_KEY``."""

from __future__ import annotations

from typing import Any

from .external_sample import PREFIXES
from .openapi_parts import (
    BOOLEAN_TEXT,
    GUID,
    json_answer,
    json_body,
    message,
    operation,
    path,
    query,
    ref,
)

KEY = [{"ApiAuthKey": []}]
FAULTS = (
    " A fault rule of the control API can delay the answer, force a ResultCode or force any HTTP status (then the"
    ' body is {"Message": ...}).'
)
REFUSED = json_answer(
    "Refused: {Result, ResultCode} for an External Sample result code (unknown panel, member, quota, ...);"
    ' {"Message"} for a query or body that does not bind',
    {"anyOf": [ref("EsError"), ref("Message")]},
)
FORBIDDEN = message("Missing or wrong API_AUTH_KEY, or a key that does not open this panel")
GUID_PATH = path("panelGuid", GUID)
MEMBER_PATH = path("memberCode")
QUOTA_PATH = path("quotaId", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1})


def _op(name: str, summary: str, ok: dict[str, Any], params: list[dict[str, Any]], legacy: bool, **kw: Any) -> dict:
    suffix = "Legacy" if legacy else ""
    tag = "External Sample" + (" (older /ExternalSample prefix)" if legacy else "")
    responses = {"200": ok, "400": REFUSED, "403": FORBIDDEN}
    return operation(name + suffix, summary + FAULTS, tag, responses, params, security=KEY, **kw)


def _external_sample(prefix: str, legacy: bool) -> dict[str, Any]:
    es = f"{prefix}/{{panelGuid}}"
    routables = query("includeRoutables", BOOLEAN_TEXT, description="true (default) or false, any case")
    return {
        f"{es}/Quotas": {
            "get": _op(
                "GetQuotas",
                "The open surveys and quotas of the panel's culture.",
                json_answer("The inventory", ref("GetQuotasResponse")),
                [GUID_PATH, routables],
                legacy,
            )
        },
        f"{es}/{{memberCode}}/Invite/{{quotaId}}": {
            "get": _op(
                "GenerateInvite",
                "An invite for a member to one quota, or the result code that says why not.",
                json_answer("The invite", ref("InviteResponse")),
                [GUID_PATH, MEMBER_PATH, QUOTA_PATH],
                legacy,
            )
        },
        f"{es}/{{memberCode}}/Invites": {
            "post": _op(
                "GenerateInvites",
                "Bulk invites: one result per quota, up to 100 quotas for one member. A body that is not"
                ' {"QuotaIDs": [...]} with 1 to 100 whole numbers is a 400 {"Message"}.',
                json_answer("One result per quota", ref("BulkInvitesResponse")),
                [GUID_PATH, MEMBER_PATH],
                legacy,
                body=json_body(ref("BulkInvitesRequest")),
            )
        },
        f"{es}/Recontact/{{quotaId}}/MemberCodes": {
            "get": _op(
                "GetRecontactMembersForQuota",
                "The member codes a recontact quota may invite, one page at a time.",
                json_answer("One page", ref("RecontactResponse")),
                [
                    GUID_PATH,
                    QUOTA_PATH,
                    query("maxResults", {"type": "integer", "minimum": 1, "maximum": 10000}),
                    query("lastMemberCodeReceived"),
                ],
                legacy,
            )
        },
        f"{es}/QuotaStatus/{{quotaId}}": {
            "get": _op(
                "GetQuotaDetails",
                "One quota, whether or not GetQuotas lists it.",
                json_answer("The quota", ref("QuotaStatusResponse")),
                [GUID_PATH, QUOTA_PATH],
                legacy,
            )
        },
    }


def paths() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, prefix in enumerate(PREFIXES):
        out.update(_external_sample(prefix, legacy=i > 0))
    out["/IntegratedPanelService/api/Settings"] = {
        "get": operation(
            "GetSettings",
            "The panel's settings list (end pages, notification endpoints, ...). Opened by API_AUTH_KEY; External"
            " Sample need not be enabled." + FAULTS,
            "Settings",
            {
                "200": json_answer("The settings", ref("SettingsResponse")),
                "400": json_answer("No or unknown partnerGUID: {Result, ResultCode}", ref("EsError")),
                "403": FORBIDDEN,
            },
            [query("partnerGUID", GUID, required=True, description="The panel; the name matches in any case")],
            security=KEY,
        )
    }
    return out
