"""Outcome rules: seeded shares per member and quota, the most specific rule first."""

from __future__ import annotations

from collections import Counter

from simulator.domain.outcome_rules import OutcomeRule, choose

SHARES = OutcomeRule((("qualified", 70), ("terminated", 20), ("quota_full", 10)), seed=7, quota_id=42)


def test_shares_come_out_as_written_over_many_members() -> None:
    got = Counter(SHARES.pick(f"M-{i}", 42) for i in range(20_000))
    assert abs(got["qualified"] / 20_000 - 0.7) < 0.02
    assert abs(got["terminated"] / 20_000 - 0.2) < 0.02
    assert abs(got["quota_full"] / 20_000 - 0.1) < 0.02


def test_the_same_member_and_quota_always_get_the_same_outcome_and_the_seed_changes_it() -> None:
    members = [f"M-{i}" for i in range(200)]
    first = [SHARES.pick(m, 42) for m in members]
    assert first == [SHARES.pick(m, 42) for m in members]
    reseeded = OutcomeRule(SHARES.weights, seed=8, quota_id=42)
    assert first != [reseeded.pick(m, 42) for m in members]


def test_a_quota_rule_wins_over_a_survey_rule_which_wins_over_a_general_one() -> None:
    general = OutcomeRule((("terminated", 1),))
    survey = OutcomeRule((("quota_full", 1),), survey_id=7)
    quota = OutcomeRule((("not_qualified", 1),), quota_id=42)
    rules = [general, survey, quota]
    assert choose(rules, "M", 7, 42) == "not_qualified"
    assert choose(rules, "M", 7, 43) == "quota_full"
    assert choose(rules, "M", 8, 44) == "terminated"
    assert choose([], "M", 8, 44) == "qualified"
