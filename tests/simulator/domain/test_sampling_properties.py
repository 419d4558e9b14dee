"""Properties of Toluna's sampling rules (``sampling.check_quota``) on generated members and quotas.

The rules are restated here in terms a partner can check by hand: set algebra over a population (a layer is
the union of its subquotas, a quota the intersection of its layers), ages as whole years since the birth date
on the clock's date, postal codes as prefixes. The bulk engine must give the scalar engine's answer for every
member, edge cases included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from simulator.domain import questions as q
from simulator.domain.bulk import Population, match_quota
from simulator.domain.model import Layer, Member, Quota, SubQuota, Target
from simulator.domain.sampling import Outcome, QuotaCheck, check_quota, check_targets, parse_age_range
from tests.properties import PROPERTY
from tests.support import Sandbox

#: For properties over whole generated quotas, where drawing the example costs most of the time.
QUOTA_PROPERTY = settings(PROPERTY, max_examples=25)

ORDINARY = (q.GENDER, q.INCOME, 1001540)  # the last one answered multi-select
QUESTIONS = (*ORDINARY, q.AGE, q.POSTAL_CODE)
ON = date(2026, 3, 1)

answer_ids = st.integers(1, 30)  # a narrow pool, so that members and targets share ids
texts = st.text(alphabet="12ab AB,\t", max_size=4) | st.sampled_from(("yes", " YES ", "7", "007"))
postal_texts = st.text(alphabet="07ABab \t\0ß-", max_size=7)
clock_dates = st.dates(date(1990, 1, 1), date(2060, 12, 31))
birth_dates = st.dates(date(1900, 1, 1), date(2060, 12, 31))


def anniversary(born: date, years: int) -> date:
    """The day a member born on ``born`` turns ``years``; someone born on 29 February does so on 1 March
    in a common year."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def full_years(born: date, on: date) -> int:
    """Whole years lived on ``on``: how many anniversaries have come by that day (negative before birth)."""
    years = on.year - born.year
    return years if anniversary(born, years) <= on else years - 1


@st.composite
def members(draw: st.DrawFn) -> Member:
    answers = draw(st.dictionaries(st.sampled_from(ORDINARY), st.frozensets(answer_ids, max_size=10), max_size=3))
    if draw(st.booleans()):  # stray answers to derived questions: age and postal code come from the profile
        answers[q.AGE] = frozenset({2006352})
    return Member(
        "p",
        "m",
        birth_date=draw(st.none() | birth_dates),
        postal_code=draw(st.none() | postal_texts),
        answers=answers,
        open_answers=draw(st.dictionaries(st.sampled_from(ORDINARY), texts, max_size=2)),
    )


age_values = st.one_of(
    st.tuples(st.integers(0, 120), st.integers(0, 120)).map(lambda r: f"{r[0]}-{r[1]}"),
    st.integers(0, 120).map(lambda n: f"{n}+"),
    st.integers(0, 120).map(str),
    st.sampled_from(("", "abc", "-5+", "40-", " 20 - 40 ")),
)
id_values = st.lists(answer_ids.map(str) | texts, max_size=3).map(",".join)


@st.composite
def targets(draw: st.DrawFn, question_ids: tuple[int, ...] = QUESTIONS) -> Target:
    question = draw(st.sampled_from(question_ids))
    if question == q.AGE:
        ids = draw(st.lists(st.sampled_from((*q.AGE_BRACKETS, 7)), max_size=3))
        values = draw(st.lists(age_values, max_size=3))
    elif question == q.POSTAL_CODE:
        ids, values = [], draw(st.lists(postal_texts, max_size=4))
    else:
        ids, values = draw(st.lists(answer_ids, max_size=5)), draw(st.lists(id_values, max_size=2))
    return Target(question, tuple(ids), tuple(values), draw(st.booleans()))


def subquotas(target: st.SearchStrategy[Target]) -> st.SearchStrategy[SubQuota]:
    return st.builds(
        SubQuota,
        subquota_id=st.integers(1, 10_000),
        current_completes=st.integers(0, 2),
        max_target_completes=st.integers(1, 2),
        targets=st.lists(target, max_size=3).map(tuple),
    )


def quotas(target: st.SearchStrategy[Target] | None = None) -> st.SearchStrategy[Quota]:
    target = targets() if target is None else target
    layers = st.builds(Layer, layer_id=st.integers(1, 100), subquotas=st.lists(subquotas(target), max_size=3))
    return st.builds(
        Quota,
        quota_id=st.just(1),
        completes_required=st.just(10),
        estimated_completes_remaining=st.just(10),
        layers=st.lists(layers, max_size=3),
    )


def one_layer(*subquota_targets: tuple[Target, ...]) -> Quota:
    sqs = [SubQuota(i, 0, 5, targets) for i, targets in enumerate(subquota_targets, 1)]
    return Quota(1, 10, 10, [Layer(1, sqs)])


populations = st.lists(members(), min_size=1, max_size=12)


# --- one subquota per answer, and set algebra ---------------------------------------------------------------


@PROPERTY
@given(
    wanted=st.frozensets(answer_ids, max_size=6),
    held=st.none() | st.frozensets(answer_ids, max_size=6),
    routable=st.booleans(),
)
def test_one_subquota_per_answer_is_a_set_membership_test(
    wanted: frozenset[int], held: frozenset[int] | None, routable: bool
) -> None:
    """A layer with one subquota per answer of a question takes exactly the members holding one of them; one
    without the question passes only when the question is routable (and the layer has a subquota at all)."""
    quota = one_layer(*((Target(q.INCOME, (a,), (), routable),) for a in sorted(wanted)))
    member = Member("p", "m", answers={} if held is None else {q.INCOME: held})
    check = check_quota(member, quota, ON)
    if held:
        assert check.matched is bool(held & wanted)
        matched_subquotas = {s.questions[0].wanted_ids[0] for s in check.layers[0].subquotas if s.matched}
        assert matched_subquotas == held & wanted
    else:  # no answer, or an empty answer set
        assert check.matched is (routable and bool(wanted))


def _entry_members(population: list[Member], question: int, ids: set[int], routable: bool) -> set[int]:
    """Members a question passes given every answer listed for it: holders of one of them; and, when the
    question is routable, those who never answered it. A question listing no answer passes everyone."""
    everyone = set(range(len(population)))
    if not ids:
        return everyone
    answered = {i for i, m in enumerate(population) if m.answers.get(question)}
    holders = {i for i in answered if population[i].answers[question] & ids}
    return holders | (everyone - answered if routable else set())


def _quota_members(population: list[Member], quota: Quota) -> set[int]:
    """Toluna's rules as set algebra: a quota is the intersection of its layers, a layer the union of its
    subquotas, a subquota the intersection of its questions (entries of one question pooled)."""
    chosen = set(range(len(population)))
    for layer in quota.layers:
        union: set[int] = set()
        for sq in layer.subquotas:
            pooled: dict[int, tuple[set[int], bool]] = {}
            for t in sq.targets:
                ids, routable = pooled.get(t.question_id, (set(), False))
                pooled[t.question_id] = (ids | set(t.answer_ids), routable or t.is_routable)
            passing = set(range(len(population)))
            for question, (ids, routable) in pooled.items():
                passing &= _entry_members(population, question, ids, routable)
            union |= passing
        chosen &= union
    return chosen


id_targets = st.builds(
    Target, st.sampled_from(ORDINARY), st.lists(answer_ids, max_size=4).map(tuple), st.just(()), st.booleans()
)
id_members = st.lists(
    st.dictionaries(st.sampled_from(ORDINARY), st.frozensets(answer_ids, max_size=4), max_size=3),
    min_size=1,
    max_size=10,
).map(lambda answers: [Member("p", f"m{i}", answers=a) for i, a in enumerate(answers)])


@PROPERTY
@given(population=id_members, quota=quotas(id_targets))
def test_and_of_layers_or_of_subquotas_agree_with_set_algebra(population: list[Member], quota: Quota) -> None:
    matched = {i for i, m in enumerate(population) if check_quota(m, quota, ON).matched}
    assert matched == _quota_members(population, quota)


@QUOTA_PROPERTY
@given(member=members(), quota=quotas(), data=st.data())
def test_order_of_layers_subquotas_and_entries_does_not_matter(
    member: Member, quota: Quota, data: st.DataObject
) -> None:
    shuffled = Quota(
        quota.quota_id,
        quota.completes_required,
        quota.estimated_completes_remaining,
        [
            Layer(
                layer.layer_id,
                [
                    SubQuota(
                        sq.subquota_id,
                        sq.current_completes,
                        sq.max_target_completes,
                        tuple(data.draw(st.permutations(sq.targets))),
                    )
                    for sq in data.draw(st.permutations(layer.subquotas))
                ],
            )
            for layer in data.draw(st.permutations(quota.layers))
        ],
    )
    before, after = check_quota(member, quota, ON), check_quota(member, shuffled, ON)
    assert (after.matched, after.only_full_subquotas) == (before.matched, before.only_full_subquotas)


@QUOTA_PROPERTY
@given(member=members(), target=targets(), cut=st.integers(0, 5))
@example(member=Member("p", "m", answers={q.INCOME: frozenset({2})}), target=Target(q.INCOME, (1, 2)), cut=1)
def test_an_entry_split_in_two_for_the_same_question_is_the_same_entry(
    member: Member, target: Target, cut: int
) -> None:
    """Toluna pools the entries of one QuestionID in a subquota: listing its answers in one entry or two is
    the same condition."""
    whole = one_layer((target,))
    first = Target(target.question_id, target.answer_ids[:cut], target.answer_values[:cut], target.is_routable)
    second = Target(target.question_id, target.answer_ids[cut:], target.answer_values[cut:], target.is_routable)
    split = one_layer((first, second))
    assert check_quota(member, split, ON).matched is check_quota(member, whole, ON).matched


@QUOTA_PROPERTY
@given(member=members(), quota=quotas(), question=st.sampled_from(QUESTIONS), routable=st.booleans())
def test_empty_conditions_take_everyone(member: Member, quota: Quota, question: int, routable: bool) -> None:
    """A quota without layers, a subquota without entries and an entry without answers restrict nobody; a
    layer without subquotas takes nobody."""
    assert check_quota(member, Quota(1, 10, 10, []), ON).matched
    assert check_quota(member, one_layer(()), ON).matched
    assert check_quota(member, one_layer((Target(question, (), (), routable),)), ON).matched
    assert not check_quota(member, Quota(1, 10, 10, [Layer(1, [])]), ON).matched
    # an extra subquota without entries opens every layer it joins
    opened = Quota(1, 10, 10, [Layer(la.layer_id, [*la.subquotas, SubQuota(0, 0, 5, ())]) for la in quota.layers])
    assert check_quota(member, opened, ON).matched


@QUOTA_PROPERTY
@given(member=members(), target=targets(ORDINARY))
def test_a_member_without_the_question_passes_only_if_it_is_routable(member: Member, target: Target) -> None:
    member.answers.pop(target.question_id, None)  # the member is drawn for this example alone
    member.open_answers.pop(target.question_id, None)
    (check,) = check_quota(member, one_layer((target,)), ON).layers[0].subquotas[0].questions
    if not target.answer_ids and not target.answer_values:
        assert check.outcome is Outcome.MATCH
    else:
        assert check.member_has is None
        assert check.outcome is (Outcome.ROUTABLE_UNANSWERED if target.is_routable else Outcome.UNANSWERED)
        assert check.outcome.passes is target.is_routable


@PROPERTY
@given(
    held=st.frozensets(answer_ids, min_size=1, max_size=4),
    listed=st.lists(answer_ids, max_size=5),
    spaces=st.lists(st.sampled_from(("", " ", "  ")), min_size=2, max_size=2),
)
def test_comma_separated_answer_values_are_a_set_of_ids(
    held: frozenset[int], listed: list[int], spaces: list[str]
) -> None:
    values = (",".join(f"{spaces[0]}{a}{spaces[1]}" for a in listed),)
    member = Member("p", "m", answers={q.POSTAL_COMPUTED: held})
    assert check_quota(member, one_layer((Target(q.POSTAL_COMPUTED, (), values),)), ON).matched is bool(
        held & set(listed)
    )


# --- age on the clock's date ----------------------------------------------------------------------------------


@PROPERTY
@given(born=birth_dates, on=clock_dates, low=st.integers(0, 120), span=st.integers(0, 60), form=st.integers(0, 2))
@example(born=date(2008, 2, 29), on=date(2026, 2, 28), low=18, span=0, form=0)  # 17 until 1 March
@example(born=date(2008, 2, 29), on=date(2026, 3, 1), low=18, span=0, form=0)
@example(born=date(2008, 2, 29), on=date(2028, 2, 29), low=20, span=0, form=0)
@example(born=date(2008, 2, 29), on=date(2028, 2, 28), low=19, span=0, form=2)
@example(born=date(2000, 3, 1), on=date(2026, 2, 28), low=26, span=0, form=0)  # 25 the day before
@example(born=date(2030, 1, 1), on=date(2026, 3, 1), low=0, span=1, form=1)  # not born yet
def test_age_ranges_are_whole_years_on_the_clock_date(born: date, on: date, low: int, span: int, form: int) -> None:
    value, high = [(f"{low}-{low + span}", low + span), (f"{low}+", 150), (str(low), low)][form]
    age = full_years(born, on)
    member = Member("p", "m", birth_date=born)
    check = check_quota(member, one_layer((Target(q.AGE, (), (value,)),)), on)
    assert check.matched is (low <= age <= high)
    assert check.layers[0].subquotas[0].questions[0].member_has.startswith(f"age {age}")


@PROPERTY
@given(
    born=birth_dates,
    on=clock_dates,
    brackets=st.frozensets(st.sampled_from(list(q.AGE_BRACKETS)), min_size=1, max_size=4),
)
@example(born=date(2013, 3, 1), on=date(2026, 3, 1), brackets=frozenset({2006351}))  # 13 today
@example(born=date(2013, 3, 2), on=date(2026, 3, 1), brackets=frozenset(q.AGE_BRACKETS))  # 12: no bracket
def test_age_brackets_are_toluna_s_table(born: date, on: date, brackets: frozenset[int]) -> None:
    age = full_years(born, on)
    expected = any(q.AGE_BRACKETS[b][0] <= age <= q.AGE_BRACKETS[b][1] for b in brackets)
    member = Member("p", "m", birth_date=born)
    assert check_quota(member, one_layer((Target(q.AGE, tuple(sorted(brackets))),)), on).matched is expected


@PROPERTY
@given(low=st.integers(0, 10**6), high=st.integers(0, 10**6), pad=st.sampled_from(("", " ", "\t")))
def test_parse_age_range_reads_the_three_forms(low: int, high: int, pad: str) -> None:
    assert parse_age_range(f"{pad}{low}-{high}{pad}") == (low, high)
    assert parse_age_range(f"{pad}{low}+{pad}") == (low, 150)
    assert parse_age_range(f"{pad}{low}{pad}") == (low, low)


# --- postal code prefixes -------------------------------------------------------------------------------------

postal_codes = st.text(alphabet="0123456789ABCabc", min_size=1, max_size=8)


def _respell(text: str, data: st.DataObject) -> str:
    """The same postal text as a partner might type it: any letter case, spaces anywhere."""
    out = []
    for ch in text:
        out.append(" " * data.draw(st.integers(0, 2)))
        out.append(ch.upper() if data.draw(st.booleans()) else ch.lower())
    return "".join(out) + " " * data.draw(st.integers(0, 2))


@PROPERTY
@given(code=postal_codes, length=st.integers(1, 8), data=st.data())
def test_a_prefix_of_the_postal_code_matches_whatever_its_case_and_spaces(
    code: str, length: int, data: st.DataObject
) -> None:
    prefix = code[:length]
    member = Member("p", "m", postal_code=_respell(code, data))
    assert check_quota(member, one_layer((Target(q.POSTAL_CODE, (), (_respell(prefix, data),)),)), ON).matched


@PROPERTY
@given(code=postal_codes, other=postal_codes, data=st.data())
def test_a_postal_value_that_is_not_a_prefix_does_not_match(code: str, other: str, data: st.DataObject) -> None:
    is_prefix = code.upper().startswith(other.upper())
    member = Member("p", "m", postal_code=_respell(code, data))
    assert (
        check_quota(member, one_layer((Target(q.POSTAL_CODE, (), (_respell(other, data),)),)), ON).matched is is_prefix
    )


# --- the explanation tree, hidden targets, the bulk engine ----------------------------------------------------


def _assert_explanation_agrees(check: QuotaCheck) -> None:
    failed = [layer for layer in check.layers if not layer.matched]
    assert check.matched is not failed
    assert check.first_failure() is (failed[0] if failed else None)
    assert check.to_dict()["Matched"] is check.matched
    open_everywhere = all(any(s.matched and not s.full for s in layer.subquotas) for layer in check.layers)
    assert check.only_full_subquotas is (check.matched and not open_everywhere)
    assert check.render().splitlines()[0].endswith("NO MATCH") is not check.matched


@QUOTA_PROPERTY
@given(member=members(), hidden=st.lists(targets(), max_size=4).map(tuple))
def test_hidden_targets_pass_like_a_one_subquota_quota(member: Member, hidden: tuple[Target, ...]) -> None:
    passed = all(c.outcome.passes for c in check_targets(member, hidden, ON))
    assert passed is check_quota(member, one_layer(hidden), ON).matched


@PROPERTY
@given(population=populations, quota=quotas(), on=clock_dates)
def test_bulk_engine_and_explanation_agree_with_the_scalar_verdict(
    population: list[Member], quota: Quota, on: date
) -> None:
    checks = [check_quota(m, quota, on) for m in population]
    for check in checks:
        _assert_explanation_agrees(check)
    pop = Population.from_members(population, on)
    assert match_quota(pop, quota).tolist() == [c.matched for c in checks]
    assert match_quota(pop, quota, open_only=True).tolist() == [c.matched and not c.only_full_subquotas for c in checks]


# --- on a real server: the age a quota sees is the age on the sandbox clock's date ---------------------------

ANNA_BORN = date(1995, 2, 14)  # M-ANNA of the default scenario; quota 4200001 targets age
near_birthdays = st.builds(
    lambda year, day, second: datetime(year, 2, day, tzinfo=UTC) + timedelta(seconds=second),
    st.integers(1996, 2100),
    st.integers(13, 15),
    st.sampled_from((0, 1, 86_399)),
)
instants = near_birthdays | st.datetimes(datetime(1990, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC))


@settings(PROPERTY, max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(now=instants)
@example(now=datetime(2013, 2, 13, 23, 59, 59, tzinfo=UTC))  # 17 for one more second
@example(now=datetime(2013, 2, 14, tzinfo=UTC))  # 18
def test_the_age_a_quota_sees_is_taken_on_the_sandbox_clock_s_date(fresh_sandbox: Sandbox, now: datetime) -> None:
    fresh_sandbox.control("PUT", "clock", json={"now": now.isoformat(), "frozen": True}).raise_for_status()
    resp = fresh_sandbox.control("GET", "explain", params={"member": "M-ANNA", "quota": 4200001})
    age_checks = [
        c
        for layer in resp.json()["Sampling"]["Layers"]
        for s in layer["SubQuotas"]
        for c in s["Questions"]
        if c["QuestionID"] == q.AGE
    ]
    age = full_years(ANNA_BORN, now.date())
    assert age_checks, "quota 4200001 targets age"
    for c in age_checks:  # ranges (18-99) in some subquotas, brackets in others
        bounds = [q.AGE_BRACKETS[i] for i in c["AnswerIDs"]] + [parse_age_range(v) for v in c["AnswerValues"]]
        assert c["MemberHas"].split(" (")[0] == f"age {age}"
        assert c["Outcome"] == ("match" if any(low <= age <= high for low, high in bounds) else "no-match")
