"""Generated GetQuotas bodies must look like Toluna's: its schema, its key order and its statistics."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from simulator.domain import questions as q
from simulator.scenario.generate import apportion, generate_inventory
from simulator.schemas import validator

SURVEY_KEYS = [
    "SurveyID",
    "SurveyName",
    "SurveyTopic",
    "WaveID",
    "LOI",
    "IR",
    "StudyTypeID",
    "ScheduledCompletionDate",
    "Price",
    "DeviceTypeIDs",
    "IsSurveyRecontact",
    "CompletesRequired",
    "EstimatedCompletesRemaining",
    "Quotas",
    "IsTqsSurvey",
    "SurveyWaveExclusions",
]
SIZES = [(68, 142), (5, 8), (1, 1), (3, 3), (10, 200)]


@pytest.fixture(scope="module")
def body() -> dict[str, Any]:
    return generate_inventory()


def quotas(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [quota for survey in body["Surveys"] for quota in survey["Quotas"]]


def layers(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [layer for quota in quotas(body) for layer in quota["Layers"]]


def subquotas(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [sq for layer in layers(body) for sq in layer["SubQuotas"]]


def targets(body: dict[str, Any], question: int | None = None) -> Iterator[dict[str, Any]]:
    for sq in subquotas(body):
        yield from (t for t in sq["QuestionsAndAnswers"] if question in (None, t["QuestionID"]))


@pytest.mark.parametrize(("surveys", "quota_count"), SIZES)
def test_body_validates_and_has_exactly_the_requested_counts(surveys: int, quota_count: int) -> None:
    body = generate_inventory(surveys, quota_count, seed=7)
    assert list(validator("toluna", "GetQuotasResponse").iter_errors(body)) == []
    assert len(body["Surveys"]) == surveys
    assert len(quotas(body)) == quota_count
    assert all(survey["Quotas"] for survey in body["Surveys"])


@pytest.mark.parametrize(("surveys", "quota_count"), SIZES)
def test_ids_are_unique_and_every_quota_is_open(surveys: int, quota_count: int) -> None:
    body = generate_inventory(surveys, quota_count, seed=3)
    for items, key in (
        (body["Surveys"], "SurveyID"),
        (quotas(body), "QuotaID"),
        (layers(body), "LayerID"),
        (subquotas(body), "SubQuotaID"),
    ):
        ids = [item[key] for item in items]
        assert len(ids) == len(set(ids)), key
    assert all(s["EstimatedCompletesRemaining"] > 0 for s in body["Surveys"])
    assert all(0 < quota["EstimatedCompletesRemaining"] <= quota["CompletesRequired"] for quota in quotas(body))
    assert all(0 <= sq["CurrentCompletes"] < sq["MaxTargetCompletes"] for sq in subquotas(body))


def test_key_order_and_value_types_follow_toluna(body: dict[str, Any]) -> None:
    assert list(body) == ["Surveys", "CountryID", "CacheExpires"]
    assert body["CountryID"] == 2000223
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,6}[1-9])?Z", body["CacheExpires"])
    for survey in body["Surveys"]:
        assert list(survey) == SURVEY_KEYS
        assert list(survey["Price"]) == ["Amount", "CurrencyID"]
        assert type(survey["Price"]["Amount"]) is float and 0.5 <= survey["Price"]["Amount"] <= 3.5
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,2}[1-9])?", survey["ScheduledCompletionDate"])
        assert re.fullmatch(r"\d{7}-US(-\w+)?", survey["SurveyName"])
        assert survey["DeviceTypeIDs"] in ([1, 2, 3], [1], [1, 2])
        assert survey["IsSurveyRecontact"] is False and survey["IsTqsSurvey"] is False
        assert survey["CompletesRequired"] == sum(quota["CompletesRequired"] for quota in survey["Quotas"])
        for key in ("SurveyID", "WaveID", "LOI", "IR", "StudyTypeID", "CompletesRequired"):
            assert type(survey[key]) is int, key
    assert all(
        list(quota) == ["QuotaID", "CompletesRequired", "EstimatedCompletesRemaining", "Layers"]
        for quota in quotas(body)
    )
    assert all(list(layer) == ["LayerID", "SubQuotas"] for layer in layers(body))
    assert all(
        list(sq) == ["QuestionsAndAnswers", "SubQuotaID", "CurrentCompletes", "MaxTargetCompletes"]
        for sq in subquotas(body)
    )
    assert all(list(t) == ["QuestionID", "AnswerIDs", "AnswerValues", "IsRoutable"] for t in targets(body))


def test_reference_size_reproduces_the_reference_counts(body: dict[str, Any]) -> None:
    per_survey = Counter(len(survey["Quotas"]) for survey in body["Surveys"])
    assert per_survey == {1: 50, 2: 11, 3: 3, 4: 1, 5: 1, 12: 1, 40: 1}
    assert Counter(len(quota["Layers"]) for quota in quotas(body)) == {1: 75, 2: 35, 3: 24, 4: 6, 6: 2}


def test_subquotas_per_layer_are_mostly_one_or_two(body: dict[str, Any]) -> None:
    per_layer = [len(layer["SubQuotas"]) for layer in layers(body)]
    assert max(per_layer) <= 15
    assert sum(n <= 2 for n in per_layer) / len(per_layer) >= 0.7
    assert 400 <= len(subquotas(body)) <= 700


def test_targeted_questions_follow_the_reference(body: dict[str, Any]) -> None:
    frequency = Counter(t["QuestionID"] for t in targets(body))
    assert len(frequency) == 24
    assert [question for question, _ in frequency.most_common(3)] == [q.AGE, q.GENDER, q.INCOME]
    assert 700 <= frequency.total() <= 1100
    assert all(bool(t["AnswerIDs"]) != bool(t["AnswerValues"]) for t in targets(body)), "ids or values, not both"


def test_routable_targets_are_a_few_percent_on_their_own_questions(body: dict[str, Any]) -> None:
    routable = [t for t in targets(body) if t["IsRoutable"]]
    assert 0.015 <= len(routable) / len(list(targets(body))) <= 0.04
    routable_questions = {t["QuestionID"] for t in routable}
    assert len(routable_questions) >= 10
    assert not routable_questions & {q.AGE, q.GENDER, q.INCOME, q.POSTAL_CODE}
    assert all(t["IsRoutable"] for t in targets(body) if t["QuestionID"] in routable_questions)


def test_age_is_targeted_by_ranges_and_by_brackets(body: dict[str, Any]) -> None:
    ages = list(targets(body, q.AGE))
    ranged = [t for t in ages if t["AnswerValues"]]
    bracketed = [t for t in ages if t["AnswerIDs"]]
    assert len(ranged) > len(bracketed) > 0
    for t in ranged:
        assert 1 <= len(t["AnswerValues"]) <= 2
        for value in t["AnswerValues"]:
            low, high = (int(x) for x in re.fullmatch(r"(\d\d)-(\d\d)", value).groups())  # type: ignore[union-attr]
            assert 13 <= low <= high <= 99
    assert all(set(t["AnswerIDs"]) <= set(q.AGE_BRACKETS) and len(t["AnswerIDs"]) <= 3 for t in bracketed)


def test_postal_targets_list_up_to_a_thousand_codes(body: dict[str, Any]) -> None:
    lists = [t["AnswerValues"] for t in targets(body, q.POSTAL_CODE)]
    assert lists and all(not t["AnswerIDs"] for t in targets(body, q.POSTAL_CODE))
    assert max(len(codes) for codes in lists) == 1000
    assert all(len(codes) <= 1000 and codes == sorted(set(codes), key=codes.index) for codes in lists)
    assert all(re.fullmatch(r"\d{4,5}", code) for codes in lists for code in codes)


def test_postal_computed_ids_are_written_as_text(body: dict[str, Any]) -> None:
    computed = list(targets(body, q.POSTAL_COMPUTED))
    assert computed
    assert all(not t["AnswerIDs"] and 1 <= len(t["AnswerValues"]) <= 2 for t in computed)
    assert all(re.fullmatch(r"\d{7}", value) for t in computed for value in t["AnswerValues"])


def test_exclusions_name_surveys_of_the_body(body: dict[str, Any]) -> None:
    waves = {survey["SurveyID"]: survey["WaveID"] for survey in body["Surveys"]}
    excluding = [survey for survey in body["Surveys"] if survey["SurveyWaveExclusions"]]
    assert len(excluding) == 26  # 38% of 68, as in the reference body
    for survey in excluding:
        for exclusion in survey["SurveyWaveExclusions"]:
            assert list(exclusion) == ["SurveyID", "WaveID", "ParticipationStatusIDs"]
            assert exclusion["SurveyID"] in waves
            assert exclusion["WaveID"] in (0, waves[exclusion["SurveyID"]])
            assert set(exclusion["ParticipationStatusIDs"]) <= {1, 3, 9, 10}
    assert any(len(survey["SurveyWaveExclusions"]) > 1 for survey in excluding)


def test_same_seed_same_body_other_seed_other_body() -> None:
    assert generate_inventory(seed=11) == generate_inventory(seed=11)
    assert generate_inventory(seed=11) != generate_inventory(seed=12)
    assert generate_inventory(5, 8, seed=11) == generate_inventory(5, 8, seed=11)


@pytest.mark.parametrize(("surveys", "quota_count"), [(0, 0), (5, 4), (-1, 3)])
def test_impossible_sizes_are_refused(surveys: int, quota_count: int) -> None:
    with pytest.raises(ValueError, match="one quota per survey"):
        generate_inventory(surveys, quota_count)


def test_apportion_is_exact_at_the_reference_size_and_sums_elsewhere() -> None:
    assert apportion([75, 35, 24, 6, 2], 142) == [75, 35, 24, 6, 2]
    for total in (0, 1, 8, 141, 1000):
        counts = apportion([75, 35, 24, 6, 2], total)
        assert sum(counts) == total and counts == sorted(counts, reverse=True)
    assert apportion([0, 0], 3) == [2, 1]
