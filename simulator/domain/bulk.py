"""Toluna's sampling rules for a whole population at once: one boolean mask per quota.

``sampling`` explains one member against one quota; this module answers "which of these million members
match each of these quotas?" fast enough to size a scenario or feed a benchmark. The semantics are
``sampling.check_quota``'s, edge cases included; only the evaluation strategy differs:

* every answer is stored as a small integer code into a per-question vocabulary, so a target becomes a
  boolean table over the vocabulary (computed in Python, it is small) and one vectorized lookup;
* age targets become a table over the ages present, postal prefixes a table over the distinct codes
  truncated to each prefix length (truncation is done once per length and kept on the population);
* identical targets (same QuestionID and answers) are evaluated once per ``match_quotas`` call.

The columns are built by ``population`` on the codes and lookup of ``coded_columns``; this module turns
targets into tables and combines their masks per quota. ``NO_ANSWER``, ``AnswerColumn`` and ``Population``
are re-exported so that callers need only this module.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from . import questions as q
from .coded_columns import NO_ANSWER, AnswerColumn, lookup_codes
from .model import Quota, SubQuota, Target
from .population import Population
from .sampling import merge_targets, normalize_postal, parse_age_range

__all__ = ["NO_ANSWER", "AnswerColumn", "Population", "match_quota", "match_quotas", "target_hits"]

_INT64 = np.iinfo(np.int64)


def _tokens(values: Iterable[str]) -> set[str]:
    """``AnswerValues`` of an ordinary question as ``sampling`` compares them: comma-split, stripped, upper."""
    return {tok.strip().upper() for v in values for tok in v.split(",") if tok.strip()}


def _token_id(token: str) -> int | None:
    """The answer id a token equals as text (``str(id) == token``), if it fits an int64 column."""
    try:
        n = int(token)
    except ValueError:
        return None
    return n if str(n) == token and _INT64.min <= n <= _INT64.max else None


def _age_hits(pop: Population, t: Target) -> np.ndarray:
    """Members whose age falls in a wanted bracket (``questions.age_bracket``) or ``AnswerValues`` range."""
    domain, index = pop.age_domain()
    wanted = set(t.answer_ids)
    ranges = [b for b in map(parse_age_range, t.answer_values) if b is not None]
    table = np.fromiter(
        (q.age_bracket(a) in wanted or any(low <= a <= high for low, high in ranges) for a in domain),
        dtype=bool,
        count=len(domain),
    )
    return lookup_codes(table, index)


def _postal_hits(pop: Population, t: Target) -> np.ndarray:
    """Members whose normalized code starts with a wanted prefix: a set lookup per prefix length."""
    by_length: dict[int, set[str]] = {}
    for v in t.answer_values:
        if v.strip():
            prefix = normalize_postal(v)
            by_length.setdefault(len(prefix), set()).add(prefix)
    out = np.zeros(len(pop), dtype=bool)
    for length, prefixes in by_length.items():
        codes, member_cut = pop.postal_prefixes(length)
        table = np.zeros(len(codes), dtype=bool)
        table[[codes[p] for p in prefixes if p in codes]] = True
        out |= lookup_codes(table, member_cut)
    return out


def _answer_hits(pop: Population, t: Target) -> np.ndarray:
    """Members holding a wanted id, or whose id or open-ended text equals an ``AnswerValues`` token."""
    tokens = _tokens(t.answer_values)
    ids = {*t.answer_ids, *(n for n in map(_token_id, tokens) if n is not None)}
    out = np.zeros(len(pop), dtype=bool)
    column = pop.answers.get(t.question_id)
    if column is not None and ids:
        wanted = np.array([n for n in ids if _INT64.min <= n <= _INT64.max], dtype=np.int64)
        out |= column.select(np.isin(column.vocab, wanted), len(pop))
    texts = pop.open_answers.get(t.question_id)
    if texts is not None and tokens:
        hit = np.fromiter((v in tokens for v in texts.vocab.tolist()), dtype=bool, count=len(texts.vocab))
        out |= texts.select(hit, len(pop))
    return out


def target_hits(pop: Population, t: Target) -> np.ndarray:
    """Members who answered a merged target's question and match it (routability not applied)."""
    if t.question_id == q.AGE:
        return _age_hits(pop, t)
    if t.question_id == q.POSTAL_CODE:
        return _postal_hits(pop, t)
    return _answer_hits(pop, t)


class _Evaluator:
    """Evaluates quotas against one population, computing each distinct target once."""

    __slots__ = ("_hits", "_masks", "pop")

    def __init__(self, pop: Population) -> None:
        self.pop = pop
        self._hits: dict[tuple[int, frozenset[int], frozenset[str]], np.ndarray] = {}
        self._masks: dict[tuple[int, frozenset[int], frozenset[str], bool], np.ndarray] = {}

    def target(self, t: Target) -> np.ndarray:
        """Members passing a merged target (shared, read-only): a match, or unanswered and routable."""
        key = (t.question_id, frozenset(t.answer_ids), frozenset(t.answer_values))
        mask = self._masks.get((*key, t.is_routable))
        if mask is None:
            if not key[1] and not key[2]:
                mask = np.ones(len(self.pop), dtype=bool)
            else:
                mask = self._hits.get(key)
                if mask is None:
                    mask = self._hits[key] = target_hits(self.pop, t)
                if t.is_routable:
                    mask = mask | ~self.pop.has_answer(t.question_id)
            mask.flags.writeable = False
            self._masks[(*key, t.is_routable)] = mask
        return mask

    def subquota(self, sq: SubQuota) -> np.ndarray:
        """Members passing every question of a subquota (read-only, possibly a shared target mask)."""
        return _combine([self.target(t) for t in merge_targets(sq.targets)], np.logical_and, len(self.pop), empty=True)

    def quota(self, quota: Quota, open_only: bool) -> np.ndarray:
        """Every layer matched by one of its subquotas (with room left, when ``open_only``); a fresh array."""
        out = np.ones(len(self.pop), dtype=bool)
        for layer in quota.layers:
            subquotas = [self.subquota(sq) for sq in layer.subquotas if not (open_only and sq.is_full)]
            out &= _combine(subquotas, np.logical_or, len(self.pop), empty=False)
            if not out.any():
                break
        return out


def _combine(masks: list[np.ndarray], op: np.ufunc, size: int, empty: bool) -> np.ndarray:
    """``op`` (AND/OR) over masks without copying a lone mask: most subquotas and layers have one operand."""
    if not masks:
        return np.full(size, empty)
    if len(masks) == 1:
        return masks[0]
    out = op(masks[0], masks[1])
    for mask in masks[2:]:
        op(out, mask, out=out)
    return out


def match_quota(pop: Population, quota: Quota, open_only: bool = False) -> np.ndarray:
    """Bool mask of the members ``sampling.check_quota`` matches.

    With ``open_only``: only those matched through subquotas that still have room in every layer, i.e.
    ``check.matched and not check.only_full_subquotas``.
    """
    return _Evaluator(pop).quota(quota, open_only)


def match_quotas(pop: Population, quotas: Iterable[Quota], open_only: bool = False) -> dict[int, np.ndarray]:
    """``match_quota`` for many quotas by QuotaID (a repeated QuotaID keeps its last quota's mask).

    Targets shared between quotas (same QuestionID and answers) are evaluated once per call.
    """
    evaluator = _Evaluator(pop)
    return {quota.quota_id: evaluator.quota(quota, open_only) for quota in quotas}
