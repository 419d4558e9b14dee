"""Turn JSON-Schema and YAML errors into messages that name the file, the path inside it and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from simulator.domain.errors import ScenarioError


def read_file(path: Path) -> str:
    """A scenario or body file's text; an unreadable one is a ``ScenarioError`` naming it."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot read the file ({exc.strerror})", "check the path") from exc


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
        return f"{_brief(e.instance)} is not of type {e.validator_value}", f"write a value of type {e.validator_value}"
    if v == "enum":
        return f"{_brief(e.instance)} is not allowed", "use one of " + ", ".join(repr(x) for x in e.validator_value)
    if v == "pattern":
        if "[0-9A-Fa-f]{8}" in str(e.validator_value):
            return f"{e.instance!r} is not a GUID", "write a GUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427"
        return f"{e.instance!r} does not match {e.validator_value}", f"match the pattern {e.validator_value}"
    if v == "oneOf" and isinstance(e.instance, dict) and "culture" in e.instance:
        return "an inventory entry needs exactly one source", "give either 'file' or 'surveys', not both or neither"
    if v == "format":
        return f"{e.instance!r} is not a valid {e.validator_value}", "write a date as YYYY-MM-DD"
    if v in ("minimum", "maximum", "minItems", "maxItems", "minLength"):
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
