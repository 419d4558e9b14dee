"""Control routes for workspaces (``/_sandbox/workspaces``): create, list, reset and delete the isolated sandboxes
served under ``/w/{name}``. They answer on the default sandbox only, with its admin token rule; a workspace's own
control API (``/w/{name}/_sandbox/...``) has no workspaces of its own."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request

from simulator.domain.errors import BadRequestError, NotFoundError
from simulator.services.workspaces import Workspaces
from simulator.store.workspaces import WorkspaceRecord

from .. import admin, control_keys
from ..context import base_url, bind
from ..errors import json_response
from ..limits import ConfinedDir, json_body
from .requests import route

#: The Flask setting that names the workspace an app serves (None: the default sandbox).
WORKSPACE = "WORKSPACE"


def _service(workspaces: Workspaces | None) -> Workspaces:
    if workspaces is not None:
        return workspaces
    name = current_app.config.get(WORKSPACE)
    if name:
        raise NotFoundError(
            f"Workspace '{name}' holds no workspaces. Fix: call /_sandbox/workspaces without the /w/{name} prefix, "
            "with the default sandbox's admin token"
        )
    raise NotFoundError(
        "This sandbox serves no workspaces (toluna-sandbox serve on a SQLite database does). "
        "Fix: start it with toluna-sandbox serve --db FILE"
    )


def workspace_url(name: str) -> str:
    """Where a workspace answers: the default sandbox's base URL followed by ``/w/{name}``."""
    return f"{base_url().rstrip('/')}/w/{name}"


def _listed(record: WorkspaceRecord) -> dict[str, Any]:
    return {"Name": record.name, "CreatedAt": record.created_at, "BaseURL": workspace_url(record.name)}


def list_workspaces(workspaces: Workspaces | None) -> Response:
    return json_response({"Workspaces": [_listed(r) for r in _service(workspaces).list()]})


def _text(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is None or isinstance(value, str):
        return value
    raise BadRequestError(f"{key}: {type(value).__name__} where a string is expected. Fix: send a JSON string")


def create_workspace(workspaces: Workspaces | None) -> Response:
    """Body: ``Name``, ``Scenario`` (a scenario file's text, YAML or JSON, or its JSON document; default: the
    default sandbox's scenario), ``AdminToken`` (default: a new one). The token is answered this once."""
    doc = json_body()
    if not isinstance(doc, dict):
        raise BadRequestError('Send a JSON object: {"Name": "acme"}, with Scenario and AdminToken if wanted.')
    control_keys.check_body_keys(control_keys.body_of(request.endpoint or "", request.view_args), doc, route())
    service = _service(workspaces)
    name = _text(doc, "Name")
    if name is None:
        raise BadRequestError('Name: missing. Fix: send {"Name": "acme"}')
    scenario = doc.get("Scenario")
    if isinstance(scenario, dict):
        scenario = json.dumps(scenario)
    elif scenario is not None and not isinstance(scenario, str):
        raise BadRequestError("Scenario: send the scenario file's text (a JSON string) or its JSON object")
    token = _text(doc, "AdminToken")
    token = admin.generate_token() if token is None else token
    posted = (scenario, f"<workspace {name} scenario>", ConfinedDir(".")) if scenario is not None else None
    record, scenario_name = service.create(name, token, posted)
    return json_response({**_listed(record), "AdminToken": token, "Scenario": scenario_name}, 201)


def reset_workspace(workspaces: Workspaces | None, name: str) -> Response:
    """Reload the workspace's scenario from scratch and clear its journal."""
    scenario = _service(workspaces).reset(name)
    return json_response({"Name": name, "Scenario": scenario.summary()})


def delete_workspace(workspaces: Workspaces | None, name: str) -> Response:
    _service(workspaces).delete(name)
    return json_response({"Deleted": name})


def register(bp: Blueprint, workspaces: Workspaces | None) -> None:
    bind(bp, "/workspaces", list_workspaces, workspaces)
    bind(bp, "/workspaces", create_workspace, workspaces, methods=["POST"])
    bind(bp, "/workspaces/<name>/reset", reset_workspace, workspaces, methods=["POST"])
    bind(bp, "/workspaces/<name>", delete_workspace, workspaces, methods=["DELETE"])
