"""A workspace's console in a real chromium: asked for without the token, a page answers with the sign-in form;
the right token signs the browser in (a cookie for that workspace's pages) and opens the page it asked for; its
buttons then work without typing the token again."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Browser

from tests.support import ES, Sandbox

from .conftest import KEY, PANEL, QUOTA, scenario_text

pytestmark = pytest.mark.usefixtures("browser")


def test_an_operator_signs_in_to_a_workspace_console_and_holds_a_quota(sandbox: Sandbox, browser: Browser) -> None:
    body = {"Name": "signin", "Scenario": scenario_text(), "AdminToken": "signin-token"}
    assert sandbox.control("POST", "workspaces", json=body).status_code == 201
    try:
        page = browser.new_page()
        page.goto(f"{sandbox.base_url}/w/signin/")
        assert page.locator("h1").inner_text() == "Sign in"
        page.fill("input[name=sandbox_token]", "not-the-token")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "Wrong admin token" in page.content()
        page.fill("input[name=sandbox_token]", "signin-token")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url == f"{sandbox.base_url}/w/signin/"
        row = page.locator(f"#quota-{QUOTA}")
        assert row.locator(".state").inner_text() == "live"
        with page.expect_navigation():
            page.click(f"#quota-{QUOTA} button.toggle")
        assert page.locator(f"#quota-{QUOTA} .state").inner_text() == "on hold"
        page.close()
        listed = requests.get(
            f"{sandbox.base_url}/w/signin{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY}, timeout=30
        )
        assert QUOTA not in [q["QuotaID"] for s in listed.json()["Surveys"] for q in s["Quotas"]]  # held: not listed
    finally:
        assert sandbox.control("DELETE", "workspaces/signin").status_code == 200
