"""The bulk engine must agree with the scalar one (``sampling.check_quota``) member by member."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pytest

from simulator.domain import questions as q
from simulator.domain.bulk import NO_ANSWER, Population, match_quota, match_quotas
from simulator.domain.model import Layer, Member, Quota, SubQuota, Target
from simulator.domain.sampling import check_quota

ON = date(2024, 3, 15)
MULTI = 1001540  # a multi-select question
OPEN = 1001033  # answered with open-ended text by some members, with ids by others
ONLY_OPEN = 20001779  # open-ended text only
INCOME_IDS = (2000300, 2000301, 2000302, 2000303)
MULTI_IDS = (2001000, 2001001, 2001002, 2001003, 2001004)
OPEN_IDS = (2002000, 2002001)
REGION_IDS = (2112282, 2112286, 2112087)
TEXTS = ("yes", "No", " maybe ", "YES", "", "007", "2002000", "a, b")
POSTAL = ("07001", "07008", "08002", "10001", "1000", "sw1a 1aa", "SW1A2AA", "EC1A 1BB", "ec1a1bb", " ", "")
AGE_VALUES = ("18-99", "18-24", "25-34", "65+", "30", " 20 - 40 ", "abc", "-5+", "13-17", "40-", "90-200", "")
POSTAL_VALUES = ("0", "07", "070", "0700", "07001", "08002", "sw1a", "SW1A 1", "ec1a 1bb", "1000", "10001", "  ", "9")
ID_VALUES = ("2112282", "2112286, 2112087", " 2000301 ", "2000303,,", "02000300", "yes", "NO ", "007", "a", "2002000")


def _member(rng: random.Random, i: int) -> Member:
    """A member with a random mix of missing and present profile data."""
    roll = rng.random()
    if roll < 0.1:
        birth = None
    elif roll < 0.15:  # born around the evaluation date, some of them after it (negative ages)
        birth = ON.replace(year=ON.year - rng.choice((0, 18, 30, 65))) + timedelta(days=rng.randint(-2, 2))
    else:
        birth = ON - timedelta(days=rng.randint(10 * 365, 95 * 365))
    answers: dict[int, frozenset[int]] = {}
    if rng.random() < 0.9:
        answers[q.GENDER] = frozenset({rng.choice((q.FEMALE, q.MALE))})
    if rng.random() < 0.8:
        answers[q.INCOME] = frozenset({rng.choice(INCOME_IDS)})
    if rng.random() < 0.7:
        answers[q.POSTAL_COMPUTED] = frozenset({rng.choice(REGION_IDS)})
    if rng.random() < 0.8:
        answers[MULTI] = frozenset(rng.sample(MULTI_IDS, rng.randint(0, 3)))  # sometimes an empty set
    if rng.random() < 0.05:  # ignored: age and postal code come from the profile
        answers[q.AGE] = frozenset({2006352})
    open_answers: dict[int, str] = {}
    if rng.random() < 0.3:
        answers[OPEN] = frozenset({rng.choice(OPEN_IDS)})
    elif rng.random() < 0.4:
        open_answers[OPEN] = rng.choice(TEXTS)
    if rng.random() < 0.5:
        open_answers[ONLY_OPEN] = rng.choice(TEXTS)
    postal = None if rng.random() < 0.1 else rng.choice(POSTAL)
    return Member("panel", f"m{i}", birth, postal, answers, open_answers)


def _target(rng: random.Random) -> Target:
    """A random target over the questions the members answer, edge-case values included."""
    question = rng.choice((q.AGE, q.AGE, q.POSTAL_CODE, q.GENDER, q.INCOME, q.POSTAL_COMPUTED, MULTI, OPEN, ONLY_OPEN))
    routable = rng.random() < 0.25
    if rng.random() < 0.05:
        return Target(question, is_routable=routable)
    if question == q.AGE:
        ids = rng.sample([*q.AGE_BRACKETS, 2000246], rng.randint(0, 3))
        values = rng.sample(AGE_VALUES, rng.randint(0 if ids else 1, 2))
    elif question == q.POSTAL_CODE:
        ids = [12345] if rng.random() < 0.1 else []
        values = rng.sample(POSTAL_VALUES, rng.randint(0 if ids else 1, 4))
    else:
        pool = {q.GENDER: (q.FEMALE, q.MALE), q.INCOME: INCOME_IDS, MULTI: MULTI_IDS, OPEN: OPEN_IDS}
        ids = rng.sample(pool.get(question, REGION_IDS), rng.randint(0, 2))
        values = rng.sample((*ID_VALUES, *TEXTS), rng.randint(0 if ids else 1, 2))
    return Target(question, tuple(ids), tuple(values), routable)


def _quota(rng: random.Random, quota_id: int) -> Quota:
    """1-3 layers of 1-4 subquotas of 1-3 targets (rarely none, sometimes one QuestionID twice), some full."""
    layers = []
    for layer_id in range(rng.randint(1, 3)):
        subquotas = []
        for sq_id in range(rng.randint(1, 4)):
            targets = tuple(_target(rng) for _ in range(0 if rng.random() < 0.03 else rng.randint(1, 3)))
            completes = rng.randint(0, 10)
            room = 0 if rng.random() < 0.25 else rng.randint(1, 5)
            subquotas.append(SubQuota(sq_id, completes, completes + room, targets))
        layers.append(Layer(layer_id, subquotas))
    return Quota(quota_id, 100, 50, layers)


def _scalar(members: list[Member], quota: Quota) -> tuple[np.ndarray, np.ndarray]:
    """The scalar engine's (matched, matched through open subquotas only) for each member."""
    checks = [check_quota(m, quota, ON) for m in members]
    matched = np.array([c.matched for c in checks], dtype=bool)
    return matched, matched & ~np.array([c.only_full_subquotas for c in checks], dtype=bool)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bulk_equals_scalar_on_random_members_and_quotas(seed: int) -> None:
    rng = random.Random(seed)
    members = [_member(rng, i) for i in range(2000)]
    quotas = [_quota(rng, quota_id) for quota_id in range(30)]
    quotas.append(Quota(1000, 100, 50, quotas[0].layers))  # same targets again: cached masks must not be altered
    pop = Population.from_members(members, ON)
    assert pop.answers[MULTI].members is not None, "multi-select answers should use the pair form"
    assert pop.answers[q.GENDER].members is None, "single answers should use the single form"
    bulk, bulk_open = match_quotas(pop, quotas), match_quotas(pop, quotas, open_only=True)
    for quota in quotas:
        matched, open_matched = _scalar(members, quota)
        assert np.array_equal(bulk[quota.quota_id], matched), quota.quota_id
        assert np.array_equal(bulk_open[quota.quota_id], open_matched), quota.quota_id
    one = quotas[1]
    assert np.array_equal(match_quota(pop, one), bulk[one.quota_id])
    assert np.array_equal(match_quota(pop, one, open_only=True), bulk_open[one.quota_id])


def _one(member: Member, *targets: Target, full: bool = False) -> tuple[bool, bool]:
    """(bulk, scalar) for one member and a one-layer, one-subquota quota."""
    quota = Quota(1, 10, 10, [Layer(1, [SubQuota(1, 5 if full else 0, 5, targets)])])
    check = check_quota(member, quota, ON)
    scalar = check.matched and not (full and check.only_full_subquotas)
    return bool(match_quota(Population.from_members([member], ON), quota, open_only=full)[0]), scalar


def test_unanswered_routable_passes_and_non_routable_fails() -> None:
    member = Member("p", "m", date(1990, 1, 1))
    assert _one(member, Target(q.INCOME, (2000300,), is_routable=True)) == (True, True)
    assert _one(member, Target(q.INCOME, (2000300,))) == (False, False)
    assert _one(member, Target(q.POSTAL_CODE, (), ("07",), is_routable=True)) == (True, True)
    assert _one(member, Target(q.POSTAL_CODE, (), ("07",))) == (False, False)
    assert _one(Member("p", "m"), Target(q.AGE, (), ("18-99",), is_routable=True)) == (True, True)


def test_answered_routable_question_must_match() -> None:
    member = Member("p", "m", answers={q.INCOME: frozenset({2000301})})
    assert _one(member, Target(q.INCOME, (2000300,), is_routable=True)) == (False, False)


@pytest.mark.parametrize(
    ("postal", "prefix", "matches"),
    [
        ("07001", "070", True),
        ("07001", "07001", True),
        ("07001", "07002", False),
        ("070", "07001", False),
        ("07101", "070", False),
        ("sw1a 1aa", "SW1A1", True),
        ("SW1A1AA", "sw1a 1", True),
    ],
)
def test_postal_prefix_lengths(postal: str, prefix: str, matches: bool) -> None:
    member = Member("p", "m", postal_code=postal)
    assert _one(member, Target(q.POSTAL_CODE, (), (prefix,))) == (matches, matches)


def test_postal_prefixes_of_several_lengths_in_one_target() -> None:
    members = [Member("p", f"m{i}", postal_code=c) for i, c in enumerate(("07001", "07999", "08002", "08003"))]
    quota = Quota(1, 10, 10, [Layer(1, [SubQuota(1, 0, 5, (Target(q.POSTAL_CODE, (), ("079", "08002")),))])])
    assert match_quota(Population.from_members(members, ON), quota).tolist() == [False, True, True, False]


@pytest.mark.parametrize(("days", "age_18"), [(-1, True), (0, True), (1, False)])
def test_age_turns_on_the_birthday(days: int, age_18: bool) -> None:
    """Born 18 years before ON shifted by ``days``: 18 on and after the birthday, 17 the day before it."""
    member = Member("p", "m", ON.replace(year=ON.year - 18) + timedelta(days=days))
    assert _one(member, Target(q.AGE, (), ("18-24",))) == (age_18, age_18)
    assert _one(member, Target(q.AGE, (2006352,))) == (age_18, age_18)  # bracket 18-24
    assert _one(member, Target(q.AGE, (2006351,))) == (not age_18, not age_18)  # bracket 13-17


def test_full_subquota_matches_but_not_when_open_only() -> None:
    member = Member("p", "m", answers={q.GENDER: frozenset({q.MALE})})
    quota = Quota(1, 10, 10, [Layer(1, [SubQuota(1, 5, 5, (Target(q.GENDER, (q.MALE,)),))])])
    pop = Population.from_members([member], ON)
    assert match_quota(pop, quota)[0]
    assert not match_quota(pop, quota, open_only=True)[0]


def _only(m: Member, kept: tuple[int, ...]) -> Member:
    """The member with only the answers to ``kept`` questions."""
    answers = {k: v for k, v in m.answers.items() if k in kept}
    return Member(
        m.panel_guid,
        m.member_code,
        m.birth_date,
        m.postal_code,
        answers,
        {k: v for k, v in m.open_answers.items() if k in kept},
    )


def test_from_columns_equals_from_members() -> None:
    rng = random.Random(7)
    members = [_member(rng, i) for i in range(500)]
    genders = np.array([next(iter(m.answers.get(q.GENDER, {NO_ANSWER}))) for m in members], dtype=np.int64)
    pairs = [(i, a) for i, m in enumerate(members) for a in sorted(m.answers.get(MULTI, ()))]
    texts = [(i, m.open_answers[ONLY_OPEN]) for i, m in enumerate(members) if ONLY_OPEN in m.open_answers]
    ages = [m.age_on(ON) for m in members]
    pop = Population.from_columns(
        codes=np.array([m.member_code for m in members]),
        ages=np.array([-1 if a is None else a for a in ages]),
        has_birth_date=np.array([a is not None for a in ages]),
        postal_codes=np.array(["" if m.postal_code is None else m.postal_code for m in members]),
        answers={q.GENDER: genders},
        multi_answers={MULTI: (np.array([i for i, _ in pairs]), np.array([a for _, a in pairs]))},
        open_answers={ONLY_OPEN: (np.array([i for i, _ in texts]), [t for _, t in texts])},
    )
    trimmed = [_only(m, (q.GENDER, MULTI, ONLY_OPEN)) for m in members]
    quotas = [_quota(rng, quota_id) for quota_id in range(30)]
    for quota_id, mask in match_quotas(pop, quotas).items():
        assert np.array_equal(mask, _scalar(trimmed, quotas[quota_id])[0])


def test_from_columns_rejects_misshapen_columns() -> None:
    with pytest.raises(ValueError, match="expected"):
        Population.from_columns(["a", "b"], np.array([20, 30]), answers={q.GENDER: np.array([q.MALE])})


def test_many_answers_per_member_match_like_few() -> None:
    """Members holding many answers of one question (beyond the by-rank layout) still match any of them."""
    rng = random.Random(11)
    ids = tuple(range(3000000, 3000020))
    members = [
        Member("p", f"m{i}", answers={MULTI: frozenset(rng.sample(ids, rng.randint(0, 12)))}) for i in range(300)
    ]
    pop = Population.from_members(members, ON)
    assert pop.answers[MULTI].ranks is None
    quotas = [
        Quota(i, 10, 10, [Layer(1, [SubQuota(1, 0, 5, (Target(MULTI, tuple(rng.sample(ids, 2)), (), i % 2 == 0),))])])
        for i in range(20)
    ]
    for quota_id, mask in match_quotas(pop, quotas).items():
        assert np.array_equal(mask, _scalar(members, quotas[quota_id])[0])


def test_benchmark_runs_and_agrees_with_the_scalar_engine(capsys: pytest.CaptureFixture[str]) -> None:
    """The benchmark's own sample check (bulk == check_quota) on a small generated population."""
    from bench.bench_sampling import main

    assert main(["--members", "3000", "--sample", "100"]) == 0
    assert "bulk agrees with check_quota" in capsys.readouterr().out
