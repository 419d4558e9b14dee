"""The reference partner passes every check; each mutant of it fails exactly the check named after it (and what
the same mistake also breaks); each correct variant of it, unlike it in one way, is READY.

``make test`` runs the mutants of ``CI_SLICE``; ``TOLUNA_ALL_MUTANTS=1`` (or ``make mutants``) runs every one."""

from __future__ import annotations

import os

import pytest

from .conftest import Runner, blocking, evidence, failing
from .mutants import ALSO_FAILS, CI_SLICE, MUTANTS, VARIANTS

RUN_ALL = os.environ.get("TOLUNA_ALL_MUTANTS") == "1"


def test_the_reference_partner_is_ready_for_go_live(run_partner: Runner) -> None:
    report = run_partner("examples.reference_partner")
    assert failing(report) == set(), {c: evidence(report, c) for c in failing(report)}
    assert report.ready, blocking(report)
    assert not [r.check.id for r in report.results if r.status.value == "not exercised"]
    assert {row["status"] for row in report.coverage} == {"met"} and len(report.coverage) >= 6
    assert {row["grade"] for row in report.receivers} == {"A"}


def test_the_ci_slice_names_mutants_that_exist() -> None:
    assert MUTANTS.keys() >= CI_SLICE and len(CI_SLICE) >= len(MUTANTS) // 3


@pytest.mark.parametrize("name", sorted(MUTANTS if RUN_ALL else CI_SLICE))
def test_each_mutant_fails_exactly_its_check(run_partner: Runner, name: str) -> None:
    report = run_partner("tests.conformance.mutants", name)
    expected = {name} | ALSO_FAILS.get(name, set())
    assert failing(report) == expected, {c: evidence(report, c)[:3] for c in failing(report)}
    must = any(r.check.severity.value == "MUST" for r in report.results if r.check.id in failing(report))
    assert report.ready is not must


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_each_correct_variant_is_ready(run_partner: Runner, name: str) -> None:
    report = run_partner("tests.conformance.mutants", name, **VARIANTS[name][2])
    assert report.ready, blocking(report)
    assert not {r.check.id for r in report.results if r.status.value == "fail"}
