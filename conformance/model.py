"""One Result model for every report format: checks, their verdicts and the evidence behind each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"  # a SHOULD that failed
    NOT_EXERCISED = "not exercised"  # nothing happened during the run that the check could judge
    SKIP = "skip"  # left out by the user's configuration (--exclude, --select)

    @property
    def key(self) -> str:
        """The status as an identifier (report counts, CSS classes): ``not_exercised``."""
        return self.value.replace(" ", "_")


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
    "The run",
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
    suite_version: str = ""
    aborted: str | None = None  # why the run could not go on (it judged what it saw until then)
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)  # the result-code coverage matrix, a row a code
    receivers: list[dict[str, Any]] = field(default_factory=list)  # a grade per notification endpoint

    @property
    def ready(self) -> bool:
        """Go-live readiness: the run went to its end, no MUST failed, and every MUST the user did not leave out
        was exercised."""
        return self.aborted is None and not self.blocking()

    @property
    def verdict(self) -> str:
        return "READY" if self.ready else "NOT READY"

    def masked(self, mask: Callable[[str], str]) -> Report:
        """The same report with every text passed through ``mask`` (secrets never reach a report)."""
        for r in self.results:
            r.message = mask(r.message)
            r.evidence = [
                replace(e, summary=mask(e.summary), request=e.request and mask(e.request)) for e in r.evidence
            ]
        self.partner, self.notes = mask(self.partner), [mask(n) for n in self.notes]
        self.aborted = self.aborted and mask(self.aborted)
        return self

    def blocking(self) -> list[Result]:
        """The results that keep the run from READY: failed MUSTs and MUSTs with nothing to judge."""
        return [
            r
            for r in self.results
            if r.status is Status.FAIL or (r.status is Status.NOT_EXERCISED and r.check.severity is Severity.MUST)
        ]

    def counts(self) -> dict[str, int]:
        out = {s.key: 0 for s in Status}
        for r in self.results:
            out[r.status.key] += 1
        return out

    def by_step(self) -> list[tuple[str, list[Result]]]:
        groups = [(step, [r for r in self.results if r.check.step == step]) for step in STEPS]
        return [(step, results) for step, results in groups if results]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "blocking": [r.check.id for r in self.blocking()],
            "aborted": self.aborted,
            "scenario": self.scenario,
            "suite": {"name": "toluna-conformance", "version": self.suite_version},
            "sandbox": {"url": self.sandbox_url, "version": self.sandbox_version},
            "partner": self.partner,
            "started": self.started,
            "finished": self.finished,
            "counts": self.counts(),
            "notes": self.notes,
            "results": [r.to_dict() for r in self.results],
            "coverage": self.coverage,
            "receivers": self.receivers,
        }
