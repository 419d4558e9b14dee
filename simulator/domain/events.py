"""What happened, as the partner will be told: member status (complete, terminate, pre-start), quota status,
survey closed. The survey flow, operator changes and the timeline produce these; the notification layer turns
each into Toluna's payload for every panel that should hear of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import Quota, Survey
from .outcomes import Rejection


@dataclass(frozen=True, slots=True)
class VisitEnded:
    """A visit's end: ``kind`` is ``complete``, ``terminate`` or ``prestart``."""

    kind: str
    panel_guid: str
    member_code: str
    survey_id: int
    survey_name: str | None
    wave_id: int
    quota_id: int
    at: datetime
    revenue_cents: int = 0  # completes only: the invite's PartnerAmount in 1/100 currency units
    reason: str | None = None  # terminations: Toluna's Reason
    rejection: Rejection | None = None  # pre-start (and enhanced terminates)
    incidence_rate: int | None = None  # pre-start
    additional_data: str = ""
    original_survey_id: int | None = None  # set when the member was auto-routed


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """A quota became available for sampling, or stopped being (sent to every panel of the culture)."""

    culture: str
    quota_id: int
    survey_id: int
    wave_id: int
    is_live: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class SurveyClosed:
    culture: str
    survey_id: int
    survey_name: str | None
    wave_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """A complete taken back after Toluna's checks: ``complete`` is the completion it reverses."""

    complete: VisitEnded
    reconciliation_id: int
    completed_at: datetime
    at: datetime


Event = VisitEnded | QuotaStatus | SurveyClosed | Reconciliation


def quota_is_live(survey: Survey, quota: Quota) -> bool:
    """Whether a quota can take sample: its survey open with completes left, the quota live, ES on, not full."""
    return (
        survey.state.status == "open"
        and survey.estimated_completes_remaining > 0
        and quota.state.live
        and quota.state.es_enabled
        and not quota.is_full
    )


def changes(before: Survey, after: Survey, at: datetime) -> list[QuotaStatus | SurveyClosed]:
    """The notifications a change to one survey wave calls for: quotas that went live or stopped, and a close."""
    out: list[QuotaStatus | SurveyClosed] = []
    was = {q.quota_id: quota_is_live(before, q) for q in before.quotas}
    for q in after.quotas:
        live = quota_is_live(after, q)
        if was.get(q.quota_id) is not None and was[q.quota_id] != live:
            out.append(QuotaStatus(after.culture, q.quota_id, after.survey_id, after.wave_id, live, at))
    if before.state.status == "open" and after.state.status == "closed":
        out.append(SurveyClosed(after.culture, after.survey_id, after.name, after.wave_id, at))
    return out
