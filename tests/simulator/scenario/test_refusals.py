"""A refused scenario lists all of its problems (``validate``, the control API) and changes nothing; legitimate
files, aliases and merge keys included, still load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from simulator.cli import main
from simulator.domain.errors import ScenarioError
from simulator.scenario.limits import Limits
from simulator.scenario.loader import load_file, load_text
from tests.support import DEFAULT_SCENARIO, Sandbox

from .test_broken_files import BASE, PANEL, QUOTA, SURVEY

SCENARIOS = sorted((Path(__file__).parents[3] / "fixtures" / "scenarios").glob("*.yaml"))
#: Four mistakes in four places: a repeated key, a negative LOI, a QuotaID beyond Int32, a URL without a host.
FOUR_MISTAKES = (
    BASE.replace("LOI: 10", "LOI: -1")
    .replace("QuotaID: 9", "QuotaID: 2147483648")
    .replace("https://partner.example/notify/quota", "https:///notify")
    + "name: twice\n"
)


def test_validate_lists_every_problem_with_a_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "four.yaml"
    path.write_text(FOUR_MISTAKES)
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1] == f"4 errors in {path}"
    expected = {
        "name": "written twice",
        f"{SURVEY}.LOI": "-1 is below the minimum of 1",
        f"{QUOTA}.QuotaID": "beyond 2147483647",
        f"{PANEL}.settings.Quota Notification URL": "names no host",
    }
    assert len(lines) == 5
    for where, problem in expected.items():
        assert any(line.startswith(f"{path}: at {where}: ") and problem in line and ". Fix: " in line for line in lines)


def test_validate_passes_a_good_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(DEFAULT_SCENARIO)]) == 0
    assert json.loads(capsys.readouterr().out)["Quotas"] == 31


def test_a_refused_load_lists_every_problem_and_keeps_the_scenario_served(fresh_sandbox: Sandbox) -> None:
    before = fresh_sandbox.control("GET", "scenario").json()
    quotas = fresh_sandbox.get(f"/IPExternalSamplingService/ExternalSample/{before['Panels'][0]['PanelGUID']}/Quotas")
    answer = fresh_sandbox.control("POST", "scenario", params={"name": "four.yaml"}, data=FOUR_MISTAKES.encode())
    assert answer.status_code == 400
    body = answer.json()
    assert body["ErrorCount"] == 4 and len(body["Errors"]) == 4
    assert {e["Path"] for e in body["Errors"]} >= {f"{SURVEY}.LOI", f"{QUOTA}.QuotaID", "name"}
    assert all(e["File"] == "four.yaml" and e["Fix"] for e in body["Errors"])
    assert fresh_sandbox.control("GET", "scenario").json()["Name"] == before["Name"] == "default"
    again = fresh_sandbox.get(f"/IPExternalSamplingService/ExternalSample/{before['Panels'][0]['PanelGUID']}/Quotas")
    assert again.json()["Surveys"] == quotas.json()["Surveys"]


def test_a_latin1_body_is_refused_over_http(fresh_sandbox: Sandbox) -> None:
    answer = fresh_sandbox.control("POST", "scenario", data=BASE.replace("broken", "café").encode("latin-1"))
    assert answer.status_code == 400
    assert "not UTF-8 text" in answer.json()["Problem"] and answer.json()["Path"] == "line 1"
    assert fresh_sandbox.control("GET", "scenario").json()["Name"] == "default"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_the_bundled_scenarios_load(path: Path) -> None:
    assert load_file(path).surveys


def test_the_corpus_base_loads_and_so_does_its_json_form() -> None:
    assert [q.quota_id for s in load_text(BASE).surveys for q in s.quotas] == [9]
    as_json = json.dumps(yaml.safe_load(BASE), indent="\t")  # tabs: JSON, not YAML indentation
    assert load_text(as_json.encode(), "s.json").panels[0].guid.startswith("11111111")


def test_aliases_and_merge_keys_still_load() -> None:
    text = BASE.replace("  - {code: M1, ", "  - &first {code: M1, ") + "  - {<<: *first, code: M2, gender: male}\n"
    members = load_text(text).members
    assert [(m.member_code, str(m.birth_date)) for m in members] == [("M1", "1990-06-15"), ("M2", "1990-06-15")]


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOLUNA_SANDBOX_SCENARIO_MAX_BYTES", "500")
    monkeypatch.setenv("TOLUNA_SANDBOX_SCENARIO_MAX_DEPTH", "not a number")
    assert Limits.from_env() == Limits(max_bytes=500)
    with pytest.raises(ScenarioError, match="larger than 500 bytes") as caught:
        load_text(BASE)
    assert "TOLUNA_SANDBOX_SCENARIO_MAX_BYTES" in caught.value.fix


def test_a_long_list_of_problems_is_cut_but_counted() -> None:
    members = "".join(f"  - {{code: M{i}, birth_date: '1990-02-30'}}\n" for i in range(300))
    with pytest.raises(ScenarioError) as caught:
        load_text(BASE + members, "many.yaml")
    assert caught.value.count == 300 and len(caught.value.problems) == Limits().max_errors
    assert caught.value.summary() == "300 errors in many.yaml (100 not listed)"
