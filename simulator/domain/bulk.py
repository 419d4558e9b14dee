"""Toluna's sampling rules for a whole population at once: one boolean mask per quota.

``sampling`` explains one member against one quota; this module answers "which of these million members
match each of these quotas?" fast enough to size a scenario or feed a benchmark. The semantics are
``sampling.check_quota``'s, edge cases included; only the evaluation strategy differs:

* every answer is stored as a small integer code into a per-question vocabulary, so a target becomes a
  boolean table over the vocabulary (computed in Python, it is small) and one vectorized lookup;
* age targets become a table over the ages present, postal prefixes a table over the distinct codes
  truncated to each prefix length (truncation is done once per length and kept on the population);
* identical targets (same QuestionID and answers) are evaluated once per ``match_quotas`` call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np

from . import questions as q
from .model import Member, Quota, SubQuota, Target
from .sampling import merge_targets, normalize_postal, parse_age_range

#: In a single-answer column given to ``Population.from_columns``: the member did not answer.
NO_ANSWER: Final = -1

#: Above this many ``True`` runs in a lookup table, one gather beats run-by-run comparisons.
_MAX_RUNS: Final = 8
#: Multi-select answers are laid out by rank (one code row per answer) up to this many answers per member.
_MAX_RANKS: Final = 8

_INT64 = np.iinfo(np.int64)


def _code_dtype(size: int) -> type[np.signedinteger[Any]]:
    """The narrowest signed dtype holding codes ``-size..size-1`` (narrow codes scan faster)."""
    for dtype in (np.int8, np.int16, np.int32):
        if size < np.iinfo(dtype).max:
            return dtype
    return np.int64


def _lookup(table: np.ndarray, *rows: np.ndarray) -> np.ndarray:
    """``table[row]`` OR-ed over code rows, for a bool table, where code -1 (no answer) is False.

    A target usually selects a few contiguous runs of its table (an age range, one gender), and comparing
    narrow codes against a run is several times cheaper than a gather, so runs are compared when few.
    """
    edges = np.flatnonzero(np.diff(np.concatenate(([False], table, [False])).astype(np.int8)))
    runs = list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))
    out = np.zeros(rows[0].shape, dtype=bool)
    if len(runs) > _MAX_RUNS:
        padded = np.append(table, False)
        for codes in rows:
            out |= padded.take(codes)
        return out
    for codes in rows:
        unsigned = np.dtype(codes.dtype.str.replace("i", "u"))
        for start, stop in runs:
            if stop - start == 1:
                out |= codes == start
            else:  # start <= code < stop as one unsigned comparison; code -1 wraps around to a huge value
                out |= np.subtract(codes, codes.dtype.type(start)).view(unsigned) < stop - start
    return out


@dataclass(slots=True, frozen=True, eq=False)
class AnswerColumn:
    """One question's answers for a population, coded against the distinct values given.

    Single form (``members is None``): ``index[i]`` is member i's code into ``vocab``, -1 when unanswered;
    used when nobody holds more than one answer. Pair form (multi-select): ``members[k]`` holds
    ``vocab[index[k]]``, one pair per answer; ``ranks`` lays the same codes out as one row per answer rank
    (row j: each member's j-th code, -1 if fewer), so that a target is a few narrow scans instead of a
    scatter; None when some member holds more than ``_MAX_RANKS`` answers.
    """

    vocab: np.ndarray
    index: np.ndarray
    members: np.ndarray | None = None
    ranks: np.ndarray | None = None

    @classmethod
    def from_pairs(cls, size: int, members: np.ndarray, values: np.ndarray | Sequence[Any]) -> AnswerColumn:
        """Codes (member, value) pairs, collapsing to the single form when each member has one value."""
        members = np.asarray(members, dtype=np.intp)
        vocab, inverse = _distinct(values)
        index = inverse.astype(_code_dtype(len(vocab)))
        counts = np.bincount(members, minlength=size)
        if len(counts) > size:
            raise ValueError(f"member index {members.max()} out of range for {size} members")
        if counts.max(initial=0) <= 1:
            single = np.full(size, -1, dtype=index.dtype)
            single[members] = index
            return cls(vocab, single)
        if counts.max() > _MAX_RANKS:
            return cls(vocab, index, members)
        order = np.argsort(members, kind="stable")
        by_member = members[order]
        rank = np.arange(len(members)) - (np.cumsum(counts) - counts)[by_member]
        ranks = np.full((counts.max(), size), -1, dtype=index.dtype)
        ranks[rank, by_member] = index[order]
        return cls(vocab, index, members, ranks)

    @classmethod
    def from_single(cls, ids: np.ndarray) -> AnswerColumn:
        """Codes a one-answer-per-member id column where ``NO_ANSWER`` marks the unanswered."""
        ids = np.asarray(ids, dtype=np.int64)
        answered = ids != NO_ANSWER
        vocab, inverse = np.unique(ids[answered], return_inverse=True)
        index = np.full(ids.shape, -1, dtype=_code_dtype(len(vocab)))
        index[answered] = inverse
        return cls(vocab, index)

    def answered(self, size: int) -> np.ndarray:
        """Members holding at least one value."""
        if self.members is None or self.ranks is not None:
            return (self.index if self.members is None else self.ranks[0]) >= 0
        out = np.zeros(size, dtype=bool)
        out[self.members] = True
        return out

    def select(self, hit: np.ndarray, size: int) -> np.ndarray:
        """Members holding any value whose vocabulary slot is set in ``hit``."""
        if self.members is None:
            return _lookup(hit, self.index)
        if self.ranks is not None:
            return _lookup(hit, *self.ranks)
        out = np.zeros(size, dtype=bool)
        out[self.members[hit[self.index]]] = True
        return out


def _distinct(values: np.ndarray | Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, inverse index); exact Python equality for non-numeric values, numpy's sort otherwise."""
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if arr.dtype.kind in "iuU":  # numpy's sort is exact for these and much faster than a dict on 1M values
        vocab, inverse = np.unique(arr.astype(np.int64) if arr.dtype.kind != "U" else arr, return_inverse=True)
        return vocab, inverse.reshape(-1)
    seen: dict[Any, int] = {}
    inverse = np.fromiter((seen.setdefault(v, len(seen)) for v in arr.tolist()), dtype=np.int64, count=len(arr))
    vocab = np.empty(len(seen), dtype=object)
    vocab[:] = list(seen)
    return vocab, inverse


@dataclass(slots=True, eq=False)
class Population:
    """A panel's members in columns: what ``sampling`` reads from ``Member`` objects, for many members at once.

    ``ages`` are on ``on`` (-1 without a birth date; ``has_birth_date`` tells a real -1 apart, as for a birth
    date after ``on``). ``postal_vocab`` holds the distinct postal codes normalized like
    ``sampling.normalize_postal`` and ``postal`` each member's index into it (-1: None or empty). Answers to
    ``questions.AGE`` and ``questions.POSTAL_CODE`` in ``answers`` are ignored, as ``sampling`` ignores them.
    ``open_answers`` vocabularies hold the texts stripped and upper-cased, the form they are compared in.
    """

    member_codes: np.ndarray
    ages: np.ndarray
    has_birth_date: np.ndarray
    postal_vocab: tuple[str, ...]
    postal: np.ndarray
    answers: dict[int, AnswerColumn]
    open_answers: dict[int, AnswerColumn]
    on: date | None = None
    _derived: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.member_codes)

    @classmethod
    def from_members(cls, members: Sequence[Member], on: date) -> Population:
        """Columns for ``Member`` objects, ages taken on ``on`` (the sandbox clock's date)."""
        ages = [m.age_on(on) for m in members]
        pairs: dict[int, tuple[list[int], list[int]]] = {}
        texts: dict[int, tuple[list[int], list[str]]] = {}
        for i, m in enumerate(members):
            for question_id, ids in m.answers.items():
                who, what = pairs.setdefault(question_id, ([], []))
                who.extend([i] * len(ids))
                what.extend(sorted(ids))
            for question_id, text in m.open_answers.items():
                who_t, what_t = texts.setdefault(question_id, ([], []))
                who_t.append(i)
                what_t.append(text)
        return cls.from_columns(
            codes=[m.member_code for m in members],
            ages=np.array([-1 if a is None else a for a in ages], dtype=np.int16),
            has_birth_date=np.array([a is not None for a in ages], dtype=bool),
            postal_codes=[m.postal_code for m in members],
            multi_answers={k: (np.array(w, dtype=np.intp), np.array(v, dtype=np.int64)) for k, (w, v) in pairs.items()},
            open_answers={k: (np.array(w, dtype=np.intp), v) for k, (w, v) in texts.items()},
            on=on,
        )

    @classmethod
    def from_columns(
        cls,
        codes: np.ndarray | Sequence[str],
        ages: np.ndarray,
        postal_codes: np.ndarray | Sequence[str | None] | None = None,
        answers: Mapping[int, np.ndarray] | None = None,
        multi_answers: Mapping[int, tuple[np.ndarray, np.ndarray]] | None = None,
        open_answers: Mapping[int, tuple[np.ndarray, Sequence[str]]] | None = None,
        has_birth_date: np.ndarray | None = None,
        on: date | None = None,
    ) -> Population:
        """A population straight from arrays, for sizes where building ``Member`` objects would dominate.

        ``ages``: age on ``on``, -1 without a birth date (unless ``has_birth_date`` says otherwise).
        ``postal_codes``: raw codes, None or "" when unanswered (None = nobody answered).
        ``answers``: question -> one answer id per member, ``NO_ANSWER`` when unanswered.
        ``multi_answers``: question -> (member indexes, answer ids), one pair per answer held.
        ``open_answers``: question -> (member indexes, raw texts).
        """
        member_codes = np.asarray(codes)
        size = len(member_codes)
        ages = np.asarray(ages, dtype=np.int16)
        known = ages >= 0 if has_birth_date is None else np.asarray(has_birth_date, dtype=bool)
        if ages.shape != (size,) or known.shape != (size,):
            raise ValueError("ages and has_birth_date need one entry per member")
        overlap = set(answers or {}) & set(multi_answers or {})
        if overlap:
            raise ValueError(f"questions given both as single and multi answers: {sorted(overlap)}")
        columns = {k: AnswerColumn.from_single(_sized(v, size)) for k, v in (answers or {}).items()}
        columns |= {k: AnswerColumn.from_pairs(size, w, v) for k, (w, v) in (multi_answers or {}).items()}
        opened = {
            k: AnswerColumn.from_pairs(size, w, [t.strip().upper() for t in v])
            for k, (w, v) in (open_answers or {}).items()
        }
        postal_vocab, postal = _code_postal([None] * size if postal_codes is None else postal_codes)
        ages = np.where(known, ages, -1).astype(np.int16)
        return cls(member_codes, ages, known, postal_vocab, _sized(postal, size), columns, opened, on)

    def postal_code(self, i: int) -> str | None:
        """Member i's normalized postal code, None when unanswered."""
        code = int(self.postal[i])
        return None if code < 0 else self.postal_vocab[code]

    def age_domain(self) -> tuple[range, np.ndarray]:
        """(the ages present, each member's index into them; -1 without a birth date), kept once computed."""
        cached = self._derived.get("age")
        if cached is None:
            present = self.ages[self.has_birth_date]
            low, high = (int(present.min()), int(present.max())) if present.size else (0, -1)
            index = np.where(self.has_birth_date, self.ages.astype(np.int32) - low, -1)
            cached = self._derived["age"] = (range(low, high + 1), index.astype(_code_dtype(high - low + 1)))
        return cached

    def postal_prefixes(self, length: int) -> tuple[dict[str, int], np.ndarray]:
        """Postal codes cut to ``length``: (distinct cut -> code, each member's code; -1 unanswered), kept."""
        cached = self._derived.get(("postal", length))
        if cached is None:
            codes, cut = _cut(self.postal_vocab, length)
            member_cut = np.append(cut, -1).take(self.postal.astype(np.intp))
            cached = self._derived["postal", length] = (codes, member_cut.astype(_code_dtype(len(codes))))
        return cached

    def answered(self, question_id: int) -> np.ndarray:
        """Members with an answer id or an open-ended answer for a (non-derived) question, kept once computed."""
        cached = self._derived.get(("answered", question_id))
        if cached is None:
            cached = np.zeros(len(self), dtype=bool)
            for column in (self.answers.get(question_id), self.open_answers.get(question_id)):
                if column is not None:
                    cached |= column.answered(len(self))
            self._derived["answered", question_id] = cached
        return cached

    def has_answer(self, question_id: int) -> np.ndarray:
        """Members ``sampling`` does not treat as unanswered for the question (derived ones included)."""
        if question_id == q.AGE:
            return self.has_birth_date
        if question_id == q.POSTAL_CODE:
            return self.postal >= 0
        return self.answered(question_id)


def _sized(values: np.ndarray, size: int) -> np.ndarray:
    """Rejects a column whose length is not the population's (a silent broadcast would corrupt results)."""
    values = np.asarray(values)
    if values.shape != (size,):
        raise ValueError(f"column has shape {values.shape}, expected ({size},)")
    return values


def _code_postal(raw: np.ndarray | Sequence[str | None]) -> tuple[tuple[str, ...], np.ndarray]:
    """(distinct normalized codes, each member's index into them; -1 when None or empty, as ``sampling``)."""
    distinct, inverse = _distinct(raw)
    normalized: dict[str, int] = {}
    remap = [-1 if not c else normalized.setdefault(normalize_postal(str(c)), len(normalized)) for c in distinct]
    return tuple(normalized), np.array([*remap, -1], dtype=np.int64)[inverse].astype(_code_dtype(len(normalized)))


def _cut(vocab: tuple[str, ...], length: int) -> tuple[dict[str, int], np.ndarray]:
    """Each string cut to ``length``: (distinct cut -> code, each string's code).

    numpy's fixed-width strings cut 100k codes far faster than Python, but drop trailing NULs: used only
    when no code holds one.
    """
    if not any("\0" in v for v in vocab):
        distinct, inverse = np.unique(np.array(vocab, dtype=str).astype(f"U{length}"), return_inverse=True)
        return {v: i for i, v in enumerate(distinct.tolist())}, inverse.reshape(-1)
    codes: dict[str, int] = {}
    cut = np.fromiter((codes.setdefault(v[:length], len(codes)) for v in vocab), dtype=np.int64, count=len(vocab))
    return codes, cut


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
    return _lookup(table, index)


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
        out |= _lookup(table, member_cut)
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
