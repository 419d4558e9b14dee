"""Member registration: how the partner writes its members through member management v2."""

from __future__ import annotations

import json

from ..facts import Facts, Request
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Member registration"
WRITES = ("member_add", "member_update")


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


NO_WRITES = "the partner wrote no member during the run"


def _refusals(f: Facts, routes: tuple[str, ...], status: int, *phrases: str) -> Verdict:
    """The partner's member writes Toluna refused with ``status`` for one of ``phrases``, out of every write."""
    writes = f.routes(*routes)
    return Verdict(_refused(f, routes, status, *phrases), judged=len(writes), nothing=NO_WRITES)


@check(
    "REG-01",
    "Member API calls declare version 2 and the panel",
    STEP,
    Severity.MUST,
    "Member management calls send 'Accept: application/json;version=2.0' and the panel's PartnerGUID.",
)
def version_and_panel(f: Facts) -> Verdict:
    calls = f.routes(*WRITES, "member_get")
    problems = _refused(f, (*WRITES, "member_get"), 400, "version 2.0 of the member API", "Invalid PartnerGUID")
    return Verdict(
        problems,
        judged=len(calls),
        failed=f"{len(problems)} call(s) without the v2 Accept header or with another panel",
        nothing="the partner made no member API call",
    )


@check(
    "REG-02",
    "Birth date and gender supplied",
    STEP,
    Severity.MUST,
    "Toluna needs at least a member's birth date and gender (1001007) to place it in a survey.",
)
def birth_and_gender(f: Facts) -> Verdict:
    problems = []
    added = [r for r in f.routes("member_add") if r.status == 201]
    for r in added:
        doc = r.body_json()
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
    return Verdict(
        problems, judged=len(added), failed=f"{len(problems)} member(s) Toluna cannot place", nothing=NO_WRITES
    )


@check(
    "REG-03",
    "No computed questions written",
    STEP,
    Severity.MUST,
    "Computed questions (region, DMA, MSA, ...) come from the birth date and postal code: they are never written.",
)
def computed(f: Facts) -> Verdict:
    return _refusals(f, WRITES, 400, "is computed")


def _exists(r: Request) -> bool:
    return r.status == 409 and "already exists" in _message(r)


@check(
    "REG-04",
    "A member that already exists ends up updated with PUT",
    STEP,
    Severity.MUST,
    "Adding a member that exists is refused with 409: the partner then writes it with PUT (an upsert: POST, and PUT "
    "on 409, is fine), so that what it meant to send reaches Toluna.",
)
def updates_by_put(f: Facts) -> Verdict:
    conflicts = [r for r in f.routes("member_add") if _exists(r)]
    updated = [r for r in f.routes("member_update") if r.status == 200]
    problems = [
        Evidence(
            summary=f"member {r.member} exists (409) and was never written with PUT afterwards",
            journal_id=r.id,
            member=r.member,
            request=r.describe(),
        )
        for r in conflicts
        if not any(u.member == r.member and u.wall > r.wall for u in updated)
    ]
    return Verdict(
        problems,
        judged=len(conflicts),
        passed=f"{len(conflicts)} member(s) that existed were then updated with PUT",
        failed=f"{len(problems)} member(s) left as they were after a 409",
        nothing="no member the partner added existed already",
    )


@check(
    "REG-07",
    "Members known to exist are not added again",
    STEP,
    Severity.SHOULD,
    "A member the partner has added (201) or found to exist (409) during the run is changed with PUT, not POSTed "
    "again: every needless POST is a refused call.",
)
def no_needless_posts(f: Facts) -> Verdict:
    known: set[str] = set()
    problems = []
    adds = f.routes("member_add")
    for r in adds:
        if r.member in known:
            problems.append(
                Evidence(
                    summary=f"member {r.member} POSTed again", journal_id=r.id, member=r.member, request=r.describe()
                )
            )
        if r.status == 201 or _exists(r):
            known.add(str(r.member))
    return Verdict(problems[:20], judged=len(adds), failed=f"{len(problems)} needless POST(s)", nothing=NO_WRITES)


@check(
    "REG-05",
    "A member is written at most once a second",
    STEP,
    Severity.MUST,
    "Toluna's member API does not support near-simultaneous calls: the same MemberCode at most once per 1000 ms.",
)
def one_write_a_second(f: Facts) -> Verdict:
    counts: dict[str | None, int] = {}
    for r in f.routes(*WRITES):
        counts[r.member] = counts.get(r.member, 0) + 1
    again = sum(1 for n in counts.values() if n > 1)
    return Verdict(
        _refused(f, WRITES, 409, "less than 1000 ms"),
        judged=again,
        passed=f"{again} member(s) written more than once, never twice within 1000 ms",
        nothing="no member was written more than once",
    )


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
