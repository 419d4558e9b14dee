"""Turn JSON-Schema and YAML errors into messages that name the file, the path inside it and the fix."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from simulator.domain.errors import Problem, ScenarioError

from .limits import INT32_MAX


def json_path(parts: Iterable[object]) -> str:
    """``["members", 3, "birth_date"]`` -> ``members[3].birth_date``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _brief(value: object, limit: int = 80) -> str:
    """The offending value, cut short: a whole survey would drown the message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fix(e: ValidationError) -> tuple[str, str]:
    v = e.validator
    if v == "required":
        missing = str(e.message).split("'")[1] if "'" in e.message else e.message
        return f"'{missing}' is required here", f"add '{missing}'"
    if v == "additionalProperties":
        allowed = sorted((e.schema.get("properties") or {}).keys())
        extra = [k for k in e.instance if k not in allowed] if isinstance(e.instance, dict) else []
        key = extra[0] if extra else "?"
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"rename it to '{close[0]}'" if close else f"remove it (known keys: {', '.join(allowed)})"
        return f"unknown key '{key}'", hint
    if v == "type":
        problem = f"{_brief(e.instance)} is not of type {e.validator_value}"
        if isinstance(e.instance, bool) and e.validator_value in ("integer", "number"):
            return problem, "write a number (YAML reads yes, no, on and off as true or false)"
        if isinstance(e.instance, float) and e.validator_value == "integer":
            return problem, "write a whole number, without a decimal point or exponent"
        return problem, f"write a value of type {e.validator_value}"
    if v == "enum":
        return f"{_brief(e.instance)} is not allowed", "use one of " + ", ".join(repr(x) for x in e.validator_value)
    if v == "pattern":
        if "[0-9A-Fa-f]{8}" in str(e.validator_value):
            return f"{e.instance!r} is not a GUID", "write a GUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427"
        return f"{e.instance!r} does not match {e.validator_value}", f"match the pattern {e.validator_value}"
    if v == "oneOf" and isinstance(e.instance, dict) and "culture" in e.instance:
        return "an inventory entry needs exactly one source", "give either 'file' or 'surveys', not both or neither"
    if v == "format" and e.validator_value == "toluna-id":
        return (
            f"the id {e.instance} is beyond {INT32_MAX} (Toluna's ids are 32-bit)",
            f"use an id from 1 to {INT32_MAX}",
        )
    if v == "format":
        return f"{e.instance!r} is not a valid {e.validator_value}", "write a date as YYYY-MM-DD"
    if v == "maximum" and e.validator_value == INT32_MAX:
        return f"{e.instance} is beyond {INT32_MAX} (Toluna's ids and counts are 32-bit)", f"write at most {INT32_MAX}"
    if v == "minimum":
        return f"{_brief(e.instance)} is below the minimum of {e.validator_value}", f"write {e.validator_value} or more"
    if v == "maximum":
        return f"{_brief(e.instance)} is above the maximum of {e.validator_value}", f"write {e.validator_value} or less"
    if v in ("minItems", "maxItems", "minLength"):
        return e.message, f"respect {v} {e.validator_value}"
    return e.message, "see the scenario format in the README"


def _misspelled_key(errors: list[ValidationError]) -> ValidationError | None:
    """An unknown key that is a near spelling of a known one explains the 'required' error beside it."""
    for e in errors:
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            allowed = list((e.schema.get("properties") or {}).keys())
            if any(difflib.get_close_matches(k, allowed, n=1) for k in e.instance if k not in allowed):
                return e
    return None


def schema_error(file: str, errors: list[ValidationError]) -> ScenarioError:
    e = _misspelled_key(errors) or best_match(errors)
    assert e is not None
    problem, fix = _fix(e)
    if len(errors) > 1:
        problem += f" ({len(errors) - 1} other problem(s) found; they may go away with this one)"
    return ScenarioError(file, json_path(e.absolute_path), problem, fix)


def _explained(e: ValidationError) -> ValidationError:
    """A oneOf/anyOf failure is explained by its branches' errors: the branch whose type matched, else the best."""
    while (
        e.validator in ("oneOf", "anyOf")
        and e.context
        and not (isinstance(e.instance, dict) and "culture" in e.instance)
    ):
        typed = [c for c in e.context if c.validator != "type" and len(c.relative_schema_path) > 1]
        e = typed[0] if typed else best_match(e.context) or e
    return e


def schema_problems(file: str, errors: list[ValidationError]) -> list[Problem]:
    """One problem per mistake, in document order: a 'required' key left out is not listed when an unknown key
    beside it is its misspelling (the rename fixes both)."""
    renamed: set[tuple[str, str]] = set()
    for e in errors:
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            allowed = list((e.schema.get("properties") or {}).keys())
            for k in e.instance:
                close = difflib.get_close_matches(k, allowed, n=1) if k not in allowed else []
                renamed.update((json_path(e.absolute_path), c) for c in close)
    mistyped = {json_path(e.absolute_path) for e in errors if e.validator == "type"}
    out = []
    for e in errors:
        if e.validator != "type" and json_path(e.absolute_path) in mistyped and e.validator in ("minimum", "maximum"):
            continue  # a bound says nothing more of a value of the wrong type
        missing = e.message.split("'")[1] if e.validator == "required" and "'" in e.message else None
        if missing and (json_path(e.absolute_path), missing) in renamed:
            continue
        e = _explained(e)
        if isinstance(e.instance, float) and not math.isfinite(e.instance):
            continue  # a non-finite number is named by the document checks
        problem, fix = _fix(e)
        path = json_path(e.absolute_path)
        if "propertyNames" in e.schema_path:  # the key itself is at fault: name it
            path = f"{path}.{e.instance}" if path else str(e.instance)
        out.append(Problem(file, path, problem, fix))
    return out
