"""Which surveys and quotas a panel sees in GetQuotas, and whether QuotaStatus may show a quota.

Toluna lists only what a partner may sample right now: open, ES-enabled surveys meant for this partner and
not excluded by the panel's settings, with live, ES-enabled quotas that still need completes. Recontact
surveys appear only when the panel has members on one of their recontact lists.
"""

from __future__ import annotations

from .model import Panel, Quota, Survey


def survey_visible(panel: Panel, s: Survey) -> bool:
    """The survey is open to this partner (the quota-independent half of the listing rule)."""
    st = s.state
    return (
        st.status == "open"
        and st.es_enabled
        and st.available_for_partner
        and not st.partner_excluded
        and s.study_type_id not in panel.excluded_study_types
        and not (st.customer is not None and st.customer in panel.excluded_customers)
    )


def quota_listed(q: Quota) -> bool:
    return q.state.live and q.state.es_enabled and not q.is_full


def listed_quotas(panel: Panel, s: Survey, recontact_quota_ids: set[int]) -> list[Quota]:
    """The survey's quotas GetQuotas shows this panel (empty: the survey is not listed at all)."""
    if not survey_visible(panel, s) or s.estimated_completes_remaining <= 0:
        return []
    quotas = [q for q in s.quotas if quota_listed(q)]
    if s.is_recontact:
        quotas = [q for q in quotas if q.quota_id in recontact_quota_ids]
    return quotas
