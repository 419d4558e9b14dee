"""A panel's members as columns, the form ``bulk`` evaluates quotas against.

Kept apart from ``bulk`` because building the columns (coding answers, normalizing postal codes) and the
per-population derived tables (age domain, postal prefixes, who answered) are reused by every quota
evaluated, while ``bulk`` only reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from . import questions as q
from .coded_columns import AnswerColumn, code_dtype, distinct_values
from .model import Member
from .sampling import normalize_postal


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
            cached = self._derived["age"] = (range(low, high + 1), index.astype(code_dtype(high - low + 1)))
        return cached

    def postal_prefixes(self, length: int) -> tuple[dict[str, int], np.ndarray]:
        """Postal codes cut to ``length``: (distinct cut -> code, each member's code; -1 unanswered), kept."""
        cached = self._derived.get(("postal", length))
        if cached is None:
            codes, cut = _cut(self.postal_vocab, length)
            member_cut = np.append(cut, -1).take(self.postal.astype(np.intp))
            cached = self._derived["postal", length] = (codes, member_cut.astype(code_dtype(len(codes))))
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
    distinct, inverse = distinct_values(raw)
    normalized: dict[str, int] = {}
    remap = [-1 if not c else normalized.setdefault(normalize_postal(str(c)), len(normalized)) for c in distinct]
    return tuple(normalized), np.array([*remap, -1], dtype=np.int64)[inverse].astype(code_dtype(len(normalized)))


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
