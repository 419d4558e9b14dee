"""Invites: GenerateInvite and bulk Invites. A request goes through the key and the route's fault rules, then the
whole decision chain; an invite granted is written once (a repeated request gets the same invite back)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.domain.codes import INT32_MAX, ResultCode
from simulator.domain.decisions import Decision, decide
from simulator.domain.errors import BadRequestError, EsResultError
from simulator.domain.model import Invite, Panel, Quota, Survey, new_invite
from simulator.domain.urls import invite_url
from simulator.store import Store

from .access import Access
from .eligibility import Eligibility

#: Toluna's limit on the QuotaIDs of one bulk Invites request.
MAX_BULK_QUOTAS = 100


@dataclass(slots=True)
class InviteOutcome:
    decision: Decision
    invite: Invite | None
    survey: Survey | None
    quota: Quota | None


@dataclass(slots=True)
class BulkOutcome:
    """One answer per QuotaID, in request order, and the quotas whose answer a fault rule forced."""

    items: list[dict[str, Any]]
    forced: list[int] = field(default_factory=list)


def required(member_code: str) -> str:
    if not member_code.strip():
        raise EsResultError(ResultCode.NO_MEMBER_CODE)
    return member_code


def bulk_quota_ids(body: Any) -> list[int]:
    """The QuotaIDs of a bulk Invites body: 1 to ``MAX_BULK_QUOTAS`` .NET ints."""
    ids = body.get("QuotaIDs") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(type(i) is int and 0 <= i <= INT32_MAX for i in ids):
        raise BadRequestError('The body must be {"QuotaIDs": [QuotaID, ...]} with at least one integer QuotaID.')
    if len(ids) > MAX_BULK_QUOTAS:
        raise BadRequestError(f"At most {MAX_BULK_QUOTAS} QuotaIDs per request; got {len(ids)}.")
    return ids


class Invites:
    def __init__(self, store: Store, access: Access, eligibility: Eligibility) -> None:
        self.store = store
        self.access = access
        self.eligibility = eligibility

    def generate(
        self, panel_guid: str, api_key: str | None, member_code: str, quota_id: int
    ) -> tuple[Panel, InviteOutcome]:
        """GenerateInvite: opened by the panel's key, through the ``invite`` fault rules."""
        panel = self.access.open_es("invite", panel_guid, api_key, member_code.strip() or None, quota_id)
        return panel, self.invite(panel, required(member_code), quota_id)

    def bulk(
        self, panel_guid: str, api_key: str | None, member_code: str, read_body: Callable[[], Any], base_url: str
    ) -> BulkOutcome:
        """Bulk Invites: the ``invites`` fault rules for the request, then per quota the ``invite`` rules that force
        a result code, else the decision chain. The body is read once the key has opened the panel."""
        panel = self.access.open_es("invites", panel_guid, api_key, member_code.strip() or None)
        member_code = required(member_code)
        quota_ids = bulk_quota_ids(read_body())
        out = BulkOutcome([])
        for quota in quota_ids:
            forced = self.access.faults.forced_code("invite", panel.guid, member_code, quota)
            body = None
            if forced is not None:
                result = forced
                out.forced.append(quota)
            else:
                outcome = self.invite(panel, member_code, quota)
                result = outcome.decision.code
                if outcome.decision.ok:
                    result, body = ResultCode.SUCCESS, self.body(outcome, panel, base_url, bulk=True)
            out.items.append({"QuotaID": quota, "Invite": body, "ResultCode": int(result), "Result": result.name})
        return out

    def invite(self, panel: Panel, member_code: str, quota_id: int) -> InviteOutcome:
        """The decision chain for the member and the quota, and the invite it grants."""
        r = self.eligibility.request(panel, member_code, quota_id)
        survey, quota = r.survey, r.quota
        decision = decide(r)
        if not decision.ok:
            return InviteOutcome(decision, None, survey, quota)
        assert survey is not None and quota is not None
        held = next((i for i in r.history.open_invites if i.quota_id == quota_id), None)
        if held is not None:  # a repeated request: the same invite, no write
            return InviteOutcome(decision, held, survey, quota)
        invite = self.store.members.claim_invite(new_invite(panel.guid, member_code, survey, quota_id, r.now))
        if invite is None:  # another request took a quota of this survey for the member first
            decision = Decision(ResultCode.MEMBER_DOES_NOT_MATCH_QUOTA, "one quota per survey: claimed in parallel")
        return InviteOutcome(decision, invite, survey, quota)

    @staticmethod
    def body(outcome: InviteOutcome, panel: Panel, base_url: str = "", bulk: bool = False) -> dict[str, Any]:
        """The invite as Toluna answers it (bulk pages list URL, LOI and IR before the amounts)."""
        s, inv = outcome.survey, outcome.invite
        assert s is not None and inv is not None
        partner = inv.partner_amount
        body = {
            "SurveyID" if bulk else "SurveyId": s.survey_id,
            "WaveID": s.wave_id,
            "QuotaID": inv.quota_id,
            "MemberAmount": round(partner * panel.member_amount_share, 2),
            "PartnerAmount": partner,
            "URL": invite_url(base_url, inv.token),
            "LOI": s.state.invite_loi if s.state.invite_loi is not None else s.loi,
            "IR": s.state.invite_ir if s.state.invite_ir is not None else s.ir,
        }
        if bulk:
            order = ("SurveyID", "WaveID", "QuotaID", "URL", "LOI", "IR", "MemberAmount", "PartnerAmount")
            body = {k: body[k] for k in order}
        return body
