"""The web console as the operator meets it: a real chromium on the pages of a real server. The overview shows the
panels and quotas, its buttons put a quota on hold and move the clock (the server's state follows), the outbox
lists a notification with its delivery attempts and sends it again, the runs page lists a conformance report and
opens it. Screenshots land in the test's tmp dir."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from werkzeug.serving import make_server

from conformance.model import Report
from conformance.report import write
from simulator.app import create_app
from simulator.store import Store
from tests.receiver import Receiver, point
from tests.support import KEY, PANEL, Sandbox

QUOTA = 4200001


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _delivered(sandbox: Sandbox, notification_id: int) -> dict[str, object]:
    resp = sandbox.control("POST", f"outbox/wait?ids={notification_id}&timeout=10")
    [done] = resp.json()["Notifications"]
    assert done["Status"] == "delivered", done
    return done


def _submit(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_the_operator_holds_a_quota_moves_the_clock_and_resends_a_notification(
    fresh_sandbox: Sandbox, receiver: Receiver, browser: Browser, tmp_path: Path
) -> None:
    point(fresh_sandbox, receiver)
    page = browser.new_page()
    page.goto(fresh_sandbox.base_url + "/")
    panel = page.locator(f"#panel-{PANEL}")
    assert panel.locator(".guid").inner_text() == PANEL
    assert panel.locator(".key-hint").inner_text() == f"{KEY[:4]}…{KEY[-4:]}"
    assert KEY not in page.content()
    row = page.locator(f"#quota-{QUOTA}")
    assert row.locator(".state").inner_text() == "live"
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

    _submit(page, f"#quota-{QUOTA} button.toggle")
    assert page.locator(f"#quota-{QUOTA} .state").inner_text() == "on hold"
    assert page.locator("#note").inner_text() == f"Quota {QUOTA} is on hold."
    [sent] = receiver.wait_for(1, "/quota")  # the server's state changed: Toluna announces it
    assert f'"QuotaID":{QUOTA}' in sent.body.replace(" ", "") and '"IsLive":false' in sent.body.replace(" ", "")

    shown = _instant(page.inner_text("#clock"))
    page.fill("#advance-clock input[name=amount]", "3")
    page.select_option("#advance-clock select[name=unit]", "days")
    _submit(page, "#advance-clock button")
    moved = _instant(page.inner_text("#clock"))
    assert moved - shown >= timedelta(days=3)
    assert _instant(fresh_sandbox.control("GET", "clock").json()["Now"]) >= moved

    first = fresh_sandbox.control("GET", "outbox?kind=quota").json()["Notifications"][-1]["ID"]
    _delivered(fresh_sandbox, first)
    page.goto(fresh_sandbox.base_url + "/console/outbox?kind=quota")
    card = page.locator(f"#notification-{first}")
    assert card.locator(".state").first.inner_text() == "delivered"
    assert card.locator("tr.attempt").count() == 1
    assert card.locator("tr.attempt td").nth(1).inner_text().strip() == "200"
    page.screenshot(path=str(tmp_path / "outbox.png"), full_page=True)

    _submit(page, f"#notification-{first} button.resend")
    assert page.inner_text("#note").startswith(f"Notification #{first} sent again as #")
    again = int(page.inner_text("#note").rsplit("#", 1)[1].rstrip("."))
    assert receiver.wait_for(2, "/quota")[1].body == sent.body
    _delivered(fresh_sandbox, again)
    page.reload()
    resent = page.locator(f"#notification-{again}")
    assert f"resend of #{first}" in resent.inner_text()
    assert resent.locator("tr.attempt").count() == 1
    page.close()


@pytest.fixture
def reports_server(store: Store, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A sandbox app on a real port whose reports directory is a fresh one."""
    folder = tmp_path / "reports"
    folder.mkdir()
    server = make_server("127.0.0.1", 0, create_app(store, {"REPORTS_DIR": str(folder)}), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", folder
    server.shutdown()


def test_the_runs_page_lists_a_report_and_opens_it(
    reports_server: tuple[str, Path], browser: Browser, tmp_path: Path
) -> None:
    base, folder = reports_server
    page = browser.new_page()
    page.goto(base + "/console/runs")
    assert "toluna-conformance run" in page.inner_text("#empty")

    report = Report(
        scenario="default",
        sandbox_url=base,
        sandbox_version="test",
        started="2026-01-15T12:00:00Z",
        finished="2026-01-15T12:05:00Z",
        partner="example partner",
    )
    write(report, "json", folder / "run-1.json")
    write(report, "html", folder / "run-1.html")
    page.reload()
    [row] = page.locator("#runs tr.run").all()
    assert row.locator(".verdict").inner_text() == "READY"
    assert "example partner" in row.inner_text()
    page.screenshot(path=str(tmp_path / "runs.png"), full_page=True)

    with page.expect_navigation():
        row.locator("a", has_text="run-1").click()
    assert page.url == base + "/console/runs/run-1.html"
    assert "example partner" in page.content()
    page.close()
