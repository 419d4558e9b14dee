"""The command line as a partner's CI meets it: one line and exit 2 for a bad configuration, secrets masked in the
progress output, reports in ``reports/`` (kept out of git) unless named, lines not wrapped in a CI log, and a run
whose partner dies still writing its reports."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from conformance.cli import main
from conformance.config import ConfigError, RunConfig
from conformance.model import CheckInfo, Evidence, Report, Result, Severity, Status
from conformance.report.terminal import console_for, print_report
from conformance.sandbox import LocalSandbox
from conformance.secrets import Masker

from .harness import partner_on_path


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('cycles = "2"', "cycles = '2' is not a whole number. Fix: write cycles as a whole number"),
        ("cycles = 2", "cycles = 2. Fix: at least 3"),
        ("grace_seconds = true", "grace_seconds = True is not a number"),
        ("colour = 1", "unknown setting 'colour'"),
        ("respondent = 1", "respondent = 1 is not true or false"),
        ("[endpoints\n", "Fix: write valid TOML"),
    ],
)
def test_a_bad_configuration_is_one_line_and_exit_2(tmp_path: Path, toml: str, says: str) -> None:
    (tmp_path / "toluna-conformance.toml").write_text(toml + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], lines


def test_config_types_are_checked_in_code_too() -> None:
    with pytest.raises(ConfigError, match="quiet_seconds = 'x' is not a number"):
        RunConfig().update({"quiet_seconds": "x"}, "test")


def test_secrets_are_masked_keeping_their_last_four_characters() -> None:
    mask = Masker(["conformance-secret", "c0f0a1b2-0000-4000-8000-0000000000a1", "abc"])
    assert mask("key conformance-secret and c0f0a1b2-0000-4000-8000-0000000000a1, abc") == (
        "key ****cret and ****00a1, abc"
    )


def _report() -> Report:
    check = CheckInfo(id="X-01", title="A check", step="Quota inventory", severity=Severity.MUST, rule="a rule " * 30)
    long = "evidence " * 40
    return Report(
        scenario="s.yaml",
        sandbox_url="http://127.0.0.1:1",
        sandbox_version="1",
        suite_version="2",
        started="t0",
        finished="t1",
        partner="p",
        results=[Result(check=check, status=Status.FAIL, message="m", evidence=[Evidence(summary=long)])],
    )


def test_a_ci_log_is_not_wrapped_at_80_columns() -> None:
    out = io.StringIO()  # not a terminal
    print_report(_report(), console_for(out))
    line = next(line for line in out.getvalue().splitlines() if "evidence evidence" in line)
    assert len(line) > 300 and line.count("evidence") == 40


def test_a_terminal_is_wrapped_to_its_width() -> None:
    console = Console(file=io.StringIO(), width=100)
    print_report(_report(), console)
    assert max(len(line) for line in console.file.getvalue().splitlines()) <= 100


def test_a_run_whose_partner_dies_writes_its_reports_in_reports_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, conformance_sandbox: LocalSandbox, capsys: pytest.CaptureFixture
) -> None:
    """The partner's command exits at once: the run ends with exit 2, the error in every report, and the reports
    in ``reports/``, which keeps itself out of git; the progress output shows no key."""
    partner_on_path()
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            "run",
            "--sandbox-url", conformance_sandbox.url,
            "--partner-cmd", f"{sys.executable} -c 'raise SystemExit(3)'",
            "--partner-url", "http://127.0.0.1:9/run",
            "--quiet-seconds", "0.2",
            "--certificate", "go-live.json", "--signing-key", "key.pem",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 2
    assert main(["verify", "go-live.json", "--public-key", "key.pem"]) == 0  # a NOT READY sign-off, signed
    assert json.loads((tmp_path / "go-live.json").read_text())["manifest"]["verdict"] == "NOT READY"
    doc = json.loads((tmp_path / "reports" / "toluna-conformance.json").read_text())
    assert doc["verdict"] == "NOT READY" and "exited with 3" in doc["aborted"]
    assert (tmp_path / "reports" / "toluna-conformance.xml").is_file()
    assert "exited with 3" in (tmp_path / "reports" / "toluna-conformance.html").read_text()
    assert (tmp_path / "reports" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert "conformance-secret" not in out and "0000000000a1" not in out and "****00a1" in out


def test_a_run_with_no_partner_passes_nothing(conformance_sandbox: LocalSandbox) -> None:
    """Nothing happened, so nothing passed: every check is not exercised or fails on what did happen (GetQuotas
    never read, recontact lists never paged, the notifications the sandbox sent found no endpoint)."""
    from conformance.runner import Run

    config = RunConfig(sandbox_url=conformance_sandbox.url, quiet_seconds=0.2, grace_seconds=0.2, cache_seconds=0.5)
    report = Run(config).execute()
    statuses = {r.check.id: r.status for r in report.results}
    assert Status.PASS not in statuses.values(), [c for c, s in statuses.items() if s is Status.PASS]
    assert statuses["INV-01"] is Status.FAIL and statuses["RC-01"] is Status.FAIL
    assert statuses["SMP-06"] is Status.NOT_EXERCISED and statuses["END-01"] is Status.NOT_EXERCISED
    assert not report.ready and len(report.blocking()) >= 35
