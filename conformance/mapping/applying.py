"""What a partner's record becomes under its mapping: the member registration Toluna is sent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from .model import FieldMap, Mapping


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
