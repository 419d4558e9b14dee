"""Building blocks of ``/openapi.json``: references, parameters, bodies and the answers each route family gives."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
Operation = dict[str, Any]

JSON = "application/json"
HTML = "text/html"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def array_of(name: str) -> Schema:
    return {"type": "array", "items": ref(name)}


def json_answer(description: str, schema: Schema) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def html_answer(description: str) -> dict[str, Any]:
    return {"description": description, "content": {HTML: {"schema": {"type": "string"}}}}


def redirect(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
    }


def message(description: str) -> dict[str, Any]:
    return json_answer(description, ref("Message"))


def param(name: str, where: str, schema: Schema, required: bool = False, description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "in": where, "required": required or where == "path", "schema": schema}
    if description:
        out["description"] = description
    return out


def path(name: str, schema: Schema | None = None) -> dict[str, Any]:
    return param(name, "path", schema or {"type": "string"})


def query(name: str, schema: Schema | None = None, required: bool = False, description: str = "") -> dict[str, Any]:
    return param(name, "query", schema or {"type": "string"}, required, description)


INTEGER: Schema = {"type": "integer"}
GUID: Schema = {"type": "string", "format": "uuid"}
BOOLEAN_TEXT: Schema = {"type": "string", "enum": ["true", "false"]}


def json_body(schema: Schema, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": schema}}}


NOT_FOUND = message("No route matches the path (a path segment that does not fit), or the thing named does not exist")


def operation(
    operation_id: str,
    summary: str,
    tag: str,
    responses: dict[str, Any],
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    security: list[dict[str, list[str]]] | None = None,
) -> Operation:
    op: Operation = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = body
    responses = dict(responses)
    if any(p["in"] == "path" for p in parameters or ()):
        responses.setdefault("404", NOT_FOUND)
    if body is not None:  # a body the sandbox will not read: too big, nested too deeply, not UTF-8
        responses.setdefault("400", message("The body is malformed, nested too deeply or not UTF-8"))
        responses.setdefault("413", message("The body is larger than the sandbox accepts"))
    op["responses"] = dict(sorted(responses.items()))
    op["security"] = security if security is not None else []
    return op
