"""Synthetic quotas: each quota's layer kinds, its layers' subquota cells and their filter targets (answer
ids, age ranges, bracket ids, postal lists, computed regions), drawn in the reference body's proportions."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence

from simulator.domain import questions as qid

from .inventory_draws import IdSource, deal
from .inventory_shape import (
    ADULT_BRACKETS,
    AGE,
    AGE_CUTS,
    GEN,
    LAYER_KINDS,
    POSTAL_COMPUTED_IDS,
    POSTAL_LIST_MAX,
    QUESTIONS,
    LayerKind,
    Question,
    Wire,
)


def layer_kinds(rng: random.Random, layer_counts: list[int]) -> list[list[LayerKind]]:
    """The layer kinds of each quota. Kinds are dealt in the reference proportions; a quota takes kinds whose
    questions it does not target yet where it can, as real quotas split on a question in one layer only."""
    pool = deal(rng, LAYER_KINDS, [k.layers for k in LAYER_KINDS], sum(layer_counts))
    out: list[list[LayerKind]] = [[] for _ in layer_counts]
    for q in sorted(range(len(layer_counts)), key=lambda i: -layer_counts[i]):
        used: set[int] = set()
        for _ in range(layer_counts[q]):
            pick = next((i for i, k in enumerate(pool) if used.isdisjoint(k.questions)), 0)
            kind = pool.pop(pick)
            used.update(kind.questions)
            out[q].append(kind)
    return out


def quota_body(rng: random.Random, ids: IdSource, kinds: list[LayerKind]) -> Wire:
    """An open quota: from ten to a few thousand completes required, at least one still to come."""
    required = max(10, min(3000, int(rng.lognormvariate(5.2, 1.0))))
    return {
        "QuotaID": ids.next("quota"),
        "CompletesRequired": required,
        "EstimatedCompletesRemaining": rng.randint(1, required),
        "Layers": [_layer(rng, ids, kind, required) for kind in kinds],
    }


def _layer(rng: random.Random, ids: IdSource, kind: LayerKind, required: int) -> Wire:
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
