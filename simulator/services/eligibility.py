"""Eligibility: what the decision chain needs to judge a member for a quota, read from the store, and the surveys a
member may take now. GenerateInvite, the member's click (checked again before the survey starts), GetSurveys and
auto-routing all ask here, so they can never judge a member differently."""

from __future__ import annotations

from simulator.domain.decisions import History, InviteRequest, decide
from simulator.domain.listing import listed_quotas
from simulator.domain.model import Panel, Quota, Survey
from simulator.store import Store


class Eligibility:
    def __init__(self, store: Store) -> None:
        self.store = store

    def request(self, panel: Panel, member_code: str, quota_id: int) -> InviteRequest:
        """Everything the decision chain needs, read from the store in a handful of indexed queries."""
        found = self.store.inventory.snapshot().quota(quota_id)
        survey, quota = found if found and found[0].culture == panel.culture else (None, None)
        member = self.store.members.get(panel.guid, member_code)
        history = History()
        if member is not None and survey is not None:
            history = self.store.members.history(member, survey.survey_id, survey.wave_id)
            if survey.is_recontact:
                history.recontact_listed = self.store.recontact.listed(panel.guid, quota_id, member_code)
        return InviteRequest(panel, member, quota, survey, self.store.now(), history)

    def eligible(
        self, panel: Panel, member_code: str, skip_surveys: frozenset[int] = frozenset()
    ) -> list[tuple[Survey, Quota]]:
        """The surveys the member may take now, in inventory order, each with the first of its listed quotas the
        whole decision chain lets through (what GetSurveys offers and where auto-routing sends a member)."""
        snap = self.store.inventory.snapshot()
        member = self.store.members.get(panel.guid, member_code)
        if member is None:
            return []
        base = self.store.members.member_history(member)
        counts = self.store.members.survey_counts(panel.guid)
        recontact = self.store.recontact.quotas_with_members(panel.guid)
        now = self.store.now()
        out = []
        for s in snap.surveys_for(panel.culture):
            if s.survey_id in skip_surveys:
                continue
            starts, es_completes, partner_completes = counts.get((s.survey_id, s.wave_id), (0, 0, 0))
            for quota in listed_quotas(panel, s, recontact):
                history = History(
                    base.participations,
                    base.group_participations,
                    base.open_invites,
                    s.is_recontact and self.store.recontact.listed(panel.guid, quota.quota_id, member_code),
                    starts,
                    es_completes,
                    partner_completes,
                )
                if decide(InviteRequest(panel, member, quota, s, now, history)).ok:
                    out.append((s, quota))
                    break
        return out
