"""A mapping checked against the culture's reference data: the findings, and the small normalised comparison of
the partner's words with the answers' translations."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from itertools import pairwise

from simulator.domain import questions as qid
from simulator.domain.reference import Culture, Question, ReferenceData

from .model import RULES, FieldMap, Finding, Mapping, _error


# --- checking a mapping against the reference data -------------------------------------------------------------
def resolve_culture(reference: ReferenceData, name: str, source: str = "mapping") -> Culture:
    """The reference data's culture named ``name`` (``EN-US``, ``en_us``), or ``MappingError``."""
    found = reference.culture(name.strip().replace("_", "-"))
    if found is None:
        known = ", ".join(c.name.upper() for c in reference.cultures)
        raise _error(source, "culture", f"{name} is not a culture of the reference data", f"use one of {known}")
    return found


def check_mapping(mapping: Mapping, reference: ReferenceData, culture: Culture | str) -> list[Finding]:
    """Everything wrong with ``mapping`` for ``culture``, MUSTs and SHOULDs, in the mapping's order."""
    if isinstance(culture, str):
        culture = resolve_culture(reference, culture, mapping.source)
    findings = list(_required(mapping))
    for fm in mapping.fields.values():
        findings.extend(_check_field(fm, reference, culture))
    return findings


def _finding(code: str, fm_field: str, value: str | None, message: str) -> Finding:
    return Finding(code, RULES[code][0], fm_field, value, message)


def _required(mapping: Mapping) -> Iterator[Finding]:
    if mapping.birth_date is None:
        yield _finding(
            "MAP-NO-BIRTH-DATE", "birth_date", None, "No birth date is mapped: add birth_date: <your birth date field>."
        )
    if mapping.postal_code is None:
        yield _finding(
            "MAP-NO-POSTAL-CODE", "postal_code", None, "No postal code is mapped: add postal_code: <your postal field>."
        )
    if not any(fm.question == qid.GENDER or qid.GENDER in fm.questions for fm in mapping.fields.values()):
        yield _finding(
            "MAP-NO-GENDER",
            "gender",
            None,
            f"No field maps gender: map your gender field to question {qid.GENDER} "
            f"({qid.FEMALE} Female, {qid.MALE} Male).",
        )


def _check_field(fm: FieldMap, reference: ReferenceData, culture: Culture) -> Iterator[Finding]:
    if fm.keyed:
        for question_id in fm.questions:
            yield from _question_problem(fm, question_id, reference, culture)
        return
    assert fm.question is not None  # a field that is not a keyed passthrough has one (``_validate``)
    found = list(_question_problem(fm, fm.question, reference, culture))
    if found:
        yield from found
        return
    q = reference.question(culture.culture_id, fm.question)
    assert q is not None
    if fm.multi and q.answer_type == "SingleSelect":
        yield _finding(
            "MAP-MULTI-INTO-SINGLE",
            fm.field,
            None,
            f"Field {fm.field} holds several values but QuestionID {q.question_id} ({q.internal_name}) is "
            "single-select: send one AnswerID (pick one value) or map a multi-select question.",
        )
    if fm.passthrough:
        return
    for value, answer_id in fm.values.items():
        if answer_id is not None:
            yield from _answer_problems(fm, value, answer_id, q, reference, culture)
    yield from _same_answer(fm, q)
    yield from _reversed(fm, q)


def _question_problem(fm: FieldMap, question_id: int, reference: ReferenceData, culture: Culture) -> Iterator[Finding]:
    """Unknown, computed or open-ended: what makes a question wrong to map at all."""
    if question_id == qid.AGE:
        yield _finding(
            "MAP-COMPUTED-QUESTION",
            fm.field,
            None,
            f"QuestionID {qid.AGE} (age) is computed from the birth date: drop it and map birth_date instead.",
        )
        return
    q = reference.question(culture.culture_id, question_id)
    if q is None:
        yield _finding(
            "MAP-UNKNOWN-QUESTION",
            fm.field,
            None,
            f"QuestionID {question_id} is not a question of culture {culture.name}: use a QuestionID from "
            f"QuestionsAndAnswersData for {culture.name}.",
        )
    elif q.computed:
        yield _finding(
            "MAP-COMPUTED-QUESTION",
            fm.field,
            None,
            f"QuestionID {question_id} ({q.internal_name}) is computed by Toluna from the postal code and birth "
            "date: drop it from the mapping.",
        )
    elif q.answer_type == "OpenEnded" and (fm.values or fm.passthrough):
        fix = (
            "map it as postal_code: <field> instead"
            if question_id == qid.POSTAL_CODE
            else "send the member's text as AnswerValue"
        )
        yield _finding(
            "MAP-OPEN-ENDED",
            fm.field,
            None,
            f"QuestionID {question_id} ({q.internal_name}) is open-ended and field {fm.field} gives it fixed "
            f"AnswerIDs: {fix}.",
        )


def _answer_problems(
    fm: FieldMap, value: str, answer_id: int, q: Question, reference: ReferenceData, culture: Culture
) -> Iterator[Finding]:
    answer = q.answer(answer_id)
    if answer is None:
        others = [o for o in reference.questions.get(culture.culture_id, {}).values() if o.answer(answer_id)]
        if others:
            other = others[0]
            meaning = next(a.translation for a in other.answers if a.answer_id == answer_id)
            yield _finding(
                "MAP-WRONG-QUESTION",
                fm.field,
                value,
                f"{fm.field} '{value}' maps to AnswerID {answer_id} ({meaning}), an answer of QuestionID "
                f"{other.question_id} ({other.internal_name}), not of {q.question_id} ({q.internal_name}): use one "
                f"of {q.question_id}'s answers.",
            )
        else:
            yield _finding(
                "MAP-UNKNOWN-ANSWER",
                fm.field,
                value,
                f"{fm.field} '{value}' maps to AnswerID {answer_id}, which no question of {culture.name} has: use one "
                f"of QuestionID {q.question_id} ({q.internal_name})'s answers.",
            )
        return
    said, meant = category(fm.words(value)), category(answer.translation)
    if said and meant and said != meant and KIND[said] == KIND[meant]:
        better = next((a for a in q.answers if category(a.translation) == said), None)
        fix = f"map it to {better.answer_id} ({better.translation})" if better else "map it to the answer it means"
        yield _finding(
            "MAP-LABEL-CONTRADICTS",
            fm.field,
            value,
            f"{fm.field} {fm.said(value)} maps to AnswerID {answer_id}, whose translation is "
            f"'{answer.translation}': {fix}.",
        )


def _same_answer(fm: FieldMap, q: Question) -> Iterator[Finding]:
    by_answer: dict[int, list[str]] = {}
    for value, answer_id in fm.values.items():
        if answer_id is not None:
            by_answer.setdefault(answer_id, []).append(value)
    for answer_id, values in by_answer.items():
        if len(values) < 2:
            continue
        words = {normalise(fm.words(v)) for v in values}
        kinds = {category(fm.words(v)) for v in values}
        if len(words) > 1 and (len(kinds) > 1 or None in kinds):
            answer = q.answer(answer_id)
            named = ", ".join(fm.said(v) for v in values)
            yield _finding(
                "MAP-SAME-ANSWER",
                fm.field,
                values[0],
                f"{fm.field} values {named} all map to AnswerID {answer_id}"
                f"{f' ({answer.translation})' if answer else ''}: map each to the answer it means so Toluna can "
                "tell them apart.",
            )


def _reversed(fm: FieldMap, q: Question) -> Iterator[Finding]:
    pairs = []
    for value, answer_id in fm.values.items():
        answer = q.answer(answer_id) if answer_id is not None else None
        ours, theirs = amount(fm.words(value)), amount(answer.translation) if answer else None
        if ours is not None and theirs is not None:
            pairs.append((ours, theirs, value))
    if len(pairs) < 2 or len({p[0] for p in pairs}) < len(pairs) or len({p[1] for p in pairs}) < len(pairs):
        return
    pairs.sort()
    if all(a[1] > b[1] for a, b in pairwise(pairs)):
        yield _finding(
            "MAP-REVERSED-SCALE",
            fm.field,
            None,
            f"{fm.field}'s values go up ({', '.join(repr(p[2]) for p in pairs)}) while their answers of QuestionID "
            f"{q.question_id} ({q.internal_name}) go down: the scale is reversed, map the lowest value to the lowest "
            "answer.",
        )


# --- the small normalised comparison -----------------------------------------------------------------------------
WORDS: dict[str, frozenset[str]] = {
    "male": frozenset(
        {"m", "male", "males", "man", "men", "boy", "masculine", "masculin", "masculino", "homme", "hommes"}
        | {"hombre", "mann", "mannlich", "maschio", "uomo"}
    ),
    "female": frozenset(
        {"f", "female", "females", "woman", "women", "girl", "feminine", "feminin", "femenino", "femme", "femmes"}
        | {"mujer", "frau", "weiblich", "femmina", "donna"}
    ),
    "yes": frozenset({"yes", "y", "true", "oui", "si", "ja"}),
    "no": frozenset({"no", "n", "false", "non", "nein"}),
}
#: Categories that contradict each other when they differ.
KIND = {"male": "gender", "female": "gender", "yes": "yes/no", "no": "yes/no"}


def normalise(text: str) -> str:
    """Lower case, without accents or punctuation, single spaces: ``"Homme!"`` and ``"homme"`` compare equal."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.casefold()).split())


def category(text: str) -> str | None:
    """``male``, ``female``, ``yes`` or ``no`` when the whole text or its first word says so, else None."""
    words = normalise(text)
    for candidate in (words, words.split(" ", 1)[0]):
        for name, known in WORDS.items():
            if candidate in known:
                return name
    return None


_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*([km])?(?![a-z])")
_BELOW = re.compile(r"^\s*(?:<|under\b|less than\b|below\b|up to\b|fewer than\b)")


def amount(text: str) -> float | None:
    """Where a value sits on an ordered scale: the lower bound of ``25-50k`` (25000), just below the bound of
    ``<25k`` or ``Less than $10,000``; None for text without a number."""
    plain = str(text).casefold().replace(",", "")
    found = _AMOUNT.findall(plain)
    if not found:
        return None
    scale = {"k": 1e3, "m": 1e6, "": 1.0}
    shared = next((scale[s] for _, s in found if s), 1.0)  # "25-50k": the k of 50 applies to 25
    number, suffix = found[0]
    value = float(number) * (scale[suffix] if suffix else shared)
    return value - 0.5 if _BELOW.match(plain) else value
