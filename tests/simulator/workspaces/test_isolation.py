"""A key or an admin token of workspace A never reads or changes workspace B, on every route the app serves: each
rule of the url map, its path variables filled with A's ids, called under ``/w/b`` with A's API key, partner key
and admin token, is refused (401/403; 404, or Toluna's 400 naming the partner, for what B does not hold),
answers nothing of B's, and leaves B's state as it was. A's own credentials work under ``/w/a``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from werkzeug.routing import Rule

from simulator.api.admin import HEADER
from simulator.workspaces import WorkspaceRouter
from tests.support import ES

from .conftest import KEY, MEMBER, PANEL, PARTNER_KEY, QUOTA, SURVEY, Wsgi, other_keys, scenario_text

B_PANEL, B_KEY, B_PARTNER_KEY = other_keys(PANEL), other_keys(KEY), other_keys(PARTNER_KEY)
A_HEADERS = {
    "API_AUTH_KEY": KEY,
    "PARTNER_AUTH_KEY": PARTNER_KEY,
    HEADER: "token-a",
    "Accept": "application/json;version=2.0",  # member management's version, so that its routes look further
}
B_TOKEN = {HEADER: "token-b"}
#: Routes that hold nothing of any workspace's (the same document everywhere).
OPEN = {"openapi.openapi"}
#: Route families Toluna opens with the partner's GUID alone (no key): whoever holds B's GUID is B's partner, so
#: they are called with A's GUID only.
GUID_ONLY = ("reports.", "reports_typo.", "dashboard.", "members.", "profile.")
_VARIABLE = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def _values(invite_token: str, panel: str) -> dict[str, Any]:
    return {
        "panel_guid": panel,
        "guid": panel,
        "member_code": MEMBER,
        "member": MEMBER,
        "code": MEMBER,
        "quota_id": QUOTA,
        "survey_id": SURVEY,
        "name": "3200001-US",
        "question_id": 1001538,
        "culture_id": 1,
        "fault_id": 1,
        "notification_id": 1,
        "kind": "complete",
        "rest": "scenario",
        "query": {
            "partnerGUID": panel,
            "partnerGuid": panel,
            "SamplePartnerGuid": panel,
            "panel": panel,
            "memberCode": MEMBER,
            "od": invite_token,
            "quota": str(QUOTA),
            "guid": panel,
            "mc": MEMBER,
            "outcome": "qualified",
        },
    }


def _calls(rules: list[Rule], values: dict[str, Any]) -> list[tuple[str, str, str]]:
    calls = []
    for rule in rules:
        path = _VARIABLE.sub(lambda m: str(values[m.group(1)]), rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            calls.append((rule.endpoint, method, path))
    return calls


def _state(wsgi: Wsgi) -> Any:
    """B as its own credentials see it: the whole stored state (the capsule's, the journal aside), its
    inventory and its outbox."""
    capsule = wsgi.get("/w/b/_sandbox/capsule", headers=B_TOKEN)
    assert capsule.status_code == 200, capsule.get_data(as_text=True)
    quotas = wsgi.get(f"/w/b{ES}/{B_PANEL}/Quotas", headers={"API_AUTH_KEY": B_KEY})
    assert quotas.status_code == 200
    outbox = wsgi.get("/w/b/_sandbox/outbox", headers=B_TOKEN).get_json()
    return capsule.get_json()["state"], quotas.get_json()["Surveys"], outbox["LastID"]


@pytest.fixture
def two(router: WorkspaceRouter, wsgi: Wsgi) -> str:
    """Workspaces a (the go-live scenario) and b (the same, behind panel GUIDs and keys of its own); A's invite
    token."""
    for name, own in (("a", False), ("b", True)):
        body = {"Name": name, "Scenario": scenario_text(own), "AdminToken": f"token-{name}"}
        assert wsgi.post("/_sandbox/workspaces", json=body).status_code == 201
    invite = wsgi.get(f"/w/a{ES}/{PANEL}/{MEMBER}/Invite/{QUOTA}", headers={"API_AUTH_KEY": KEY})
    assert invite.status_code == 200
    return invite.get_json()["URL"].rsplit("od=", 1)[1]


@pytest.mark.parametrize("panel", ["a", "b"], ids=["A's panel", "B's panel"])
def test_a_credentials_never_read_or_change_b_on_any_route(
    router: WorkspaceRouter, wsgi: Wsgi, two: str, panel: str
) -> None:
    values = _values(two, PANEL if panel == "a" else B_PANEL)
    rules = list(router.default.url_map.iter_rules())
    before = _state(wsgi)
    answered: dict[str, int] = {}
    for endpoint, method, path in _calls(rules, values):
        if panel == "b" and endpoint.startswith(GUID_ONLY):
            continue
        resp = wsgi.open(method, f"/w/b{path}", headers=A_HEADERS, query_string=values["query"], json={"Name": "x"})
        text = resp.get_data(as_text=True)
        answered[f"{method} {path}"] = resp.status_code
        if endpoint in OPEN:
            continue
        assert 400 <= resp.status_code < 500, (method, path, resp.status_code, text[:300])
        for secret in (B_KEY, B_PARTNER_KEY, "token-b"):
            assert secret not in text, (method, path)
        if panel == "a":
            assert B_PANEL not in text, (method, path)
    assert len(answered) > (80 if panel == "a" else 60)  # every route was called
    assert _state(wsgi) == before


def test_a_credentials_work_under_a(wsgi: Wsgi, two: str) -> None:
    assert wsgi.get(f"/w/a{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY}).status_code == 200
    assert wsgi.get("/w/a/_sandbox/faults", headers=A_HEADERS).status_code == 200
    assert wsgi.get("/w/a/IPUtilityService/ReferenceData/Cultures", headers=A_HEADERS).status_code == 200
    assert wsgi.get(f"/w/b{ES}/{B_PANEL}/Quotas", headers={"API_AUTH_KEY": B_KEY}).status_code == 200
