"""Member registration: how the partner writes its members through member management v2."""

from __future__ import annotations

import json
from typing import Any

from ..facts import Facts, Request
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Member registration"
WRITES = ("member_add", "member_update")


def _body(r: Request) -> dict[str, Any]:
    try:
        doc = json.loads(r.body or "")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _message(r: Request) -> str:
    try:
        return str(json.loads(r.response or "{}").get("Message", ""))
    except ValueError:
        return ""


def _refused(f: Facts, routes: tuple[str, ...], status: int, *phrases: str) -> list[Evidence]:
    return [
        Evidence(summary=_message(r) or f"HTTP {r.status}", journal_id=r.id, member=r.member, request=r.describe())
        for r in f.routes(*routes)
        if r.status == status and any(p in _message(r) for p in phrases)
    ]


def _no_writes(f: Facts) -> str | None:
    return None if f.routes(*WRITES) else "the partner wrote no member during the run"


def _refusals(f: Facts, routes: tuple[str, ...], status: int, *phrases: str) -> Verdict:
    """The partner's member writes Toluna refused with ``status`` for one of ``phrases`` (skipped without writes)."""
    skipped = _no_writes(f)
    return Verdict([], skipped=skipped) if skipped else Verdict(_refused(f, routes, status, *phrases))


@check(
    "REG-01",
    "Member API calls declare version 2 and the panel",
    STEP,
    Severity.MUST,
    "Member management calls send 'Accept: application/json;version=2.0' and the panel's PartnerGUID.",
)
def version_and_panel(f: Facts) -> Verdict:
    if not f.routes(*WRITES, "member_get"):
        return Verdict([], skipped="the partner made no member API call")
    problems = _refused(f, (*WRITES, "member_get"), 400, "version 2.0 of the member API", "Invalid PartnerGUID")
    return Verdict(problems, failed=f"{len(problems)} call(s) without the v2 Accept header or with another panel")


@check(
    "REG-02",
    "Birth date and gender supplied",
    STEP,
    Severity.MUST,
    "Toluna needs at least a member's birth date and gender (1001007) to place it in a survey.",
)
def birth_and_gender(f: Facts) -> Verdict:
    skipped = _no_writes(f)
    if skipped:
        return Verdict([], skipped=skipped)
    problems = []
    for r in f.routes("member_add"):
        doc = _body(r)
        answers = doc.get("RegistrationAnswers") or doc.get("AnsweredQuestions") or []
        gender = any(isinstance(a, dict) and a.get("QuestionID") == 1001007 for a in answers)
        if r.status == 201 and (not doc.get("BirthDate") or not gender):
            missing = " and ".join(x for x, ok in (("BirthDate", doc.get("BirthDate")), ("gender", gender)) if not ok)
            problems.append(
                Evidence(
                    summary=f"member {r.member} added without {missing}",
                    journal_id=r.id,
                    member=r.member,
                    request=r.describe(),
                )
            )
    return Verdict(problems, failed=f"{len(problems)} member(s) Toluna cannot place")


@check(
    "REG-03",
    "No computed questions written",
    STEP,
    Severity.MUST,
    "Computed questions (region, DMA, MSA, ...) come from the birth date and postal code: they are never written.",
)
def computed(f: Facts) -> Verdict:
    return _refusals(f, WRITES, 400, "is computed")


@check(
    "REG-04",
    "Existing members updated with PUT",
    STEP,
    Severity.MUST,
    "A member that exists is updated with PUT; adding it again with POST is refused with 409.",
)
def updates_by_put(f: Facts) -> Verdict:
    return _refusals(f, ("member_add",), 409, "already exists")


@check(
    "REG-05",
    "A member is written at most once a second",
    STEP,
    Severity.MUST,
    "Toluna's member API does not support near-simultaneous calls: the same MemberCode at most once per 1000 ms.",
)
def one_write_a_second(f: Facts) -> Verdict:
    return _refusals(f, WRITES, 409, "less than 1000 ms")


@check(
    "REG-06",
    "Answers valid for the culture",
    STEP,
    Severity.SHOULD,
    "QuestionIDs and AnswerIDs come from the culture's reference data; birth dates are MM/DD/YYYY.",
)
def valid_answers(f: Facts) -> Verdict:
    phrases = (
        "is not a question of culture",
        "is not an answer of QuestionID",
        "is single-select",
        "not valid for BirthDate",
        "is open-ended",
    )
    return _refusals(f, WRITES, 400, *phrases)
