"""pytest plugin (registered as ``toluna``): a toluna-sandbox for a partner's own test suite, and the conformance
checks as a test.

Fixtures:

``toluna_sandbox``
    session-scoped: a sandbox on a free loopback port serving ``--toluna-scenario`` (default: the bundled default
    scenario), with its URL, PanelGUID and keys, the journal, and assertions on it.
``toluna``
    the same sandbox, reset to its scenario before the test (state and journal).
``toluna_conformance``
    runs the conformance suite on a partner and returns the report; ``assert_conformant(report)`` fails the test
    with every failed check's evidence. ``--toluna-select``/``--toluna-exclude`` choose checks (id, glob or step).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .config import BUNDLED_SCENARIO, RunConfig
from .model import Report
from .runner import Run
from .sandbox import LocalSandbox, SandboxClient

DEFAULT_SCENARIO = BUNDLED_SCENARIO.with_name("default.yaml")
FIELDS = ("route", "member_code", "quota_id", "status", "result_code", "method")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("toluna", "toluna-sandbox and conformance")
    group.addoption("--toluna-scenario", type=Path, default=None, help="scenario the toluna_sandbox fixture serves")
    group.addoption("--toluna-select", action="append", default=[], help="conformance checks to run (id/glob/step)")
    group.addoption("--toluna-exclude", action="append", default=[], help="conformance checks to leave out")


class SandboxHandle:
    """A running sandbox as a test sees it."""

    def __init__(self, local: LocalSandbox) -> None:
        self.local = local
        self.url = local.url
        self.client = SandboxClient(local.url)
        shown = self.client.scenario()
        self.panels = shown["Panels"]
        self.panel = self.panels[0]["PanelGUID"]
        self.api_key = self.panels[0]["API_AUTH_KEY"]
        self.partner_auth_key = self.panels[0].get("PARTNER_AUTH_KEY")

    @property
    def es_url(self) -> str:
        return f"{self.url}/IPExternalSamplingService/ExternalSample/{self.panel}"

    def reset(self) -> None:
        self.client.call("POST", "reset")

    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        """Journal entries; filters are the control API's (route, member, quota, panel, since, until)."""
        return self.client.journal(**filters)

    def assert_requested(self, count: int | None = None, **wanted: Any) -> list[dict[str, Any]]:
        """Entries matching every field given (``route``, ``member_code``, ``quota_id``, ``status``,
        ``result_code``, ``method``); on failure, the message lists the near misses."""
        entries = self.journal()
        hits = [e for e in entries if all(e.get(k) == v for k, v in wanted.items())]
        if (count is None and hits) or (count is not None and len(hits) == count):
            return hits
        near = sorted(
            ((sum(e.get(k) == v for k, v in wanted.items()), e) for e in entries),
            key=lambda item: (-item[0], item[1]["id"]),
        )[:5]
        lines = [f"expected {count if count is not None else 'a'} request(s) with {wanted}, found {len(hits)}"]
        lines += ["near misses:"] + [
            f"  #{e['id']} " + ", ".join(f"{k}={e.get(k)!r}" for k in FIELDS) + f" ({score} of {len(wanted)} match)"
            for score, e in near
            if score
        ]
        raise AssertionError("\n".join(lines))


@pytest.fixture(scope="session")
def toluna_sandbox(request: pytest.FixtureRequest) -> Iterator[SandboxHandle]:
    scenario = request.config.getoption("--toluna-scenario") or DEFAULT_SCENARIO
    local = LocalSandbox(Path(scenario).read_text(encoding="utf-8"), Path(scenario).name)
    try:
        yield SandboxHandle(local)
    finally:
        local.stop()


@pytest.fixture
def toluna(toluna_sandbox: SandboxHandle) -> SandboxHandle:
    toluna_sandbox.reset()
    return toluna_sandbox


@pytest.fixture
def toluna_conformance(request: pytest.FixtureRequest) -> Callable[..., Report]:
    """``toluna_conformance(partner_cmd=..., partner_url=..., partner_base=...)``: one conformance run."""

    def run(**settings: Any) -> Report:
        config = RunConfig(
            include=list(request.config.getoption("--toluna-select")),
            exclude=list(request.config.getoption("--toluna-exclude")),
        )
        config.update(settings, "toluna_conformance")
        return Run(config).execute()

    return run


def assert_conformant(report: Report) -> None:
    """Fail with what keeps the run from READY: every failed MUST check with its evidence, every MUST check the run
    gave nothing to judge, and a run that stopped early."""
    blocking = report.blocking()
    if blocking or report.aborted:
        lines = [f"NOT READY: {len(blocking)} MUST check(s) block go-live"]
        if report.aborted:
            lines.append(f"the run stopped early: {report.aborted}")
        for r in blocking:
            lines.append(f"{r.check.id} {r.check.title} ({r.status.value}): {r.message}")
            lines += [f"  - {e.summary}" + (f" [{e.request}]" if e.request else "") for e in r.evidence[:5]]
        raise AssertionError("\n".join(lines))
