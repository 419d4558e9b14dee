"""``/openapi.json``: the control API's workspaces (``/_sandbox/workspaces``), and what the ``/w/{workspace}``
prefix means for every other route."""

from __future__ import annotations

from typing import Any

from .openapi_control import BASE, MISSING, _op
from .openapi_parts import json_answer, json_body, message, path

#: What ``info.description`` says of workspaces.
PREFIX_TEXT = (
    " Every route is also served under /w/{workspace} (e.g. /w/acme/IPExternalSamplingService/...): a workspace is "
    "a complete, isolated sandbox with its own scenario, clock, counters, members, journal, outbox and fault rules; "
    "partners change only their base URL. The unprefixed routes are the default workspace. A workspace's control "
    "API (/w/{workspace}/_sandbox/...) and console always ask for that workspace's own admin token in "
    "X-Sandbox-Token, loopback clients included."
)

_LISTED = {
    "Name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,39}$"},
    "CreatedAt": {"type": "string", "format": "date-time"},
    "BaseURL": {"type": "string", "description": "The base URL partners use: the sandbox's, then /w/{Name}"},
}
_CREATE_PROPERTIES = {
    "Name": {**_LISTED["Name"], "description": "1-40 of a-z, 0-9 and '-', starting with a letter or digit"},
    "Scenario": {
        "type": ["string", "object"],
        "description": "A scenario file's text (YAML or JSON) or its JSON document; default: the default "
        "workspace's scenario",
    },
    "AdminToken": {"type": "string", "minLength": 1, "description": "Default: a new token, answered once"},
}
_CREATED = {
    "type": "object",
    "properties": {**_LISTED, "AdminToken": {"type": "string"}, "Scenario": {"type": ["string", "null"]}},
}
_LIST = {
    "type": "object",
    "properties": {"Workspaces": {"type": "array", "items": {"type": "object", "properties": _LISTED}}},
}
_RESET = {"type": "object", "properties": {"Name": {"type": "string"}, "Scenario": {"type": "object"}}}
_NAME = [path("name", _LISTED["Name"])]
_ELSEWHERE = message("No such workspace, or called on a workspace (workspaces are managed on the default one)")


def paths() -> dict[str, Any]:
    create = _op(
        "post",
        "CreateWorkspace",
        "A new workspace served under /w/{Name}, with its scenario and admin token (the token is answered once)",
        json_answer("The workspace", _CREATED),
        status="201",
        more={"404": _ELSEWHERE},
        body=json_body({"type": "object", "required": ["Name"], "properties": _CREATE_PROPERTIES}),
    )
    create["responses"]["409"] = message("The name is taken (or the same Idempotency-Key is still being carried out)")
    return {
        f"{BASE}/workspaces": {
            "get": _op(
                "get",
                "ListWorkspaces",
                "Every workspace",
                json_answer("The workspaces", _LIST),
                more={"404": _ELSEWHERE},
            ),
            "post": create,
        },
        f"{BASE}/workspaces/{{name}}/reset": {
            "post": _op(
                "post",
                "ResetWorkspace",
                "Reload the workspace's scenario from scratch and clear its journal; no other workspace changes",
                json_answer("The scenario reloaded", _RESET),
                params=_NAME,
                more={"404": MISSING},
            )
        },
        f"{BASE}/workspaces/{{name}}": {
            "delete": _op(
                "delete",
                "DeleteWorkspace",
                "Remove the workspace and its whole state; it stops answering in every server process",
                json_answer("Deleted", {"type": "object", "properties": {"Deleted": {"type": "string"}}}),
                params=_NAME,
                more={"404": MISSING},
            )
        },
    }
