"""``toluna-sandbox`` commands against a real server: explain, journal, validate."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import main
from tests.support import DEFAULT_SCENARIO, PANEL, Sandbox


def test_explain_prints_the_tree(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--url", sandbox.base_url, "--member", "M-TEEN", "--quota", "4200001"]) == 0
    out = capsys.readouterr().out
    assert "MEMBER_DOES_NOT_MATCH_QUOTA (16)" in out
    assert "Q1001538 wants any of ['18-99']; member has age" in out and "-> no-match" in out


def test_journal_lists_requests(fresh_sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    fresh_sandbox.invite("M-BLOCKED", 4200001)
    assert main(["journal", "--url", fresh_sandbox.base_url, "--route", "invite", "--member", "M-BLOCKED"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert (
        f"GET /IPExternalSamplingService/ExternalSample/{PANEL}/M-BLOCKED/Invite/4200001 -> 400 ResultCode 14" in out[0]
    )
    assert "blocked for abuse" in out[0]


def test_journal_without_a_sandbox_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["journal", "--url", "http://127.0.0.1:9"])
    assert "no sandbox answers at http://127.0.0.1:9" in str(info.value)


def test_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(DEFAULT_SCENARIO)]) == 0
    assert '"Quotas": 31' in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("panels:\n  - {guid: nope, culture: EN-US, api_key: k}\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: at panels[0].guid: 'nope' is not a GUID. Fix: write a GUID" in err


def test_serve_banner_names_what_a_partner_needs(sandbox: Sandbox) -> None:
    banner = sandbox.log.read_text()
    assert f"PanelGUID {PANEL}  API_AUTH_KEY 0f6b2d9e-3c4a-4b8e-a1d5-7e9c2f4a6b80" in banner
    assert f"Base URL (IP_ES_URL = IP_CORE_URL = IP_REF_DATA_URL): {sandbox.base_url}" in banner


@pytest.mark.parametrize(
    ("location", "said"),
    [
        ("mysql://sandbox:s3cret@x/y", "no store of this sandbox opens mysql:// locations"),
        ("postgresql://sandbox:s3cret@127.0.0.1:1/toluna", "postgresql://sandbox:***@127.0.0.1:1/toluna: cannot open"),
    ],
)
def test_serve_refuses_a_database_url_it_cannot_open_instead_of_making_a_folder_of_it(
    location: str, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "--scenario", str(DEFAULT_SCENARIO), "--db", location]) == 2
    err = capsys.readouterr().err
    assert said in err and "Fix:" in err
    assert "s3cret" not in err  # a URL may carry a password: never printed
    assert list(tmp_path.iterdir()) == []  # nothing created where the URL was taken for a path
