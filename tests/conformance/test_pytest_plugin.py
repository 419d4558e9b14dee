"""The pytest plugin, as a partner's own test suite uses it (run by pytester in a separate process)."""

from __future__ import annotations

import os

import pytest

from tests.support import ROOT

PARTNER_TESTS = """
import requests

def test_inventory_and_an_invite(toluna):
    got = requests.get(toluna.es_url + "/Quotas", headers={"API_AUTH_KEY": toluna.api_key}, timeout=30)
    assert got.status_code == 200
    requests.get(toluna.es_url + "/M-ANNA/Invite/4200002", headers={"API_AUTH_KEY": toluna.api_key}, timeout=30)
    toluna.assert_requested(route="quotas", status=200)
    toluna.assert_requested(count=1, route="invite", member_code="M-ANNA", quota_id=4200002)

def test_each_test_starts_from_the_scenario(toluna):
    assert toluna.journal() == []

def test_a_missed_request_shows_the_near_misses(toluna):
    requests.get(toluna.es_url + "/M-ANNA/Invite/4200002", headers={"API_AUTH_KEY": toluna.api_key}, timeout=30)
    toluna.assert_requested(route="invite", member_code="M-ANNA", quota_id=4200001)
"""

CONFORMANCE_TESTS = """
import socket, sys
from conformance.pytest_plugin import assert_conformant

def port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def test_reference_partner(toluna_conformance):
    p = port()
    report = toluna_conformance(
        partner_cmd=f"{sys.executable} -m examples.reference_partner --port {p}",
        partner_url=f"http://127.0.0.1:{p}/run", partner_base=f"http://127.0.0.1:{p}", quiet_seconds=0.3)
    assert_conformant(report)
    assert {r.check.id for r in report.results if r.status.value != "skip"} == {"RC-01", "RC-02", "RC-03", "RC-04"}

def test_a_mutant(toluna_conformance):
    p = port()
    report = toluna_conformance(
        partner_cmd=f"{sys.executable} -m tests.conformance.mutants RC-01 --port {p}",
        partner_url=f"http://127.0.0.1:{p}/run", partner_base=f"http://127.0.0.1:{p}", quiet_seconds=0.3)
    assert_conformant(report)
"""


@pytest.fixture
def partner_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


def test_the_sandbox_fixture_resets_and_asserts_with_near_misses(pytester: pytest.Pytester, partner_env: None) -> None:
    pytester.makepyfile(test_partner=PARTNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected a request(s) with {'route': 'invite', 'member_code': 'M-ANNA', 'quota_id': 4200001}, found 0*",
            "*near misses:*",
            "*route='invite', member_code='M-ANNA', quota_id=4200002*(2 of 3 match)*",
        ]
    )


def test_conformance_checks_run_inside_pytest_with_selection(pytester: pytest.Pytester, partner_env: None) -> None:
    pytester.makepyfile(test_conformance=CONFORMANCE_TESTS)
    # the two runs side by side (pytest-xdist in the partner's suite too): each is mostly waiting
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--toluna-select", "Recontact paging")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*NOT READY: 3 MUST check(s) block go-live*", "*RC-01 Every recontact quota paged*"])
