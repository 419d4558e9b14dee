"""External Sample routes: GetQuotas, GenerateInvite, bulk Invites, recontact paging, Get Quota Details.

Registered twice: under ``/IPExternalSamplingService/ExternalSample`` (documented) and ``/ExternalSample``
(the older form in Toluna's own collection and in live partner code).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, request

from simulator.backend import RECONTACT_DEFAULT_PAGE, RECONTACT_MAX_PAGE, Backend
from simulator.domain.codes import ResultCode
from simulator.domain.errors import BadRequestError, EsResultError
from simulator.domain.model import Panel

from .context import arg, backend, base_url
from .errors import JSON_TYPE, json_response
from .fast_quotas import cache_note, include_routables
from .gates import INT32_MAX, es_gate, member_code_from, quota_id_from, whole_number
from .limits import json_body

PREFIXES = ("/IPExternalSamplingService/ExternalSample", "/ExternalSample")
MAX_BULK_QUOTAS = 100


def get_quotas(panel_guid: str) -> Response:
    """The plain case is usually answered before Flask by ``fast_quotas``; this view answers every other case."""
    panel = es_gate("quotas", panel_guid)
    head, tail = backend().quotas_parts(panel, include_routables(request.args.items(multi=True)))
    g.journal_note = cache_note(tail)
    return Response(head + tail, 200, content_type=JSON_TYPE)


def _invite(b: Backend, panel: Panel, member_code: str, quota_id: int) -> tuple[ResultCode, str, dict | None]:
    outcome = b.generate_invite(panel, member_code, quota_id)
    if not outcome.decision.ok:
        return outcome.decision.code, outcome.decision.reason, None
    return ResultCode.SUCCESS, outcome.decision.reason, b.invite_body(outcome, panel, base_url(), bulk=True)


def generate_invite(panel_guid: str, member_code: str, quota_id: str) -> Response:
    quota = quota_id_from(quota_id)
    panel = es_gate("invite", panel_guid, member_code.strip() or None, quota)
    code = member_code_from(member_code)
    b = backend()
    outcome = b.generate_invite(panel, code, quota)
    g.result_code = int(outcome.decision.code)
    g.journal_note = outcome.decision.reason
    if not outcome.decision.ok:
        raise EsResultError(outcome.decision.code, outcome.decision.reason)
    return json_response(b.invite_body(outcome, panel, base_url()))


def bulk_invites(panel_guid: str, member_code: str) -> Response:
    panel = es_gate("invites", panel_guid, member_code.strip() or None)
    code = member_code_from(member_code)
    quota_ids = _bulk_quota_ids()
    b = backend()
    items, forced = [], []
    for quota in quota_ids:
        rule = b.faults_for("invite", panel.guid, code, quota)
        if rule is not None and rule.result_code is not None:
            result, invite = rule.result_code, None
            forced.append(quota)
        else:
            result, _, invite = _invite(b, panel, code, quota)
        items.append({"QuotaID": quota, "Invite": invite, "ResultCode": int(result), "Result": result.name})
    if forced:
        g.journal_note = f"fault rule forced the answers for quotas {forced}"
    return json_response({"Invites": items})


def _bulk_quota_ids() -> list[int]:
    body = json_body()
    ids = body.get("QuotaIDs") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(type(i) is int and 0 <= i <= INT32_MAX for i in ids):
        raise BadRequestError('The body must be {"QuotaIDs": [QuotaID, ...]} with at least one integer QuotaID.')
    if len(ids) > MAX_BULK_QUOTAS:
        raise BadRequestError(f"At most {MAX_BULK_QUOTAS} QuotaIDs per request; got {len(ids)}.")
    return ids


def recontact_members(panel_guid: str, quota_id: str) -> Response:
    quota = quota_id_from(quota_id)
    panel = es_gate("recontact", panel_guid, None, quota)
    max_results = _max_results(arg("maxResults"))
    body = backend().recontact_page(panel, quota, max_results, arg("lastMemberCodeReceived"))
    codes = body["MemberCodes"]
    # a page can outgrow the journal's response limit: the note keeps what judging the paging needs
    g.journal_note = "recontact page " + json.dumps(
        {
            "count": len(codes),
            "first": codes[0] if codes else None,
            "last": codes[-1] if codes else None,
            "more": body["HasAdditionalMembers"],
        }
    )
    return json_response(body)


def _max_results(text: str | None) -> int:
    if text is None or text.strip() == "":
        return RECONTACT_DEFAULT_PAGE
    value = whole_number(text)
    if value is None:
        value = -1
    if not 1 <= value <= RECONTACT_MAX_PAGE:
        raise BadRequestError(
            f"maxResults must be a whole number from 1 to {RECONTACT_MAX_PAGE} (default {RECONTACT_DEFAULT_PAGE}); "
            f"got '{text}'."
        )
    return value


def quota_status(panel_guid: str, quota_id: str) -> Response:
    quota = quota_id_from(quota_id)
    panel = es_gate("quota_status", panel_guid, None, quota)
    return json_response(backend().quota_status(panel, quota))


def blueprint(prefix: str, name: str) -> Blueprint:
    bp = Blueprint(name, __name__, url_prefix=prefix)
    rules = [
        ("/<seg:panel_guid>/Quotas", get_quotas, ["GET"]),
        ("/<seg:panel_guid>/<seg:member_code>/Invite/<seg:quota_id>", generate_invite, ["GET"]),
        ("/<seg:panel_guid>/<seg:member_code>/Invites", bulk_invites, ["POST"]),
        ("/<seg:panel_guid>/Recontact/<seg:quota_id>/MemberCodes", recontact_members, ["GET"]),
        ("/<seg:panel_guid>/QuotaStatus/<seg:quota_id>", quota_status, ["GET"]),
    ]
    for rule, view, methods in rules:
        bp.add_url_rule(rule, view.__name__, view, methods=methods, strict_slashes=False)
    return bp


__all__ = ["PREFIXES", "blueprint"]
