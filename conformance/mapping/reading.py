"""Reading a mapping file, YAML or CSV (the forms ``conformance.mapping`` describes), into a ``Mapping``."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import yaml

from .model import (
    CSV_COLUMNS,
    CSV_KEYED,
    CSV_NO_ANSWER,
    CSV_PASSTHROUGH,
    CSV_REQUIRED,
    FIELD_KEYS,
    TOP_KEYS,
    FieldMap,
    Mapping,
    _error,
)


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
