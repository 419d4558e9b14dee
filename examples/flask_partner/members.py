"""The panel's members in its own terms, and how they become Toluna registrations.

The panel keeps its own vocabulary (``sex`` M/F, income bands like ``45-50k``, education ``master``) and never
stores Toluna ids with a member: ``mapping.yaml`` is the one place that says which QuestionID and AnswerID each of its
values is, so a mapping mistake is fixed once for every member, and the same mapping gives the answers the panel
samples on. Side files carry what Toluna already knows (``history.csv``: surveys taken before) and profile changes
the panel will send later (``profile_updates.csv``).
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .timefmt import resolve_birth_date

log = logging.getLogger("flask_partner.members")

HERE = Path(__file__).resolve().parent
PANELISTS_CSV = HERE / "panelists.csv"
HISTORY_CSV = HERE / "history.csv"
UPDATES_CSV = HERE / "profile_updates.csv"
MAPPING_YAML = HERE / "mapping.yaml"

GENDER = 1001007
#: Toluna computes these from the birth date and postal code; writing one is refused, so no mapping may name them.
COMPUTED_QUESTIONS = frozenset({1001538, 1001033, 1001540, 1001568, 1001569})
#: The postal code travels in ``PostalCode``, never as an answer.
POSTAL_QUESTION = 1001042

#: The CSV columns, in the order the panel writes them (and answers them on the adapter).
COLUMNS = ("id", "dob", "sex", "zip", "income_band", "education", "employment", "status", "active", "known_to_toluna")
#: Toluna's participation status ids for the panel's history words.
OUTCOME_STATUS = {"started": 1, "terminated": 3, "complete": 9, "quota_full": 10}


class MappingFileError(ValueError):
    """A mapping the panel refuses to register members with (it would send Toluna something wrong)."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    """One panel field: the Toluna question it answers and the AnswerID of each of its values."""

    question: int
    values: dict[str, int]
    labels: dict[str, str] = field(default_factory=dict)

    def answer(self, value: str) -> int | None:
        """The AnswerID for a panel value (as written, else ignoring case and spaces), None when unmapped."""
        if value in self.values:
            return self.values[value]
        folded = value.strip().casefold()
        return next((a for v, a in self.values.items() if v.strip().casefold() == folded), None)


@dataclass(frozen=True, slots=True)
class Mapping:
    culture: str
    birth_date: str
    postal_code: str
    fields: dict[str, FieldRule]


def load_mapping(path: Path = MAPPING_YAML) -> Mapping:
    """The panel's mapping file; refuses computed questions, postal answers and non-numeric ids."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict) or not isinstance(doc.get("fields"), dict):
        raise MappingFileError(f"{path}: expected culture, birth_date, postal_code and fields")
    rules: dict[str, FieldRule] = {}
    for name, spec in doc["fields"].items():
        if not isinstance(spec, dict) or "question" not in spec or not isinstance(spec.get("values"), dict):
            raise MappingFileError(f"{path}: fields.{name} needs a question and values")
        question = int(spec["question"])
        if question in COMPUTED_QUESTIONS or question == POSTAL_QUESTION:
            raise MappingFileError(f"{path}: fields.{name} maps to {question}, which Toluna computes or takes apart")
        values = {str(k): int(v) for k, v in spec["values"].items() if v is not None}
        labels = {str(k): str(v) for k, v in (spec.get("labels") or {}).items()}
        rules[str(name)] = FieldRule(question, values, labels)
    if not any(rule.question == GENDER for rule in rules.values()):
        raise MappingFileError(f"{path}: no field maps to gender ({GENDER}); Toluna cannot place members without it")
    return Mapping(
        culture=str(doc.get("culture") or "EN-US"),
        birth_date=str(doc.get("birth_date") or "dob"),
        postal_code=str(doc.get("postal_code") or "zip"),
        fields=rules,
    )


@dataclass(slots=True)
class Panelist:
    """A member as the panel knows them (every value in the panel's own words; ``dob`` resolved to a date)."""

    id: str
    dob: date | None
    sex: str
    zip: str
    income_band: str = ""
    education: str = ""
    employment: str = ""
    status: str = "active"  # active | blocked | opted_out
    active: bool = True
    known_to_toluna: bool = False  # Toluna has this member already: the panel never registers it

    @property
    def invitable(self) -> bool:
        """Blocked, opted-out and inactive members are never sent to a survey."""
        return self.active and self.status == "active"

    def record(self) -> dict[str, str]:
        """The member's row in the panel's own terms (the CSV columns, the birth date as an ISO date)."""
        return {
            "id": self.id,
            "dob": self.dob.isoformat() if self.dob else "",
            "sex": self.sex,
            "zip": self.zip,
            "income_band": self.income_band,
            "education": self.education,
            "employment": self.employment,
            "status": self.status,
            "active": "yes" if self.active else "no",
            "known_to_toluna": "yes" if self.known_to_toluna else "no",
        }

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> Panelist:
        dob = str(row.get("dob") or "").strip()
        return cls(
            id=str(row["id"]).strip(),
            dob=date.fromisoformat(dob) if dob else None,
            sex=str(row.get("sex") or "").strip(),
            zip=str(row.get("zip") or "").strip(),
            income_band=str(row.get("income_band") or "").strip(),
            education=str(row.get("education") or "").strip(),
            employment=str(row.get("employment") or "").strip(),
            status=str(row.get("status") or "active").strip().lower(),
            active=_yes(row.get("active"), default=True),
            known_to_toluna=_yes(row.get("known_to_toluna"), default=False),
        )


def _yes(value: Any, default: bool) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if not text:
        return default
    return text in ("yes", "y", "true", "1")


def load_panelists(path: Path, today: date) -> list[Panelist]:
    """The panel's CSV; relative birth dates are fixed to real dates as of ``today`` (the day they are imported)."""
    out = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if not (row.get("id") or "").strip() or row["id"].startswith("#"):
                continue
            dob = (row.get("dob") or "").strip()
            row = {**row, "dob": resolve_birth_date(dob, today).isoformat() if dob else ""}
            out.append(Panelist.from_record(row))
    return out


def load_history(path: Path) -> list[tuple[str, int, int, int]]:
    """(member, SurveyID, WaveID, Toluna status id) from the panel's history file."""
    if not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            outcome = (row.get("outcome") or "").strip().lower()
            if outcome not in OUTCOME_STATUS:
                log.warning("history row %s: unknown outcome %r, skipped", row, outcome)
                continue
            out.append((row["id"].strip(), int(row["survey"]), int(row["wave"]), OUTCOME_STATUS[outcome]))
    return out


def load_updates(path: Path) -> list[tuple[str, str, str]]:
    """(member, field, new value) profile changes the panel sends to Toluna after registering the member."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            (row["id"].strip(), row["field"].strip(), (row.get("value") or "").strip())
            for row in csv.DictReader(handle)
            if (row.get("id") or "").strip()
        ]


def toluna_answers(member: Panelist, mapping: Mapping) -> dict[int, set[int]]:
    """{QuestionID: {AnswerID}} for the member's mapped values; values the mapping does not know are left out
    (sending a guess would place the member in quotas they do not belong to)."""
    record = member.record()
    answers: dict[int, set[int]] = {}
    for name, rule in mapping.fields.items():
        value = record.get(name, "")
        if not value:
            continue
        answer = rule.answer(value)
        if answer is None:
            log.warning("member %s: %s=%r is not in the mapping, not sent", member.id, name, value)
            continue
        answers.setdefault(rule.question, set()).add(answer)
    return answers


def registration_body(member: Panelist, mapping: Mapping, panel_guid: str) -> dict[str, Any]:
    """Member management v2's body: the same for adding (POST) and updating (PUT)."""
    record = member.record()
    birth = record.get(mapping.birth_date) or ""
    body: dict[str, Any] = {
        "PartnerGUID": panel_guid,
        "MemberCode": member.id,
        "BirthDate": date.fromisoformat(birth).strftime("%m/%d/%Y") if birth else None,
        "PostalCode": record.get(mapping.postal_code) or None,
        "IsActive": member.active,
        "IsTest": False,
        "RegistrationAnswers": [
            {"QuestionID": question, "Answers": [{"AnswerID": a} for a in sorted(ids)]}
            for question, ids in sorted(toluna_answers(member, mapping).items())
            if question not in COMPUTED_QUESTIONS
        ],
    }
    return {k: v for k, v in body.items() if v is not None}
