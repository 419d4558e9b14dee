"""GetQuotas answered in front of Flask gives the partner and the journal exactly what the blueprint gives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from simulator.app import create_app
from simulator.domain.clock import ClockSetting
from simulator.scenario.model import Scenario
from simulator.store import open_store
from tests.support import ES, KEY, PANEL

VARYING = ("id", "wall_at", "duration_ms")


def app_on(scenario: Scenario, fast: bool) -> tuple[Flask, list[str]]:
    """An app on its own store at a frozen instant, and the list of blueprint calls it made."""
    store = open_store(":memory:")
    store.load(scenario)
    store.meta.set_clock(ClockSetting(frozen_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)))
    app = create_app(store, {"FAST_QUOTAS": fast})
    calls: list[str] = []
    for endpoint in ("es.get_quotas", "es_legacy.get_quotas"):  # the documented and the older route form
        app.view_functions[endpoint] = _counted(app.view_functions[endpoint], calls)
    return app, calls


def _counted(view: Any, calls: list[str]) -> Any:
    def counted(**kw: Any) -> Any:
        calls.append(kw["panel_guid"])
        return view(**kw)

    return counted


@pytest.mark.parametrize(
    "path",
    [
        f"{ES}/{PANEL}/Quotas",
        f"{ES}/{PANEL}/Quotas?includeRoutables=false",
        f"{ES}/{PANEL}/Quotas?includeRoutables:TRUE",
        f"/externalsample/{PANEL.upper()}/quotas/",
    ],
)
def test_the_fast_path_answers_as_the_blueprint_does(default_scenario: Scenario, path: str) -> None:
    fast, fast_calls = app_on(default_scenario, fast=True)
    slow, slow_calls = app_on(default_scenario, fast=False)
    answers = [a.test_client().get(path, headers={"API_AUTH_KEY": KEY}) for a in (fast, slow)]
    assert fast_calls == [] and len(slow_calls) == 1  # each path really was taken
    assert answers[0].status_code == answers[1].status_code == 200
    assert answers[0].data == answers[1].data
    assert {k: v for k, v in answers[0].headers.items()} == {k: v for k, v in answers[1].headers.items()}
    entries = [
        {k: v for k, v in e.to_dict().items() if k not in VARYING}
        for a in (fast, slow)
        for e in a.extensions["toluna_sandbox"].journal.query()
    ]
    assert len(entries) == 2 and entries[0] == entries[1]


@pytest.mark.parametrize(
    ("path", "key", "status"),
    [
        (f"{ES}/{PANEL}/Quotas", "wrong-key", 403),
        (f"{ES}/00000000-0000-0000-0000-000000000000/Quotas", KEY, 400),
        (f"{ES}/{PANEL}/Quotas?includeRoutables=maybe", KEY, 400),
        (f"{ES}/b4e1d7a2-6c3f-4a9b-8e2d-1f5c7a9b3d64/Quotas", KEY, 400),
    ],
)
def test_refusals_go_on_to_the_blueprint(default_scenario: Scenario, path: str, key: str, status: int) -> None:
    app, calls = app_on(default_scenario, fast=True)
    assert app.test_client().get(path, headers={"API_AUTH_KEY": key}).status_code == status
    assert len(calls) == 1


def test_a_fault_rule_on_the_route_goes_on_to_the_blueprint(default_scenario: Scenario) -> None:
    app, calls = app_on(default_scenario, fast=True)
    client = app.test_client()
    client.post("/_sandbox/faults", json={"route": "quotas", "http_status": 500, "times": 1})
    assert client.get(f"{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY}).status_code == 500
    assert client.get(f"{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY}).status_code == 200
    assert len(calls) == 1  # the rule's one shot went through the blueprint; then the fast path again
