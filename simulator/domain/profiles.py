"""Profiles a member fills in on Toluna's side (GetNextProfileURL, the member profile survey): the questions of
one category of the culture's reference data, offered while the member has not answered them all.

The member profile survey, offered to a member Toluna cannot place, asks what placing needs: birth date and
gender (and the postal code)."""

from __future__ import annotations

from .member_answers import answered
from .model import Member
from .reference import COMPUTED, FROM_PROFILE, Culture, Question, ReferenceData

#: The category id of the member profile survey (birth date, gender, postal code).
BASIC = 0
WRITABLE = ("SingleSelect", "MultiSelect", "OpenEnded")


def category_questions(data: ReferenceData, culture: Culture, category: int) -> list[Question]:
    """The questions a member can answer in one category (computed ones and those the profile gives excluded)."""
    return [
        q
        for q in data.questions.get(culture.culture_id, {}).values()
        if q.category_id == category
        and q.answer_type in WRITABLE
        and q.answer_type != COMPUTED
        and q.question_id not in FROM_PROFILE
        and q.question_id != 1001042
    ]


def next_profile(member: Member, data: ReferenceData, culture: Culture) -> int | None:
    """The first category (in the reference data's order) with a question the member has not answered; None when
    the member's profile is complete."""
    if not answered(member):
        return BASIC
    for category in data.lists.get("QuestionCategories", []):
        questions = category_questions(data, culture, int(category["CategoryID"]))
        if any(q.question_id not in member.answers and q.question_id not in member.open_answers for q in questions):
            return int(category["CategoryID"])
    return None
