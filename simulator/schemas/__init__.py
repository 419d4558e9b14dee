"""The JSON Schemas: Toluna's wire shapes (``toluna.json``) and the scenario format (``scenario.json``).

Tests validate every response against them and ``/openapi.json`` is built from them, so one file per fact.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource


@cache
def load(name: str) -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8"))


@cache
def registry() -> Registry:
    return Registry().with_resources(
        (f"{n}.json", Resource.from_contents(load(n))) for n in ("toluna", "scenario", "control")
    )


def validator(name: str, definition: str | None = None) -> Draft202012Validator:
    """A validator for a whole schema file, or for one of its ``$defs``."""
    schema: dict[str, Any] = load(name)
    if definition is not None:
        schema = {"$ref": f"{name}.json#/$defs/{definition}"}
    return Draft202012Validator(schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)
