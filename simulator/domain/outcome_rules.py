"""A scenario's outcome rules: how a visit ends when an automated caller asks for ``outcome=auto``, e.g. "70 %
qualified, 20 % terminated, 10 % quota full" for a quota, a survey, or everything.

The pick is seeded and depends only on the rule's seed, the member and the quota, so the same scenario gives every
member the same outcome on every run (a support engineer replays exactly what a partner saw), while across many
members the shares come out as written."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

AUTO = "auto"
DEFAULT = "qualified"  # ``auto`` with no rule that applies


@dataclass(slots=True, frozen=True)
class OutcomeRule:
    weights: tuple[tuple[str, float], ...]  # (outcome key, weight), weights > 0
    seed: int = 0
    quota_id: int | None = None
    survey_id: int | None = None

    def applies(self, survey_id: int, quota_id: int) -> bool:
        return (self.quota_id is None or self.quota_id == quota_id) and (
            self.survey_id is None or self.survey_id == survey_id
        )

    def pick(self, member_code: str, quota_id: int) -> str:
        digest = hashlib.sha256(f"{self.seed}:{member_code}:{quota_id}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64 * sum(w for _, w in self.weights)
        for key, weight in self.weights:
            if point < weight:
                return key
            point -= weight
        return self.weights[-1][0]


def choose(rules: list[OutcomeRule], member_code: str, survey_id: int, quota_id: int) -> str:
    """The outcome of the first rule that applies (rules naming a quota first, then a survey, then the rest)."""
    ranked = sorted(rules, key=lambda r: (r.quota_id is None, r.survey_id is None))
    rule = next((r for r in ranked if r.applies(survey_id, quota_id)), None)
    return rule.pick(member_code, quota_id) if rule else DEFAULT


def to_list(rules: list[OutcomeRule]) -> list[dict[str, Any]]:
    return [
        {"weights": [list(w) for w in r.weights], "seed": r.seed, "quota": r.quota_id, "survey": r.survey_id}
        for r in rules
    ]


def from_list(items: list[dict[str, Any]]) -> list[OutcomeRule]:
    return [
        OutcomeRule(tuple((str(k), float(w)) for k, w in i["weights"]), int(i["seed"]), i["quota"], i["survey"])
        for i in items
    ]
