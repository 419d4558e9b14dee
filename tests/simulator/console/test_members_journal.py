"""The console's member and journal pages in a real chromium against a real server: find a member, read its named
answers, explain why a quota refuses it; read the partner's requests, filter them, open one, and see a new request
appear while the page is open."""

from __future__ import annotations

from pathlib import Path

import requests
from playwright.sync_api import Browser, expect

from tests.support import ES, KEY, PANEL, Sandbox

RED = "rgb(198, 40, 40)"


def test_a_member_is_found_its_answers_are_named_and_a_refusing_quota_is_explained(
    fresh_sandbox: Sandbox, browser: Browser, tmp_path: Path
) -> None:
    page = browser.new_page()
    page.goto(f"{fresh_sandbox.base_url}/console/members")
    page.fill("#code", "M-WRONG-EDU")
    page.click("#member-search button[type=submit]")
    page.click("#results a.member-link")
    expect(page.locator("#member-code")).to_have_text("M-WRONG-EDU")
    answers = page.inner_text("#answers")
    assert "Education level" in answers and "Less than high school (2002268)" in answers

    page.fill("#quota", "4200003")
    page.click("#explain-form button[type=submit]")
    expect(page.locator("#result-code")).to_have_text("MEMBER_DOES_NOT_MATCH_QUOTA (16)")
    failing = page.locator("#sampling li.target.fail")
    expect(failing).to_have_count(1)
    assert failing.get_attribute("data-question") == "1001101"
    assert failing.evaluate("e => getComputedStyle(e).color") == RED
    assert "Education level" in failing.inner_text()
    assert failing.locator(".has").inner_text() == "Less than high school (2002268)"
    wanted = failing.locator(".wanted").inner_text()
    assert "Bachelor's degree (2002273)" in wanted and "Postgraduate/PhD (2002275)" in wanted
    passing = page.locator("#sampling li.target.pass")
    assert passing.evaluate("e => getComputedStyle(e).color") != RED
    page.screenshot(path=str(tmp_path / "member-explain.png"), full_page=True)

    page.goto(f"{fresh_sandbox.base_url}/console/members/G-ALICE?panel={PANEL}")
    history = page.inner_text("#participations")
    assert "3100001" in history and "Qualified (9)" in history
    page.close()


def test_the_journal_lists_filters_opens_and_updates_live(
    fresh_sandbox: Sandbox, browser: Browser, tmp_path: Path
) -> None:
    assert fresh_sandbox.get(f"{ES}/{PANEL}/Quotas").status_code == 200
    assert fresh_sandbox.invite("M-ANNA", 4200001).status_code == 200
    refused = fresh_sandbox.invite("M-WRONG-EDU", 4200003)
    assert refused.json()["ResultCode"] == 16
    journal = f"{fresh_sandbox.base_url}/console/journal"

    page = browser.new_page()
    page.goto(journal)
    rows = page.locator("#journal-rows tr.entry")
    expect(rows).to_have_count(3)
    # two server workers: ids follow the order entries were stored, not always the order sent
    assert sorted(rows.nth(i).get_attribute("data-route") or "" for i in range(3)) == ["invite", "invite", "quotas"]
    quotas = page.locator("#journal-rows tr.entry[data-route=quotas]")
    assert KEY in (quotas.locator(".request-headers").text_content() or "")  # GetQuotas with the panel's key

    page.fill("#journal-filters input[name=route]", "invite")
    page.click("#journal-filters button[type=submit]")
    expect(rows).to_have_count(2)
    page.fill("#journal-filters input[name=code]", "16")
    page.click("#journal-filters button[type=submit]")
    expect(rows).to_have_count(1)
    entry = rows.first
    assert entry.get_attribute("data-code") == "16"
    expect(entry.locator(".response-body")).to_be_hidden()
    entry.locator("summary").click()
    expect(entry.locator(".response-body")).to_be_visible()
    assert '"ResultCode": 16' in entry.locator(".response-body").inner_text()
    page.screenshot(path=str(tmp_path / "journal-filtered.png"), full_page=True)

    page.goto(journal + "?route=invite")
    expect(rows).to_have_count(2)
    page.evaluate("window.notReloaded = true")
    assert fresh_sandbox.invite("M-BOB", 4200002).status_code in (200, 400)
    expect(rows).to_have_count(3, timeout=6000)
    assert "M-BOB" in rows.first.inner_text() and page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(tmp_path / "journal-live.png"), full_page=True)
    page.close()


def test_a_bad_filter_is_named_and_the_live_update_asks_only_for_newer_entries(fresh_sandbox: Sandbox) -> None:
    journal = f"{fresh_sandbox.base_url}/console/journal"
    bad = requests.get(journal, params={"quota": "x"}, timeout=30)
    assert bad.status_code == 400 and "quota is a whole number" in bad.text
    assert fresh_sandbox.invite("M-ANNA", 4200001).status_code == 200
    first = requests.get(journal, params={"after": 0, "format": "json"}, timeout=30).json()
    assert first["Count"] == 1 and 'data-route="invite"' in first["Rows"]
    again = requests.get(journal, params={"after": first["Last"], "format": "json"}, timeout=30).json()
    assert again == {"Last": first["Last"], "Count": 0, "Rows": ""}
