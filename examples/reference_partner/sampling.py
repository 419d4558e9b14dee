"""Toluna's sampling rules, as a partner implements them from the documentation.

A member matches a quota when it matches every layer; a layer when it matches one of its subquotas; a subquota
when every distinct QuestionID is matched by one of its listed answers. Age (1001538) is the member's age on the
day, against Toluna's brackets or ``"18-99"`` ranges; postal codes (1001042) match by prefix. A member who has not
answered a routable question is still a match (Toluna asks it in its prescreener); a non-routable one is not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

GENDER, AGE, POSTAL = 1001007, 1001538, 1001042
BRACKETS = {
    2006351: (13, 17), 2006352: (18, 24), 2006353: (25, 29), 2006354: (30, 34), 2006355: (35, 39),
    2006356: (40, 44), 2006357: (45, 49), 2006358: (50, 54), 2006359: (55, 59), 2006360: (60, 64),
    2006361: (65, 200),
}  # fmt: skip


def age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def in_range(value: int, text: str) -> bool:
    text = text.strip()
    if text.endswith("+"):
        return value >= int(text[:-1])
    low, _, high = text.partition("-")
    return int(low) <= value <= int(high or low)


class Profile:
    """What the partner knows of a member: birth date, postal code, answer ids per question."""

    def __init__(self, birth: date | None, postal: str | None, answers: dict[int, set[int]]) -> None:
        self.birth, self.postal, self.answers = birth, postal, answers

    def question_matches(self, question: int, ids: set[int], values: list[str], today: date) -> bool | None:
        """True or False, or None when the member has no answer to this question."""
        if question == AGE:
            if self.birth is None:
                return None
            years = age(self.birth, today)
            brackets = [BRACKETS[i] for i in ids if i in BRACKETS]
            return any(low <= years <= high for low, high in brackets) or any(in_range(years, v) for v in values)
        if question == POSTAL:
            if not self.postal:
                return None
            code = self.postal.replace(" ", "").upper()
            return any(code.startswith(v.replace(" ", "").upper()) for v in values if v.strip())
        mine = self.answers.get(question)
        if not mine:
            return None
        listed = {int(v) for text in values for v in text.split(",") if v.strip().isdigit()}
        return bool(mine & (ids | listed))


def subquota_matches(profile: Profile, subquota: dict[str, Any], today: date) -> bool:
    wanted: dict[int, tuple[set[int], list[str], bool]] = {}
    for qa in subquota.get("QuestionsAndAnswers") or []:
        ids, values, routable = wanted.setdefault(qa["QuestionID"], (set(), [], False))
        wanted[qa["QuestionID"]] = (
            ids | set(qa.get("AnswerIDs") or []),
            values + list(qa.get("AnswerValues") or []),
            routable or bool(qa.get("IsRoutable")),
        )
    for question, (ids, values, routable) in wanted.items():
        if not ids and not values:
            continue
        found = profile.question_matches(question, ids, values, today)
        if found is None and routable:
            continue
        if not found:
            return False
    return True


def quota_matches(profile: Profile, quota: dict[str, Any], today: date) -> bool:
    return all(
        any(subquota_matches(profile, sq, today) for sq in layer.get("SubQuotas") or [])
        for layer in quota.get("Layers") or []
    )
