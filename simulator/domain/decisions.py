"""GenerateInvite's decision: one ordered chain of rules, each naming the Toluna code it answers.

The order is the order a request meets Toluna's gates: the panel, then the quota and its survey, then the
member, then the member's history, then survey limits and capacity, and last the sampling rules. The first
rule that fires decides; its reason is kept for the journal and for ``explain``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import questions as q
from .codes import ResultCode as RC
from .member_answers import answered as placeable
from .model import Invite, Member, MemberStatus, Panel, Participation, Quota, Survey
from .sampling import QuotaCheck, check_quota, check_targets


@dataclass(slots=True)
class History:
    """What the store knows around one request, gathered before deciding."""

    participations: list[Participation] = field(default_factory=list)  # this member's, all surveys
    group_participations: list[Participation] = field(default_factory=list)  # same account group, others
    open_invites: list[Invite] = field(default_factory=list)  # this member's invites not yet used
    recontact_listed: bool = False
    survey_starts: int = 0  # every member's starts on this survey+wave
    survey_es_completes: int = 0  # every ES partner's completes on this survey+wave
    partner_completes: int = 0  # this panel's completes on this survey+wave


@dataclass(slots=True)
class InviteRequest:
    panel: Panel
    member: Member | None
    quota: Quota | None
    survey: Survey | None
    now: datetime
    history: History


@dataclass(slots=True)
class Decision:
    code: RC
    reason: str
    check: QuotaCheck | None = None

    @property
    def ok(self) -> bool:
        return self.code is RC.SUCCESS


Rule = Callable[[InviteRequest], str | None]


def _panel_rules(r: InviteRequest) -> tuple[RC, str] | None:
    if not r.panel.es_enabled:
        return RC.PANEL_NOT_ES_ENABLED, "the panel is not enabled for External Sample"
    if not r.panel.es_invites_enabled:
        return RC.PANEL_INVALID_ES_REQUEST, "the panel is not configured for ES invitations"
    return None


def _quota_rules(r: InviteRequest) -> tuple[RC, str] | None:
    s, quota, p = r.survey, r.quota, r.panel
    if s is None or quota is None:
        return RC.NO_QUOTA_ID, "no quota with this id in the panel's culture"
    if s.state.status == "deleted":
        return RC.SURVEY_DOES_NOT_EXIST, f"survey {s.survey_id} no longer exists"
    if s.state.status == "closed":
        return RC.NO_QUOTA_ID, f"survey {s.survey_id} is closed"
    checks = [
        (not s.state.es_enabled, RC.SURVEY_NOT_ENABLED_FOR_IP_ES, "the survey is not enabled for IP ES"),
        (not s.state.available_for_partner, RC.SURVEY_NOT_AVAILABLE_FOR_PARTNER, "the survey is not for this partner"),
        (s.state.partner_excluded, RC.SURVEY_EXCLUDED, "the partner is excluded from this survey"),
        (
            s.study_type_id in p.excluded_study_types,
            RC.SURVEY_STUDY_TYPE_EXCLUDED,
            f"the panel excludes study type {s.study_type_id}",
        ),
        (
            s.state.customer is not None and s.state.customer in p.excluded_customers,
            RC.SURVEY_CUSTOMER_EXCLUDED,
            f"the panel excludes customer {s.state.customer}",
        ),
        (not quota.state.es_enabled, RC.QUOTA_NOT_ES_ENABLED, "the quota is not enabled for ES"),
        (not quota.state.live, RC.QUOTA_NOT_LIVE, "the quota is on hold"),
        (quota.state.interval_unavailable, RC.INTERVALLIC_QUOTA_NOTAVAILBLE, "the rollover interval is not known yet"),
    ]
    return next(((code, why) for fired, code, why in checks if fired), None)


def _member_rules(r: InviteRequest) -> tuple[RC, str] | None:
    m = r.member
    if m is None or m.status is MemberStatus.PII_DATA_REGULATED:
        return RC.NO_MEMBER_FOUND, "no member with this code in the panel"
    if m.status is MemberStatus.BLOCKED_FOR_ABUSE:
        return RC.MEMBER_BLOCKED, "the member is blocked for abuse"
    if m.status is MemberStatus.SUSPENDED:
        return RC.MEMBER_NOT_ACTIVE, "the member is suspended"
    if not m.is_active:
        return RC.MEMBER_NOT_ACTIVE, "the member is inactive (IsActive=false)"
    if m.status is MemberStatus.OPT_OUT:
        return RC.MEMBER_NOT_ROUTABLE, "the member opted out"
    if not placeable(m):
        return RC.MEMBER_NOT_ROUTABLE, "Toluna needs a birth date and a gender (1001007) to place a member"
    return None


def _recontact_rules(r: InviteRequest) -> tuple[RC, str] | None:
    assert r.survey is not None
    if not r.survey.is_recontact:
        return None
    if not r.history.recontact_listed:
        return RC.MEMBER_GID_NOT_AVAILABLE, "the member is not on this quota's recontact list"
    return None


def _history_rules(r: InviteRequest) -> tuple[RC, str] | None:
    s, h, m = r.survey, r.history, r.member
    assert s is not None and m is not None
    for p in h.participations:
        if p.survey_id == s.survey_id and p.wave_id == s.wave_id:
            return RC.SURVEY_TAKEN, f"the member already has status {p.status_id} on this survey+wave"
    for p in h.group_participations:
        if p.survey_id == s.survey_id and p.wave_id == s.wave_id:
            return RC.ACCOUNT_GROUP_SURVEY_TAKEN, f"member {p.member_code} of the same account group took it"
    if s.is_tqs:
        for p in h.participations:
            if p.survey_id == s.survey_id and p.status_id == q.TERMINATED:
                return RC.PREVIOUSLY_TERMINATED_SCREENER, f"terminated on wave {p.wave_id} of this tracker"
    for x in s.exclusions:
        for p in h.participations:
            if x.covers(p.survey_id, p.wave_id, p.status_id):
                return RC.EXCLUDED_SURVEY_TAKEN, (
                    f"excluded by SurveyWaveExclusion {x.survey_id}/{x.wave_id}: member has status "
                    f"{p.status_id} on {p.survey_id}/{p.wave_id}"
                )
    return None


def _limit_rules(r: InviteRequest) -> tuple[RC, str] | None:
    p, h = r.panel, r.history
    today = r.now.date()
    todays = [x for x in h.participations if x.at.date() == today]
    completes_today = sum(1 for x in todays if x.status_id == q.QUALIFIED)
    if completes_today >= p.daily_complete_limit:
        return RC.MAX_DAILY_EXCEEDED, f"{completes_today} completes today (UTC); limit {p.daily_complete_limit}"
    if len(todays) >= p.daily_start_limit:
        return RC.MAX_DAILY_EXCEEDED, f"{len(todays)} starts today (UTC); limit {p.daily_start_limit}"
    if p.weekly_complete_limit is not None:
        week_start = r.now - timedelta(days=7)
        weekly = sum(1 for x in h.participations if x.status_id == q.QUALIFIED and x.at > week_start)
        if weekly >= p.weekly_complete_limit:
            return RC.MAX_WEEKLY_EXCEEDED, f"{weekly} completes in the last 7 days; limit {p.weekly_complete_limit}"
    return None


def _survey_fit_rules(r: InviteRequest) -> tuple[RC, str] | None:
    s, p, m = r.survey, r.panel, r.member
    assert s is not None and m is not None
    if m.device_type_id is not None and s.device_type_ids and m.device_type_id not in s.device_type_ids:
        return RC.DEVICETYPE_NOT_SUPPORTED_FOR_SURVEY, f"device {m.device_type_id} not in {list(s.device_type_ids)}"
    if p.max_loi is not None and s.loi > p.max_loi:
        return RC.SURVEY_LOI_MISMATCH, f"LOI {s.loi} is above the panel's limit {p.max_loi}"
    if p.partner_cost is not None and s.state.cost_limit is not None and p.partner_cost > s.state.cost_limit:
        return RC.IP_PROVIDER_COST_NOMATCH, f"partner price {p.partner_cost} is above the limit {s.state.cost_limit}"
    need = s.state.min_verification_score
    if need is not None and (m.verification_score or 0) < need:
        return RC.SURVEY_VERIFICATION_LEVEL_FAILED, f"verification score {m.verification_score} below {need}"
    return None


def _capacity_rules(r: InviteRequest) -> tuple[RC, str] | None:
    s, quota, h = r.survey, r.quota, r.history
    assert s is not None and quota is not None
    st = s.state
    if s.estimated_completes_remaining <= 0:
        return RC.SURVEY_COMPLETES_CAP_ACHIEVED, "the survey has no completes remaining"
    if st.partner_allocation is not None and h.partner_completes >= st.partner_allocation:
        return RC.SURVEY_IPPARTNER_COMPLETES_ALLOCATION_ACHIEVED, (
            f"{h.partner_completes} completes from this partner; allocation {st.partner_allocation}"
        )
    if st.external_allocation is not None and h.survey_es_completes >= st.external_allocation:
        return RC.IP_EXTERNAL_RESPONDENTTYPE_FULL, f"ES completes {h.survey_es_completes} of {st.external_allocation}"
    if quota.is_full:
        return RC.QUOTA_FULL, "the quota has no completes remaining"
    if st.starts_threshold is not None and h.survey_starts >= st.starts_threshold:
        return RC.STARTS_THRESHOLD_ACHIEVED, f"{h.survey_starts} starts; throttled at {st.starts_threshold}"
    return None


_CHAIN = (
    _panel_rules,
    _quota_rules,
    _member_rules,
    _recontact_rules,
    _history_rules,
    _limit_rules,
    _survey_fit_rules,
    _capacity_rules,
)


def decide(r: InviteRequest) -> Decision:
    """Run the chain; the first rule that fires decides, otherwise the sampling rules do."""
    for rules in _CHAIN:
        fired = rules(r)
        if fired:
            return Decision(*fired)
    return _sampling(r)


def _sampling(r: InviteRequest) -> Decision:
    s, quota, m = r.survey, r.quota, r.member
    assert s is not None and quota is not None and m is not None
    for inv in r.history.open_invites:
        if inv.survey_id == s.survey_id and inv.wave_id == s.wave_id and inv.quota_id != quota.quota_id:
            return Decision(
                RC.MEMBER_DOES_NOT_MATCH_QUOTA,
                f"one quota per survey: the member already holds an invite for quota {inv.quota_id}",
            )
    check = check_quota(m, quota, r.now.date())
    if not check.matched:
        layer = check.first_failure()
        return Decision(
            RC.MEMBER_DOES_NOT_MATCH_QUOTA, f"no subquota of layer {layer.layer_id if layer else '?'} matches", check
        )
    hidden = check_targets(m, s.state.hidden_targets, r.now.date())
    failed = [c for c in hidden if not c.outcome.passes]
    if failed:
        return Decision(
            RC.NON_QUOTA_DEMOGRAPHIC_REJECTION, f"non-quota question {failed[0].question_id} does not match", check
        )
    if check.only_full_subquotas:
        return Decision(RC.SUB_QUOTA_FULL, "the member matches only subquotas that are full", check)
    return Decision(RC.SUCCESS, "eligible", check)
