"""A mapping as read: its fields, the findings a check gives, and the rule behind every finding code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import Severity

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
