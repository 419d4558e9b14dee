"""How fast can the sandbox tell which members match which quotas? Bulk (numpy) engine vs the scalar one.

Builds a seeded population of ``--members`` members straight as columns (1,000,000 by default; building
that many ``Member`` objects would be the slow part), loads an inventory (``--body``: a captured GetQuotas
body; otherwise a generated one), and times ``bulk.match_quotas`` for all quotas: best of 3 after a warm-up.
Beside it, the naive way: ``sampling.check_quota`` per member per quota, timed on a sample and extrapolated.
The sample doubles as a correctness check: the bulk masks must agree with the scalar engine on it.

    python bench/bench_sampling.py [--body getquotas.json] [--members 1000000] [--sample 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

if not __package__:  # run as a script: make the project importable without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common
from simulator.domain import questions as q
from simulator.domain.bulk import NO_ANSWER, Population, match_quotas
from simulator.domain.inventory_codec import survey_from_wire
from simulator.domain.model import Member, Quota
from simulator.domain.sampling import check_quota, normalize_postal

SEED = 20240601
ON = date(2024, 6, 1)
#: A multi-select question every member answers with 1-3 ids (when the inventory targets it, its ids).
MULTI_SELECT = q.RACE
_STAND_IN_IDS = {
    q.INCOME: tuple(range(2000500, 2000512)),
    q.ETHNICITY: (2000600, 2000601, 2000602),
    q.RACE: (2000700, 2000701, 2000702, 2000703, 2000704, 2000705),
    q.EDUCATION: (2000800, 2000801, 2000802, 2000803, 2000804),
    q.MARITAL_STATUS: (2000900, 2000901, 2000902, 2000903),
}
_REGIONS = ("2112282", "2112286", "2112087", "2112115", "2112172", "2112098")
_AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65-99")


# --- inventory ------------------------------------------------------------------------------------------------


def _default_body() -> dict[str, Any]:
    """The scenario generator's inventory when it is there, else this script's stand-in."""
    generate = _scenario_generator()
    return (
        generate(surveys=68, quotas=142, seed=SEED) if generate else _stand_in_body(surveys=68, quotas=142, seed=SEED)
    )


def _scenario_generator() -> Callable[..., dict[str, Any]] | None:
    try:
        from simulator.scenario.generate import generate_inventory
    except ImportError:
        return None
    return generate_inventory


def _stand_in_body(surveys: int, quotas: int, seed: int) -> dict[str, Any]:
    """A GetQuotas body shaped like captured US ones: age x gender layers, income, race, region, zip lists."""
    rng = random.Random(seed)
    per_survey = [1] * surveys
    for _ in range(quotas - surveys):
        per_survey[rng.randrange(surveys)] += 1
    new_id = iter(range(1_000_000, 10_000_000)).__next__
    return {
        "CountryID": 2000223,
        "CacheExpires": "2024-06-01T00:15:00",
        "Surveys": [_stand_in_survey(rng, new_id, n) for n in per_survey],
    }


def _stand_in_survey(rng: random.Random, new_id: Callable[[], int], quotas: int) -> dict[str, Any]:
    survey_quotas = [_stand_in_quota(rng, new_id) for _ in range(quotas)]
    completes = sum(quota["CompletesRequired"] for quota in survey_quotas)
    return {
        "SurveyID": new_id(),
        "SurveyName": f"bench-{rng.randrange(10**6)}-US",
        "SurveyTopic": "Consumer topics",
        "WaveID": new_id(),
        "LOI": rng.choice((5, 10, 15, 20)),
        "IR": rng.choice((10, 30, 50, 80)),
        "StudyTypeID": 2040,
        "ScheduledCompletionDate": "2024-07-01T00:00:00",
        "Price": {"Amount": round(rng.uniform(0.5, 3.0), 2), "CurrencyID": 1},
        "DeviceTypeIDs": [1, 2, 3],
        "IsSurveyRecontact": False,
        "CompletesRequired": completes,
        "EstimatedCompletesRemaining": completes // 2,
        "Quotas": survey_quotas,
        "IsTqsSurvey": False,
        "SurveyWaveExclusions": [],
    }


def _wire_target(question: int, ids: Iterable[int] = (), values: Iterable[str] = (), routable: bool = False) -> dict:
    return {"QuestionID": question, "AnswerIDs": list(ids), "AnswerValues": list(values), "IsRoutable": routable}


def _stand_in_quota(rng: random.Random, new_id: Callable[[], int]) -> dict[str, Any]:
    """Layers of subquotas; each subquota is a list of wire targets."""
    male, female = [_wire_target(q.GENDER, [q.MALE])], [_wire_target(q.GENDER, [q.FEMALE])]
    if rng.random() < 0.5:
        age = [_wire_target(q.AGE, values=["18-99"])]
        layers = [[age + male, age + female]]
    elif rng.random() < 0.7:
        layers = [[[_wire_target(q.AGE, values=[band])] for band in _AGE_BANDS], [male, female]]
    else:
        brackets = list(q.AGE_BRACKETS)[1:]
        layers = [[[_wire_target(q.AGE, brackets[i : i + 2])] for i in range(0, len(brackets), 2)]]
    for question in (q.INCOME, q.ETHNICITY, q.RACE):
        if rng.random() < 0.25:
            choices = _STAND_IN_IDS[question]
            layers.append([[_wire_target(question, rng.sample(choices, rng.randint(1, 3)))] for _ in range(2)])
    if rng.random() < 0.1:
        layers.append([[_wire_target(q.POSTAL_COMPUTED, values=rng.sample(_REGIONS, rng.randint(1, 2)))]])
    if rng.random() < 0.15:
        length = rng.choice((3, 5, 5))
        zips = [f"{n:05d}"[:length] for n in rng.sample(range(100_000), rng.choice((20, 300, 1000)))]
        layers.append([[_wire_target(q.POSTAL_CODE, values=zips)]])
    if rng.random() < 0.1:
        layers[0][0].append(_wire_target(q.EDUCATION, rng.sample(_STAND_IN_IDS[q.EDUCATION], 2), routable=True))
    required = rng.choice((50, 100, 240, 500))
    return {
        "QuotaID": new_id(),
        "CompletesRequired": required,
        "EstimatedCompletesRemaining": required // 2,
        "Layers": [
            {"LayerID": new_id(), "SubQuotas": [_wire_subquota(rng, new_id, targets) for targets in subquotas]}
            for subquotas in layers
        ],
    }


def _wire_subquota(rng: random.Random, new_id: Callable[[], int], targets: list[dict]) -> dict[str, Any]:
    most = rng.choice((20, 60, 120))
    current = most if rng.random() < 0.1 else rng.randrange(most)
    return {
        "QuestionsAndAnswers": targets,
        "SubQuotaID": new_id(),
        "CurrentCompletes": current,
        "MaxTargetCompletes": most,
    }


def quotas_of(body: dict[str, Any]) -> list[Quota]:
    return [quota for s in body["Surveys"] for quota in survey_from_wire(s, culture="EN-US").quotas]


# --- population -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Columns:
    """The generated population's raw columns (kept to rebuild a sample of them as ``Member`` objects)."""

    ages: np.ndarray  # -1: no birth date
    postal: np.ndarray  # "U5", "" when unanswered
    single: dict[int, np.ndarray]  # NO_ANSWER when unanswered
    multi: tuple[np.ndarray, np.ndarray]  # (member index, answer id) for MULTI_SELECT

    def population(self) -> Population:
        codes = np.char.add("BM", np.arange(len(self.ages)).astype("U7"))
        return Population.from_columns(codes, self.ages, self.postal, self.single, {MULTI_SELECT: self.multi}, on=ON)

    def member(self, i: int) -> Member:
        age = int(self.ages[i])
        birth = None if age < 0 else ON.replace(year=ON.year - age) - timedelta(days=i % 300)
        answers = {k: frozenset({int(v[i])}) for k, v in self.single.items() if v[i] != NO_ANSWER}
        who, what = self.multi
        start, stop = np.searchsorted(who, [i, i + 1])
        if stop > start:
            answers[MULTI_SELECT] = frozenset(int(a) for a in what[start:stop])
        return Member("bench", f"BM{i}", birth, str(self.postal[i]) or None, answers)


def _targeted(quotas: list[Quota]) -> dict[int, set[int]]:
    """Answer ids each ordinary question's targets name (AnswerIDs, and ids written in AnswerValues)."""
    ids: dict[int, set[int]] = {}
    for quota in quotas:
        for layer in quota.layers:
            for sq in layer.subquotas:
                for t in sq.targets:
                    if t.question_id not in q.DERIVED and t.question_id != q.GENDER:
                        tokens = (tok.strip() for v in t.answer_values for tok in v.split(","))
                        ids.setdefault(t.question_id, set()).update(
                            {*t.answer_ids, *(int(tok) for tok in tokens if tok.isdigit())}
                        )
    return ids


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    """13-90, fewer teens and over-70s than 25-60s, as on a web panel; 2% without a birth date."""
    span = np.arange(13, 91)
    weight = np.where(span < 18, 0.4, 1.0) * np.where(span > 60, np.exp(-(span - 60) / 12), 1.0)
    ages = rng.choice(span, size=n, p=weight / weight.sum()).astype(np.int16)
    ages[rng.random(n) < 0.02] = -1
    return ages


def _zips(rng: np.random.Generator, n: int, quotas: list[Quota]) -> np.ndarray:
    """5-digit codes, 40% of them under a prefix some quota targets; 1% unanswered."""
    prefixes = sorted(
        {
            normalize_postal(v)
            for quota in quotas
            for layer in quota.layers
            for sq in layer.subquotas
            for t in sq.targets
            if t.question_id == q.POSTAL_CODE
            for v in t.answer_values
            if v.strip().isdigit()
        }
    )
    numbers = rng.integers(0, 100_000, n)
    if prefixes:
        chosen = rng.integers(0, len(prefixes), n)
        lengths = np.array([len(p[:5]) for p in prefixes])[chosen]
        heads = np.array([int(p[:5]) for p in prefixes])[chosen] * 10 ** (5 - lengths)
        targeted = rng.random(n) < 0.4
        numbers[targeted] = heads[targeted] + numbers[targeted] % 10 ** (5 - lengths[targeted])
    digits = (numbers[:, None] // 10 ** np.arange(4, -1, -1)) % 10 + ord("0")
    codes = digits.astype(np.uint8).view("S5").ravel().astype("U5")
    codes[rng.random(n) < 0.01] = ""
    return codes


def build_columns(n: int, quotas: list[Quota], seed: int = SEED) -> Columns:
    """A seeded population answering what the inventory asks: 50/50 gender, targeted ids plus one untargeted."""
    rng = np.random.default_rng(seed)
    single = {q.GENDER: rng.choice(np.array([q.FEMALE, q.MALE]), size=n)}
    multi_ids = np.array(sorted(_STAND_IN_IDS[MULTI_SELECT]))
    for question, ids in sorted(_targeted(quotas).items()):
        choices = np.array([*sorted(ids), max(ids, default=2_000_000) + 1])  # an answer no target names
        if question == MULTI_SELECT:
            multi_ids = choices
            continue
        column = rng.choice(choices, size=n, p=rng.dirichlet(np.ones(len(choices))))
        column[rng.random(n) < rng.uniform(0.05, 0.3)] = NO_ANSWER
        single[question] = column
    counts = rng.integers(1, 4, n)
    who = np.repeat(np.arange(n), counts)
    what = rng.choice(multi_ids, size=len(who))
    return Columns(_ages(rng, n), _zips(rng, n, quotas), single, (who, what))


# --- timing ---------------------------------------------------------------------------------------------------


def _best_of(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _distinct_targets(quotas: list[Quota]) -> int:
    return len({t for quota in quotas for layer in quota.layers for sq in layer.subquotas for t in sq.targets})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--body", type=Path, help="a captured GetQuotas response body (JSON)")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000, help="members in the naive loop's timed sample")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)

    body = json.loads(args.body.read_text()) if args.body else _default_body()
    quotas = quotas_of(body)
    start = time.perf_counter()
    columns = build_columns(args.members, quotas, args.seed)
    pop = columns.population()
    built = time.perf_counter() - start
    source = args.body or ("scenario.generate inventory" if _scenario_generator() else "stand-in inventory")
    print(
        f"inventory: {source}: {len(body['Surveys'])} surveys, {len(quotas)} quotas, "
        f"{_distinct_targets(quotas)} distinct targets"
    )
    print(f"population: {len(pop):,} members built as columns in {built:.2f} s")

    cold, _ = _best_of(lambda: match_quotas(pop, quotas), 1)
    seconds, masks = _best_of(lambda: match_quotas(pop, quotas), 3)
    pairs = len(pop) * len(quotas)
    print(
        f"bulk:  match_quotas {len(pop):,} members x {len(quotas)} quotas: {seconds:.3f} s best of 3 "
        f"(first run {cold:.3f} s), {pairs / seconds:,.0f} member-quotas/s"
    )

    sample = [columns.member(i) for i in range(min(args.sample, len(pop)))]
    naive, scalar = _best_of(lambda: [[check_quota(m, quota, ON).matched for m in sample] for quota in quotas], 1)
    naive = max(naive, 1e-9)
    naive_full = naive * len(pop) / max(len(sample), 1)
    print(
        f"naive: check_quota loop on {len(sample):,} members: {naive:.2f} s -> {naive_full:,.0f} s "
        f"extrapolated to {len(pop):,}, {len(sample) * len(quotas) / naive:,.0f} member-quotas/s"
    )
    speedup = naive_full / seconds
    print(f"speed-up: {speedup:,.0f}x (targets: bulk < 1 s and >= 100x)")

    assert isinstance(masks, dict) and isinstance(scalar, list)
    wrong = [
        quota.quota_id
        for quota, row in zip(quotas, scalar, strict=True)
        if masks[quota.quota_id][: len(sample)].tolist() != row
    ]
    print("bulk agrees with check_quota on the sample" if not wrong else f"MISMATCH on quotas {wrong[:10]}")
    common.verdict(
        f"sampling: {len(quotas)} quotas x {len(pop):,} members in {seconds:.2f} s, {speedup:,.0f}x the naive loop "
        "(targets < 1 s, >= 100x)",
        seconds < 1 and speedup >= 100,
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
