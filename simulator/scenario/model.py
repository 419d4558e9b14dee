"""A loaded, validated scenario: domain objects ready for the store, nothing half-built."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from simulator.domain.clock import ClockSetting
from simulator.domain.faults import FaultRule
from simulator.domain.geography import PostalArea
from simulator.domain.model import Member, Panel, Participation, Survey
from simulator.domain.outcome_rules import OutcomeRule
from simulator.domain.reference import ReferenceData
from simulator.domain.timeline import Entry as TimelineEntry


@dataclass(slots=True)
class RecontactList:
    panel_guid: str
    quota_id: int
    codes: list[str] = field(default_factory=list)
    generate_count: int = 0
    generate_prefix: str = "RC"
    generate_start: int = 0
    generate_width: int = 8

    def iter_codes(self) -> Iterator[str]:
        yield from self.codes
        for i in range(self.generate_start, self.generate_start + self.generate_count):
            yield f"{self.generate_prefix}{i:0{self.generate_width}d}"

    @property
    def size(self) -> int:
        return len(self.codes) + self.generate_count


@dataclass(slots=True)
class Scenario:
    name: str
    source: str
    digest: str
    description: str = ""
    panels: list[Panel] = field(default_factory=list)
    surveys: list[Survey] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    participations: list[tuple[Participation, str | None]] = field(default_factory=list)
    recontact: list[RecontactList] = field(default_factory=list)
    faults: list[FaultRule] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    reference: ReferenceData = field(default_factory=ReferenceData)
    postal_areas: list[PostalArea] = field(default_factory=list)
    outcome_rules: list[OutcomeRule] = field(default_factory=list)
    clock: ClockSetting | None = None
    text: str = ""  # the file as written, so a reset can rebuild the same state

    def summary(self) -> dict[str, object]:
        return {
            "Name": self.name,
            "Source": self.source,
            "Panels": len(self.panels),
            "Surveys": len(self.surveys),
            "Quotas": sum(len(s.quotas) for s in self.surveys),
            "Members": len(self.members),
            "RecontactCodes": sum(r.size for r in self.recontact),
            "TimelineEntries": len(self.timeline),
        }
