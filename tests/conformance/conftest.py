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
MAPPING = ROOT / "examples" / "reference_partner" / "mapping.yaml"
#: A partner that answers POST /run late: the run's timeout is short, and the partner later still.
PARTNER_ENV = {"RUN-01": {"SLOW_RUN_SECONDS": "2.5"}, "examples.flask_partner": {"FLASK_PARTNER_SECRET": "p2-secret"}}
RUN_SETTINGS: dict[str, dict[str, object]] = {"RUN-01": {"cycle_timeout": 1.0}}


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
        env = " ".join(f"{k}={v}" for k, v in PARTNER_ENV.get(partner[-1], {}).items())
        config = RunConfig(
            sandbox_url=conformance_sandbox.url,
            partner_cmd=" ".join(filter(None, ["env" if env else "", env, sys.executable, "-m", *partner]))
            + f" --port {port}",
            partner_url=f"http://127.0.0.1:{port}/run",
            partner_base=f"http://127.0.0.1:{port}",
            adapter_url=f"http://127.0.0.1:{port}/adapter",
            mapping=MAPPING,
            quiet_seconds=0.3,
            grace_seconds=0.5,
        )
        chosen = {**RUN_SETTINGS.get(partner[-1], {}), **settings}
        if isinstance(chosen.get("endpoints"), dict):  # "{base}" in a URL is where this partner listens
            chosen["endpoints"] = {k: v.format(base=config.partner_base) for k, v in chosen["endpoints"].items()}
        config.update(chosen, "test")
        return Run(config).execute()

    return run


def failing(report: Report) -> set[str]:
    """The checks that did not pass: failed MUSTs and SHOULD warnings."""
    return {r.check.id for r in report.results if r.status.value in ("fail", "warn")}


def blocking(report: Report) -> dict[str, str]:
    """What keeps a report from READY, with the reason (for assertion messages)."""
    return {r.check.id: r.message for r in report.blocking()} | ({"aborted": report.aborted} if report.aborted else {})


def evidence(report: Report, check_id: str) -> list[str]:
    return [e.summary for r in report.results if r.check.id == check_id for e in r.evidence]
