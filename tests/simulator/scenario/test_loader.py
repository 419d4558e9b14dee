"""Scenario files: what loads, and for what does not, a message naming the file, the path inside it and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.domain.errors import ScenarioError
from simulator.domain.model import MemberStatus
from simulator.scenario.loader import load_file, load_text
from simulator.store import open_store

PANEL = "panels:\n  - {guid: 11111111-2222-3333-4444-555555555555, culture: EN-US, api_key: k}\n"
SURVEY = (
    "inventory:\n  - culture: EN-US\n    surveys:\n"
    "      - {SurveyID: 7, WaveID: 8, LOI: 10, IR: 50, StudyTypeID: 1, ScheduledCompletionDate: null,"
    " Price: {Amount: 1.5, CurrencyID: 1}, DeviceTypeIDs: [1], IsSurveyRecontact: true, CompletesRequired: 10,"
    " EstimatedCompletesRemaining: 10, SurveyWaveExclusions: [], Quotas: [{QuotaID: 9, CompletesRequired: 10,"
    " EstimatedCompletesRemaining: 10, Layers: []}]}\n"
)


def error_of(text: str, file: str = "s.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_text(text, file)
    return info.value


@pytest.mark.parametrize(
    ("text", "path", "problem", "fix"),
    [
        ("panels: [\n", "line 2, column 1", "not valid YAML", "fix the syntax"),
        ("- a\n- b\n", "", "does not hold a mapping", "panels:"),
        ("name: x\n", "", "'panels' is required", "add 'panels'"),
        (PANEL.replace("api_key", "apikey"), "panels[0]", "unknown key 'apikey'", "rename it to 'api_key'"),
        (PANEL.replace("11111111-2222", "xyz"), "panels[0].guid", "is not a GUID", "write a GUID"),
        (PANEL.replace("EN-US", "EN-ZZ"), "panels[0]", "does not know EN-ZZ's CountryID", "add 'country_id'"),
        (
            PANEL + "members:\n  - {code: a, status: banned}\n",
            "members[0].status",
            "'banned' is not allowed",
            "use one of 'registered'",
        ),
        (
            PANEL + "members:\n  - {code: a, birth_date: 1990-02-31}\n",
            "members[0].birth_date",
            "is not a date",
            "YYYY-MM-DD",
        ),
        (
            PANEL + "members:\n  - {code: a, birth_date: -18x}\n",
            "members[0].birth_date",
            "is not a date",
            "-18y+1d",
        ),
        (PANEL + "members:\n  - {code: a}\n  - {code: a}\n", "members[1].code", "declared twice", "keep one"),
        (
            PANEL + "members:\n  - {code: a, panel: 99999999-2222-3333-4444-555555555555}\n",
            "members[0].panel",
            "no panel 99999999",
            "use one of 11111111",
        ),
        (
            PANEL + SURVEY + "recontact:\n  - {quota: 10, members: [a]}\n",
            "recontact[0].quota",
            "no quota 10",
            "fix the QuotaID",
        ),
        (
            PANEL
            + SURVEY.replace("IsSurveyRecontact: true", "IsSurveyRecontact: false")
            + "recontact:\n  - {quota: 9, members: [a]}\n",
            "recontact[0].quota",
            "not a recontact survey",
            "IsSurveyRecontact: true",
        ),
        (
            PANEL + SURVEY + "survey_state:\n  '70': {status: closed}\n",
            "survey_state.70",
            "no survey 70",
            "fix the SurveyID",
        ),
        (
            PANEL + SURVEY + SURVEY.replace("inventory:\n", "").replace("SurveyID: 7", "SurveyID: 17"),
            "inventory[1]",
            "",
            "",
        ),
        (
            PANEL + "faults:\n  - {route: invite, result_code: 2}\n",
            "faults[0].result_code",
            "not a Toluna ES result",
            "3 to 47",
        ),
        (PANEL + "faults:\n  - {route: invite}\n", "faults[0]", "the rule does nothing", "add result_code"),
        (
            PANEL.replace("api_key: k", "api_key: k, settings: {Qualifed URL: x}"),
            "panels[0].settings.Qualifed URL",
            "not a Toluna setting",
            "write 'Qualified URL'",
        ),
        (
            PANEL + "participations:\n  - {member: a, survey: 7, status: 9}\n",
            "participations[0].member",
            "no member a",
            "declare it",
        ),
        (
            PANEL + "outcome_rules:\n  - {outcomes: {qualified: 1, finished: 2}}\n",
            "outcome_rules[0].outcomes.finished",
            "'finished' is not an outcome",
            "use qualified, terminated",
        ),
        (
            PANEL + "outcome_rules:\n  - {quota: 77, outcomes: {qualified: 1}}\n",
            "outcome_rules[0].quota",
            "no quota 77",
            "fix the QuotaID",
        ),
        (
            PANEL + "outcome_rules:\n  - {outcomes: {qualified: 0}}\n",
            "outcome_rules[0].outcomes",
            "every weight is 0",
            "above 0",
        ),
        (
            PANEL + "inventory:\n  - {culture: EN-US, file: nowhere.json}\n",
            "inventory[0].file",
            "cannot read",
            "check the path",
        ),
    ],
)
def test_errors_name_file_path_and_fix(text: str, path: str, problem: str, fix: str) -> None:
    e = error_of(text)
    assert e.file == "s.yaml"
    if path.startswith("inventory[1]"):  # a survey repeated: the duplicated quota is named
        assert "quota 9 also belongs to survey 7" in e.problem
        return
    assert e.path == path
    assert problem in e.problem
    assert fix in e.fix
    assert str(e).startswith(f"s.yaml: at {path or '(top level)'}: ")


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_file(tmp_path / "absent.yaml")
    assert "absent.yaml" in str(info.value) and "check the path" in str(info.value)


def test_inventory_from_a_captured_body_file(tmp_path: Path) -> None:
    import json

    survey = {
        "SurveyID": 7,
        "WaveID": 8,
        "LOI": 10,
        "IR": 50,
        "StudyTypeID": 1,
        "ScheduledCompletionDate": None,
        "Price": {"Amount": 1.5, "CurrencyID": 1},
        "DeviceTypeIDs": [1],
        "IsSurveyRecontact": False,
        "CompletesRequired": 10,
        "EstimatedCompletesRemaining": 10,
        "SurveyWaveExclusions": [],
        "Quotas": [{"QuotaID": 9, "CompletesRequired": 10, "EstimatedCompletesRemaining": 10, "Layers": []}],
    }
    (tmp_path / "body.json").write_text(json.dumps({"Surveys": [survey], "CountryID": 2000223, "CacheExpires": "x"}))
    (tmp_path / "s.yaml").write_text(PANEL + "inventory:\n  - {culture: EN-US, file: body.json}\n")
    scenario = load_file(tmp_path / "s.yaml")
    assert [s.survey_id for s in scenario.surveys] == [7]


def test_a_bad_body_file_is_named_with_the_path_inside_it(tmp_path: Path) -> None:
    (tmp_path / "body.json").write_text('{"Surveys": [{"SurveyID": "seven"}], "CountryID": 1, "CacheExpires": "x"}')
    (tmp_path / "s.yaml").write_text(PANEL + "inventory:\n  - {culture: EN-US, file: body.json}\n")
    with pytest.raises(ScenarioError) as info:
        load_file(tmp_path / "s.yaml")
    assert "body.json: at Surveys[0]" in info.value.problem and "not a GetQuotas body" in info.value.problem
    assert info.value.path == "inventory[0].file"


def test_default_scenario_declares_what_the_paths_need(default_scenario) -> None:
    s = default_scenario
    assert len(s.panels) == 3 and s.panels[0].culture == "EN-US" and s.panels[0].country_id == 2000223
    tracker = [x for x in s.surveys if x.survey_id == 3100004]
    assert sorted(x.wave_id for x in tracker) == [900041, 900042]
    recontact = {r.quota_id: r.size for r in s.recontact}
    assert recontact[4200061] >= 25000 and recontact[4200062] >= 25000
    layer_counts = {len(q.layers) for x in s.surveys for q in x.quotas}
    assert {1, 2, 3} <= layer_counts
    assert {m.status for m in s.members} == set(MemberStatus)
    assert len([m for m in s.members if m.member_code.startswith("GEN-")]) == 500


def test_generated_members_are_deterministic() -> None:
    text = PANEL + "clock: {now: '2026-01-15T12:00:00Z', frozen: true}\npopulations:\n  - {count: 20, seed: 7}\n"
    first, second = load_text(text), load_text(text)
    assert [(m.member_code, m.birth_date, m.postal_code, m.answers) for m in first.members] == [
        (m.member_code, m.birth_date, m.postal_code, m.answers) for m in second.members
    ]
    other = load_text(text.replace("seed: 7", "seed: 8"))
    assert [m.postal_code for m in other.members] != [m.postal_code for m in first.members]


def test_a_failed_load_leaves_the_store_as_it_was(default_scenario) -> None:
    store = open_store(":memory:")
    store.load(default_scenario)
    before = store.inventory.snapshot().version
    with pytest.raises(ScenarioError):
        store.load(load_text(PANEL + "members:\n  - {code: a, status: banned}\n"))
    assert store.inventory.snapshot().version == before
    assert store.members.count() == len(default_scenario.members)


def test_relative_birth_dates_keep_a_member_on_the_same_side_of_a_birthday() -> None:
    text = PANEL + 'clock: {now: "2026-03-10T10:00:00Z", frozen: true}\nmembers:\n  - {code: a, birth_date: -18y+1d}\n'
    [member] = load_text(text, "s.yaml").members
    assert member.birth_date is not None and member.birth_date.isoformat() == "2008-03-11"
    assert member.age_on(member.birth_date.replace(year=2026, day=10)) == 17
