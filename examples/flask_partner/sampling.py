"""Toluna's sampling rules, applied by the panel before it asks for an invite.

Toluna refuses an invite for a member who does not match (16) and counts it against the partner; the panel only
asks for quotas it has checked itself:

- a quota matches when every layer matches (AND); a layer when one of its subquotas matches (OR);
- a subquota when, for each distinct QuestionID, one of the listed answers is the member's (AND across questions,
  OR within one);
- age (1001538) is computed on the day, against bracket AnswerIDs or ``AnswerValues`` ranges (``18-99``, ``65+``);
  postal targets (1001042) are prefixes of the member's postal code; other ``AnswerValues`` list ids;
- a routable question the member has not answered does not disqualify (Toluna asks it in its prescreener); an
  unanswered non-routable question does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .timefmt import age_on

AGE = 1001538
POSTAL_CODE = 1001042
#: Toluna's fixed age brackets: AnswerID -> (youngest, oldest).
AGE_BRACKETS: dict[int, tuple[int, int]] = {
    2006351: (13, 17),
    2006352: (18, 24),
    2006353: (25, 29),
    2006354: (30, 34),
    2006355: (35, 39),
    2006356: (40, 44),
    2006357: (45, 49),
    2006358: (50, 54),
    2006359: (55, 59),
    2006360: (60, 64),
    2006361: (65, 200),
}
_RANGE = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)|(\+))?\s*")


@dataclass(frozen=True, slots=True)
class Profile:
    """What the panel knows of a member in Toluna's ids."""

    answers: Mapping[int, frozenset[int]] = field(default_factory=dict)
    birth_date: date | None = None
    postal_code: str | None = None


def key(doc: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """A field of a Toluna document by name, whatever its casing (``SurveyId`` and ``SurveyID`` both occur)."""
    if name in doc:
        return doc[name]
    folded = name.lower()
    return next((v for k, v in doc.items() if k.lower() == folded), default)


def age_range(text: str) -> tuple[int, int] | None:
    """``18-99`` -> (18, 99), ``65+`` -> (65, 200), ``30`` -> (30, 30); None for anything else."""
    found = _RANGE.fullmatch(str(text))
    if not found:
        return None
    low = int(found.group(1))
    if found.group(3):
        return low, 200
    return low, int(found.group(2)) if found.group(2) else low


def _ids(values: Iterable[Any]) -> set[int]:
    out = set()
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part.isdigit():
                out.add(int(part))
    return out


def _question_matches(
    profile: Profile, question: int, answer_ids: set[int], values: list[str], on: date
) -> bool | None:
    """True/False when the member has an answer to compare, None when the member has not answered."""
    if question == AGE:
        if profile.birth_date is None:
            return None
        age = age_on(profile.birth_date, on)
        for answer in answer_ids:
            low, high = AGE_BRACKETS.get(answer, (1, 0))
            if low <= age <= high:
                return True
        return any((r := age_range(v)) is not None and r[0] <= age <= r[1] for v in values)
    if question == POSTAL_CODE:
        if not profile.postal_code:
            return None
        own = profile.postal_code.replace(" ", "").upper()
        prefixes = [str(v).replace(" ", "").upper() for v in values]
        return any(p and own.startswith(p) for p in prefixes)
    mine = profile.answers.get(question)
    if not mine:
        return None
    return bool(mine & (answer_ids | _ids(values)))


def subquota_matches(profile: Profile, subquota: Mapping[str, Any], on: date) -> bool:
    """Every distinct QuestionID of the subquota matches (entries naming one question are read together)."""
    grouped: dict[int, tuple[set[int], list[str], bool]] = {}
    for qa in key(subquota, "QuestionsAndAnswers") or []:
        question = int(key(qa, "QuestionID"))
        ids, values, routable = grouped.get(question, (set(), [], False))
        ids |= {int(a) for a in key(qa, "AnswerIDs") or []}
        values += [str(v) for v in key(qa, "AnswerValues") or []]
        grouped[question] = (ids, values, routable or bool(key(qa, "IsRoutable", False)))
    for question, (ids, values, routable) in grouped.items():
        verdict = _question_matches(profile, question, ids, values, on)
        if verdict is None and not routable:
            return False
        if verdict is False:
            return False
    return True


def quota_matches(profile: Profile, quota: Mapping[str, Any], on: date) -> bool:
    """The member matches every layer of the quota; a layer without subquotas targets nobody in particular."""
    for layer in key(quota, "Layers") or []:
        subquotas = key(layer, "SubQuotas") or []
        if subquotas and not any(subquota_matches(profile, sq, on) for sq in subquotas):
            return False
    return True


def excluded(exclusions: Iterable[Mapping[str, Any]], history: Iterable[tuple[int, int, int]]) -> bool:
    """Whether a SurveyWaveExclusion covers one of the member's participations (SurveyID, WaveID, status id);
    WaveID 0 excludes every wave of the survey."""
    taken = list(history)
    for rule in exclusions:
        survey, wave = int(key(rule, "SurveyID")), int(key(rule, "WaveID") or 0)
        statuses = {int(s) for s in key(rule, "ParticipationStatusIDs") or []}
        if any(s == survey and wave in (0, w) and status in statuses for s, w, status in taken):
            return True
    return False
