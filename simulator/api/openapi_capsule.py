"""``/openapi.json``: the control API's repro capsules (``/_sandbox/capsule``)."""

from __future__ import annotations

from typing import Any

from .openapi_control import BASE, _op
from .openapi_parts import JSON, json_answer

_CAPSULE = {
    "type": "object",
    "description": "format, capsule_version, sandbox_version, schema_version, exported_at, clock, scenario "
    "(name, source, digest, seeds, text), state (the store's tables, facts and clock), tape (journal entries)",
    "required": ["format", "capsule_version", "state"],
}
_OPENED = {
    "type": "object",
    "properties": {
        "Scenario": {"type": ["string", "null"]},
        "ExportedAt": {"type": ["string", "null"]},
        "SandboxTime": {"type": ["string", "null"]},
        "Clock": {"type": "string"},
        "Members": {"type": "integer"},
        "Invites": {"type": "integer"},
        "TapeEntries": {"type": "integer"},
        "Versions": {"type": "object"},
    },
}


def paths() -> dict[str, Any]:
    body = {
        "required": True,
        "content": {JSON: {"schema": _CAPSULE}, "application/zip": {"schema": {"type": "string"}}},
    }
    return {
        f"{BASE}/capsule": {
            "get": _op(
                "get",
                "ExportCapsule",
                "The sandbox as it is now, in one document: state, clock, scenario, journal tape, versions.",
                json_answer("The capsule", _CAPSULE),
            ),
            "post": _op(
                "post",
                "OpenCapsule",
                "Replace the whole state with a capsule's (a capsule file or its JSON document as the body).",
                json_answer("What was opened", _OPENED),
                body=body,
            ),
        }
    }
