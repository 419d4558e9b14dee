"""The partner's attribute mapping: what it registered is its mapping of its own records (MAP-01), and the mapping
agrees with Toluna's reference data (MAP-02).

Why both: MAP-02 reads the mapping file against the answers' translations (a "male" mapped to Female), MAP-01 shows
the partner's code follows that file. The records come from the adapter route ``GET {adapter}/members/{MemberCode}``
(the partner's record in its own terms), the mapping from ``mapping = "file"`` in the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.domain.reference import Culture, ReferenceData, bundled

from ..facts import Facts, Request
from ..mapping import DEFAULT_CULTURE, Mapping, MappingError, apply_mapping, as_date, check_mapping, resolve_culture
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Member registration"
WRITES = ("member_add", "member_update")
NO_MAPPING = (
    'no mapping given: set mapping = "mapping.yaml" in toluna-conformance.toml (or [tool.toluna-conformance]) '
    "to the partner's field-to-Toluna mapping (see toluna-conformance mapping)"
)
NO_RECORDS = (
    "the partner's own member records were not available: answer GET {adapter}/members/{MemberCode} on the "
    "conformance adapter (--adapter-url) with the member's record in the partner's own terms"
)


@dataclass(slots=True)
class Sent:
    """What a member's writes amount to: the last BirthDate, PostalCode and answers per question, each with the
    request that set it."""

    birth: tuple[str, Request] | None = None
    postal: tuple[str, Request] | None = None
    answers: dict[int, tuple[set[int], Request]] = field(default_factory=dict)


def sent_by_member(requests: list[Request]) -> dict[str, Sent]:
    """Every member's writes merged in order (POST then later PUTs; a PUT answers a question anew, AnswerID 0
    clears it); RegistrationAnswers wins over AnsweredQuestions within a body, as at Toluna."""
    out: dict[str, Sent] = {}
    for r in sorted(requests, key=lambda r: r.id):
        body = r.body_json()
        member = r.member or (str(body["MemberCode"]) if body.get("MemberCode") is not None else None)
        if not member:
            continue
        sent = out.setdefault(member, Sent())
        if "BirthDate" in body:
            sent.birth = (str(body["BirthDate"] or ""), r)
        if "PostalCode" in body:
            sent.postal = (str(body["PostalCode"] or ""), r)
        for question, ids in _answers(body).items():
            if ids == {0}:
                sent.answers.pop(question, None)
            else:
                sent.answers[question] = (ids, r)
    return out


def _answers(body: dict[str, Any]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    registration, answered = body.get("RegistrationAnswers"), body.get("AnsweredQuestions")
    items = registration if isinstance(registration, list) else answered if isinstance(answered, list) else []
    for item in items:
        if not isinstance(item, dict) or (question := _int(item.get("QuestionID"))) is None:
            continue
        given = item.get("Answers") if registration is items else [item]
        ids = {_int(a.get("AnswerID")) for a in given or [] if isinstance(a, dict)}
        out.setdefault(question, set()).update(i for i in ids if i is not None)
    return out


def _int(value: Any) -> int | None:
    return int(value) if not isinstance(value, bool) and str(value).strip().lstrip("-").isdigit() else None


# --- MAP-01 ------------------------------------------------------------------------------------------------------
@check(
    "MAP-01",
    "Registered answers are the partner's mapping of its own records",
    STEP,
    Severity.MUST,
    "What the partner registers for a member (birth date, postal code, answers) is its declared mapping applied "
    "to its own record of that member.",
)
def registered_as_mapped(f: Facts) -> Verdict:
    mapping: Mapping | None = f.mapping
    if mapping is None:
        return Verdict.unexercised(NO_MAPPING)
    if not f.member_records:
        return Verdict.unexercised(NO_RECORDS)
    sent = sent_by_member(f.routes(*WRITES))
    members = sorted(m for m, record in f.member_records.items() if isinstance(record, dict) and m in sent)
    if not members:
        return Verdict.unexercised("no member the partner wrote during the run has a record from its adapter")
    names = _names(mapping, getattr(f, "culture", None))
    problems: list[Evidence] = []
    judged = 0
    for member in members:
        found, count = _compare(member, mapping, f.member_records[member], sent[member], names)
        problems += found
        judged += count
    return Verdict(
        problems,
        judged=judged,
        passed=f"{judged} attribute(s) of {len(members)} member(s) registered as the mapping says",
        failed=f"{len(problems)} attribute(s) registered otherwise than the partner's mapping of its own records",
        nothing="the mapping covers nothing the partner's records hold",
    )


def _compare(
    member: str, mapping: Mapping, record: dict[str, Any], sent: Sent, names: dict[int, str]
) -> tuple[list[Evidence], int]:
    """The differences between what ``record`` maps to and what was sent for ``member``, and how many attributes
    were compared."""
    expected = apply_mapping(mapping, record)  # values the mapping does not cover are not judged here
    problems: list[Evidence] = []
    judged = 0
    for label, field_name, want, got, same in (
        ("BirthDate", mapping.birth_date, expected["BirthDate"], sent.birth, _same_date),
        ("PostalCode", mapping.postal_code, expected["PostalCode"], sent.postal, _same_postal),
    ):
        if want is None:
            continue
        judged += 1
        if got is None or not same(want, got[0]):
            problems.append(_differs(member, f"{field_name} ({label})", want, got))
    for question, want_ids in sorted(expected["answers"].items()):
        judged += 1
        got_answers = sent.answers.get(question)
        if got_answers is None or got_answers[0] != want_ids:
            fields = "/".join(mapping.fields_of(question)) or "?"
            got = None if got_answers is None else (_ids(got_answers[0], names), got_answers[1])
            problems.append(_differs(member, f"{fields} (QuestionID {question})", _ids(want_ids, names), got))
    return problems, judged


def _differs(member: str, what: str, want: str, got: tuple[str, Request] | None) -> Evidence:
    if got is None:
        return Evidence(summary=f"member {member}: {what}: the mapping says {want}, nothing was sent", member=member)
    value, r = got
    return Evidence(
        summary=f"member {member}: {what}: the mapping says {want}, the partner sent {value or '(empty)'}",
        member=member,
        journal_id=r.id,
        request=r.describe(),
    )


def _same_date(want: str, got: str) -> bool:
    a, b = as_date(want), as_date(got)
    return a == b if a and b else want.strip() == got.strip()


def _same_postal(want: str, got: str) -> bool:
    return "".join(want.split()).upper() == "".join(got.split()).upper()


def _ids(ids: set[int], names: dict[int, str]) -> str:
    return ", ".join(f"{i} ({names[i]})" if i in names else str(i) for i in sorted(ids))


def _names(mapping: Mapping, culture: str | None) -> dict[int, str]:
    """AnswerID -> translation in the panel's culture, so evidence says "2000246 (Female)"."""
    try:
        reference, found = _culture(mapping, culture)
    except MappingError:
        return {}
    return {
        a.answer_id: a.translation for q in reference.questions.get(found.culture_id, {}).values() for a in q.answers
    }


def _culture(mapping: Mapping, culture: str | None) -> tuple[ReferenceData, Culture]:
    reference = bundled()
    return reference, resolve_culture(reference, culture or mapping.culture or DEFAULT_CULTURE, mapping.source)


# --- MAP-02 ------------------------------------------------------------------------------------------------------
@check(
    "MAP-02",
    "The mapping agrees with Toluna's reference data",
    STEP,
    Severity.MUST,
    "Every mapped QuestionID and AnswerID exists for the panel's culture, belongs together, is writable and means "
    "what the partner's value means; birth date, postal code and gender are mapped.",
)
def mapping_agrees(f: Facts) -> Verdict:
    mapping: Mapping | None = f.mapping
    if mapping is None:
        return Verdict.unexercised(NO_MAPPING)
    try:
        reference, culture = _culture(mapping, getattr(f, "culture", None))
    except MappingError as exc:
        return Verdict.unexercised(f"the mapping could not be judged: {exc}")
    findings = check_mapping(mapping, reference, culture)
    problems = [
        Evidence(summary=f"{x.code} {x.field}{f' {x.value!r}' if x.value is not None else ''}: {x.message}")
        for x in findings
        if x.severity is Severity.MUST
    ]
    advisory = len(findings) - len(problems)
    more = f"; {advisory} SHOULD finding(s): see toluna-conformance mapping {mapping.source}" if advisory else ""
    return Verdict(
        problems,
        judged=mapping.size(),
        passed=f"{mapping.size()} mapped value(s) agree with the {culture.name} reference data{more}",
        failed=f"{len(problems)} MUST finding(s) in {mapping.source}{more}",
        nothing="the mapping maps no value",
    )
