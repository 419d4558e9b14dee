"""Explain: the decision GenerateInvite would take now for a member and a quota, with the sampling tree."""

from __future__ import annotations

from simulator.domain.codes import ResultCode
from simulator.domain.decisions import Decision, decide
from simulator.domain.errors import EsResultError
from simulator.domain.sampling import QuotaCheck, check_quota
from simulator.store import Store

from .access import Access
from .eligibility import Eligibility


class Explain:
    def __init__(self, store: Store, access: Access, eligibility: Eligibility) -> None:
        self.store = store
        self.access = access
        self.eligibility = eligibility

    def explain(self, panel_guid: str | None, member_code: str, quota_id: int) -> tuple[Decision, QuotaCheck | None]:
        """The decision and the sampling tree, even when an earlier gate fired (without a panel, the first)."""
        panel = self.store.inventory.snapshot().panels.get((panel_guid or self.access.default_panel()).lower())
        if panel is None:
            raise EsResultError(ResultCode.PANEL_DOES_NOT_EXIST)
        r = self.eligibility.request(panel, member_code, quota_id)
        decision = decide(r)
        check = decision.check
        if check is None and r.member is not None and r.quota is not None:
            check = check_quota(r.member, r.quota, r.now.date())
        return decision, check
