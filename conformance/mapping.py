"""A partner's attribute mapping: its own fields and values, and the Toluna QuestionIDs and AnswerIDs it sends for
them; what is wrong with it against Toluna's reference data; and the registration it implies for a member.

Why it exists: a partner that maps its "male" to Toluna's AnswerID for Female passes every other check (the ids
exist, the body is valid), and its members are then sampled into the wrong quotas. Only the partner's own mapping,
read against the answers' translations, tells the mistake apart.

YAML form::

    culture: EN-US            # optional; the command's --culture wins
    birth_date: dob           # the partner field holding the birth date (ISO or MM/DD/YYYY)
    postal_code: zip          # the partner field holding the postal code
    fields:
      gender:                 # the partner's field
        question: 1001007
        values: {m: 2000247, f: 2000246}      # partner value -> AnswerID (null: send no answer)
        labels: {m: Male, f: Female}          # optional: what the partner means by each value, in its words
        multi: false                          # optional: the field holds several values (a list)
      employment_id:          # the field already holds the AnswerID (a list with multi: true)
        question: 1012395
        passthrough: true
      answers:                # the field already holds Toluna ids: {QuestionID: [AnswerID, ...]}
        passthrough: true
        questions: [1001107, 1001101]         # optional: the questions it carries (others are not mapped)

Keys of ``values`` and ``labels`` are read as the text the partner wrote (``01`` stays ``01``, ``yes`` stays
``yes``); ``yes``/``no``/``on``/``off`` elsewhere are words, not booleans.

CSV form (a header, then one row per partner value; rows whose field starts with ``#`` are comments)::

    field,value,question,answer,label,multi
    culture,EN-US,,,,
    birth_date,dob,,,,
    postal_code,zip,,,,
    gender,m,1001007,2000247,Male,
    gender,f,1001007,2000246,Female,
    hobbies,fishing,1012227,3055275,,yes
    income,undisclosed,1001107,-,,
    employment_id,*,1012395,*,,
    answers,{QuestionID},1001107,*,,

``culture``, ``birth_date`` and ``postal_code`` rows name the culture and the partner's fields in ``value``; an
``answer`` of ``-`` sends no answer for that value; a ``value`` of ``*`` is a field already holding AnswerIDs of the
row's question, and ``{QuestionID}`` a field holding ``{QuestionID: [AnswerID, ...]}`` (one row per question it
carries); ``label`` and ``multi`` (yes/true/1 on any row of the field) are optional columns.

Findings (``check_mapping``), each with a code, MUST or SHOULD, the field and value, and the fix:
``MAP-NO-BIRTH-DATE``, ``MAP-NO-POSTAL-CODE``, ``MAP-NO-GENDER`` (Toluna cannot place a member without them),
``MAP-UNKNOWN-QUESTION``, ``MAP-COMPUTED-QUESTION`` (region, DMA, MSA and age are Toluna's to compute),
``MAP-WRONG-QUESTION`` (the AnswerID belongs to another question), ``MAP-UNKNOWN-ANSWER``, ``MAP-MULTI-INTO-SINGLE``,
``MAP-LABEL-CONTRADICTS`` and ``MAP-REVERSED-SCALE`` (all MUST); ``MAP-SAME-ANSWER`` and ``MAP-OPEN-ENDED`` (SHOULD).

The label comparison is deliberately small: the partner's words (its label, else its value) and the answer's
translation are normalised (case, accents, punctuation) and put in a category when their whole text or first word is
a known gender word (male, m, man, homme, hombre, mann, ... / female, f, woman, femme, mujer, frau, ...) or a yes/no
word (yes, y, oui, si, ja / no, n, non, nein); two categories of the same kind that differ contradict. A scale is
reversed when at least two of a question's values carry an amount (``<25k``, ``25-50k``, ``100k+``, ``$10,000 -
$14,999``: the lower bound, just below it for "less than"/"<") on both sides and the partner's ascending amounts map
to strictly descending translations. Values that are codes rather than amounts should carry labels.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from simulator.domain import questions as qid
from simulator.domain.reference import Culture, Question, ReferenceData

from .model import Severity

TOP_KEYS = ("culture", "birth_date", "postal_code", "fields")
FIELD_KEYS = ("question", "values", "labels", "multi", "passthrough", "questions")
CSV_COLUMNS = ("field", "value", "question", "answer", "label", "multi")
CSV_REQUIRED = ("field", "value", "question", "answer")
#: CSV ``value`` of a field already holding AnswerIDs of the row's question / a {QuestionID: AnswerIDs} table.
CSV_PASSTHROUGH, CSV_KEYED = "*", "{QuestionID}"
CSV_NO_ANSWER = "-"
DEFAULT_CULTURE = "EN-US"

#: Every finding code: (severity, title, the rule it enforces); the ``mapping`` command reports one check each.
RULES: dict[str, tuple[Severity, str, str]] = {
    "MAP-NO-BIRTH-DATE": (
        Severity.MUST,
        "The birth date is mapped",
        "Toluna needs every member's BirthDate (MM/DD/YYYY); age (1001538) is computed from it.",
    ),
    "MAP-NO-POSTAL-CODE": (
        Severity.MUST,
        "The postal code is mapped",
        "Toluna needs every member's PostalCode; region, DMA and MSA are computed from it.",
    ),
    "MAP-NO-GENDER": (
        Severity.MUST,
        "Gender is mapped",
        "Toluna needs every member's gender (1001007) to place it in a survey.",
    ),
    "MAP-UNKNOWN-QUESTION": (
        Severity.MUST,
        "Mapped questions exist in the culture",
        "Every QuestionID comes from the culture's reference data.",
    ),
    "MAP-COMPUTED-QUESTION": (
        Severity.MUST,
        "No computed question is mapped",
        "Computed questions (age, region, DMA, MSA, ...) come from the birth date and postal code: never written.",
    ),
    "MAP-WRONG-QUESTION": (
        Severity.MUST,
        "Answers belong to their question",
        "Every AnswerID is an answer of the question it is sent for, not of another one.",
    ),
    "MAP-UNKNOWN-ANSWER": (
        Severity.MUST,
        "Mapped answers exist",
        "Every AnswerID is one of the question's answers in the culture's reference data.",
    ),
    "MAP-MULTI-INTO-SINGLE": (
        Severity.MUST,
        "Single-select questions get one value",
        "A single-select question takes one AnswerID: it cannot be fed from a field holding several values.",
    ),
    "MAP-LABEL-CONTRADICTS": (
        Severity.MUST,
        "Answers mean what the partner's values mean",
        "The AnswerID's translation says the same as the partner's value (its male is Toluna's Male).",
    ),
    "MAP-REVERSED-SCALE": (
        Severity.MUST,
        "Ordered scales keep their order",
        "A partner's ordered values (income, age, counts) map to Toluna's answers in the same order, not reversed.",
    ),
    "MAP-SAME-ANSWER": (
        Severity.SHOULD,
        "Different values map to different answers",
        "Partner values that mean different things map to different AnswerIDs, so Toluna can tell them apart.",
    ),
    "MAP-OPEN-ENDED": (
        Severity.SHOULD,
        "Open-ended questions get the member's text",
        "An open-ended question takes the member's text in AnswerValue, not a fixed AnswerID per partner value.",
    ),
}


class MappingError(ValueError):
    """A mapping file that cannot be read: the message names the file, the place inside it and the fix."""


def _error(source: str, place: str, problem: str, fix: str) -> MappingError:
    return MappingError(f"{source}: {place}: {problem}. Fix: {fix}")


@dataclass(slots=True)
class FieldMap:
    """One partner field and the Toluna answers its values become."""

    field: str
    question: int | None = None
    values: dict[str, int | None] = field(default_factory=dict)  # partner value -> AnswerID (None: no answer)
    labels: dict[str, str] = field(default_factory=dict)  # partner value -> what the partner means by it
    multi: bool = False
    passthrough: bool = False  # the field already holds AnswerIDs (of ``question``, or keyed by QuestionID)
    questions: tuple[int, ...] = ()  # a keyed passthrough: the questions it carries (empty: all it holds)

    @property
    def keyed(self) -> bool:
        """A field holding ``{QuestionID: [AnswerID, ...]}`` rather than values of one question."""
        return self.passthrough and self.question is None

    def words(self, value: str) -> str:
        """What the partner means by ``value``: its label, else the value itself."""
        return self.labels.get(value) or value

    def said(self, value: str) -> str:
        """A value as a finding quotes it: ``'m' (Male)`` when labelled, ``'m'`` otherwise."""
        return f"'{value}' ({self.labels[value]})" if self.labels.get(value) else f"'{value}'"

    def size(self) -> int:
        """How many things this field maps (values, or passthrough questions): what a check judges."""
        if self.keyed:
            return max(len(self.questions), 1)
        return 1 if self.passthrough else len(self.values)


@dataclass(slots=True)
class Mapping:
    """A partner's whole mapping: where its birth dates and postal codes are, and each field it maps."""

    fields: dict[str, FieldMap] = field(default_factory=dict)
    birth_date: str | None = None
    postal_code: str | None = None
    culture: str | None = None
    source: str = "mapping"

    def size(self) -> int:
        """How many values (and passthrough questions) the mapping maps."""
        return sum(fm.size() for fm in self.fields.values())

    def fields_of(self, question: int) -> list[str]:
        """The partner fields that give answers to ``question`` (a keyed passthrough without a list may)."""
        return [
            name
            for name, fm in self.fields.items()
            if fm.question == question or (fm.keyed and (question in fm.questions or not fm.questions))
        ]


@dataclass(slots=True, frozen=True)
class Finding:
    """Something wrong with a mapping: a short code, MUST or SHOULD, where (field, value) and one sentence with
    the fix."""

    code: str
    severity: Severity
    field: str
    value: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


# --- reading a mapping -------------------------------------------------------------------------------------------
def load_mapping(path: str | Path) -> Mapping:
    """The mapping in ``path``: CSV when it ends in ``.csv``, YAML otherwise; ``MappingError`` when it cannot be
    read or is malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise _error(
            str(path), "the file", f"cannot be read ({why})", "give the path of a YAML or CSV mapping"
        ) from None
    if path.suffix.lower() == ".csv":
        return parse_csv(text, str(path))
    return parse_yaml(text, str(path))


class _Loader(yaml.SafeLoader):
    """Mapping keys as the partner wrote them (``01``, ``yes``, ``1.0``), and only true/false as booleans."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else self.construct_object(key_node, deep)
            out[key] = self.construct_object(value_node, deep=deep)
        return out


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def parse_yaml(text: str, source: str = "mapping") -> Mapping:
    """A mapping from its YAML text (``source`` names it in errors)."""
    try:
        doc = yaml.load(text, Loader=_Loader)  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}" if mark is not None else "the file"
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise _error(source, place, f"not valid YAML ({problem})", "correct the YAML syntax there") from None
    if not isinstance(doc, dict):
        raise _error(source, "the top level", "is not a mapping", f"write the keys {', '.join(TOP_KEYS)}")
    unknown = sorted(set(doc) - set(TOP_KEYS))
    if unknown:
        raise _error(source, unknown[0], "is not a mapping key", f"use {', '.join(TOP_KEYS)} (fields go under fields)")
    fields = doc.get("fields")
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        raise _error(source, "fields", "is not a mapping", "write one key per partner field under fields")
    return Mapping(
        fields={str(name): _yaml_field(str(name), spec, source) for name, spec in fields.items()},
        birth_date=_name(doc.get("birth_date"), source, "birth_date"),
        postal_code=_name(doc.get("postal_code"), source, "postal_code"),
        culture=_name(doc.get("culture"), source, "culture"),
        source=source,
    )


def _name(value: Any, source: str, place: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise _error(source, place, f"'{value}' is not a name", f"write the partner field's name after {place}:")
    return str(value).strip()


def _yaml_field(name: str, spec: Any, source: str) -> FieldMap:
    place = f"fields.{name}"
    if not isinstance(spec, dict):
        raise _error(source, place, "is not a mapping", "give it a question and values (or passthrough: true)")
    unknown = sorted(set(spec) - set(FIELD_KEYS))
    if unknown:
        raise _error(source, f"{place}.{unknown[0]}", "is not a field key", f"use {', '.join(FIELD_KEYS)}")
    question = None if spec.get("question") is None else _id(spec["question"], source, f"{place}.question")
    values, labels = spec.get("values") or {}, spec.get("labels") or {}
    for key in ("values", "labels"):
        if not isinstance(spec.get(key) or {}, dict):
            raise _error(source, f"{place}.{key}", "is not a mapping", f"write {key} as {{partner value: ...}}")
    questions = spec.get("questions") or []
    if not isinstance(questions, list):
        raise _error(source, f"{place}.questions", "is not a list", "write questions: [QuestionID, ...]")
    fm = FieldMap(
        field=name,
        question=question,
        values={str(v): None if a is None else _id(a, source, f"{place}.values.{v}") for v, a in values.items()},
        labels={str(v): str(text) for v, text in labels.items()},
        multi=_flag(spec.get("multi"), source, f"{place}.multi"),
        passthrough=_flag(spec.get("passthrough"), source, f"{place}.passthrough"),
        questions=tuple(_id(q, source, f"{place}.questions[{i}]") for i, q in enumerate(questions)),
    )
    _validate(fm, source, place)
    return fm


def _validate(fm: FieldMap, source: str, place: str) -> None:
    """The shape rules both forms share: a question unless keyed, values unless passthrough, labels of values."""
    if fm.passthrough and fm.values:
        fix = "map its values to AnswerIDs, or mark it passthrough (CSV value *) when it holds AnswerIDs, not both"
        raise _error(source, place, "has both mapped values and passthrough", fix)
    if fm.questions and not fm.keyed:
        fix = "give it one question, or only the questions it is keyed by (questions: [...], CSV value {QuestionID})"
        raise _error(source, place, "mixes one question with a table keyed by QuestionID", fix)
    if not fm.passthrough and fm.question is None:
        raise _error(source, place, "names no question", "add question: <Toluna QuestionID>")
    if not fm.passthrough and not fm.values:
        raise _error(source, place, "maps no value", "add values: {partner value: AnswerID}, or passthrough: true")
    stray = sorted(set(fm.labels) - set(fm.values))
    if stray:
        raise _error(source, f"{place}.labels.{stray[0]}", "labels a value that is not mapped", "add it to values")


def _id(value: Any, source: str, place: str) -> int:
    if isinstance(value, bool) or not re.fullmatch(r"\s*\d+\s*", str(value)):
        raise _error(source, place, f"'{value}' is not a Toluna id", "write the QuestionID or AnswerID as a number")
    return int(value)


def _flag(value: Any, source: str, place: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "y"):
        return True
    if text in ("", "no", "false", "0", "n"):
        return False
    raise _error(source, place, f"'{value}' is not true or false", "write true or false")


def parse_csv(text: str, source: str = "mapping") -> Mapping:
    """A mapping from its CSV text (``source`` names it in errors): see the module's documentation."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise _error(source, "line 1", f"the header lacks {', '.join(missing)}", f"start with {','.join(CSV_COLUMNS)}")
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown:
        raise _error(source, "line 1", f"'{unknown[0]}' is not a column", f"use the columns {','.join(CSV_COLUMNS)}")
    reader.fieldnames = header
    mapping = Mapping(source=source)
    seen: dict[str, int] = {}  # field -> line of its first row
    for raw in reader:
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()) or row["field"].startswith("#"):
            continue
        _csv_row(mapping, row, source, reader.line_num, seen)
    for name, fm in mapping.fields.items():
        _validate(fm, source, f"line {seen[name]} (field {name})")
    return mapping


def _csv_row(mapping: Mapping, row: dict[str, str], source: str, line: int, seen: dict[str, int]) -> None:
    place, name, value = f"line {line}", row["field"], row["value"]
    if name in ("culture", "birth_date", "postal_code"):
        if not value or row["question"] or row["answer"]:
            fix = f"write {name},<{'culture' if name == 'culture' else 'partner field'}> and leave the rest empty"
            raise _error(source, place, f"the {name} row is malformed", fix)
        setattr(mapping, name, value)
        return
    if not name or not value:
        raise _error(source, place, "the field or value is empty", "fill both (value * for a passthrough field)")
    question = _id(row["question"], source, f"{place}, column question")
    fm = mapping.fields.setdefault(name, FieldMap(field=name))
    seen.setdefault(name, line)
    fm.multi = fm.multi or _flag(row.get("multi"), source, f"{place}, column multi")
    if value == CSV_KEYED:
        fm.passthrough, fm.questions = True, (*fm.questions, question)
        return
    if fm.question is not None and fm.question != question:
        fix = f"map every value of field {name} to one question (or use value {CSV_KEYED})"
        raise _error(source, place, f"field {name} maps to {question} here but to {fm.question} above", fix)
    fm.question = question
    if value == CSV_PASSTHROUGH:
        fm.passthrough = True
        return
    if value in fm.values:
        raise _error(source, place, f"value '{value}' of field {name} is mapped twice", "keep one row per value")
    answer = row["answer"]
    if not answer:
        raise _error(source, f"{place}, column answer", "is empty", f"write the AnswerID, or {CSV_NO_ANSWER} for none")
    fm.values[value] = None if answer == CSV_NO_ANSWER else _id(answer, source, f"{place}, column answer")
    if row.get("label"):
        fm.labels[value] = row["label"]


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


# --- what a record becomes ---------------------------------------------------------------------------------------
def apply_mapping(mapping: Mapping, record: dict[str, Any]) -> dict[str, Any]:
    """The Toluna registration fields a partner record (its own terms) should produce: ``BirthDate``
    (MM/DD/YYYY), ``PostalCode``, ``answers`` {QuestionID: {AnswerID, ...}}, and ``unmapped`` [(field, value)] for
    record values the mapping does not cover (so a check can say the mapping is incomplete rather than guess)."""
    out: dict[str, Any] = {
        "BirthDate": birth_date(record.get(mapping.birth_date)) if mapping.birth_date else None,
        "PostalCode": _text(record.get(mapping.postal_code)) if mapping.postal_code else None,
        "answers": {},
        "unmapped": [],
    }
    for fm in mapping.fields.values():
        raw = record.get(fm.field)
        if raw is None or raw == "" or raw == []:
            continue
        for question_id, answer_id in _answers_of(fm, raw, out["unmapped"]):
            out["answers"].setdefault(question_id, set()).add(answer_id)
    return out


def _answers_of(fm: FieldMap, raw: Any, unmapped: list[tuple[str, str]]) -> Iterator[tuple[int, int]]:
    if fm.keyed:
        if not isinstance(raw, dict):
            unmapped.append((fm.field, str(raw)))
            return
        for key, ids in raw.items():
            question = int(key) if str(key).strip().isdigit() else None
            if question is None or (fm.questions and question not in fm.questions):
                unmapped.append((f"{fm.field}.{key}", str(ids)))
                continue
            yield from _ids(fm.field, question, ids, unmapped)
        return
    assert fm.question is not None
    if fm.passthrough:
        yield from _ids(fm.field, fm.question, raw, unmapped)
        return
    for value in _listed(raw):
        key = _lookup(fm.values, value)
        answer_id = None if key is None else fm.values[key]
        if key is None:
            unmapped.append((fm.field, _text(value) or ""))
        elif answer_id is not None:
            yield fm.question, answer_id


def _ids(name: str, question: int, raw: Any, unmapped: list[tuple[str, str]]) -> Iterator[tuple[int, int]]:
    for value in _listed(raw):
        if isinstance(value, bool) or not str(value).strip().isdigit():
            unmapped.append((name, str(value)))
        else:
            yield question, int(value)


def _listed(raw: Any) -> Iterable[Any]:
    return raw if isinstance(raw, list | tuple | set | frozenset) else [raw]


def _lookup(values: dict[str, int | None], value: Any) -> str | None:
    """The mapping's key for a record value: as written, else ignoring case and surrounding spaces."""
    text = _text(value) or ""
    if text in values:
        return text
    folded = text.casefold()
    return next((k for k in values if k.strip().casefold() == folded), None)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def as_date(value: Any) -> date | None:
    """A birth date from a record or a body: a date, ISO ``YYYY-MM-DD[T...]`` or Toluna's ``M/D/YYYY``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    try:
        found = _US_DATE.fullmatch(text)
        if found:
            month, day, year = (int(g) for g in found.groups())
            return date(year, month, day)
        return date.fromisoformat(text[:10]) if re.match(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def birth_date(value: Any) -> str | None:
    """A record's birth date as Toluna's BirthDate (MM/DD/YYYY); text that is no date is kept as it is."""
    if value is None or value == "":
        return None
    parsed = as_date(value)
    return parsed.strftime("%m/%d/%Y") if parsed else str(value).strip()
