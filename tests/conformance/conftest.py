from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from conformance.model import Report
from conformance.sandbox import LocalSandbox
from tests.support import ROOT

from .harness import failing, partner_on_path, run_partner

__all__ = ["Runner", "blocking", "evidence", "failing"]

Runner = Callable[..., Report]


@pytest.fixture(scope="session")
def conformance_sandbox() -> Iterator[LocalSandbox]:
    """One sandbox per test process; every run attaches to it and loads the scenario afresh."""
    text = (ROOT / "fixtures" / "scenarios" / "conformance.yaml").read_text()
    sandbox = LocalSandbox(text, "conformance.yaml")
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="session", name="run_partner")
def run_partner_fixture(conformance_sandbox: LocalSandbox) -> Runner:
    """Run the conformance suite on a partner module (``examples.reference_partner``, or a mutant); partners are
    started with the repository on their import path."""
    partner_on_path()

    def run(*partner: str, **settings: object) -> Report:
        return run_partner(conformance_sandbox.url, *partner, **settings)

    return run


def blocking(report: Report) -> dict[str, str]:
    """What keeps a report from READY, with the reason (for assertion messages)."""
    found = {r.check.id: " | ".join([r.message, *(e.summary for e in r.evidence[:2])]) for r in report.blocking()}
    return found | ({"aborted": report.aborted} if report.aborted else {})


def evidence(report: Report, check_id: str) -> list[str]:
    return [e.summary for r in report.results if r.check.id == check_id for e in r.evidence]
