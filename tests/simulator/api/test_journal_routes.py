"""The journal's route names: one list (``JOURNAL_ROUTES``) that every view's name is in, which
``GET /_sandbox/journal?route=`` and ``toluna-sandbox journal --route`` check a name against."""

from __future__ import annotations

import ast
import re

import pytest
from flask.testing import FlaskClient

from simulator.api.journaling import JOURNAL_ROUTES
from simulator.cli import main
from tests.support import ES, KEY, PANEL, ROOT, Sandbox

API = ROOT / "simulator" / "api"
NAMING_CALLS = {"note", "es_request", "_partner"}  # the calls that give the journal a request's route
NAME = re.compile(r"[a-z]+(?:_[a-z]+)*")  # a route name (not a prefix such as "reference_", nor a method)


def names_in_views() -> set[str]:
    """Every route name written literally in a call that names the journal's route, in every module of the API."""
    found: set[str] = set()
    for path in API.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in NAMING_CALLS:
                for arg in node.args:
                    found |= {
                        c.value
                        for c in ast.walk(arg)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str) and NAME.fullmatch(c.value)
                    }
    return found


def reference_names(client: FlaskClient) -> set[str]:
    """Reference data routes are named after their views (``reference_`` + the endpoint)."""
    rules = client.application.url_map.iter_rules()
    return {"reference_" + r.endpoint.rsplit(".", 1)[-1] for r in rules if r.endpoint.startswith("reference_data.")}


def test_every_route_the_views_name_is_listed_and_nothing_else(client: FlaskClient) -> None:
    named = names_in_views() | reference_names(client)
    assert named - set(JOURNAL_ROUTES) == set(), "add these to JOURNAL_ROUTES in simulator/api/journaling.py"
    assert set(JOURNAL_ROUTES) - named == set(), "no view records these: drop them from JOURNAL_ROUTES"
    assert len(JOURNAL_ROUTES) == len(set(JOURNAL_ROUTES))


def test_recorded_routes_are_the_listed_names(client: FlaskClient) -> None:
    client.get(f"{ES}/{PANEL}/M-ANNA/Invite/4200001", headers={"API_AUTH_KEY": KEY})
    client.get(f"/IntegratedPanelService/api/Settings?partnerGUID={PANEL}", headers={"API_AUTH_KEY": KEY})
    client.get(f"/IntegratedPanelService/api/Surveys/?memberCode=M-ANNA&partnerGuid={PANEL}&numberOfSurveys=2")
    client.get("/IPUtilityService/ReferenceData/Cultures", headers={"PARTNER_AUTH_KEY": "wrong"})
    client.get(f"/IntegratedPanelService/api/Reports/Surveys/PanelCompletes?SamplePartnerGuid={PANEL}")
    routes = [e["route"] for e in client.get("/_sandbox/journal").get_json()["Entries"]]
    assert routes == ["invite", "settings", "get_surveys", "reference_cultures", "report_panel_completes"]
    for route in routes:
        entries = client.get(f"/_sandbox/journal?route={route}").get_json()["Entries"]
        assert [e["route"] for e in entries] == [route]


def test_an_unknown_route_is_refused_with_the_known_ones(client: FlaskClient) -> None:
    resp = client.get("/_sandbox/journal?route=invites_v2")
    assert resp.status_code == 400
    message = resp.get_json()["Message"]
    assert message.startswith("Unknown route 'invites_v2': the journal's routes are quotas, invite, invites,")
    assert all(name in message for name in JOURNAL_ROUTES)
    assert client.get("/_sandbox/journal?route=").status_code == 200  # empty: no filter, as before


def test_the_command_prints_the_known_routes(sandbox: Sandbox) -> None:
    with pytest.raises(SystemExit) as info:
        main(["journal", "--url", sandbox.base_url, "--route", "Invite"])
    text = str(info.value)
    assert text.startswith("toluna-sandbox: 400 Unknown route 'Invite': the journal's routes are quotas, invite,")
    assert "report_member_activity_details" in text
