"""What a scenario's values must be beyond their JSON types: Toluna's ids fit a 32-bit integer, counts and amounts
are not negative, integers are written as integers (not ``2.0`` nor YAML's ``yes``), numbers are finite, URLs are
http(s) with a host, dates exist, ranges run forwards, and standard encryption has the key it needs.

The ranges are laid over ``scenario.json`` (and the ``toluna.json`` survey shape it uses) by field name, so every
place a field appears gets them; the rest are checks on the document that each return every problem found."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, validators
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from simulator.domain import questions as qid
from simulator.domain.errors import Problem
from simulator.domain.sampling import parse_age_range
from simulator.schemas import load

from .errors import json_path
from .limits import INT32_MAX

ID = {"minimum": 1, "maximum": INT32_MAX}
ID_OR_ZERO = {"minimum": 0, "maximum": INT32_MAX}  # WaveID 0 in an exclusion means every wave
COUNT = {"minimum": 0, "maximum": INT32_MAX}
POSITIVE = {"minimum": 1, "maximum": INT32_MAX}
AMOUNT = {"minimum": 0}
PERCENT = {"minimum": 0, "maximum": 100}
SHARE = {"minimum": 0, "maximum": 1}
AGE = {"minimum": 0, "maximum": 120}

#: field name -> the range its numbers (or its list's numbers) must fall in, wherever the field appears
RANGES: dict[str, dict[str, int]] = {
    **dict.fromkeys(
        ("SurveyID", "QuotaID", "LayerID", "SubQuotaID", "QuestionID", "AnswerIDs", "CurrencyID", "country_id"), ID
    ),
    **dict.fromkeys(("survey", "quota", "hold_quota", "foreign_quota", "close_survey", "xml_quota", "stale_quota"), ID),
    **dict.fromkeys(("WaveID", "wave", "StudyTypeID", "excluded_study_types"), ID_OR_ZERO),
    **dict.fromkeys(
        ("CompletesRequired", "EstimatedCompletesRemaining", "CurrentCompletes", "MaxTargetCompletes"), COUNT
    ),
    **dict.fromkeys(("daily_complete_limit", "daily_start_limit", "weekly_complete_limit", "start"), COUNT),
    **dict.fromkeys(("external_allocation", "partner_allocation", "starts_threshold"), COUNT),
    **dict.fromkeys(("verification_score", "min_verification_score"), COUNT),
    **dict.fromkeys(("LOI", "max_loi", "invite_loi"), POSITIVE),
    **dict.fromkeys(("IR", "invite_ir"), PERCENT),
    **dict.fromkeys(("Amount", "partner_cost", "cost_limit", "female", "male"), AMOUNT),
    **dict.fromkeys(("missing_birth_date", "missing_postal_code"), SHARE),
    **dict.fromkeys(("min", "max"), AGE),
    "width": {"minimum": 1, "maximum": 40},
    "count": {"maximum": INT32_MAX},
}
_DIGIT_KEYS = re.compile(r"^\^\[0-9\]\+")
_NUMERIC = ("integer", "number")
Found = Iterator[tuple[tuple[Any, ...], str, str]]
_URL_FIELDS = ("reconciliation_url",)
_KEY_CHARS = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")
KEY_LENGTH = (8, 256)


def _narrow(schema: dict[str, Any], rng: dict[str, int]) -> None:
    """Tighten ``schema``'s bounds to ``rng`` (keeping a bound that is tighter already), in its items too."""
    for part in (schema, schema.get("items")):
        if isinstance(part, dict) and part.get("type") in _NUMERIC:
            if "minimum" in rng:
                part["minimum"] = max(part.get("minimum", rng["minimum"]), rng["minimum"])
            if "maximum" in rng:
                part["maximum"] = min(part.get("maximum", rng["maximum"]), rng["maximum"])


def _ids_in(schema: Any) -> None:
    """An answer given by id (a number or a list of them, as in ``answers: {QuestionID: AnswerID}``)."""
    if isinstance(schema, dict):
        _narrow(schema, ID)
        for option in schema.get("oneOf", ()):
            _ids_in(option)


def _overlay(schema: Any) -> None:
    if isinstance(schema, list):
        for item in schema:
            _overlay(item)
        return
    if not isinstance(schema, dict):
        return
    for name, sub in (schema.get("properties") or {}).items():
        if name in RANGES and isinstance(sub, dict):
            _narrow(sub, RANGES[name])
    names = schema.get("propertyNames")
    if isinstance(names, dict) and _DIGIT_KEYS.match(str(names.get("pattern", ""))):
        names["format"] = "toluna-id"
        if isinstance(schema.get("additionalProperties"), dict) and "oneOf" in schema["additionalProperties"]:
            _ids_in(schema["additionalProperties"])
    for value in schema.values():
        _overlay(value)


def _is_int(_checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_FORMATS = FormatChecker()


@_FORMATS.checks("toluna-id")
def _toluna_id(value: object) -> bool:
    return not isinstance(value, str) or all(int(part) <= INT32_MAX for part in value.split("/") if part.isdigit())


_Strict = validators.extend(
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_int)
)


@cache
def _registry() -> Registry:
    scenario, toluna = copy.deepcopy(load("scenario")), copy.deepcopy(load("toluna"))
    answers = scenario["properties"]["populations"]["items"]["properties"]["answers"]["additionalProperties"]
    answers["propertyNames"] = {"pattern": "^[0-9]+$"}  # answer id -> weight
    for schema in (scenario, toluna):
        schema.pop("$schema", None)  # a ``$schema`` would switch a ``$ref`` back to the lax validator class
        _overlay(schema)
    return Registry().with_resources(
        [("scenario.json", DRAFT202012.create_resource(scenario)), ("toluna.json", DRAFT202012.create_resource(toluna))]
    )


@cache
def scenario_validator() -> Draft202012Validator:
    """``scenario.json`` with the ranges above laid over it, integers that are integers, and key ids in range."""
    return _Strict({"$ref": "scenario.json"}, registry=_registry(), format_checker=_FORMATS)


@cache
def surveys_validator() -> Draft202012Validator:
    """The same rules for a captured GetQuotas body's ``Surveys``."""
    schema = {"type": "array", "items": {"$ref": "toluna.json#/$defs/Survey"}}
    return _Strict(schema, registry=_registry(), format_checker=_FORMATS)


def _walk(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    todo = [(path, value)]
    while todo:
        where, item = todo.pop()
        yield where, item
        if isinstance(item, dict):
            todo.extend(((*where, k), v) for k, v in item.items())
        elif isinstance(item, list):
            todo.extend(((*where, i), v) for i, v in enumerate(item))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _problems(data: dict[str, Any], file: str, checks: tuple[Callable[[dict[str, Any]], Found], ...]) -> list[Problem]:
    return [Problem(file, json_path(where), problem, fix) for check in checks for where, problem, fix in check(data)]


def value_problems(data: dict[str, Any], file: str) -> list[Problem]:
    """Values nothing can be built from: numbers that are not finite, dates that do not exist, ranges that run
    backwards, weights that choose nothing."""
    return _problems(data, file, (_non_finite, _dates, _age_ranges, _weights))


def panel_problems(data: dict[str, Any], file: str) -> list[Problem]:
    """Panels whose URLs a partner could not be reached at, or whose standard encryption lacks what it needs."""
    return _problems(data, file, (_urls, _encryption))


def _non_finite(data: dict[str, Any]) -> Found:
    for where, value in _walk(data):
        if isinstance(value, float) and not math.isfinite(value):
            yield where, f"{value} is not a finite number", "write a number (.nan, .inf and NaN are refused)"


def url_problem(value: str) -> tuple[str, str] | None:
    """(problem, fix) when ``value`` is not an http(s) URL with a host; an empty value means 'not set'."""
    if not value:
        return None
    fix = "write an absolute URL such as https://partner.example/toluna/notify"
    if any(c.isspace() for c in value):
        return f"{value!r} holds a space", "encode spaces as %20"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError as exc:
        return f"{value!r} is not a URL ({exc})", fix
    if parts.scheme.lower() not in ("http", "https"):
        return f"{value!r} does not start with http:// or https://", fix
    if not parts.hostname:
        return f"{value!r} names no host", fix
    return None


def _urls(data: dict[str, Any]) -> Found:
    for i, panel in enumerate(_list(data.get("panels"))):
        panel = _dict(panel)
        fields = [(("settings", k), v) for k, v in _dict(panel.get("settings")).items() if k.endswith("URL")]
        fields += [((k,), panel.get(k)) for k in _URL_FIELDS]
        for where, value in fields:
            found = url_problem(value) if isinstance(value, str) else None
            if found:
                yield ("panels", i, *where), *found


def _encryption(data: dict[str, Any]) -> Found:
    low, high = KEY_LENGTH
    for i, panel in enumerate(_list(data.get("panels"))):
        panel = _dict(panel)
        algorithm, key = panel.get("encryption_algorithm"), panel.get("encryption_key")
        if not isinstance(algorithm, str | None) or not isinstance(key, str | None):
            continue  # the schema names it
        at = ("panels", i, "encryption_key")
        keyed = bool(algorithm and algorithm.startswith("HMAC-"))
        if keyed and not key:
            yield (
                at,
                f"{algorithm} needs a key",
                f"add encryption_key: the secret shared with the partner ({low} to {high} characters)",
            )
        elif key and not algorithm:
            yield (
                at,
                "a key without encryption_algorithm: encryption stays off",
                "add encryption_algorithm (e.g. HMAC-SHA256) or remove the key",
            )
        elif key and not keyed:
            yield at, f"{algorithm} takes no key", f"remove encryption_key, or use HMAC-{algorithm}"
        elif key and not (low <= len(key) <= high and _KEY_CHARS.match(key)):
            yield (
                at,
                f"the key is {len(key)} characters long or holds characters outside printable ASCII",
                (f"write {low} to {high} printable ASCII characters, without spaces at either end"),
            )


def _surveys(data: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    for i, inv in enumerate(_list(data.get("inventory"))):
        for j, survey in enumerate(_list(_dict(inv).get("surveys"))):
            if isinstance(survey, dict):
                yield ("inventory", i, "surveys", j), survey


def _dates(data: dict[str, Any]) -> Found:
    for where, survey in _surveys(data):
        value = survey.get("ScheduledCompletionDate")
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                yield (
                    (*where, "ScheduledCompletionDate"),
                    f"{value!r} is not a date and time that exists",
                    ("write YYYY-MM-DDTHH:MM:SS with a real day (e.g. 2027-03-31T23:59:59)"),
                )


def _age_ranges(data: dict[str, Any]) -> Found:
    for i, population in enumerate(_list(data.get("populations"))):
        age = _dict(_dict(population).get("age"))
        low, high = age.get("min"), age.get("max")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            yield ("populations", i, "age"), f"min {low} is above max {high}", "swap them"
    for where, survey in _surveys(data):
        for q, quota in enumerate(_list(survey.get("Quotas"))):
            for layer_index, layer in enumerate(_list(_dict(quota).get("Layers"))):
                for s, sub in enumerate(_list(_dict(layer).get("SubQuotas"))):
                    for t, target in enumerate(_list(_dict(sub).get("QuestionsAndAnswers"))):
                        target = _dict(target)
                        if target.get("QuestionID") != qid.AGE:
                            continue
                        for v, text in enumerate(_list(target.get("AnswerValues"))):
                            bounds = parse_age_range(text) if isinstance(text, str) else None
                            at = (*where, "Quotas", q, "Layers", layer_index, "SubQuotas", s)
                            at = (*at, "QuestionsAndAnswers", t, "AnswerValues", v)
                            if bounds is None:
                                yield at, f"{text!r} is not an age range", "write e.g. 18-34 or 65+"
                            elif bounds[0] > bounds[1]:
                                yield at, f"the age range {text!r} ends before it starts", "write the lower age first"


def _weights(data: dict[str, Any]) -> Found:
    for i, population in enumerate(_list(data.get("populations"))):
        for question, weights in _dict(_dict(population).get("answers")).items():
            values = list(_dict(weights).values())
            if all(isinstance(w, int | float) for w in values) and not any(w > 0 for w in values):
                yield (
                    ("populations", i, "answers", question),
                    "no answer has a weight above 0",
                    ("give at least one answer a weight above 0"),
                )
