"""The web console over the Flask test client: its pages are open, its state-changing forms obey the control API's
admin rule (a loopback peer, or the admin token in ``X-Sandbox-Token`` or the ``sandbox_token`` field) and refuse a
form sent from another origin; the overview never shows an API key; the runs page serves only plain report files
of its directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from simulator.app import create_app
from simulator.services.world import key_hint
from simulator.store import Store
from tests.support import KEY

TOKEN = "console-admin-token-0123456789"
REMOTE = {"REMOTE_ADDR": "192.0.2.10"}
QUOTA = 4200001


@pytest.fixture
def app_client(store: Store, tmp_path: Path) -> FlaskClient:
    return create_app(store, {"ADMIN_TOKEN": TOKEN, "REPORTS_DIR": str(tmp_path / "reports")}).test_client()


def _live(client: FlaskClient) -> bool:
    page = client.get("/").text
    row = page[page.index(f'id="quota-{QUOTA}"') :]
    return row.index("state live") < row.index("</tr>")


def test_forms_obey_the_admin_rule_and_pages_stay_open(app_client: FlaskClient) -> None:
    """One app for every case: each builds on the state the previous one left."""
    assert 'name="sandbox_token"' in app_client.get("/", environ_base=REMOTE).text  # a remote page has the box
    page = app_client.get("/").text
    assert 'name="sandbox_token"' not in page and TOKEN not in page  # loopback needs none; no page holds the token
    for token in ({}, {"sandbox_token": "wrong"}):
        resp = app_client.post(f"/console/quotas/{QUOTA}/state", data={"live": "false", **token}, environ_base=REMOTE)
        assert resp.status_code == 403 and resp.content_type.startswith("text/html")
        assert "admin token" in resp.text
    assert _live(app_client)

    by_field = {"live": "false", "sandbox_token": TOKEN}
    resp = app_client.post(f"/console/quotas/{QUOTA}/state", data=by_field, environ_base=REMOTE)
    assert resp.status_code == 303 and resp.headers["Location"] == "/"
    assert not _live(app_client)
    resp = app_client.post(
        f"/console/quotas/{QUOTA}/state", data={"live": "true"}, headers={"X-Sandbox-Token": TOKEN}, environ_base=REMOTE
    )
    assert resp.status_code == 303 and _live(app_client)

    form = {"live": "false"}
    for origin in ("http://attacker.example", "null", "http://[bad"):  # even from loopback
        resp = app_client.post(f"/console/quotas/{QUOTA}/state", data=form, headers={"Origin": origin})
        assert resp.status_code == 403, origin
    assert _live(app_client)
    resp = app_client.post(f"/console/quotas/{QUOTA}/state", data=form, headers={"Origin": "http://localhost"})
    assert resp.status_code == 303 and not _live(app_client)


def test_the_overview_hints_at_keys_and_names_what_a_form_got_wrong(app_client: FlaskClient) -> None:
    page = app_client.get("/").text
    assert key_hint(KEY) in page and KEY not in page
    assert key_hint("short-key") == "sh…"

    before = app_client.get("/_sandbox/clock").json["Now"]
    for form, problem in (
        ({"amount": "soon", "unit": "days"}, "is not a number"),
        ({"amount": "1", "unit": "weeks"}, "unit is one of minutes, hours, days"),
        ({"amount": "-5", "unit": "days"}, "moves forward"),
    ):
        assert app_client.post("/console/clock/advance", data=form).status_code == 303
        assert problem in app_client.get("/").text
    assert app_client.get("/_sandbox/clock").json["Now"][:16] == before[:16]

    app_client.post("/console/quotas/1/state", data={"live": "false"})
    page = app_client.get("/")
    assert 'class="note error"' in page.text and "No quota 1." in page.text
    assert "console_note=;" in page.headers["Set-Cookie"]  # shown once, then forgotten
    assert "No quota 1." not in app_client.get("/").text


def test_the_runs_page_serves_only_plain_report_files_of_its_directory(app_client: FlaskClient, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    assert "toluna-conformance run" in app_client.get("/console/runs").text  # no directory yet: how to get one
    folder.mkdir()
    (folder / "run-1.html").write_text("<h1>run 1</h1>")
    (folder / "broken.json").write_text("{not json")
    (tmp_path / "secret.html").write_text("TOP-SECRET-CONTENT")
    os.symlink(tmp_path / "secret.html", folder / "linked.html")
    page = app_client.get("/console/runs").text
    assert "run-1" in page and "not a readable JSON report" in page and "linked" not in page
    served = app_client.get("/console/runs/run-1.html")
    assert served.text == "<h1>run 1</h1>" and served.headers["Content-Security-Policy"] == "sandbox"
    for name in ("linked.html", "..%2Fsecret.html", "../secret.html", "%2Ftmp%2Fsecret.html", "x.txt", ".html"):
        resp = app_client.get(f"/console/runs/{name}")
        assert resp.status_code in (400, 404), name
        assert b"TOP-SECRET" not in resp.data
