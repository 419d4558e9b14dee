"""Turn a captured GetQuotas body into a scenario file, so the sandbox serves exactly what Toluna served.

The surveys go into the scenario as they are, so GetQuotas answers with the captured body. A captured
inventory alone is of little use without members who can match its quotas, so ``members`` adds a population
whose answers are drawn from the answers the inventory targets, and whose postal codes start with the
prefixes its postal-code targets list.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from simulator.domain import questions as qid
from simulator.domain.errors import ScenarioError
from simulator.domain.sampling import parse_age_range
from simulator.schemas import validator

from .errors import schema_error
from .limits import Limits
from .source import parse_json, read_file

#: The ``file`` named by errors in the options rather than in the body.
OPTIONS = "import options"
#: Panels rarely hold members over 80, though age targets often run to 99.
OLDEST_MEMBER = 80
#: Problems quote the offending value; a whole survey would drown the message.
_PROBLEM_CHARS = 300


def read_body(path: str | Path) -> Any:
    """The JSON in ``path``; a missing or malformed file is a ``ScenarioError`` that says where and what."""
    path = Path(path)
    limits = Limits.from_env()
    return parse_json(read_file(path, limits), str(path), limits)


def scenario_from_body(
    body: dict[str, Any],
    *,
    panel_guid: str,
    api_key: str,
    culture: str = "EN-US",
    members: int = 0,
    seed: int = 0,
    name: str | None = None,
    source: str = "GetQuotas body",
) -> dict[str, Any]:
    """A scenario document (the mapping ``loader`` reads) serving ``body`` to one panel, with ``members``
    generated members when it is positive. ``source`` names the body in error messages."""
    check_body(body, source)
    surveys = body["Surveys"]
    doc: dict[str, Any] = {}
    if name:
        doc["name"] = name
    doc["description"] = f"Imported from {source}: {len(surveys)} surveys, {count_quotas(surveys)} quotas."
    doc["panels"] = [
        {
            "guid": panel_guid,
            "name": name or f"{culture} panel",
            "culture": culture,
            "country_id": body["CountryID"],
            "api_key": api_key,
        }
    ]
    if members:  # a negative count reaches the schema check, which names the option
        doc["populations"] = [population_for(surveys, members, seed)]
    _check_options(doc)
    doc["inventory"] = [{"culture": culture, "surveys": surveys}]
    return doc


def check_body(body: Any, source: str) -> None:
    """Raise a ``ScenarioError`` naming ``source`` and the path inside it unless ``body`` is a GetQuotas body."""
    fix = "save the whole response body of GET /IPExternalSamplingService/ExternalSample/{PanelGUID}/Quotas"
    if not isinstance(body, dict):
        raise ScenarioError(source, "", f"the file holds a JSON {type(body).__name__}, not a GetQuotas body", fix)
    errors = list(validator("toluna", "GetQuotasResponse").iter_errors(body))
    if errors:
        inner = schema_error(source, errors)
        raise ScenarioError(source, inner.path, f"not a GetQuotas body: {_short(inner.problem)}", inner.fix)


def _check_options(doc: dict[str, Any]) -> None:
    """The options end up in the scenario's panel and population; check them with the scenario schema (before
    the inventory joins the document, which ``check_body`` has checked) and name the option at fault."""
    errors = list(validator("scenario").iter_errors(doc))
    if errors:
        inner = schema_error(OPTIONS, errors)
        key = inner.path.rsplit(".", 1)[-1]
        option = {"guid": "panel_guid", "count": "members"}.get(key, key)
        raise ScenarioError(OPTIONS, option, _short(inner.problem), inner.fix)


def _short(text: str) -> str:
    return text if len(text) <= _PROBLEM_CHARS else text[: _PROBLEM_CHARS - 3] + "..."


def count_quotas(surveys: list[dict[str, Any]]) -> int:
    """Quotas in a GetQuotas survey list (for summaries)."""
    return sum(len(s["Quotas"]) for s in surveys)


# --- the population -------------------------------------------------------------------------------------------
def population_for(surveys: list[dict[str, Any]], count: int, seed: int) -> dict[str, Any]:
    """A ``populations`` entry of ``count`` members whose profiles are drawn from what ``surveys`` target:
    gender in the proportions the quotas ask for, ages across the targeted span, answers weighted by how many
    targets name them, postal codes under the targeted prefixes."""
    targets = list(iter_targets(surveys))
    population: dict[str, Any] = {"count": count, "seed": seed, "code_prefix": "M"}
    age = age_span(targets)
    if age is not None:
        population["age"] = {"min": age[0], "max": age[1]}
    gender = answer_weights(targets, qid.GENDER)
    if gender:
        population["gender"] = {
            "female": gender.get(str(qid.FEMALE), 0) / sum(gender.values()),
            "male": gender.get(str(qid.MALE), 0) / sum(gender.values()),
        }
    answers = {
        str(question): weights
        for question in _answered_questions(targets)
        if (weights := answer_weights(targets, question))
    }
    if answers:
        population["answers"] = answers
    prefixes = postal_prefixes(targets)
    if prefixes:
        population["postal_codes"] = prefixes
    return population


def iter_targets(surveys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every ``QuestionsAndAnswers`` entry of every subquota, in body order."""
    for survey in surveys:
        for quota in survey["Quotas"]:
            for layer in quota["Layers"]:
                for subquota in layer["SubQuotas"]:
                    yield from subquota["QuestionsAndAnswers"]


def _answered_questions(targets: list[dict[str, Any]]) -> list[int]:
    """Questions a member answers with an id: not age and postal code (from the profile) nor gender (its own
    key in a population)."""
    skip = qid.DERIVED | {qid.GENDER}
    return list(dict.fromkeys(t["QuestionID"] for t in targets if t["QuestionID"] not in skip))


def answer_weights(targets: list[dict[str, Any]], question: int) -> dict[str, int]:
    """AnswerID -> how many targets on ``question`` name it, in AnswerIDs or as ids written in AnswerValues
    (Toluna targets ids computed from the postal code that way)."""
    counts: Counter[int] = Counter()
    for t in targets:
        if t["QuestionID"] == question:
            counts.update(t["AnswerIDs"])
            counts.update(_ids_in_values(t["AnswerValues"]))
    return {str(answer): n for answer, n in counts.items()}


def _ids_in_values(values: list[str]) -> Iterator[int]:
    for value in values:
        for token in value.split(","):
            if token.strip().isdigit():
                yield int(token)


def age_span(targets: list[dict[str, Any]]) -> tuple[int, int] | None:
    """Youngest and oldest ages the age targets reach (ranges and brackets), the oldest capped at
    ``OLDEST_MEMBER`` unless a target starts above it; None without age targets."""
    bounds = []
    for t in targets:
        if t["QuestionID"] == qid.AGE:
            bounds += [qid.AGE_BRACKETS[a] for a in t["AnswerIDs"] if a in qid.AGE_BRACKETS]
            bounds += [b for v in t["AnswerValues"] if (b := parse_age_range(v)) is not None]
    if not bounds:
        return None
    lows, highs = [low for low, _ in bounds], [high for _, high in bounds]
    youngest = max(13, min(lows))
    return youngest, max(min(max(highs), OLDEST_MEMBER), max(lows), youngest)


def postal_prefixes(targets: list[dict[str, Any]]) -> list[str]:
    """The distinct postal-code prefixes the postal-code targets list, in body order."""
    prefixes = (v.strip() for t in targets if t["QuestionID"] == qid.POSTAL_CODE for v in t["AnswerValues"])
    return list(dict.fromkeys(p for p in prefixes if p))


# --- writing --------------------------------------------------------------------------------------------------
_NUMBER_LIKE = re.compile(r"[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?")
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _ScenarioDumper(_BaseDumper):  # type: ignore[misc]
    """Scenario YAML: block mappings, flow lists of scalars (1,000 postal codes stay a few lines), numeric
    strings quoted (``"07001"`` stays a postal code in every YAML reader), no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(item, dict | list) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "'" if any(c.isdigit() for c in data) and _NUMBER_LIKE.fullmatch(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_ScenarioDumper.add_representer(list, _represent_list)
_ScenarioDumper.add_representer(str, _represent_str)


def write_scenario(doc: dict[str, Any], path: str | Path) -> None:
    """Write ``doc`` as YAML that ``loader.load_file`` reads back to the same mapping."""
    path = Path(path)
    try:
        with path.open("w", encoding="utf-8") as out:
            yaml.dump(doc, out, Dumper=_ScenarioDumper, sort_keys=False, allow_unicode=True, width=120)
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot write the file ({exc.strerror})", "check the directory") from exc
