"""The values the store port trades in, whatever the implementation: an inventory snapshot, a journal entry, a
notification to store and one claimed for delivery, retention limits and what a pass pruned."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from simulator.domain.clock import ClockSetting
from simulator.domain.faults import FaultRule
from simulator.domain.geography import PostalArea
from simulator.domain.model import Panel, Quota, Survey
from simulator.domain.outcome_rules import OutcomeRule
from simulator.domain.reference import ReferenceData

#: How much of a request and of an answer the journal keeps (a GetQuotas body keeps its head and its length).
BODY_LIMIT = 16_384
RESPONSE_LIMIT = 65_536
QUOTAS_HEAD = 4_096


@dataclass(slots=True)
class Snapshot:
    version: int
    panels: dict[str, Panel]
    surveys: dict[str, list[Survey]]  # culture -> surveys in inventory order
    quotas: dict[int, tuple[Survey, Quota]] = field(default_factory=dict)
    clock: ClockSetting = field(default_factory=ClockSetting)
    faults: list[tuple[int, FaultRule]] = field(default_factory=list)
    reference: ReferenceData = field(default_factory=ReferenceData)
    postal_areas: list[PostalArea] = field(default_factory=list)
    outcome_rules: list[OutcomeRule] = field(default_factory=list)
    #: panel GUID -> the quotas that have a recontact list (empty or not)
    recontact_lists: dict[str, frozenset[int]] = field(default_factory=dict)

    def surveys_for(self, culture: str) -> list[Survey]:
        return self.surveys.get(culture, [])

    def quota(self, quota_id: int) -> tuple[Survey, Quota] | None:
        return self.quotas.get(quota_id)

    def survey(self, survey_id: int, wave_id: int | None = None) -> Survey | None:
        """The survey (a given wave, or the last wave listed: a tracker's current one)."""
        found = [s for ss in self.surveys.values() for s in ss if s.survey_id == survey_id]
        if wave_id is not None:
            found = [s for s in found if s.wave_id == wave_id]
        return found[-1] if found else None


@dataclass(slots=True)
class Entry:
    at: str
    wall_at: str
    method: str
    path: str
    query: str
    route: str | None
    panel_guid: str | None
    member_code: str | None
    quota_id: int | None
    status: int
    result_code: int | None
    duration_ms: float
    request_headers: dict[str, str]
    request_body: str | None
    response_body: str | None
    response_length: int
    note: str | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Outgoing:
    """A notification ready to be stored."""

    kind: str
    panel_guid: str
    url: str
    format: str
    content_type: str
    body: str
    headers: dict[str, str]
    subject: dict[str, Any]  # what it is about (member, survey, quota), for listing and filtering
    max_attempts: int = 8
    retry_seconds: float = 1.0
    timeout: float = 5.0


@dataclass(slots=True)
class Claimed:
    id: int
    url: str
    content_type: str
    headers: dict[str, str]
    body: str
    attempts: int
    max_attempts: int
    retry_seconds: float
    timeout: float


@dataclass(frozen=True, slots=True)
class Limits:
    """What is kept; 0 turns a limit off."""

    journal_entries: int = 100_000  # the newest journal entries
    outbox_finished: int = 10_000  # the newest delivered or given-up notifications
    max_age_days: float = 7.0  # journal entries and finished notifications older than this go (wall clock)
    replies: int = 10_000  # answers kept for control calls repeated with the same Idempotency-Key
    replies_max_age_hours: float = 24.0


DEFAULT_LIMITS = Limits()


@dataclass(slots=True)
class Pruned:
    """How many rows one pass removed."""

    journal: int = 0
    journal_texts: int = 0
    outbox: int = 0
    replies: int = 0
    faults: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)
