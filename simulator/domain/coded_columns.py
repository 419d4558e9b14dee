"""Answers stored as small integer codes, and the one vectorized lookup every bulk target comes down to.

``bulk`` turns a target into a boolean table over a question's distinct values (small, computed in Python)
and reads it through each member's code; this module holds that coding and that lookup, apart from what a
population is or what a target means, so both ``population`` and ``bulk`` can share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

#: In a single-answer column given to ``Population.from_columns``: the member did not answer.
NO_ANSWER: Final = -1

#: Above this many ``True`` runs in a lookup table, one gather beats run-by-run comparisons.
_MAX_RUNS: Final = 8
#: Multi-select answers are laid out by rank (one code row per answer) up to this many answers per member.
_MAX_RANKS: Final = 8


def code_dtype(size: int) -> type[np.signedinteger[Any]]:
    """The narrowest signed dtype holding codes ``-size..size-1`` (narrow codes scan faster)."""
    for dtype in (np.int8, np.int16, np.int32):
        if size < np.iinfo(dtype).max:
            return dtype
    return np.int64


def lookup_codes(table: np.ndarray, *rows: np.ndarray) -> np.ndarray:
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
        vocab, inverse = distinct_values(values)
        index = inverse.astype(code_dtype(len(vocab)))
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
        index = np.full(ids.shape, -1, dtype=code_dtype(len(vocab)))
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
            return lookup_codes(hit, self.index)
        if self.ranks is not None:
            return lookup_codes(hit, *self.ranks)
        out = np.zeros(size, dtype=bool)
        out[self.members[hit[self.index]]] = True
        return out


def distinct_values(values: np.ndarray | Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
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
