from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator

import pytest

from conformance.config import RunConfig
from conformance.model import Report
from conformance.runner import Run
from conformance.sandbox import LocalSandbox, free_port
from tests.support import ROOT

Runner = Callable[..., Report]


@pytest.fixture(scope="session")
def conformance_sandbox() -> Iterator[LocalSandbox]:
    """One sandbox per test process; every run attaches to it and loads the scenario afresh."""
    text = (ROOT / "fixtures" / "scenarios" / "conformance.yaml").read_text()
    sandbox = LocalSandbox(text, "conformance.yaml")
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="session")
def run_partner(conformance_sandbox: LocalSandbox) -> Runner:
    """Run the conformance suite on a partner module (``examples.reference_partner``, or a mutant); partners are
    started with the repository on their import path."""
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

    def run(*partner: str, **settings: object) -> Report:
        port = free_port()
        config = RunConfig(
            sandbox_url=conformance_sandbox.url,
            partner_cmd=" ".join([sys.executable, "-m", *partner, "--port", str(port)]),
            partner_url=f"http://127.0.0.1:{port}/run",
            partner_base=f"http://127.0.0.1:{port}",
            adapter_url=f"http://127.0.0.1:{port}/adapter",
            quiet_seconds=0.3,
            grace_seconds=0.5,
        )
        config.update(dict(settings), "test")
        return Run(config).execute()

    return run


def failing(report: Report) -> set[str]:
    """The checks that did not pass: failed MUSTs and SHOULD warnings."""
    return {r.check.id for r in report.results if r.status.value in ("fail", "warn")}


def evidence(report: Report, check_id: str) -> list[str]:
    return [e.summary for r in report.results if r.check.id == check_id for e in r.evidence]
