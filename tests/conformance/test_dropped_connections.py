"""A bad network between the suite and the sandbox costs a partner nothing: through a proxy that closes every idle
connection after 300 ms and drops one of the suite's requests in twenty (half before they reach the sandbox, half
after, their answers lost), every run of the reference partner ends READY with all its reports written."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.cli import main
from conformance.sandbox import LocalSandbox, free_port
from tests.flaky_proxy import FlakyProxy
from tests.support import ROOT

QUICK_RUNS = 3  # make test; the long lane (make test-slow) makes 20
SOAK_RUNS = 20


@pytest.fixture
def flaky(conformance_sandbox: LocalSandbox) -> Iterator[FlakyProxy]:
    url = urlsplit(conformance_sandbox.url)
    proxy = FlakyProxy((url.hostname or "127.0.0.1", url.port or 80), idle_seconds=0.3, drop_every=20,
                       victim=b"toluna-conformance")  # fmt: skip
    yield proxy
    proxy.close()


def run_through(proxy: FlakyProxy, reports: Path) -> int:
    port = free_port()
    return main(
        [
            "run",
            "--sandbox-url", proxy.url,
            "--partner-cmd", f"{sys.executable} -m examples.reference_partner --port {port}",
            "--partner-url", f"http://127.0.0.1:{port}/run",
            "--partner-base", f"http://127.0.0.1:{port}",
            "--adapter-url", f"http://127.0.0.1:{port}/adapter",
            "--mapping", str(ROOT / "examples" / "reference_partner" / "mapping.yaml"),
            "--quiet-seconds", "0.3", "--grace-seconds", "0.5",
            "--json", str(reports / "r.json"), "--junit", str(reports / "r.xml"), "--html", str(reports / "r.html"),
        ]
    )  # fmt: skip


def assert_ready_with_reports(code: int, reports: Path) -> None:
    doc = json.loads((reports / "r.json").read_text())
    assert code == 0, (doc["verdict"], doc["blocking"], doc["aborted"])
    assert doc["verdict"] == "READY" and doc["aborted"] is None
    assert ET.parse(reports / "r.xml").getroot().get("failures") == "0"
    assert "READY for go-live" in (reports / "r.html").read_text()


def ready_through(flaky: FlakyProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One whole run of the reference partner through the flaky network: READY, with every report written."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    assert_ready_with_reports(run_through(flaky, tmp_path), tmp_path)


@pytest.mark.parametrize("attempt", range(QUICK_RUNS))
def test_runs_through_a_flaky_network_are_ready(
    flaky: FlakyProxy, tmp_path: Path, attempt: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready_through(flaky, tmp_path, monkeypatch)
    counts = flaky.counts
    assert counts.dropped_before >= 1 and counts.dropped_after >= 1 and counts.idle_closed >= 10, counts


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(SOAK_RUNS))
def test_soak_runs_through_a_flaky_network_are_ready(
    flaky: FlakyProxy, tmp_path: Path, attempt: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready_through(flaky, tmp_path, monkeypatch)
