"""The dashboard offering: GetSurveys (each survey with the member's own invite URL), GetNextProfileURL and
RegisterMemberAndGetSurveys. The partner is named by its GUID alone, as at Toluna."""

from __future__ import annotations

from typing import Any

from simulator.domain import dashboard
from simulator.domain.errors import BadRequestError, NotFoundError
from simulator.domain.member_answers import answered as placeable
from simulator.domain.model import Panel, new_invite
from simulator.domain.profiles import next_profile
from simulator.domain.urls import invite_url, profile_url
from simulator.store import Store

from .access import Access
from .eligibility import Eligibility
from .members import Members, culture_of


class Dashboard:
    def __init__(self, store: Store, access: Access, members: Members, eligibility: Eligibility) -> None:
        self.store = store
        self.access = access
        self.members = members
        self.eligibility = eligibility

    def partner(self, guid: str | None) -> Panel:
        """The panel a dashboard request names, or a 400 as at Toluna."""
        return self.access.partner(guid, "the partnerGuid")

    def surveys(
        self, panel: Panel, member_code: str, request: dashboard.SurveysRequest, base_url: str
    ) -> list[dict[str, Any]]:
        """GetSurveys: the surveys Toluna offers this member now, each with the member's own invite URL."""
        member = self.members.known(panel, member_code)
        if not placeable(member):
            return [dashboard.profile_entry(profile_url(base_url, panel.guid, member_code))]
        out = []
        now = self.store.now()
        for s, quota in dashboard.choose(self.eligibility.eligible(panel, member_code), request, panel):
            invite = self.store.members.claim_invite(new_invite(panel.guid, member_code, s, quota.quota_id, now))
            if invite is None:  # the member holds an invite to another quota of this survey
                continue
            amount = invite.partner_amount
            url = invite_url(base_url, invite.token)
            out.append(dashboard.survey_entry(s, url, round(amount * panel.member_amount_share, 2), amount))
        return out

    def next_profile_url(self, panel: Panel, member_code: str, back: str, cancel: str, base_url: str) -> str:
        """GetNextProfileURL: the member's next unfilled profile, or a 404 when the profile is complete."""
        member = self.members.known(panel, member_code)
        data = self.store.inventory.snapshot().reference
        category = next_profile(member, data, culture_of(data, panel))
        if category is None:
            raise NotFoundError(f"The profile of member {member_code} is complete: no profile survey to offer.")
        return profile_url(base_url, panel.guid, member_code, back, cancel, category)

    def register_and_get_surveys(self, doc: Any, base_url: str) -> list[dict[str, Any]]:
        """RegisterMemberAndGetSurveys: the member added when new (an existing one is left as it is), then
        GetSurveys for it."""
        if not isinstance(doc, dict) or not isinstance(doc.get("NewIPMemberInfo"), dict):
            raise BadRequestError("Send {NewIPMemberInfo: {...}, SurveysRequest: {NumberOfSurveys, DeviceTypeIDs}}.")
        info, wanted = doc["NewIPMemberInfo"], doc.get("SurveysRequest") or {}
        if not isinstance(wanted, dict):
            raise BadRequestError("SurveysRequest must be {NumberOfSurveys, DeviceTypeIDs}.")
        panel = self.access.member_panel(info.get("PartnerGUID"))
        code = str(info.get("MemberCode") or "").strip()
        if not code:
            raise BadRequestError("NewIPMemberInfo.MemberCode is required.")
        if self.store.members.get(panel.guid, code) is None:
            self.members.save(info, update=False)
        devices = wanted.get("DeviceTypeIDs") or []
        try:
            request = dashboard.SurveysRequest.parse(
                None if wanted.get("NumberOfSurveys") is None else str(wanted["NumberOfSurveys"]),
                [str(d) for d in (devices if isinstance(devices, list) else [devices])],
                None,
            )
        except dashboard.DashboardRequestError as e:
            raise BadRequestError(str(e)) from None
        return self.surveys(panel, code, request, base_url)
