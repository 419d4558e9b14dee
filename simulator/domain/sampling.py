"""Toluna's sampling rules for one member and one quota, with an explanation tree.

The tree answers the support question "why did this member get code 16?": it shows, layer by layer and
subquota by subquota, which question decided the outcome and what the member has for it.

Rules (Toluna's): every layer must match (AND); in a layer one subquota must match (OR); in a subquota each
distinct QuestionID must match (AND) through any of its listed answers (OR). ``AnswerValues`` are age ranges for
1001538 (age on the sandbox clock's date), starts-with prefixes for 1001042 (the member's PostalCode), and
comma-separated id lists elsewhere. An unanswered routable question does not disqualify; an unanswered
non-routable one does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from . import questions as q
from .model import Layer, Member, Quota, SubQuota, Target


class Outcome(StrEnum):
    MATCH = "match"
    NO_MATCH = "no-match"
    UNANSWERED = "unanswered"
    ROUTABLE_UNANSWERED = "unanswered-routable"

    @property
    def passes(self) -> bool:
        return self in (Outcome.MATCH, Outcome.ROUTABLE_UNANSWERED)


@dataclass(slots=True)
class QuestionCheck:
    question_id: int
    wanted_ids: tuple[int, ...]
    wanted_values: tuple[str, ...]
    routable: bool
    member_has: str | None
    outcome: Outcome


@dataclass(slots=True)
class SubQuotaCheck:
    subquota_id: int
    full: bool
    questions: list[QuestionCheck]

    @property
    def matched(self) -> bool:
        return all(c.outcome.passes for c in self.questions)


@dataclass(slots=True)
class LayerCheck:
    layer_id: int
    subquotas: list[SubQuotaCheck]

    @property
    def matched(self) -> bool:
        return any(s.matched for s in self.subquotas)

    @property
    def open_match(self) -> bool:
        """Matched through a subquota that still has room."""
        return any(s.matched and not s.full for s in self.subquotas)


@dataclass(slots=True)
class QuotaCheck:
    quota_id: int
    on: date
    layers: list[LayerCheck] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return all(layer.matched for layer in self.layers)

    @property
    def only_full_subquotas(self) -> bool:
        """The member matches, but some layer is matched only by full subquotas (-> SUB_QUOTA_FULL)."""
        return self.matched and not all(layer.open_match for layer in self.layers)

    def first_failure(self) -> LayerCheck | None:
        return next((layer for layer in self.layers if not layer.matched), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "QuotaID": self.quota_id,
            "EvaluatedOn": self.on.isoformat(),
            "Matched": self.matched,
            "OnlyFullSubQuotas": self.only_full_subquotas,
            "Layers": [
                {
                    "LayerID": layer.layer_id,
                    "Matched": layer.matched,
                    "SubQuotas": [
                        {
                            "SubQuotaID": s.subquota_id,
                            "Matched": s.matched,
                            "Full": s.full,
                            "Questions": [
                                {
                                    "QuestionID": c.question_id,
                                    "AnswerIDs": list(c.wanted_ids),
                                    "AnswerValues": list(c.wanted_values[:20]),
                                    "AnswerValuesCount": len(c.wanted_values),
                                    "IsRoutable": c.routable,
                                    "MemberHas": c.member_has,
                                    "Outcome": str(c.outcome),
                                }
                                for c in s.questions
                            ],
                        }
                        for s in layer.subquotas
                    ],
                }
                for layer in self.layers
            ],
        }

    def render(self) -> str:
        """An indented text tree for terminals and support tickets."""
        verdict = "MATCH" if self.matched else "NO MATCH"
        if self.only_full_subquotas:
            verdict = "MATCH, but only through full subquotas"
        lines = [f"quota {self.quota_id} on {self.on.isoformat()}: {verdict}"]
        for layer in self.layers:
            lines.append(f"  layer {layer.layer_id}: {'ok' if layer.matched else 'FAILED'} (needs one subquota)")
            for s in layer.subquotas:
                full = " [full]" if s.full else ""
                lines.append(f"    subquota {s.subquota_id}{full}: {'ok' if s.matched else 'no'}")
                for c in s.questions:
                    wanted = _wanted_text(c)
                    routable = " routable" if c.routable else ""
                    lines.append(
                        f"      Q{c.question_id}{routable} wants {wanted}; member has "
                        f"{c.member_has if c.member_has is not None else 'no answer'} -> {c.outcome}"
                    )
        return "\n".join(lines)


def _wanted_text(c: QuestionCheck) -> str:
    parts = [str(a) for a in c.wanted_ids]
    values = list(c.wanted_values)
    if len(values) > 6:
        values = [*values[:6], f"... ({len(c.wanted_values)} values)"]
    parts += [repr(v) for v in values]
    return "any of [" + ", ".join(parts) + "]" if parts else "anything"


def parse_age_range(value: str) -> tuple[int, int] | None:
    """``"18-99"`` -> (18, 99); ``"65+"`` -> (65, 150); ``"30"`` -> (30, 30); otherwise None."""
    text = value.strip()
    try:
        if text.endswith("+"):
            return int(text[:-1]), 150
        if "-" in text:
            low, high = text.split("-", 1)
            return int(low), int(high)
        n = int(text)
    except ValueError:
        return None
    return n, n


def normalize_postal(code: str) -> str:
    """Postal codes compare case-insensitively with spaces removed (``"sw1a 1aa"`` starts with ``"SW1A"``)."""
    return code.replace(" ", "").upper()


def merge_targets(targets: tuple[Target, ...]) -> list[Target]:
    """Entries with the same QuestionID inside one subquota are one OR-group (Toluna: OR for the same id)."""
    by_question: dict[int, Target] = {}
    for t in targets:
        prev = by_question.get(t.question_id)
        if prev is None:
            by_question[t.question_id] = t
        else:
            by_question[t.question_id] = Target(
                t.question_id,
                prev.answer_ids + t.answer_ids,
                prev.answer_values + t.answer_values,
                prev.is_routable or t.is_routable,
            )
    return list(by_question.values())


def check_target(member: Member, t: Target, on: date) -> QuestionCheck:
    has, outcome = _evaluate(member, t, on)
    if outcome is Outcome.UNANSWERED and t.is_routable:
        outcome = Outcome.ROUTABLE_UNANSWERED
    return QuestionCheck(t.question_id, t.answer_ids, t.answer_values, t.is_routable, has, outcome)


def _evaluate(member: Member, t: Target, on: date) -> tuple[str | None, Outcome]:
    if not t.answer_ids and not t.answer_values:
        return None, Outcome.MATCH
    if t.question_id == q.AGE:
        return _evaluate_age(member, t, on)
    if t.question_id == q.POSTAL_CODE:
        return _evaluate_postal(member, t)
    answers = member.answers.get(t.question_id, frozenset())
    text = member.open_answers.get(t.question_id)
    if not answers and text is None:
        return None, Outcome.UNANSWERED
    has = ", ".join(str(a) for a in sorted(answers)) if answers else repr(text)
    if answers.intersection(t.answer_ids):
        return has, Outcome.MATCH
    tokens = {tok.strip().upper() for v in t.answer_values for tok in v.split(",") if tok.strip()}
    mine = {str(a) for a in answers} | ({text.strip().upper()} if text is not None else set())
    return has, (Outcome.MATCH if tokens & mine else Outcome.NO_MATCH)


def _evaluate_age(member: Member, t: Target, on: date) -> tuple[str | None, Outcome]:
    age = member.age_on(on)
    if age is None:
        return None, Outcome.UNANSWERED
    bracket = q.age_bracket(age)
    has = f"age {age}" + (f" (bracket {bracket})" if bracket else "")
    if bracket in t.answer_ids:
        return has, Outcome.MATCH
    for value in t.answer_values:
        bounds = parse_age_range(value)
        if bounds and bounds[0] <= age <= bounds[1]:
            return has, Outcome.MATCH
    return has, Outcome.NO_MATCH


@lru_cache(maxsize=4096)
def postal_prefixes(values: tuple[str, ...]) -> tuple[str, ...]:
    """A target's prefixes, normalized once: real quotas list up to 1,000 of them, checked on every invite."""
    return tuple(normalize_postal(v) for v in values if v.strip())


def _evaluate_postal(member: Member, t: Target) -> tuple[str | None, Outcome]:
    if not member.postal_code:
        return None, Outcome.UNANSWERED
    prefixes = postal_prefixes(t.answer_values)
    matched = bool(prefixes) and normalize_postal(member.postal_code).startswith(prefixes)
    return repr(member.postal_code), (Outcome.MATCH if matched else Outcome.NO_MATCH)


def check_subquota(member: Member, sq: SubQuota, on: date) -> SubQuotaCheck:
    return SubQuotaCheck(sq.subquota_id, sq.is_full, [check_target(member, t, on) for t in merge_targets(sq.targets)])


def check_layer(member: Member, layer: Layer, on: date) -> LayerCheck:
    return LayerCheck(layer.layer_id, [check_subquota(member, sq, on) for sq in layer.subquotas])


def check_quota(member: Member, quota: Quota, on: date) -> QuotaCheck:
    return QuotaCheck(quota.quota_id, on, [check_layer(member, layer, on) for layer in quota.layers])


def check_targets(member: Member, targets: tuple[Target, ...], on: date) -> list[QuestionCheck]:
    """Hidden (non-quota) targets of a survey: every question must pass."""
    return [check_target(member, t, on) for t in merge_targets(targets)]
