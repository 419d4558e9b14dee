"""The control API refuses what it would otherwise ignore: a body key or a query parameter a route does not take
(400, naming it and listing what the route takes), a body on a route that takes none, an unknown route (404) or
method (405), each answer listing the routes that exist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from simulator.api import control_keys
from simulator.api.control_keys import ROUTES, Body, body_keys
from simulator.app import create_app
from simulator.scenario.model import Scenario
from simulator.store import open_store
from tests.support import ES, KEY, PANEL, PANEL_ES_OFF

#: One call per control route (method, path), by the route's endpoint.
CALLS: dict[str, tuple[str, str]] = {
    "show_scenario": ("GET", "/_sandbox/scenario"),
    "load_scenario": ("POST", "/_sandbox/scenario"),
    "reset": ("POST", "/_sandbox/reset"),
    "export_capsule": ("GET", "/_sandbox/capsule"),
    "open_capsule": ("POST", "/_sandbox/capsule"),
    "change_quota": ("PUT", "/_sandbox/quotas/4200001"),
    "change_survey": ("PUT", "/_sandbox/surveys/3100001"),
    "change_panel": ("PUT", f"/_sandbox/panels/{PANEL}"),
    "get_clock": ("GET", "/_sandbox/clock"),
    "set_clock": ("PUT", "/_sandbox/clock"),
    "advance_clock": ("POST", "/_sandbox/clock/advance"),
    "trigger": ("POST", "/_sandbox/events/quota-status"),
    "timeline": ("GET", "/_sandbox/timeline"),
    "run_timeline": ("POST", "/_sandbox/timeline/run"),
    "journal_count": ("GET", "/_sandbox/journal/count"),
    "journal": ("GET", "/_sandbox/journal"),
    "explain": ("GET", "/_sandbox/explain"),
    "add_participation": ("POST", "/_sandbox/participations"),
    "list_faults": ("GET", "/_sandbox/faults"),
    "add_fault": ("POST", "/_sandbox/faults"),
    "remove_fault": ("DELETE", "/_sandbox/faults/1"),
    "clear_faults": ("DELETE", "/_sandbox/faults"),
    "health": ("GET", "/_sandbox/health"),
    "show_member": ("GET", "/_sandbox/members/M-ANNA"),
    "change_member": ("PUT", "/_sandbox/members/M-ANNA"),
    "visits_of_link": ("GET", "/_sandbox/visits"),
    "outbox": ("GET", "/_sandbox/outbox"),
    "outbox_craft": ("POST", "/_sandbox/outbox"),
    "outbox_item": ("GET", "/_sandbox/outbox/1"),
    "outbox_resend": ("POST", "/_sandbox/outbox/1/resend"),
    "outbox_wait": ("POST", "/_sandbox/outbox/wait"),
    "import_reference": ("POST", "/_sandbox/reference"),
    "list_workspaces": ("GET", "/_sandbox/workspaces"),
    "create_workspace": ("POST", "/_sandbox/workspaces"),
    "reset_workspace": ("POST", "/_sandbox/workspaces/acme/reset"),
    "delete_workspace": ("DELETE", "/_sandbox/workspaces/acme"),
}
JSON_BODIES = [e for e, t in ROUTES.items() if isinstance(t.body, Body) and t.body.kind != control_keys.TEXT]
NO_BODY = [e for e, t in ROUTES.items() if t.body is None]


@pytest.fixture(scope="module")
def refusing(default_scenario: Scenario) -> Iterator[FlaskClient]:
    """One sandbox for the tests whose calls are all refused (each checks that nothing changed)."""
    store = open_store(":memory:")
    store.load(default_scenario)
    yield create_app(store).test_client()
    store.close()


def _state(client: FlaskClient) -> Any:
    """What a refused call must leave as it was: the inventory, the faults, the clock, the outbox."""
    return (
        client.get(f"{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY}).get_json()["Surveys"],
        client.get("/_sandbox/faults").get_json(),
        client.get("/_sandbox/clock").get_json()["Now"][:16],
        client.get("/_sandbox/outbox").get_json()["LastID"],
    )


def test_every_control_route_declares_what_it_takes(refusing: FlaskClient) -> None:
    app: Flask = refusing.application
    endpoints = {r.endpoint.partition(".")[2] for r in app.url_map.iter_rules() if r.endpoint.startswith("control.")}
    assert endpoints - {"unknown_route"} == set(ROUTES) == set(CALLS)


@pytest.mark.parametrize("endpoint", sorted(CALLS))
def test_an_unknown_query_parameter_is_refused(refusing: FlaskClient, endpoint: str) -> None:
    method, path = CALLS[endpoint]
    before = _state(refusing)
    resp = refusing.open(f"{path}?limt=5&zz_unknown=1", method=method)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["Unknown"] == ["limt", "zz_unknown"]
    assert body["Allowed"] == list(ROUTES[endpoint].query)
    assert body["Message"].startswith("query: unknown parameters 'limt', 'zz_unknown'. Fix: ")
    assert f"{method} {path} takes" in body["Message"]
    assert _state(refusing) == before


def test_a_near_miss_parameter_is_named_with_its_fix(refusing: FlaskClient) -> None:
    message = refusing.get("/_sandbox/journal?limt=5").get_json()["Message"]
    assert message == (
        "query: unknown parameter 'limt'. Fix: rename 'limt' to 'limit' "
        "(GET /_sandbox/journal takes route, member, quota, panel, since, until, after, limit)"
    )


@pytest.mark.parametrize("endpoint", JSON_BODIES)
def test_an_unknown_body_key_is_refused_before_anything_is_done(refusing: FlaskClient, endpoint: str) -> None:
    method, path = CALLS[endpoint]
    spec = ROUTES[endpoint].body
    assert isinstance(spec, Body)
    before = _state(refusing)
    resp = refusing.open(path, method=method, json={"zz_unknown": 1})
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["Unknown"] == ["zz_unknown"]
    assert resp.get_json()["Allowed"] == list(spec.keys or body_keys(spec.kind))
    assert _state(refusing) == before


@pytest.mark.parametrize("endpoint", NO_BODY)
def test_a_route_that_takes_no_body_refuses_one(refusing: FlaskClient, endpoint: str) -> None:
    method, path = CALLS[endpoint]
    before = _state(refusing)
    resp = refusing.open(path, method=method, json={"keep_journal": True})
    assert resp.status_code == 400
    assert resp.get_json()["Message"] == f"body: {method} {path} takes no body. Fix: send the request without one"
    assert _state(refusing) == before


def test_an_empty_object_is_no_body(refusing: FlaskClient) -> None:
    assert refusing.post("/_sandbox/timeline/run", json={}).get_json() == {"Fired": []}
    assert refusing.get("/_sandbox/health", data=b"  ").status_code == 200


def test_member_is_refused_on_faults_with_the_name_to_use(refusing: FlaskClient) -> None:
    """The scenario file says ``member``; the control API takes the names ``GET /_sandbox/faults`` lists."""
    before = refusing.get("/_sandbox/faults").get_json()["Faults"]
    resp = refusing.post("/_sandbox/faults", json={"route": "invite", "member": "M-ANNA", "result_code": 36})
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["Unknown"] == ["member"]
    assert body["Message"].startswith("body: unknown key 'member'. Fix: rename 'member' to 'member_code' (")
    assert body["Allowed"] == [
        "route",
        "panel_guid",
        "member_code",
        "quota_id",
        "result_code",
        "http_status",
        "latency_ms",
        "drop_connection",
        "times",
    ]
    for wrong, right in (("quota", "quota_id"), ("panel", "panel_guid")):
        message = refusing.post("/_sandbox/faults", json={wrong: 1, "http_status": 500}).get_json()["Message"]
        assert f"rename '{wrong}' to '{right}'" in message
    assert refusing.get("/_sandbox/faults").get_json()["Faults"] == before


def test_member_code_scopes_the_rule_to_that_member(client: FlaskClient) -> None:
    rule = {"route": "invite", "member_code": "M-ANNA", "result_code": 36}
    created = client.post("/_sandbox/faults", json=rule)
    assert created.status_code == 201
    assert created.get_json()["member_code"] == "M-ANNA"
    invite = f"{ES}/{PANEL}/{{}}/Invite/4200001"
    assert client.get(invite.format("M-ANNA"), headers={"API_AUTH_KEY": KEY}).get_json()["ResultCode"] == 36
    assert client.get(invite.format("M-BOB"), headers={"API_AUTH_KEY": KEY}).status_code == 200


def test_each_event_takes_only_the_keys_it_uses(client: FlaskClient) -> None:
    visit = {"member": "M-ANNA", "quota": 4200001}
    refused = client.post("/_sandbox/events/complete", json={**visit, "reason": "Terminated"})
    assert refused.status_code == 400
    assert refused.get_json()["Allowed"] == ["member", "quota", "panel"]
    terminated = client.post("/_sandbox/events/terminate", json={**visit, "reason": "Terminated"})
    assert terminated.status_code == 200, terminated.get_data(as_text=True)
    assert client.post("/_sandbox/events/prestart", json={**visit, "outcome": "x"}).status_code == 400


def test_a_member_change_takes_its_panel_from_the_query_too(client: FlaskClient) -> None:
    """``PUT /_sandbox/members/{code}?panel=`` names the panel, as the README writes it."""
    missing = client.put(f"/_sandbox/members/M-ANNA?panel={PANEL_ES_OFF}", json={"active": False})
    assert missing.status_code == 404 and PANEL_ES_OFF in missing.get_json()["Message"]
    changed = client.put(f"/_sandbox/members/M-ANNA?panel={PANEL}", json={"active": False})
    assert changed.status_code == 200 and changed.get_json()["IsActive"] is False
    both = client.put(f"/_sandbox/members/M-ANNA?panel={PANEL_ES_OFF}", json={"active": True, "panel": PANEL})
    assert both.status_code == 400
    assert client.get(f"/_sandbox/members/M-ANNA?panel={PANEL}").get_json()["IsActive"] is False


@pytest.mark.parametrize("path", ["/_sandbox", "/_sandbox/", "/_sandbox/anything-else", "/_sandbox/faults/abc"])
def test_an_unknown_control_route_is_404_listing_the_routes(refusing: FlaskClient, path: str) -> None:
    resp = refusing.post(path, json={"x": 1})
    assert resp.status_code == 404
    body = resp.get_json()
    assert body["Message"] == f"No control route POST {path}. Fix: use one of Routes."
    assert "POST /_sandbox/faults" in body["Routes"] and "PUT /_sandbox/quotas/{quota_id}" in body["Routes"]
    assert len(body["Routes"]) == len(CALLS)


def test_a_method_a_control_route_does_not_take_is_405_with_allow(refusing: FlaskClient) -> None:
    resp = refusing.put("/_sandbox/faults", json={})
    assert resp.status_code == 405
    assert resp.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, POST"
    assert resp.get_json()["Message"] == "/_sandbox/faults does not take PUT. Fix: use DELETE, GET, POST."
    assert len(resp.get_json()["Routes"]) == len(CALLS)
    assert refusing.patch("/_sandbox/quotas/4200001").status_code == 405


def test_an_unknown_route_stays_behind_the_guard(refusing: FlaskClient) -> None:
    """A client the control API refuses learns nothing of its routes."""
    resp = refusing.get("/_sandbox/anything-else", environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert resp.status_code == 403 and "Routes" not in resp.get_json()
