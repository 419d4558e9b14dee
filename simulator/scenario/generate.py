"""Synthetic GetQuotas bodies shaped like Toluna's, for scenarios, tests and benchmarks.

A captured body cannot ship with the project, yet the sandbox must be tried on inventories as tangled as real
ones: dozens of surveys, one survey with forty quotas, cells of gender x age x income, 1,000-code postal lists,
routable questions. ``generate_inventory`` builds such a body from a seed. Its statistics follow a real EN-US
body of 68 surveys and 142 quotas: at that size the quotas per survey, the layers per quota and the layer
makeups are the real counts; other sizes scale them. Everything else (ids, names, prices, answer ids) is drawn
from ``random.Random(seed)``, so a seed always gives the same body. Every quota is open, as in a real body:
GetQuotas lists only quotas that still need completes.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from simulator.domain import questions as qid
from simulator.domain.cultures import country_id

Wire = dict[str, Any]
T = TypeVar("T")

#: The generated body is an EN-US one, like the reference body.
COUNTRY_ID = country_id("EN-US") or 2000223
#: Dates in the body are spread around this instant (fixed, so a seed gives the same body on any day).
ANCHOR = datetime(2026, 2, 1, 12, 0, 0)

# --- the reference body's shape ------------------------------------------------------------------------------
#: quotas in a survey -> surveys with that many (68 surveys, 142 quotas)
QUOTAS_PER_SURVEY = {1: 50, 2: 11, 3: 3, 4: 1, 5: 1, 12: 1, 40: 1}
#: layers in a quota -> quotas with that many
LAYERS_PER_QUOTA = {1: 75, 2: 35, 3: 24, 4: 6, 6: 2}
#: share of surveys that carry SurveyWaveExclusions
EXCLUDING_SHARE = 26 / 68

# Question ids the sandbox does not name in ``questions`` (they have no meaning of their own here).
COUNTRY = 1001001
HOUSEHOLD = 1001002
CHILDREN = 1001540
STATE = 1001033
SCHOOL = 1001109
LANGUAGE = 1002004
ROUTABLE_IDS = (1012218, 1012408, 1012403, 1012405, 20001779, 20001476, 20001229, 1012390)


@dataclass(frozen=True, slots=True)
class LayerKind:
    """The questions a layer's subquotas target, how many such layers the reference body has, and the
    subquota counts such a layer is drawn from."""

    questions: tuple[int, ...]
    layers: int
    subquotas: tuple[int, ...]


GEN, AGE, INC, ETH = qid.GENDER, qid.AGE, qid.INCOME, qid.ETHNICITY
LAYER_KINDS: tuple[LayerKind, ...] = (
    LayerKind((GEN, INC, AGE), 52, (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4)),
    LayerKind((GEN, AGE), 45, (1, 1, 1, 1, 1, 1, 2, 2, 4, 4, 6, 8, 12)),
    LayerKind((GEN,), 28, (1, 1, 1, 2, 2)),
    LayerKind((AGE,), 27, (1, 1, 2, 3, 4, 4, 5, 6, 7)),
    LayerKind((ETH,), 13, (1, 1, 1, 2, 4, 7)),
    LayerKind((qid.POSTAL_CODE,), 12, (1,)),
    LayerKind((CHILDREN,), 12, (1, 2, 4, 4, 5, 6)),
    LayerKind((COUNTRY, HOUSEHOLD), 9, (1,)),
    LayerKind((INC,), 7, (1, 1, 2, 3)),
    LayerKind((qid.RACE,), 5, (1, 2, 3)),
    LayerKind((STATE,), 5, (1, 1, 3, 5, 15)),
    LayerKind((qid.POSTAL_COMPUTED,), 4, (1, 2)),
    LayerKind((qid.EDUCATION,), 4, (1, 2)),
    LayerKind((GEN, ETH, AGE), 3, (1, 2)),
    LayerKind((COUNTRY,), 2, (1,)),
    LayerKind((GEN, AGE, qid.POSTAL_COMPUTED), 2, (1,)),
    LayerKind((COUNTRY, GEN), 2, (1,)),
    LayerKind((GEN, AGE, qid.RACE), 2, (1,)),
    LayerKind((GEN, SCHOOL, AGE), 2, (1, 2)),
    LayerKind((GEN, ETH, AGE, LANGUAGE), 2, (1,)),
    LayerKind((GEN, qid.POSTAL_CODE, AGE), 1, (1,)),
    LayerKind((COUNTRY, HOUSEHOLD, qid.EDUCATION, AGE), 1, (1,)),
    LayerKind((COUNTRY, HOUSEHOLD, INC, AGE), 1, (1,)),
    LayerKind((COUNTRY, GEN, AGE), 1, (1,)),
    LayerKind((GEN, AGE, qid.WORK_POSITION), 1, (1,)),
    LayerKind((INC, ROUTABLE_IDS[0]), 1, (1,)),
    LayerKind((qid.EMPLOYMENT,), 1, (1,)),
    LayerKind((ROUTABLE_IDS[1],), 1, (2,)),
    *(LayerKind((q,), 1, (1,)) for q in ROUTABLE_IDS[2:]),
)


@dataclass(frozen=True, slots=True)
class Question:
    """A targeted question: its answer ids (synthetic, except gender's), how many of them one filter target
    names, and whether Toluna marks its targets routable."""

    answers: tuple[int, ...]
    per_target: tuple[int, int] = (1, 1)
    routable: bool = False


def _ids(first: int, count: int) -> tuple[int, ...]:
    return tuple(range(first, first + count))


QUESTIONS: dict[int, Question] = {
    GEN: Question((qid.FEMALE, qid.MALE)),
    INC: Question(_ids(2002400, 24), (2, 5)),
    ETH: Question(_ids(2000280, 9), (1, 3)),
    CHILDREN: Question(_ids(2006380, 4)),
    STATE: Question(_ids(2000500, 51)),
    COUNTRY: Question((COUNTRY_ID,)),
    HOUSEHOLD: Question(_ids(2000250, 1)),
    qid.RACE: Question(_ids(2000260, 2)),
    LANGUAGE: Question(_ids(2003950, 1)),
    qid.EDUCATION: Question(_ids(2002290, 8), (2, 5), routable=True),
    SCHOOL: Question(_ids(2002360, 10), (6, 10), routable=True),
    qid.WORK_POSITION: Question(_ids(2796400, 3), (3, 3), routable=True),
    qid.EMPLOYMENT: Question(_ids(3056620, 5), (4, 4), routable=True),
    ROUTABLE_IDS[0]: Question(_ids(3055170, 8), (7, 8), routable=True),
    ROUTABLE_IDS[1]: Question(_ids(3056730, 7), (2, 5), routable=True),
    ROUTABLE_IDS[2]: Question(_ids(3056690, 2), (2, 2), routable=True),
    ROUTABLE_IDS[3]: Question(_ids(3056700, 4), (4, 4), routable=True),
    ROUTABLE_IDS[4]: Question(_ids(50006120, 5), (4, 4), routable=True),
    ROUTABLE_IDS[5]: Question(_ids(50001320, 1), routable=True),
    ROUTABLE_IDS[6]: Question(_ids(50000460, 1), routable=True),
    ROUTABLE_IDS[7]: Question(_ids(3056540, 7), (7, 7), routable=True),
}

#: Region ids Toluna computes from a postal code (1001568), targeted as text.
POSTAL_COMPUTED_IDS = _ids(2112100, 200)
#: Age ranges start and end on these ages, as Toluna's age cells do.
AGE_CUTS = (13, 15, 16, 18, 21, 25, 30, 35, 40, 45, 50, 55, 60, 65, 75)
#: Bracket answer ids of 1001538 from 18 up (``questions.AGE_BRACKETS``); quotas rarely target 13-17 by id.
ADULT_BRACKETS = tuple(a for a, (low, _) in qid.AGE_BRACKETS.items() if low >= 18)
POSTAL_LIST_MAX = 1000

TOPICS = {"Consumer topics": 46, "Entertainment": 10, "New Products": 7, "Food": 1, "Sports": 1, "Movies/Films": 1}
STUDY_TYPES = {2040: 40, 2038: 10, 1: 6, 2051: 2, 2080: 2, 2035: 1, 2021: 1, 2060: 1}
#: incidence rates, the common ones listed twice
IRS = (10, 11, 12, 13, 14, 15, 18, 20, 22, 25, 30, 35, 40, 40, 50, 50, 60, 60, 65, 70, 80, 90, 100)
LOIS = {15: 21, 20: 15, 10: 7, 12: 4, 5: 2, 8: 2, 17: 3, 19: 3, 25: 2, 30: 3, 35: 2, 40: 1}
DEVICES = {(1, 2, 3): 62, (1,): 5, (1, 2): 1}
EXCLUSION_STATUSES = {
    (qid.QUALIFIED,): 68,
    (qid.STARTED, qid.QUALIFIED): 8,
    (qid.STARTED, qid.QUALIFIED, qid.QUOTA_FULL, qid.TERMINATED): 6,
}
EXCLUSIONS_PER_SURVEY = (1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 8, 12, 26)


def generate_inventory(surveys: int = 68, quotas: int = 142, seed: int = 0) -> dict[str, Any]:
    """A GetQuotas body (``Surveys``, ``CountryID``, ``CacheExpires``) with exactly ``surveys`` surveys and
    ``quotas`` quotas. The same arguments always give the same body."""
    if surveys < 1 or quotas < surveys:
        raise ValueError(f"need at least one survey and one quota per survey; got {surveys} and {quotas}")
    rng = random.Random(seed)
    ids = _IdSource(rng)
    layer_counts = _deal(rng, list(LAYERS_PER_QUOTA), list(LAYERS_PER_QUOTA.values()), quotas)
    kinds = _layer_kinds(rng, layer_counts)
    quota_bodies = [_quota(rng, ids, quota_kinds) for quota_kinds in kinds]
    body_surveys = []
    for count in _quotas_per_survey(rng, surveys, quotas):
        body_surveys.append(_survey(rng, ids, quota_bodies[:count]))
        del quota_bodies[:count]
    rng.shuffle(body_surveys)
    _add_exclusions(rng, body_surveys)
    expires = ANCHOR + timedelta(microseconds=rng.randrange(1_000_000))
    return {"Surveys": body_surveys, "CountryID": COUNTRY_ID, "CacheExpires": _dotnet_time(expires, 7) + "Z"}


# --- counting -------------------------------------------------------------------------------------------------
def apportion(weights: Sequence[float], total: int) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainders): exact when the weights already sum to
    ``total``, so the reference size reproduces the reference counts."""
    whole = sum(weights)
    if whole <= 0:
        weights, whole = [1.0] * len(weights), float(len(weights))
    shares = [w * total / whole for w in weights]
    counts = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _deal(rng: random.Random, values: Sequence[T], frequencies: Sequence[int], total: int) -> list[T]:
    """``total`` of ``values`` in proportion to their reference ``frequencies``, in random order."""
    dealt = [v for v, n in zip(values, apportion(frequencies, total), strict=True) for _ in range(n)]
    rng.shuffle(dealt)
    return dealt


def _quotas_per_survey(rng: random.Random, surveys: int, quotas: int) -> list[int]:
    """Every survey gets one quota; the rest go to a few surveys, as the reference body's extra quotas do."""
    reference = sorted((n for n, k in QUOTAS_PER_SURVEY.items() for _ in range(k)), reverse=True)
    sampled = [reference[i * len(reference) // surveys] - 1 for i in range(surveys)]
    counts = [1 + extra for extra in apportion(sampled, quotas - surveys)]
    rng.shuffle(counts)
    return counts


def _weighted(rng: random.Random, table: dict[Any, int]) -> Any:
    return rng.choices(list(table), weights=list(table.values()))[0]


class _IdSource:
    """Increasing ids with gaps, one series per kind of object: unique within a body, never sequential."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.last = {
            "survey": 2_370_000 + rng.randrange(10_000),
            "wave": 766_000 + rng.randrange(10_000),
            "project": 1_630_000 + rng.randrange(10_000),
            "quota": 1_129_000 + rng.randrange(10_000),
            "layer": 2_715_000 + rng.randrange(10_000),
            "subquota": 10_260_000 + rng.randrange(10_000),
        }

    def next(self, kind: str, gap: int = 40) -> int:
        self.last[kind] += self.rng.randint(1, gap)
        return self.last[kind]


# --- quotas ---------------------------------------------------------------------------------------------------
def _layer_kinds(rng: random.Random, layer_counts: list[int]) -> list[list[LayerKind]]:
    """The layer kinds of each quota. Kinds are dealt in the reference proportions; a quota takes kinds whose
    questions it does not target yet where it can, as real quotas split on a question in one layer only."""
    pool = _deal(rng, LAYER_KINDS, [k.layers for k in LAYER_KINDS], sum(layer_counts))
    out: list[list[LayerKind]] = [[] for _ in layer_counts]
    for q in sorted(range(len(layer_counts)), key=lambda i: -layer_counts[i]):
        used: set[int] = set()
        for _ in range(layer_counts[q]):
            pick = next((i for i, k in enumerate(pool) if used.isdisjoint(k.questions)), 0)
            kind = pool.pop(pick)
            used.update(kind.questions)
            out[q].append(kind)
    return out


def _quota(rng: random.Random, ids: _IdSource, kinds: list[LayerKind]) -> Wire:
    """An open quota: from ten to a few thousand completes required, at least one still to come."""
    required = max(10, min(3000, int(rng.lognormvariate(5.2, 1.0))))
    return {
        "QuotaID": ids.next("quota"),
        "CompletesRequired": required,
        "EstimatedCompletesRemaining": rng.randint(1, required),
        "Layers": [_layer(rng, ids, kind, required) for kind in kinds],
    }


def _layer(rng: random.Random, ids: _IdSource, kind: LayerKind, required: int) -> Wire:
    """A layer whose subquotas are cells: each takes one target per question from that question's column, and
    room for completes (never full: GetQuotas lists no full subquota)."""
    n = rng.choice(kind.subquotas)
    columns = [(_targets(rng, q, cells), step) for q, (cells, step) in _splits(kind.questions, n).items()]
    subquotas = []
    for i in range(n):
        most = max(1, round(required / n * rng.uniform(0.5, 1.2)))
        subquotas.append(
            {
                "QuestionsAndAnswers": [_copy(targets[(i // step) % len(targets)]) for targets, step in columns],
                "SubQuotaID": ids.next("subquota", 3),
                "CurrentCompletes": min(most - 1, int(most * rng.random() ** 2)),
                "MaxTargetCompletes": most,
            }
        )
    return {"LayerID": ids.next("layer", 5), "SubQuotas": subquotas}


def _splits(questions: tuple[int, ...], n: int) -> dict[int, tuple[int, int]]:
    """How a layer of ``n`` subquotas splits on each of its questions, as ``question -> (cells, step)``:
    subquota ``i`` takes the question's target ``(i // step) % cells``. Gender splits in two and the next
    question (age first) takes the rest; the other questions filter every subquota alike."""
    plan = dict.fromkeys(questions, (1, 1))
    if n == 1:
        return plan
    if len(questions) == 1:
        return {questions[0]: (n, 1)}
    if GEN in plan:
        plan[GEN] = (2, 1)
        second = AGE if AGE in plan else next(q for q in questions if q != GEN)
        plan[second] = (math.ceil(n / 2), 2)
    else:
        plan[questions[0]] = (n, 1)
    return plan


def _copy(target: Wire) -> Wire:
    """Cells share a filter target; each subquota gets its own copy so no two share a list."""
    return {**target, "AnswerIDs": list(target["AnswerIDs"]), "AnswerValues": list(target["AnswerValues"])}


def _targets(rng: random.Random, question: int, slices: int) -> list[Wire]:
    """``slices`` disjoint targets on ``question`` (one when the question filters the whole layer)."""
    if question == AGE:
        return _age_targets(rng, slices)
    if question == qid.POSTAL_CODE:
        return [_target(question, values=_postal_list(rng)) for _ in range(slices)]
    if question == qid.POSTAL_COMPUTED:
        return [_target(question, values=_region_texts(rng)) for _ in range(slices)]
    spec = QUESTIONS[question]
    return [_target(question, ids=group, routable=spec.routable) for group in _id_groups(rng, spec, slices)]


def _target(question: int, ids: Sequence[int] = (), values: Sequence[str] = (), routable: bool = False) -> Wire:
    return {"QuestionID": question, "AnswerIDs": list(ids), "AnswerValues": list(values), "IsRoutable": routable}


def _id_groups(rng: random.Random, spec: Question, slices: int) -> list[list[int]]:
    """Answer-id groups: one filter group of ``per_target`` ids, or one group per cell drawn without overlap
    while the answers last (a split on gender is female / male; four cells on a 4-answer question, one each)."""
    low, high = spec.per_target
    if slices == 1:
        size = min(len(spec.answers), rng.randint(low, high))
        if spec.answers == (qid.FEMALE, qid.MALE):
            size = 2 if rng.random() < 0.03 else 1
        return [sorted(rng.sample(spec.answers, size))]
    shuffled = rng.sample(spec.answers, len(spec.answers))
    size = max(1, min(high, len(shuffled) // slices))
    return [sorted(shuffled[(i * size + k) % len(shuffled)] for k in range(size)) for i in range(slices)]


def _age_targets(rng: random.Random, slices: int) -> list[Wire]:
    """Age cells as ranges in AnswerValues (most quotas) or as bracket AnswerIDs (the rest)."""
    if rng.random() < 0.22:
        return [_target(AGE, ids=group) for group in _bracket_groups(rng, slices)]
    if slices == 1 and rng.random() < 0.05:  # two ranges in one target, as Toluna allows
        younger, older = _age_ranges(rng, 2)
        return [_target(AGE, values=[older, younger])]
    return [_target(AGE, values=[r]) for r in _age_ranges(rng, slices)]


def _age_ranges(rng: random.Random, slices: int) -> list[str]:
    """``slices`` adjacent ranges such as ``18-24``, ``25-34``, ..., ``65-99``, cut at usual cell ages."""
    start = rng.choice((18,) * 8 + (13, 15, 16, 21, 25)) if slices == 1 else rng.choice((18,) * 6 + (15, 21))
    end = rng.choice((99,) * 5 + (54, 64, 74)) if slices < 6 else 99
    inner = [c for c in AGE_CUTS if start + 2 < c < end - 2]
    cuts = sorted(rng.sample(inner, min(len(inner), slices - 1)))
    bounds = [start, *cuts, end + 1]
    return [f"{low}-{nxt - 1}" for low, nxt in itertools.pairwise(bounds)]


def _bracket_groups(rng: random.Random, slices: int) -> list[list[int]]:
    """Adjacent bracket ids split into ``slices`` groups of one to three brackets."""
    sizes = [rng.choice((1, 1, 2, 2, 3)) for _ in range(min(slices, len(ADULT_BRACKETS)))]
    while sum(sizes) > len(ADULT_BRACKETS):
        sizes[sizes.index(max(sizes))] -= 1
    cuts = list(itertools.accumulate(sizes, initial=rng.randint(0, len(ADULT_BRACKETS) - sum(sizes))))
    return [list(ADULT_BRACKETS[a:b]) for a, b in itertools.pairwise(cuts)]


def _postal_list(rng: random.Random) -> list[str]:
    """A region's postal codes, sorted: 1,000 (Toluna's cap) or fewer, 5 digits, and in some lists the codes
    below 10000 lose their leading zero, as they do in Toluna's bodies."""
    size = POSTAL_LIST_MAX if rng.random() < 0.55 else rng.randint(20, POSTAL_LIST_MAX - 1)
    span = min(98_000, size * rng.randint(1, 6))
    start = rng.randint(1_000, 99_999 - span)
    drop_zero = start < 10_000 and rng.random() < 0.5
    return [str(z) if drop_zero else f"{z:05d}" for z in sorted(rng.sample(range(start, start + span), size))]


def _region_texts(rng: random.Random) -> list[str]:
    return [str(r) for r in rng.sample(POSTAL_COMPUTED_IDS, 2 if rng.random() < 0.1 else 1)]


# --- surveys --------------------------------------------------------------------------------------------------
def _survey(rng: random.Random, ids: _IdSource, quotas: list[Wire]) -> Wire:
    return {
        "SurveyID": ids.next("survey", 2_000),
        "SurveyName": f"{ids.next('project', 900)}-US" + ("-W2" if rng.random() < 0.05 else ""),
        "SurveyTopic": _weighted(rng, TOPICS),
        "WaveID": ids.next("wave", 400),
        "LOI": _weighted(rng, LOIS),
        "IR": rng.choice(IRS),
        "StudyTypeID": _weighted(rng, STUDY_TYPES),
        "ScheduledCompletionDate": _completion_date(rng),
        "Price": {"Amount": round(rng.triangular(0.5, 3.5, 1.4) * 20) / 20, "CurrencyID": 1},
        "DeviceTypeIDs": list(_weighted(rng, DEVICES)),
        "IsSurveyRecontact": False,
        "CompletesRequired": sum(q["CompletesRequired"] for q in quotas),
        "EstimatedCompletesRemaining": sum(q["EstimatedCompletesRemaining"] for q in quotas),
        "Quotas": quotas,
        "IsTqsSurvey": False,
        "SurveyWaveExclusions": [],
    }


def _completion_date(rng: random.Random) -> str:
    """Without a zone, and a few with milliseconds, as Toluna writes them."""
    at = ANCHOR + timedelta(seconds=rng.randint(-10 * 86_400, 25 * 86_400))
    if rng.random() < 0.15:
        at += timedelta(milliseconds=rng.randint(1, 999))
    return _dotnet_time(at, 3)


def _dotnet_time(at: datetime, digits: int) -> str:
    """Toluna's (.NET's) style: seconds to ``digits`` decimals with trailing zeros dropped, and the point with
    them (``.09``, ``.575327``, none at all)."""
    fraction = f"{at.microsecond:06d}0"[:digits].rstrip("0")
    return at.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "")


def _add_exclusions(rng: random.Random, surveys: list[Wire]) -> None:
    """Exclusions on a share of the surveys, each naming surveys of the same body (sometimes itself: a member
    who completed a survey may not take it again)."""
    count = apportion([EXCLUDING_SHARE, 1 - EXCLUDING_SHARE], len(surveys))[0]
    for survey in rng.sample(surveys, count):
        size = min(len(surveys), rng.choice(EXCLUSIONS_PER_SURVEY))
        survey["SurveyWaveExclusions"] = [
            {
                "SurveyID": other["SurveyID"],
                "WaveID": 0 if rng.random() < 0.17 else other["WaveID"],
                "ParticipationStatusIDs": list(_weighted(rng, EXCLUSION_STATUSES)),
            }
            for other in rng.sample(surveys, size)
        ]
