"""What every control route does with its request: query parameters and body keys checked against the route's
(``control_keys``), a JSON body's values against its schema, ids bound as whole numbers."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import request
from jsonschema import Draft202012Validator

from simulator.domain.binding import whole_number
from simulator.domain.errors import BadRequestError
from simulator.scenario.errors import schema_error
from simulator.schemas import validator

from .. import control_keys
from ..limits import json_body

#: The ids and numbers the store looks up are SQLite integers: a path id beyond them is a 404, a query one a 400.
MAX_ROW = 2**63 - 1
ROW_ID = f"int(max={MAX_ROW})"

#: How much of a refused value a 400 quotes back.
MESSAGE_QUOTE = 300

#: The endpoint that answers paths no control route has (it checks nothing).
UNKNOWN_ENDPOINT = "control.unknown_route"


def route() -> str:
    """The call as a refusal names it (``PUT /_sandbox/quotas/4200001``)."""
    return f"{request.method} {request.path}"


def strict_request() -> None:
    """Query parameters and a body a route does not take are refused before anything is done (``body`` checks
    the keys of a JSON body)."""
    endpoint = request.endpoint or ""
    if endpoint == UNKNOWN_ENDPOINT:
        return
    control_keys.check_query(endpoint, request.args, route())
    control_keys.check_no_body(endpoint, lambda: request.get_data(cache=True), route())


def whole(text: str) -> int:
    """A whole number from 0 to ``MAX_ROW`` in ASCII digits, or a ``ValueError`` (``"²"``, ``"1_000"`` and ``"1e30"``
    included)."""
    value = whole_number(text)
    if value is None or not 0 <= value <= MAX_ROW:
        raise ValueError(text)
    return value


def body() -> dict[str, Any]:
    """The JSON body, its keys checked against the route's in ``control_keys`` and its values against the route's
    schema: a bad one is a 400 that says what to fix (and quotes at most the start of a value it refuses)."""
    doc = json_body()
    if not isinstance(doc, dict):
        raise BadRequestError("Send a JSON object.")
    spec = control_keys.body_of(request.endpoint or "", request.view_args)
    control_keys.check_body_keys(spec, doc, route())
    schema = _schema(spec.kind) if spec else None
    if schema is not None:
        errors = list(schema.iter_errors(doc))
        if errors:
            e = schema_error("request body", errors)
            problem = e.problem if len(e.problem) <= MESSAGE_QUOTE else e.problem[:MESSAGE_QUOTE] + "…"
            raise BadRequestError(f"{e.path or 'body'}: {problem}. Fix: {e.fix}")
    return doc


def _schema(kind: str) -> Draft202012Validator | None:
    """What judges the values of a body of this kind (a fault rule judges its own)."""
    if kind == control_keys.PANEL:
        return _panel_change_validator()
    return None if kind in (control_keys.FAULT, control_keys.TEXT) else validator("control", kind)


@cache
def _panel_change_validator() -> Draft202012Validator:
    """The scenario file's panel fields, less the identity ones: one definition for both."""
    return Draft202012Validator(control_keys.panel_change_schema())
