"""One Result model for every report format: checks, their verdicts and the evidence behind each."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"  # a SHOULD that failed
    SKIP = "skip"


#: Toluna's integration steps, in the order of its integration process; reports group checks by them.
STEPS = (
    "Member registration",
    "End pages",
    "Quota inventory",
    "Sampling",
    "Invites and result codes",
    "Recontact paging",
    "Notifications",
    "Trackers and exclusions",
    "Partner adapter",
)


@dataclass(slots=True, frozen=True, kw_only=True)
class Evidence:
    """What a verdict rests on: a sentence, and where to look (a journal entry, an outbox notification, a member,
    a quota, the sampling explanation tree of a refused invite)."""

    summary: str
    journal_id: int | None = None
    notification_id: int | None = None
    member: str | None = None
    quota: int | None = None
    request: str | None = None  # "GET /path?query -> 400 ResultCode 16"
    tree: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(slots=True, frozen=True, kw_only=True)
class CheckInfo:
    id: str
    title: str
    step: str
    severity: Severity
    rule: str  # the Toluna rule it enforces, in a sentence


@dataclass(slots=True, kw_only=True)
class Result:
    check: CheckInfo
    status: Status
    message: str
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.check.id,
            "title": self.check.title,
            "step": self.check.step,
            "severity": str(self.check.severity),
            "rule": self.check.rule,
            "status": str(self.status),
            "message": self.message,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(slots=True, kw_only=True)
class Report:
    """One run: the sign-off facts and every check's result."""

    scenario: str
    sandbox_url: str
    sandbox_version: str
    started: str
    finished: str
    partner: str
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Go-live readiness: no MUST failed."""
        return not any(r.status is Status.FAIL for r in self.results)

    def counts(self) -> dict[str, int]:
        out = {str(s): 0 for s in Status}
        for r in self.results:
            out[str(r.status)] += 1
        return out

    def by_step(self) -> list[tuple[str, list[Result]]]:
        groups = [(step, [r for r in self.results if r.check.step == step]) for step in STEPS]
        return [(step, results) for step, results in groups if results]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": "READY" if self.ready else "NOT READY",
            "scenario": self.scenario,
            "sandbox": {"url": self.sandbox_url, "version": self.sandbox_version},
            "partner": self.partner,
            "started": self.started,
            "finished": self.finished,
            "counts": self.counts(),
            "notes": self.notes,
            "results": [r.to_dict() for r in self.results],
        }
