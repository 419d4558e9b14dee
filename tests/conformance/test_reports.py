"""The four report formats of one real run (a partner that stops reading recontact lists after a page)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from rich.console import Console

from conformance.model import Report
from conformance.report import write
from conformance.report.terminal import print_report

from .conftest import Runner


@pytest.fixture(scope="module")
def report(run_partner: Runner) -> Report:
    return run_partner("tests.conformance.mutants", "RC-01")


def test_json_report(report: Report, tmp_path: Path) -> None:
    doc = json.loads(write(report, "json", tmp_path / "r.json").read_text())
    assert doc["verdict"] == "NOT READY" and doc["counts"]["fail"] == 1
    [failed] = [r for r in doc["results"] if r["status"] == "fail"]
    assert failed["id"] == "RC-01" and failed["severity"] == "MUST" and failed["step"] == "Recontact paging"
    assert failed["evidence"][0]["quota"] in (5200081, 5200082) and "not finished" in failed["evidence"][0]["summary"]
    assert {"scenario", "sandbox", "partner", "started", "finished", "coverage", "receivers"} <= set(doc)
    assert doc["suite"]["name"] == "toluna-conformance" and doc["suite"]["version"]
    assert "RC-01" in doc["blocking"] and doc["counts"]["not_exercised"] >= 1


def test_junit_report_has_one_testcase_per_check(report: Report, tmp_path: Path) -> None:
    root = ET.parse(write(report, "junit", tmp_path / "junit.xml")).getroot()
    cases = root.findall(".//testcase")
    # a failed MUST, and every MUST with nothing to judge (reading one page only leaves no cursor to judge)
    assert len(cases) == len(report.results) and root.get("failures") == str(len(report.blocking()))
    failures = {c.get("name", "").split()[0]: c.find("failure") for c in cases if c.find("failure") is not None}
    assert failures["RC-01"].get("type") == "MUST" and "Rule: For every quota" in (failures["RC-01"].text or "")
    unexercised = {r.check.id for r in report.results if r.status.value == "not exercised"}
    assert unexercised and all(failures[c].get("type") == "NOT EXERCISED" for c in unexercised)
    suites = {s.get("name") for s in root.findall("testsuite")}
    assert "Recontact paging" in suites and "Sampling" in suites


def test_terminal_report_leads_with_the_verdict(report: Report) -> None:
    console = Console(record=True, width=140)
    print_report(report, console)
    text = console.export_text()
    assert text.strip().splitlines()[0] == "NOT READY for go-live"
    assert "RC-01 Every recontact quota paged to its end" in text and "1 failed" in text
    assert "blocking go-live: RC-01 (fail)" in text and "not exercised" in text
    assert "Result codes: what the partner did" in text and "Notification endpoints" in text


def test_html_report_in_a_real_browser(report: Report, tmp_path: Path, browser: Browser) -> None:
    path = write(report, "html", tmp_path / "report.html")
    page = browser.new_page()
    page.goto(path.as_uri())
    assert page.inner_text("#verdict") == "NOT READY for go-live"
    failed = page.locator("#check-RC-01")
    assert failed.get_attribute("open") is not None  # failed checks open, with their evidence
    assert "not finished" in failed.inner_text()
    assert page.locator("#check-INV-01").get_attribute("open") is None
    assert page.locator("details.check").count() == len(report.results)
    assert page.locator("#coverage tr").count() == len(report.coverage) + 1  # the result-code matrix, a row a code
    assert page.locator("#receivers td.grade").count() == len(report.receivers) >= 4
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.close()
