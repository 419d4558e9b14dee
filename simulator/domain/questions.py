"""Toluna question and answer ids the sandbox gives meaning to (one place per fact)."""

from __future__ import annotations

GENDER = 1001007
FEMALE = 2000246
MALE = 2000247
AGE = 1001538
POSTAL_CODE = 1001042
#: Ids computed by Toluna from the member's postal code (region-like); targeted as text in AnswerValues.
POSTAL_COMPUTED = 1001568
EDUCATION = 1001101
INCOME = 1001107
ETHNICITY = 1001012
WORK_POSITION = 1005145
MARITAL_STATUS = 1001102
EMPLOYMENT = 1012395
RACE = 1002790

#: Toluna's fixed age brackets for question 1001538: AnswerID -> (lowest age, highest age).
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
    2006361: (65, 150),
}

#: Questions whose member answer is derived from the profile rather than stored as an answer id.
DERIVED = frozenset({AGE, POSTAL_CODE})

#: Participation status ids used by SurveyWaveExclusions and the participation history.
STARTED, TERMINATED, QUALIFIED, QUOTA_FULL = 1, 3, 9, 10
PARTICIPATION_STATUSES = {STARTED: "Started", TERMINATED: "Terminated", QUALIFIED: "Qualified", QUOTA_FULL: "QuotaFull"}


def age_bracket(age: int) -> int | None:
    """The bracket AnswerID for an age, or None below 13."""
    for answer_id, (low, high) in AGE_BRACKETS.items():
        if low <= age <= high:
            return answer_id
    return None
