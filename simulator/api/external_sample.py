"""External Sample routes: GetQuotas, GenerateInvite, bulk Invites, recontact paging, Get Quota Details.

Registered twice: under ``/IPExternalSamplingService/ExternalSample`` (documented) and ``/ExternalSample``
(the older form in Toluna's own collection and in live partner code).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, request

from simulator.domain.errors import EsResultError
from simulator.services.inventory import Inventory
from simulator.services.invites import Invites

from .context import arg, base_url, bind
from .errors import JSON_TYPE, json_response
from .fast_quotas import cache_note
from .gates import es_request, quota_id_from
from .limits import json_body

PREFIXES = ("/IPExternalSamplingService/ExternalSample", "/ExternalSample")


def get_quotas(inventory: Inventory, panel_guid: str) -> Response:
    """The plain case is usually answered before Flask by ``fast_quotas``; this view answers every other case."""
    key = es_request("quotas", panel_guid)
    head, tail = inventory.quotas(panel_guid, key, request.args.items(multi=True))
    g.journal_note = cache_note(tail)
    return Response(head + tail, 200, content_type=JSON_TYPE)


def generate_invite(invites: Invites, panel_guid: str, member_code: str, quota_id: str) -> Response:
    quota = quota_id_from(quota_id)
    key = es_request("invite", panel_guid, member_code.strip() or None, quota)
    panel, outcome = invites.generate(panel_guid, key, member_code, quota)
    g.result_code = int(outcome.decision.code)
    g.journal_note = outcome.decision.reason
    if not outcome.decision.ok:
        raise EsResultError(outcome.decision.code, outcome.decision.reason)
    return json_response(invites.body(outcome, panel, base_url()))


def bulk_invites(invites: Invites, panel_guid: str, member_code: str) -> Response:
    key = es_request("invites", panel_guid, member_code.strip() or None)
    answer = invites.bulk(panel_guid, key, member_code, json_body, base_url())
    if answer.forced:
        g.journal_note = f"fault rule forced the answers for quotas {answer.forced}"
    return json_response({"Invites": answer.items})


def recontact_members(inventory: Inventory, panel_guid: str, quota_id: str) -> Response:
    quota = quota_id_from(quota_id)
    key = es_request("recontact", panel_guid, None, quota)
    body = inventory.recontact_page(panel_guid, key, quota, arg("maxResults"), arg("lastMemberCodeReceived"))
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


def quota_status(inventory: Inventory, panel_guid: str, quota_id: str) -> Response:
    quota = quota_id_from(quota_id)
    key = es_request("quota_status", panel_guid, None, quota)
    return json_response(inventory.quota_status(panel_guid, key, quota))


def blueprint(prefix: str, name: str, inventory: Inventory, invites: Invites) -> Blueprint:
    bp = Blueprint(name, __name__, url_prefix=prefix)
    bind(bp, "/<seg:panel_guid>/Quotas", get_quotas, inventory, strict_slashes=False)
    bind(
        bp, "/<seg:panel_guid>/<seg:member_code>/Invite/<seg:quota_id>", generate_invite, invites, strict_slashes=False
    )
    bind(
        bp, "/<seg:panel_guid>/<seg:member_code>/Invites", bulk_invites, invites, methods=["POST"], strict_slashes=False
    )
    bind(
        bp, "/<seg:panel_guid>/Recontact/<seg:quota_id>/MemberCodes", recontact_members, inventory, strict_slashes=False
    )
    bind(bp, "/<seg:panel_guid>/QuotaStatus/<seg:quota_id>", quota_status, inventory, strict_slashes=False)
    return bp


__all__ = ["PREFIXES", "blueprint"]
