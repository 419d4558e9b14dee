"""The sandbox's picture of Toluna's world: panels, surveys, waves, quotas, members, participations.

Plain data, no I/O. Wire names live in ``inventory_codec``; persistence lives in ``simulator.store``.
Fields under ``SurveyState``/``QuotaState`` are the sandbox's knobs: Toluna keeps such state too, but never
shows it in GetQuotas, so a scenario sets it to reach the result codes that depend on it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from typing import Any


class MemberStatus(IntEnum):
    REGISTERED = 1
    OPT_OUT = 2
    SUSPENDED = 3
    BLOCKED_FOR_ABUSE = 4
    PII_DATA_REGULATED = 5


@dataclass(slots=True, frozen=True)
class Target:
    """One ``QuestionsAndAnswers`` entry of a subquota."""

    question_id: int
    answer_ids: tuple[int, ...] = ()
    answer_values: tuple[str, ...] = ()
    is_routable: bool = False


@dataclass(slots=True)
class SubQuota:
    subquota_id: int
    current_completes: int
    max_target_completes: int
    targets: tuple[Target, ...]

    @property
    def is_full(self) -> bool:
        return self.current_completes >= self.max_target_completes


@dataclass(slots=True)
class Layer:
    layer_id: int
    subquotas: list[SubQuota]


@dataclass(slots=True)
class QuotaState:
    live: bool = True
    es_enabled: bool = True
    #: a rollover ("intervallic") quota whose next interval is not known yet -> code 27
    interval_unavailable: bool = False


@dataclass(slots=True)
class Quota:
    quota_id: int
    completes_required: int
    estimated_completes_remaining: int
    layers: list[Layer]
    state: QuotaState = field(default_factory=QuotaState)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def is_full(self) -> bool:
        return self.estimated_completes_remaining <= 0


@dataclass(slots=True, frozen=True)
class WaveExclusion:
    survey_id: int
    wave_id: int  # 0 = any wave of survey_id
    participation_status_ids: tuple[int, ...]

    def covers(self, survey_id: int, wave_id: int, status_id: int) -> bool:
        return (
            survey_id == self.survey_id and self.wave_id in (0, wave_id) and status_id in self.participation_status_ids
        )


@dataclass(slots=True)
class SurveyState:
    """Hidden survey facts that drive result codes (each field names the code it reaches)."""

    status: str = "open"  # open | closed (-> 10) | deleted (-> 5)
    es_enabled: bool = True  # 15
    available_for_partner: bool = True  # 42
    partner_excluded: bool = False  # 25
    customer: str | None = None  # 24, with Panel.excluded_customers
    cost_limit: float | None = None  # 33, with Panel.partner_cost
    min_verification_score: int | None = None  # 34
    external_allocation: int | None = None  # 29: completes allotted to all ES partners
    partner_allocation: int | None = None  # 47: completes allotted to this partner
    starts_threshold: int | None = None  # 45: starts allowed before throttling
    hidden_targets: tuple[Target, ...] = ()  # 21: non-quota demographics
    invite_loi: int | None = None  # LOI/IR at invite time may differ from GetQuotas
    invite_ir: int | None = None
    customer_name: str | None = None


@dataclass(slots=True)
class Survey:
    survey_id: int
    wave_id: int
    culture: str
    name: str | None
    topic: str | None
    loi: int
    ir: int
    study_type_id: int
    scheduled_completion_date: str | None
    price_amount: float
    currency_id: int
    device_type_ids: tuple[int, ...]
    is_recontact: bool
    is_tqs: bool | None
    completes_required: int
    estimated_completes_remaining: int
    quotas: list[Quota]
    exclusions: tuple[WaveExclusion, ...] = ()
    state: SurveyState = field(default_factory=SurveyState)
    extra: dict[str, object] = field(default_factory=dict)

    def quota(self, quota_id: int) -> Quota | None:
        return next((q for q in self.quotas if q.quota_id == quota_id), None)


@dataclass(slots=True)
class Panel:
    guid: str
    culture: str
    country_id: int
    api_key: str
    name: str = ""
    es_enabled: bool = True  # 4
    es_invites_enabled: bool = True  # 20
    reference_data_key: str = ""
    settings: dict[str, str | None] = field(default_factory=dict)
    excluded_study_types: tuple[int, ...] = ()  # 23
    excluded_customers: tuple[str, ...] = ()  # 24
    max_loi: int | None = None  # 32
    partner_cost: float | None = None  # 33
    member_amount_share: float = 0.5
    daily_complete_limit: int = 5  # 39
    daily_start_limit: int = 25  # 39
    weekly_complete_limit: int | None = None  # 40
    auto_routing: bool = False  # members a survey refuses (or who terminate) are routed to another survey
    enhanced_terminates: bool = True  # rejectionID on non-qualified end pages, RejectionID/Name on pre-starts
    duplicate_completions: bool = False  # every completion notification is sent twice (a refreshed end page)
    minimum_age: int | None = None  # registration age limit; default: the country's (Toluna's table)
    notification_format: str = "json"  # json | xml
    cache_seconds: float | None = None  # GetQuotas' CacheExpires is this far ahead (None: the sandbox's 60 s)
    encryption_algorithm: str | None = None  # standard encryption (see simulator.notify.encryption)
    encryption_key: str | None = None
    reconciliation_url: str | None = None
    reconciliation_header: dict[str, str] = field(default_factory=dict)  # the one partner-defined header
    #: headers the partner's notification endpoints require (a shared secret, basic auth): ``{header: value}`` for
    #: every endpoint, or ``{setting name: {header: value}}`` for one (e.g. "Quota Notification URL")
    notification_headers: dict[str, Any] = field(default_factory=dict)
    notification_timeout: float = 5.0  # seconds before a delivery counts as failed
    notification_retry_seconds: float = 1.0  # the first retry's delay; each retry doubles it (at most 60 s)
    notification_attempts: int = 8  # after this many failed attempts a notification is given up


@dataclass(slots=True)
class Member:
    panel_guid: str
    member_code: str
    birth_date: date | None = None
    postal_code: str | None = None
    answers: dict[int, frozenset[int]] = field(default_factory=dict)
    open_answers: dict[int, str] = field(default_factory=dict)
    status: MemberStatus = MemberStatus.REGISTERED
    is_active: bool = True
    is_test: bool = False
    account_group: str | None = None
    device_type_id: int | None = None
    verification_score: int | None = None

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


@dataclass(slots=True, frozen=True)
class Participation:
    """A member's interaction with one SurveyID+WaveID (status ids as in SurveyWaveExclusions)."""

    panel_guid: str
    member_code: str
    survey_id: int
    wave_id: int
    status_id: int
    at: datetime
    quota_id: int | None = None


@dataclass(slots=True, frozen=True)
class Invite:
    token: str
    panel_guid: str
    member_code: str
    survey_id: int
    wave_id: int
    quota_id: int
    created_at: datetime
    partner_amount: float = 0.0  # fixed when the invite is made: "valid for any complete generated from" it
    original_survey_id: int | None = None  # an invite made by auto-routing: the survey the member came from


def new_invite(
    panel_guid: str,
    member_code: str,
    survey: Survey,
    quota_id: int,
    at: datetime,
    original_survey_id: int | None = None,
) -> Invite:
    """A fresh invite to a quota of ``survey``: its token is the invite URL's ``od`` parameter, and the partner's
    amount is fixed now, for any complete it leads to."""
    return Invite(
        secrets.token_urlsafe(18),
        panel_guid,
        member_code,
        survey.survey_id,
        survey.wave_id,
        quota_id,
        at,
        partner_amount=survey.price_amount,
        original_survey_id=original_survey_id,
    )


@dataclass(slots=True)
class Visit:
    """One click on an invite URL: refused before the start (``activity`` names why), or started, and then
    finished with an outcome. ``reference_id`` is what Toluna's reports call the member's response."""

    reference_id: str
    token: str
    panel_guid: str
    member_code: str
    survey_id: int
    wave_id: int
    quota_id: int
    at: datetime
    activity: str  # "Success" when the survey started, else the pre-start status (QuotaOnHold, SurveyTaken, ...)
    additional_data: str = ""
    rejection_id: int | None = None
    outcome: str | None = None
    finished_at: datetime | None = None
    end_page: str | None = None
    original_survey_id: int | None = None

    @property
    def started(self) -> bool:
        return self.activity == "Success"

    @property
    def open(self) -> bool:
        return self.started and self.outcome is None
