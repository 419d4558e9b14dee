"""Workspaces created, listed, reset and deleted through the default workspace's control API, each a complete
sandbox under ``/w/{name}`` with an admin token of its own (in process, through the workspace router)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from simulator.api.admin import HEADER
from simulator.workspaces import WorkspaceRouter
from tests.support import ES

from .conftest import KEY, MEMBER, PANEL, QUOTA, ROOT_TOKEN, Wsgi, scenario_text


def create(wsgi: Wsgi, name: str, **body: str) -> dict:
    resp = wsgi.post("/_sandbox/workspaces", json={"Name": name, **body})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def remaining(wsgi: Wsgi, prefix: str = "") -> int:
    resp = wsgi.get(f"{prefix}{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["Surveys"][0]["Quotas"][0]["EstimatedCompletesRemaining"]


def test_a_workspace_is_created_listed_reset_and_deleted(wsgi: Wsgi, tmp_path: Path) -> None:
    created = create(wsgi, "acme")
    token = created.pop("AdminToken")
    assert created == {
        "Name": "acme",
        "CreatedAt": created["CreatedAt"],
        "BaseURL": "http://localhost/w/acme",
        "Scenario": "golive",  # the default workspace's scenario, as none was sent
    }
    assert wsgi.get("/_sandbox/workspaces").get_json()["Workspaces"] == [
        {"Name": "acme", "CreatedAt": created["CreatedAt"], "BaseURL": "http://localhost/w/acme"}
    ]
    folder = tmp_path / "s.db-workspaces"
    on_sqlite = wsgi.store_kind == "sqlite"
    if on_sqlite:
        assert (folder / "acme.db").exists()
        assert not any(token.encode() in f.read_bytes() for f in folder.iterdir() if f.is_file())  # a digest only

    described = wsgi.get("/w/acme/_sandbox/scenario", headers={HEADER: token}).get_json()
    assert described["BaseURL"] == "http://localhost/w/acme/"
    assert described["Panels"][0]["PanelGUID"] == PANEL

    reset = wsgi.post("/_sandbox/workspaces/acme/reset")
    assert reset.status_code == 200 and reset.get_json()["Scenario"]["Name"] == "golive"

    assert wsgi.delete("/_sandbox/workspaces/acme").get_json() == {"Deleted": "acme"}
    assert wsgi.get("/_sandbox/workspaces").get_json() == {"Workspaces": []}
    if on_sqlite:
        assert sorted(f.name for f in folder.iterdir() if f.name.startswith("acme")) == []
    gone = wsgi.get(f"/w/acme{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY})
    assert gone.status_code == 404
    assert (
        "No workspace 'acme'" in gone.get_json()["Message"]
        and "POST /_sandbox/workspaces" in gone.get_json()["Message"]
    )


def test_a_workspace_control_api_asks_every_client_for_its_own_token(wsgi: Wsgi) -> None:
    token = create(wsgi, "acme", AdminToken="acme-token")["AdminToken"]
    assert token == "acme-token"
    create(wsgi, "other", AdminToken="other-token")
    for sent in ({}, {HEADER: ROOT_TOKEN}, {HEADER: "other-token"}):  # loopback, the default's token, B's token
        refused = wsgi.get("/w/acme/_sandbox/faults", headers=sent)
        assert refused.status_code == 403, sent
        assert "acme" in refused.get_json()["Message"] and "Fix:" in refused.get_json()["Message"]
        console = wsgi.get("/w/acme/", headers=sent)  # the console too: its sign-in page
        assert console.status_code == 401 and 'action="/w/acme/console/login"' in console.get_data(as_text=True)
    assert wsgi.get("/w/acme/_sandbox/faults", headers={HEADER: token}).get_json() == {"Faults": []}
    page = wsgi.get("/w/acme/", headers={HEADER: token}).get_data(as_text=True)
    assert 'href="/w/acme/console/members"' in page
    assert not re.search(r'href="/console', page)
    nested = wsgi.get("/w/acme/_sandbox/workspaces", headers={HEADER: token})
    assert nested.status_code == 404 and "without the /w/acme prefix" in nested.get_json()["Message"]


def test_the_workspaces_routes_keep_the_default_admin_rule(router: WorkspaceRouter) -> None:
    remote = Wsgi(router, "192.0.2.7")
    assert remote.get("/_sandbox/workspaces").status_code == 403
    assert remote.post("/_sandbox/workspaces", json={"Name": "acme"}).status_code == 403
    assert remote.get("/_sandbox/workspaces", headers={HEADER: ROOT_TOKEN}).get_json() == {"Workspaces": []}


def test_a_bad_name_is_refused_with_the_rule(wsgi: Wsgi) -> None:
    for name in ("Acme", "a_b", "a.b", "-a", "default", "", "x" * 41):
        resp = wsgi.post("/_sandbox/workspaces", json={"Name": name})
        assert resp.status_code == 400, name
        assert resp.get_json()["Message"].startswith("Name: ") and "Fix:" in resp.get_json()["Message"]
    assert wsgi.get("/_sandbox/workspaces").get_json() == {"Workspaces": []}


def test_a_taken_name_an_unknown_one_and_a_bad_scenario_are_refused(wsgi: Wsgi, tmp_path: Path) -> None:
    create(wsgi, "acme")
    taken = wsgi.post("/_sandbox/workspaces", json={"Name": "acme"})
    assert taken.status_code == 409 and "exists already" in taken.get_json()["Message"]
    for method, path in (("POST", "/_sandbox/workspaces/nope/reset"), ("DELETE", "/_sandbox/workspaces/nope")):
        unknown = wsgi.open(method, path)
        assert unknown.status_code == 404 and "No workspace 'nope'" in unknown.get_json()["Message"]
    bad = wsgi.post("/_sandbox/workspaces", json={"Name": "broken", "Scenario": "panels: 3\n"})
    assert bad.status_code == 400
    assert not (tmp_path / "s.db-workspaces" / "broken.db").exists()
    for body in ({"Name": 7}, {"Name": "x", "AdminToken": ""}, {"Name": "x", "Scenario": 3}):
        assert wsgi.post("/_sandbox/workspaces", json=body).status_code == 400, body
    assert [w["Name"] for w in wsgi.get("/_sandbox/workspaces").get_json()["Workspaces"]] == ["acme"]


def test_an_invite_under_a_workspace_carries_its_prefix_and_counts_there(wsgi: Wsgi) -> None:
    create(wsgi, "acme", Scenario=scenario_text())
    before = remaining(wsgi)
    invite = wsgi.get(f"/w/acme{ES}/{PANEL}/{MEMBER}/Invite/{QUOTA}", headers={"API_AUTH_KEY": KEY})
    url = invite.get_json()["URL"]
    assert url.startswith("http://localhost/w/acme/TrafficUI/MSCUI/Page.aspx?")
    page = wsgi.get(url.removeprefix("http://localhost"))
    assert page.status_code == 200
    action = re.search(r'<form method="post" action="([^"]+)"', page.get_data(as_text=True))
    assert action and action.group(1).startswith("/w/acme/TrafficUI/")
    assert "/w/acme/TrafficUI" in page.headers["Set-Cookie"]
    ref = re.search(r'name="ref" value="([^"]+)"', page.get_data(as_text=True))
    assert ref
    done = wsgi.post(html.unescape(action.group(1)), data={"ref": ref.group(1), "outcome": "qualified"})
    assert "The visit has ended" in done.get_data(as_text=True)  # go-live panels name no end pages
    assert remaining(wsgi, "/w/acme") == before - 1
    assert remaining(wsgi) == before  # the default workspace's quota is untouched


def test_a_reset_of_one_workspace_leaves_the_others_alone(wsgi: Wsgi) -> None:
    acme = {HEADER: create(wsgi, "acme")["AdminToken"]}
    beta = {HEADER: create(wsgi, "beta")["AdminToken"]}
    for prefix in ("", "/w/beta", "/w/acme"):  # an invite in each
        invite = wsgi.get(f"{prefix}{ES}/{PANEL}/{MEMBER}/Invite/{QUOTA}", headers={"API_AUTH_KEY": KEY})
        assert invite.status_code == 200
    counts = {
        p: wsgi.get(f"{p}/_sandbox/journal/count", headers=h).get_json()["Count"]
        for p, h in (("", {}), ("/w/beta", beta))
    }
    members = {
        p: wsgi.get(f"{p}/_sandbox/members/{MEMBER}", headers=h).get_json() for p, h in (("", {}), ("/w/beta", beta))
    }
    assert wsgi.get("/w/acme/_sandbox/journal/count", headers=acme).get_json()["Count"] > 0

    assert wsgi.post("/_sandbox/workspaces/acme/reset").status_code == 200

    assert wsgi.get("/w/acme/_sandbox/journal/count", headers=acme).get_json()["Count"] == 0
    for prefix, headers in (("", {}), ("/w/beta", beta)):
        assert wsgi.get(f"{prefix}/_sandbox/journal/count", headers=headers).get_json()["Count"] == counts[prefix]
        assert wsgi.get(f"{prefix}/_sandbox/members/{MEMBER}", headers=headers).get_json() == members[prefix]


def test_require_token_asks_loopback_clients_of_the_default_workspace(tmp_path: Path) -> None:
    router = WorkspaceRouter(str(tmp_path / "s.db"), {"ADMIN_TOKEN": ROOT_TOKEN, "ADMIN_TOKEN_REQUIRED": True})
    try:
        wsgi = Wsgi(router)
        assert wsgi.get("/_sandbox/workspaces").status_code == 403
        assert wsgi.get("/").status_code == 401  # the console's sign-in page
        assert wsgi.get("/_sandbox/workspaces", headers={HEADER: ROOT_TOKEN}).status_code == 200
    finally:
        router.close()


def test_a_member_with_nowhere_to_go_lands_on_the_workspaces_own_page(wsgi: Wsgi) -> None:
    create(wsgi, "acme", Scenario=scenario_text())
    page = f"/w/acme/TrafficUI/MSCUI/Profilepage.aspx?guid={PANEL}&mc={MEMBER}&pt=0"
    assert wsgi.get(page).status_code == 200
    cancelled = wsgi.post(page, data={"action": "cancel"})  # no cancel URL given, no end page in the panel
    assert cancelled.status_code == 302 and cancelled.headers["Location"].endswith("/w/acme/")


def test_a_browser_signs_in_to_a_workspace_console_and_the_cookie_opens_that_workspace_only(wsgi: Wsgi) -> None:
    create(wsgi, "acme", AdminToken="acme-token")
    create(wsgi, "other", AdminToken="other-token")
    asked = wsgi.get("/w/acme/console/members?q=x")
    assert asked.status_code == 401
    assert 'name="next" value="/w/acme/console/members?q=x"' in asked.get_data(as_text=True)
    login = "/w/acme/console/login"
    wrong = wsgi.post(login, data={"sandbox_token": "other-token", "next": "/w/acme/"})
    assert wrong.status_code == 403 and "Wrong admin token" in wrong.get_data(as_text=True)
    foreign = wsgi.post(login, data={"sandbox_token": "acme-token"}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "Set-Cookie" not in foreign.headers
    for elsewhere in ("//evil.example/", "/w/other/", "/w/acme/\\evil.example", "https://evil.example/"):
        went = wsgi.post(login, data={"sandbox_token": "acme-token", "next": elsewhere})
        assert went.status_code == 303 and went.headers["Location"].endswith("/w/acme/"), elsewhere
    signed = wsgi.post(login, data={"sandbox_token": "acme-token", "next": "/w/acme/console/members?q=x"})
    assert signed.status_code == 303 and signed.headers["Location"].endswith("/w/acme/console/members?q=x")
    cookie = signed.headers["Set-Cookie"]
    assert "Path=/w/acme/" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert wsgi.get("/w/acme/").status_code == 200  # the client keeps the cookie
    assert wsgi.get("/w/other/").status_code == 401  # sent only under /w/acme/, and not other's token anyway
    wsgi.client.set_cookie("sandbox_token", "acme-token", path="/w/other/")
    assert wsgi.get("/w/other/").status_code == 401
