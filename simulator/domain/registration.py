"""Member management v2: a partner's ``Respondent`` body, checked against Toluna's rules and the culture's
reference data, and turned into the sandbox's member (which GenerateInvite and GetSurveys then sample).

Rules: ``BirthDate`` is MM/DD/YYYY; ``RegistrationAnswers`` (multi-select, open-ended ``AnswerValue``) win over the
older ``AnsweredQuestions`` when both are sent; every QuestionID and AnswerID must exist in the culture's reference
data; computed questions (region, DMA, MSA, ...) cannot be written; a member under the country's minimum age is
refused and not created; on PUT, AnswerID ``0`` clears the documented questions (gender, education, ethnicity, race,
state); ``IsPIIDataRegulated`` erases the member's data for good.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from . import questions as qid
from .geography import PostalArea, derive
from .model import Member, MemberStatus
from .reference import Culture, ReferenceData, minimum_age

#: Questions a PUT may clear with AnswerID 0 (Toluna's GenderID, EducationID, EthnicityID, RaceID, SubProvinceID).
CLEARABLE = frozenset({qid.GENDER, qid.EDUCATION, qid.ETHNICITY, qid.RACE, 1001033})
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_UNSET = object()


class RegistrationError(ValueError):
    """A body Toluna refuses with 400; the message names the field, question or answer at fault."""


@dataclass(slots=True)
class Body:
    partner_guid: str
    member_code: str
    birth_date: date | object | None = _UNSET
    postal_code: str | object | None = _UNSET
    is_active: bool | None = None
    is_test: bool | None = None
    pii: bool | None = None
    answers: dict[int, list[tuple[int, str | None]]] | None = None  # None: no answers in the body
    problems: list[str] = field(default_factory=list)


def _bool(value: Any, name: str) -> bool | None:
    """ASP.NET binds ``true``, ``"true"`` and ``"True"`` alike (Toluna's own example sends ``"false"``)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise RegistrationError(f"The value '{value}' is not valid for {name}: use true or false.")


def parse_birth_date(text: Any) -> date | None:
    if text in (None, ""):
        return None
    found = _DATE.fullmatch(str(text).strip())
    try:
        if not found:
            raise ValueError
        month, day, year = (int(g) for g in found.groups())
        return date(year, month, day)
    except ValueError:
        raise RegistrationError(f"The value '{text}' is not valid for BirthDate: use MM/DD/YYYY.") from None


def _answers(doc: dict[str, Any]) -> dict[int, list[tuple[int, str | None]]] | None:
    registration, answered = doc.get("RegistrationAnswers"), doc.get("AnsweredQuestions")
    if registration is not None:  # RegistrationAnswers wins over AnsweredQuestions
        if not isinstance(registration, list):
            raise RegistrationError("RegistrationAnswers must be a list of {QuestionID, Answers}.")
        out: dict[int, list[tuple[int, str | None]]] = {}
        for item in registration:
            if not isinstance(item, dict) or not isinstance(item.get("Answers"), list):
                raise RegistrationError("Each RegistrationAnswers item needs a QuestionID and a list of Answers.")
            question = _int(item.get("QuestionID"), "QuestionID")
            for a in item["Answers"]:
                if not isinstance(a, dict):
                    raise RegistrationError(f"QuestionID {question}: each answer is {{AnswerID, AnswerValue}}.")
                value = a.get("AnswerValue")
                out.setdefault(question, []).append(
                    (_int(a.get("AnswerID"), "AnswerID"), None if value is None else str(value))
                )
        return out
    if answered is not None:
        if not isinstance(answered, list):
            raise RegistrationError("AnsweredQuestions must be a list of {QuestionID, AnswerID}.")
        out = {}
        for item in answered:
            if not isinstance(item, dict):
                raise RegistrationError("Each AnsweredQuestions item is {QuestionID, AnswerID}.")
            out.setdefault(_int(item.get("QuestionID"), "QuestionID"), []).append(
                (_int(item.get("AnswerID"), "AnswerID"), None)
            )
        return out
    return None


_WHOLE = re.compile(r"\s*-?[0-9]+\s*", re.ASCII)


def _int(value: Any, name: str) -> int:
    """ASP.NET's int binding: a number, or text of ASCII digits (``str.isdigit`` would also pass ``"²"``)."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not _WHOLE.fullmatch(str(value)):
        raise RegistrationError(f"The value '{value}' is not valid for {name}: use a whole number.")
    return int(value)


def parse(doc: Any) -> Body:
    """The body's fields, or a ``RegistrationError`` for a malformed one."""
    if not isinstance(doc, dict):
        raise RegistrationError("The request body must be a JSON object with PartnerGUID and MemberCode.")
    guid, code = doc.get("PartnerGUID"), doc.get("MemberCode")
    if not isinstance(guid, str) or not guid.strip():
        raise RegistrationError("PartnerGUID is required.")
    if not isinstance(code, str | int) or not str(code).strip():
        raise RegistrationError("MemberCode is required.")
    body = Body(guid.strip().lower(), str(code).strip())
    if "BirthDate" in doc:
        body.birth_date = parse_birth_date(doc["BirthDate"])
    if "PostalCode" in doc:
        postal = doc["PostalCode"]
        body.postal_code = str(postal).strip() or None if postal is not None else None
    body.is_active = _bool(doc.get("IsActive"), "IsActive")
    body.is_test = _bool(doc.get("IsTest"), "IsTest")
    body.pii = _bool(doc.get("IsPIIDataRegulated"), "IsPIIDataRegulated")
    body.answers = _answers(doc)
    return body


def check(
    body: Body, reference: ReferenceData, culture: Culture, today: date, update: bool, min_age: int | None = None
) -> None:
    """The checks that need the culture: answers against its reference data, the country's minimum age."""
    for question_id, answers in (body.answers or {}).items():
        if update and question_id in CLEARABLE and [a for a, _ in answers] == [0]:
            continue
        q = reference.question(culture.culture_id, question_id)
        if q is None or question_id == qid.AGE:
            raise RegistrationError(f"QuestionID {question_id} is not a question of culture {culture.name}.")
        if q.computed:
            raise RegistrationError(
                f"QuestionID {question_id} ({q.internal_name}) is computed from the member's birth date and postal "
                "code and cannot be written."
            )
        if q.answer_type == "SingleSelect" and len(answers) > 1:
            raise RegistrationError(f"QuestionID {question_id} is single-select: send one AnswerID.")
        for answer_id, value in answers:
            if q.answer(answer_id) is None:
                raise RegistrationError(f"AnswerID {answer_id} is not an answer of QuestionID {question_id}.")
            if q.answer_type == "OpenEnded":
                if not value:
                    raise RegistrationError(f"QuestionID {question_id} is open-ended: send an AnswerValue.")
                if q.validation_regex and not re.fullmatch(q.validation_regex, value):
                    raise RegistrationError(f"The AnswerValue '{value}' is not valid for QuestionID {question_id}.")
    birth = body.birth_date
    if isinstance(birth, date):
        limit = minimum_age(culture) if min_age is None else min_age
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        if age < limit:
            raise RegistrationError(
                f"The member is {age}: members under {limit} cannot be registered in {culture.country or culture.name}."
            )


def apply(body: Body, existing: Member | None, areas: list[PostalArea]) -> Member:
    """The member after this body: a new one (POST) or ``existing`` updated (PUT)."""
    m = existing or Member(panel_guid=body.partner_guid, member_code=body.member_code)
    if body.pii:
        return Member(m.panel_guid, m.member_code, status=MemberStatus.PII_DATA_REGULATED, is_active=False)
    answers = {q: a for q, a in m.answers.items() if q not in _derived(m, areas)}
    open_answers = dict(m.open_answers)
    for question_id, given in (body.answers or {}).items():
        if [a for a, _ in given] == [0]:
            answers.pop(question_id, None)
            open_answers.pop(question_id, None)
            continue
        answers[question_id] = frozenset(a for a, _ in given)
        texts = [v for _, v in given if v]
        if texts:
            open_answers[question_id] = texts[0]
    m = replace(
        m,
        birth_date=m.birth_date if body.birth_date is _UNSET else body.birth_date,  # type: ignore[arg-type]
        postal_code=m.postal_code if body.postal_code is _UNSET else body.postal_code,  # type: ignore[arg-type]
        is_active=m.is_active if body.is_active is None else body.is_active,
        is_test=m.is_test if body.is_test is None else body.is_test,
        answers=answers,
        open_answers=open_answers,
    )
    return replace(m, answers={**m.answers, **derive(areas, m.postal_code)})


def _derived(m: Member, areas: list[PostalArea]) -> set[int]:
    return set(derive(areas, m.postal_code))


def to_wire(m: Member) -> dict[str, Any]:
    """GET Respondent: Toluna's member shape (``BirthDate`` as M/D/YYYY, answers as RegistrationAnswers)."""
    birth = f"{m.birth_date.month}/{m.birth_date.day}/{m.birth_date.year}" if m.birth_date else None
    return {
        "PartnerGUID": m.panel_guid,
        "MemberCode": m.member_code,
        "BirthDate": birth,
        "PostalCode": m.postal_code,
        "IsActive": m.is_active,
        "IsTest": m.is_test,
        "IsPIIDataRegulated": m.status is MemberStatus.PII_DATA_REGULATED,
        "RegistrationAnswers": [
            {
                "QuestionID": question,
                "Answers": [{"AnswerID": a, "AnswerValue": m.open_answers.get(question)} for a in sorted(ids)],
            }
            for question, ids in sorted(m.answers.items())
        ],
    }
