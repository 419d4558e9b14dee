"""Toluna's sampling rules on the structures of Toluna's three sampling examples and on quotas shaped like the
real inventory, each with a member that matches and a near miss that must not."""

from __future__ import annotations

from datetime import date

import pytest

from simulator.domain import questions as q
from simulator.domain.inventory_codec import quota_from_wire
from simulator.domain.model import Member
from simulator.domain.sampling import Outcome, check_quota, parse_age_range

ON = date(2026, 3, 1)


def member(**kw: object) -> Member:
    answers = kw.pop("answers", {})
    gender = kw.pop("gender", q.FEMALE)
    base = {q.GENDER: frozenset([gender])} if gender else {}
    base.update({k: frozenset(v) for k, v in answers.items()})  # type: ignore[union-attr]
    return Member(panel_guid="p", member_code=str(kw.pop("code", "m")), answers=base, **kw)  # type: ignore[arg-type]


def qa(question: int, ids: tuple[int, ...] = (), values: tuple[str, ...] = (), routable: bool = False) -> dict:
    return {"QuestionID": question, "AnswerIDs": list(ids), "AnswerValues": list(values), "IsRoutable": routable}


def quota(*layers: list[list[dict]], full: set[int] = frozenset()) -> object:
    sq_id = iter(range(1, 1000))
    wire = {
        "QuotaID": 1,
        "CompletesRequired": 10,
        "EstimatedCompletesRemaining": 10,
        "Layers": [
            {
                "LayerID": li,
                "SubQuotas": [
                    {
                        "QuestionsAndAnswers": targets,
                        "SubQuotaID": (i := next(sq_id)),
                        "CurrentCompletes": 5 if i in full else 0,
                        "MaxTargetCompletes": 5,
                    }
                    for targets in layer
                ],
            }
            for li, layer in enumerate(layers, 1)
        ],
    }
    return quota_from_wire(wire)


# Toluna's example "Quota with Multiple Layers": layer 1 age 18-100, layer 2 gender female OR male.
MULTI_LAYER = quota([[qa(q.AGE, values=("18-100",))]], [[qa(q.GENDER, (q.FEMALE, q.MALE))]])
# Toluna's example "Single Layer, Multiple QuestionIDs" is one layer with a female and a male subquota.
SINGLE_LAYER_TWO_SUBQUOTAS = quota([[qa(q.GENDER, (q.FEMALE,))], [qa(q.GENDER, (q.MALE,))]])
# Toluna's example "Single Layer, Single QuestionID": one subquota, gender with both answers.
SINGLE_LAYER_SINGLE_QID = quota([[qa(q.GENDER, (q.MALE, q.FEMALE))]])


def test_multi_layer_needs_every_layer() -> None:
    assert check_quota(member(birth_date=date(1990, 1, 1)), MULTI_LAYER, ON).matched
    near_miss = member(birth_date=date(2010, 1, 1))  # 16: fails the age layer, passes gender
    result = check_quota(near_miss, MULTI_LAYER, ON)
    assert not result.matched
    assert result.first_failure().layer_id == 1
    assert [layer.matched for layer in result.layers] == [False, True]


def test_one_subquota_per_layer_is_enough() -> None:
    assert check_quota(member(gender=q.MALE), SINGLE_LAYER_TWO_SUBQUOTAS, ON).matched
    assert check_quota(member(gender=q.FEMALE), SINGLE_LAYER_TWO_SUBQUOTAS, ON).matched
    assert not check_quota(member(gender=None), SINGLE_LAYER_TWO_SUBQUOTAS, ON).matched


def test_or_within_a_question() -> None:
    assert check_quota(member(gender=q.MALE), SINGLE_LAYER_SINGLE_QID, ON).matched
    unanswered = check_quota(member(gender=None), SINGLE_LAYER_SINGLE_QID, ON)
    assert unanswered.layers[0].subquotas[0].questions[0].outcome is Outcome.UNANSWERED


def test_and_across_questions_in_a_subquota() -> None:
    both = quota([[qa(q.GENDER, (q.FEMALE,)), qa(q.INCOME, (2002320, 2002321))]])
    assert check_quota(member(answers={q.INCOME: [2002321]}), both, ON).matched
    near_miss = check_quota(member(answers={q.INCOME: [2002330]}), both, ON)
    assert not near_miss.matched
    outcomes = [c.outcome for c in near_miss.layers[0].subquotas[0].questions]
    assert outcomes == [Outcome.MATCH, Outcome.NO_MATCH]


def test_entries_with_the_same_question_id_are_one_or_group() -> None:
    split = quota([[qa(q.INCOME, (2002320,)), qa(q.INCOME, (2002321,))]])
    assert check_quota(member(answers={q.INCOME: [2002321]}), split, ON).matched


@pytest.mark.parametrize(
    ("birth", "matched"),
    [(date(2001, 3, 1), True), (date(2001, 3, 2), False), (date(1991, 3, 2), True), (date(1991, 3, 1), False)],
)
def test_age_range_is_computed_on_the_clock_date(birth: date, matched: bool) -> None:
    # on 2026-03-01: born 2001-03-01 just turned 25, 2001-03-02 is 24; 1991-03-02 is 34, 1991-03-01 turned 35
    ranges = quota([[qa(q.AGE, values=("25-34",))]])
    assert check_quota(member(birth_date=birth), ranges, ON).matched is matched


def test_age_brackets_as_answer_ids() -> None:
    brackets = quota([[qa(q.AGE, (2006355, 2006356))]])  # 35-39, 40-44
    assert check_quota(member(birth_date=date(1986, 1, 1)), brackets, ON).matched  # 40
    assert not check_quota(member(birth_date=date(1981, 1, 1)), brackets, ON).matched  # 45


def test_two_age_ranges_or_together() -> None:
    two = quota([[qa(q.AGE, values=("18-24", "55-64"))]])
    assert check_quota(member(birth_date=date(1965, 6, 1)), two, ON).matched  # 60
    assert not check_quota(member(birth_date=date(1990, 6, 1)), two, ON).matched  # 35


@pytest.mark.parametrize(
    ("postal", "matched"),
    [("07001", True), ("07059-1234", True), ("0700", False), ("17001", False), ("sw1a 1aa", True), (None, False)],
)
def test_postal_codes_match_by_prefix(postal: str | None, matched: bool) -> None:
    prefixes = quota([[qa(q.POSTAL_CODE, values=("07001", "07059", "SW1A"))]])
    assert check_quota(member(postal_code=postal), prefixes, ON).matched is matched


def test_comma_separated_id_lists_in_answer_values() -> None:
    dma = quota([[qa(q.POSTAL_COMPUTED, values=("2112287,2112087",))]])
    assert check_quota(member(answers={q.POSTAL_COMPUTED: [2112087]}), dma, ON).matched
    assert not check_quota(member(answers={q.POSTAL_COMPUTED: [2112286]}), dma, ON).matched


def test_unanswered_routable_question_does_not_disqualify() -> None:
    routable = quota([[qa(q.GENDER, (q.FEMALE,)), qa(q.EDUCATION, (2002274,), routable=True)]])
    result = check_quota(member(), routable, ON)
    assert result.matched
    assert result.layers[0].subquotas[0].questions[1].outcome is Outcome.ROUTABLE_UNANSWERED
    assert not check_quota(member(answers={q.EDUCATION: [2002268]}), routable, ON).matched


def test_unanswered_non_routable_question_disqualifies() -> None:
    plain = quota([[qa(q.GENDER, (q.FEMALE,)), qa(q.EDUCATION, (2002274,))]])
    assert not check_quota(member(), plain, ON).matched


def test_real_body_shape_six_layers() -> None:
    """Six layers as in the largest quotas of Toluna's real body: age range, gender, income, postal, ethnicity,
    routable employment. One crafted member passes; changing any one answer breaks exactly that layer."""
    six = quota(
        [[qa(q.AGE, values=("25-34",))], [qa(q.AGE, values=("35-49",))]],
        [[qa(q.GENDER, (q.FEMALE,))], [qa(q.GENDER, (q.MALE,))]],
        [[qa(q.INCOME, tuple(range(2002320, 2002326)))]],
        [[qa(q.POSTAL_CODE, values=tuple(f"{n:05d}" for n in range(7001, 8000)))]],
        [[qa(q.ETHNICITY, (2000264, 2000265))]],
        [[qa(q.EMPLOYMENT, (3056605, 3056606), routable=True)]],
    )
    good = dict(birth_date=date(1990, 6, 1), postal_code="07650", answers={q.INCOME: [2002322], q.ETHNICITY: [2000265]})
    assert check_quota(member(**good), six, ON).matched
    breaks = {
        1: dict(good, birth_date=date(2005, 6, 1)),
        3: dict(good, answers={q.INCOME: [2002313], q.ETHNICITY: [2000265]}),
        4: dict(good, postal_code="08650"),
        5: dict(good, answers={q.INCOME: [2002322]}),
        6: dict(good, answers={q.INCOME: [2002322], q.ETHNICITY: [2000265], q.EMPLOYMENT: [3056611]}),
    }
    for layer_id, kw in breaks.items():
        result = check_quota(member(**kw), six, ON)
        assert [layer.layer_id for layer in result.layers if not layer.matched] == [layer_id]


def test_full_subquota_is_reported() -> None:
    gender = quota([[qa(q.GENDER, (q.FEMALE,))], [qa(q.GENDER, (q.MALE,))]], full={1})
    female = check_quota(member(), gender, ON)
    assert female.matched and female.only_full_subquotas
    assert not check_quota(member(gender=q.MALE), gender, ON).only_full_subquotas


def test_explanation_renders_what_the_member_has() -> None:
    result = check_quota(member(birth_date=date(2010, 1, 1)), MULTI_LAYER, ON)
    text = result.render()
    assert "NO MATCH" in text and "age 16" in text and "'18-100'" in text
    assert result.to_dict()["Layers"][0]["SubQuotas"][0]["Questions"][0]["Outcome"] == "no-match"


@pytest.mark.parametrize(("text", "bounds"), [("18-99", (18, 99)), ("65+", (65, 150)), ("30", (30, 30)), ("x", None)])
def test_parse_age_range(text: str, bounds: tuple[int, int] | None) -> None:
    assert parse_age_range(text) == bounds
