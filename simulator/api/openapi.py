"""``/openapi.json``: an OpenAPI 3.1 document of every route the sandbox serves, built from the same JSON Schemas
the tests validate against. The paths live in ``openapi_es`` (External Sample, Settings), ``openapi_partner``
(member management, dashboard, reference data, reports), ``openapi_pages`` (the member's pages) and
``openapi_control`` (``/_sandbox``), ``openapi_workspaces`` (``/_sandbox/workspaces`` and the ``/w/{workspace}``
prefix)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import Blueprint, Response

from simulator import __version__
from simulator.schemas import load

from . import (
    openapi_capsule,
    openapi_console,
    openapi_control,
    openapi_es,
    openapi_pages,
    openapi_partner,
    openapi_workspaces,
)
from .errors import JSON_TYPE

#: The schema files whose ``$defs`` become ``components/schemas`` (names are unique across them).
SCHEMA_FILES = ("toluna", "partner", "control", "sandbox")

SECURITY_SCHEMES = {
    "ApiAuthKey": {"type": "apiKey", "in": "header", "name": "API_AUTH_KEY", "description": "External Sample"},
    "PartnerAuthKey": {"type": "apiKey", "in": "header", "name": "PARTNER_AUTH_KEY", "description": "Reference data"},
    "SandboxToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Sandbox-Token",
        "description": "The control API's admin token, for clients other than loopback ones",
    },
}


def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for name in SCHEMA_FILES:
        defs = load(name)["$defs"]
        clash = schemas.keys() & defs.keys()
        if clash:
            raise ValueError(f"{name}.json redefines {sorted(clash)}")
        schemas.update(defs)
    text = json.dumps(schemas).replace('"#/$defs/', '"#/components/schemas/')
    return json.loads(text)


def _paths() -> dict[str, Any]:
    out: dict[str, Any] = {}
    modules = (openapi_es, openapi_partner, openapi_pages, openapi_control, openapi_capsule, openapi_console)
    for module in (*modules, openapi_workspaces):
        for route, item in module.paths().items():
            if route in out:
                raise ValueError(f"{route} is documented twice")
            out[route] = item
    return out


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Toluna Integrated Panel sandbox",
            "version": __version__,
            "description": "Every route the sandbox serves, with the answers it really gives."
            + openapi_workspaces.PREFIX_TEXT,
        },
        "paths": _paths(),
        "components": {"schemas": _components(), "securitySchemes": SECURITY_SCHEMES},
    }


def openapi() -> Response:
    return Response(json.dumps(document()), 200, content_type=JSON_TYPE)


def blueprint() -> Blueprint:
    bp = Blueprint("openapi", __name__)
    bp.add_url_rule("/openapi.json", "openapi", openapi)
    return bp
