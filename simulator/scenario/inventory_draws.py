"""Seeded counting and numbering for synthetic inventories: splitting a total in the reference body's
proportions, and ids that grow with gaps as Toluna's do. Everything draws from the one ``random.Random`` a
seed creates, so a seed always gives the same body."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


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


def deal(rng: random.Random, values: Sequence[T], frequencies: Sequence[int], total: int) -> list[T]:
    """``total`` of ``values`` in proportion to their reference ``frequencies``, in random order."""
    dealt = [v for v, n in zip(values, apportion(frequencies, total), strict=True) for _ in range(n)]
    rng.shuffle(dealt)
    return dealt


class IdSource:
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
