"""``/openapi.json`` documents every route the sandbox serves, and is a valid OpenAPI 3.1 document."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
import schemathesis
from jsonschema import Draft202012Validator
from schemathesis.specs.openapi.definitions import OPENAPI_31

from simulator.api import control_keys
from simulator.api.openapi import document
from simulator.app import create_app
from tests.support import Sandbox

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def _template(route: str) -> str:
    """A route with its variables blanked: Flask's ``<seg:name>`` and OpenAPI's ``{name}`` alike."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", route)


def _served() -> set[tuple[str, str]]:
    rules = create_app().url_map.iter_rules()
    return {(_template(r.rule), m) for r in rules for m in r.methods or () if m in METHODS}


def _documented() -> set[tuple[str, str]]:
    return {(_template(p), m.upper()) for p, item in document()["paths"].items() for m in item}


def test_every_served_route_and_method_is_documented() -> None:
    missing = sorted(_served() - _documented())
    assert not missing, f"routes served but not in /openapi.json: {missing}"


def test_every_documented_operation_is_served() -> None:
    extra = sorted(_documented() - _served())
    assert not extra, f"operations in /openapi.json that no route serves: {extra}"


def test_the_document_is_valid_openapi_3_1() -> None:
    doc = document()
    errors = sorted(Draft202012Validator(OPENAPI_31).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    schema = schemathesis.openapi.from_dict(doc)
    schema.validate()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(_documented())


def test_every_reference_resolves() -> None:
    doc = document()
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc)))
    names = doc["components"]["schemas"]
    assert "#/components/schemas/GetQuotasResponse" in refs
    unresolved = [r for r in refs if not r.startswith("#/components/schemas/") or r.rsplit("/", 1)[1] not in names]
    assert not unresolved


@pytest.mark.parametrize("operation_id", ["GetQuotas", "AddMember", "GetCultures", "SurveyEntry", "Health"])
def test_operations_name_their_security(operation_id: str) -> None:
    ops = {op["operationId"]: op for item in document()["paths"].values() for op in item.values()}
    schemes = document()["components"]["securitySchemes"]
    for requirement in ops[operation_id]["security"]:
        assert set(requirement) <= set(schemes)


def test_the_server_serves_the_document(sandbox: Sandbox) -> None:
    resp = requests.get(sandbox.base_url + "/openapi.json", timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.json() == document()


def _control_operations() -> list[tuple[str, dict[str, Any]]]:
    """(endpoint, documented operation) of every control route but the catch-all."""
    docs = {_template(p): item for p, item in document()["paths"].items()}
    out = []
    for rule in create_app().url_map.iter_rules():
        if rule.endpoint.startswith("control.") and rule.endpoint != "control.unknown_route":
            for method in (rule.methods or set()) & set(METHODS):
                out.append((rule.endpoint, docs[_template(rule.rule)][method.lower()]))
    return out


def test_control_operations_document_the_query_parameters_the_routes_take() -> None:
    for endpoint, op in _control_operations():
        documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        assert documented == set(control_keys.takes(endpoint).query), endpoint


def test_control_operations_document_the_body_keys_the_routes_take() -> None:
    checked = 0
    for endpoint, op in _control_operations():
        spec = control_keys.takes(endpoint).body
        if not isinstance(spec, control_keys.Body) or spec.kind == control_keys.TEXT:
            continue
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        if "$ref" in schema:
            schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        assert list(schema["properties"]) == list(control_keys.body_keys(spec.kind)), endpoint
        checked += 1
    assert checked >= 8
