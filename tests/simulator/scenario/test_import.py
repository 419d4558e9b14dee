"""A GetQuotas body turned into a scenario must be served back as it was, with members who can match it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.app import create_app
from simulator.cli import main
from simulator.domain import questions as q
from simulator.domain.clock import ClockSetting
from simulator.domain.errors import ScenarioError
from simulator.domain.sampling import check_quota
from simulator.scenario.generate import generate_inventory
from simulator.scenario.importer import population_for, scenario_from_body, write_scenario
from simulator.scenario.loader import load_file
from simulator.scenario.population import generate_members
from simulator.store import open_store

GUID = "5b1c3a4e-1f2d-4c3b-9a8e-0d1c2b3a4f5e"
KEY = "test-key"


@pytest.fixture(scope="module")
def body() -> dict[str, Any]:
    return generate_inventory(seed=5)


def key_order(value: Any) -> Any:
    """The keys of every object, nested: equal for two values only when their key orders are."""
    if isinstance(value, dict):
        return [(k, key_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [key_order(v) for v in value]
    return None


def serve(scenario_path: Path) -> dict[str, Any]:
    store = open_store(":memory:")
    store.load(load_file(scenario_path))
    client = create_app(store).test_client()
    resp = client.get(f"/IPExternalSamplingService/ExternalSample/{GUID}/Quotas", headers={"API_AUTH_KEY": KEY})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_imported_body_is_served_back_unchanged(body: dict[str, Any], tmp_path: Path) -> None:
    doc = scenario_from_body(body, panel_guid=GUID, api_key=KEY, members=20)
    write_scenario(doc, tmp_path / "imported.yaml")
    served = serve(tmp_path / "imported.yaml")
    assert served.pop("CacheExpires") != body["CacheExpires"]
    expected = {k: v for k, v in body.items() if k != "CacheExpires"}
    assert served == expected
    assert key_order(served) == key_order(expected)


def test_document_has_one_panel_of_the_body_s_country(body: dict[str, Any]) -> None:
    doc = scenario_from_body(body, panel_guid=GUID, api_key=KEY, culture="EN-US", name="Replay")
    assert doc["name"] == "Replay"
    assert doc["panels"] == [
        {"guid": GUID, "name": "Replay", "culture": "EN-US", "country_id": body["CountryID"], "api_key": KEY}
    ]
    assert doc["inventory"] == [{"culture": "EN-US", "surveys": body["Surveys"]}]
    assert "populations" not in doc


def test_population_draws_answers_from_the_targets() -> None:
    surveys = [_survey(_target(q.INCOME, ids=[11, 12]), _target(q.INCOME, ids=[12]), _target(q.AGE, values=["25-34"]))]
    surveys += [
        _survey(_target(q.POSTAL_CODE, values=["07001", "1001"]), _target(q.POSTAL_COMPUTED, values=["2112286"]))
    ]
    surveys += [_survey(_target(q.GENDER, ids=[q.FEMALE]), _target(q.AGE, ids=[2006361]))]
    population = population_for(surveys, 10, seed=3)
    assert population["answers"] == {str(q.INCOME): {"11": 1, "12": 2}, str(q.POSTAL_COMPUTED): {"2112286": 1}}
    assert population["postal_codes"] == ["07001", "1001"]
    assert population["gender"] == {"female": 1.0, "male": 0.0}
    assert population["age"] == {"min": 25, "max": 80}
    assert (population["count"], population["seed"]) == (10, 3)


def test_population_members_live_under_the_targeted_postal_prefixes(body: dict[str, Any]) -> None:
    population = population_for(body["Surveys"], 200, seed=1)
    prefixes = tuple(population["postal_codes"])
    assert len(prefixes) > 1000
    members = list(generate_members(population, GUID, ClockSetting().now().date()))
    assert all(m.postal_code is not None and m.postal_code.startswith(prefixes) for m in members)


def test_written_yaml_keeps_numeric_strings_and_lists_compact(tmp_path: Path) -> None:
    codes = [f"{n:05d}" for n in range(7001, 8001)] + ["08002", "1001", "1e3", "0x1F", "18-99", "2112286"]
    doc = {"panels": [{"guid": GUID, "culture": "EN-US", "api_key": "007"}], "codes": codes, "weights": {"2000": 1}}
    write_scenario(doc, tmp_path / "s.yaml")
    text = (tmp_path / "s.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text) == doc
    assert len(text.splitlines()) < 150
    assert "'08002'" in text and "'1001'" in text and "&id" not in text


def test_body_that_is_not_a_getquotas_body_is_refused_with_its_path(body: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(body))
    broken["Surveys"][3]["Quotas"][0]["Layers"][0]["SubQuotas"][0]["SubQuotaID"] = "x"
    with pytest.raises(ScenarioError) as err:
        scenario_from_body(broken, panel_guid=GUID, api_key=KEY, source="capture.json")
    assert err.value.file == "capture.json"
    assert err.value.path == "Surveys[3].Quotas[0].Layers[0].SubQuotas[0].SubQuotaID"
    assert "not a GetQuotas body" in err.value.problem
    with pytest.raises(ScenarioError, match="JSON list"):
        scenario_from_body(body["Surveys"], panel_guid=GUID, api_key=KEY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "option", "problem"),
    [
        ({"panel_guid": "not-a-guid"}, "panel_guid", "not a GUID"),
        ({"api_key": ""}, "api_key", "minLength"),
        ({"members": -5}, "members", "minimum"),
        ({"culture": "english"}, "culture", "does not match"),
    ],
)
def test_bad_options_name_the_option(body: dict[str, Any], options: dict[str, Any], option: str, problem: str) -> None:
    kwargs: dict[str, Any] = {"panel_guid": GUID, "api_key": KEY, **options}
    with pytest.raises(ScenarioError) as err:
        scenario_from_body(body, **kwargs)
    assert (err.value.file, err.value.path) == ("import options", option)
    assert problem in err.value.problem or problem in err.value.fix


def test_cli_generates_imports_and_the_members_match_quotas(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    body_path, scenario_path = tmp_path / "body.json", tmp_path / "scenario.yaml"
    assert main(["generate-inventory", "--surveys", "20", "--quotas", "40", "--seed", "2", "-o", str(body_path)]) == 0
    assert json.loads(body_path.read_text(encoding="utf-8")) == generate_inventory(20, 40, seed=2)
    argv = ["import-quotas", str(body_path), "--panel-guid", GUID, "--api-key", KEY, "--members", "50"]
    assert main([*argv, "-o", str(scenario_path)]) == 0
    assert (
        capsys.readouterr().out.splitlines()[-1]
        == f"import-quotas: 20 surveys, 40 quotas, 50 members -> {scenario_path}"
    )
    scenario = load_file(scenario_path)
    assert len(scenario.members) == 50
    on = (scenario.clock or ClockSetting()).now().date()
    quotas = [quota for survey in scenario.surveys for quota in survey.quotas]
    matches = [[check_quota(m, quota, on).matched for quota in quotas] for m in scenario.members]
    assert sum(any(row) for row in matches) >= 40
    # answers drawn from the targets reach most quotas (profiles without them reach under half of these)
    assert sum(any(column) for column in zip(*matches, strict=True)) >= 0.75 * len(quotas)


def test_cli_prints_a_generated_body_without_output(capsys: pytest.CaptureFixture) -> None:
    assert main(["generate-inventory", "--surveys", "2", "--quotas", "3"]) == 0
    assert json.loads(capsys.readouterr().out) == generate_inventory(2, 3)
    assert main(["generate-inventory", "--surveys", "4", "--quotas", "3"]) == 2
    assert "Fix:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (None, "cannot read the file"),
        ("{not json", "line 1, column 2"),
        ('{"Surveys": [], "CountryID": 2000223}', "'CacheExpires' is required"),
    ],
)
def test_cli_refuses_a_broken_body_with_file_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture, content: str | None, where: str
) -> None:
    body_path = tmp_path / "body.json"
    if content is not None:
        body_path.write_text(content, encoding="utf-8")
    argv = ["import-quotas", str(body_path), "--panel-guid", GUID, "--api-key", KEY, "-o", str(tmp_path / "s.yaml")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert str(body_path) in err and where in err and "Fix:" in err
    assert not (tmp_path / "s.yaml").exists()


def test_cli_refuses_a_bad_guid(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    body_path = tmp_path / "body.json"
    body_path.write_text(json.dumps(generate_inventory(2, 2)), encoding="utf-8")
    argv = ["import-quotas", str(body_path), "--panel-guid", "1234", "--api-key", KEY, "-o", str(tmp_path / "s.yaml")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "panel_guid" in err and "'1234' is not a GUID" in err and "Fix:" in err


def _target(question: int, ids: list[int] | None = None, values: list[str] | None = None) -> dict[str, Any]:
    return {"QuestionID": question, "AnswerIDs": ids or [], "AnswerValues": values or [], "IsRoutable": False}


def _survey(*targets: dict[str, Any]) -> dict[str, Any]:
    subquota = {"QuestionsAndAnswers": list(targets), "SubQuotaID": 1, "CurrentCompletes": 0, "MaxTargetCompletes": 5}
    return {"Quotas": [{"Layers": [{"LayerID": 1, "SubQuotas": [subquota]}]}]}
