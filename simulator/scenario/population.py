"""Members generated with Faker from a seed and answer distributions: the same seed gives the same panel."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from faker import Faker

from simulator.domain import questions as qid
from simulator.domain.model import Member


def _choosers(answers: dict[str, dict[str, float]]) -> list[tuple[int, list[int], list[float]]]:
    """Per question: answer ids and cumulative weights, computed once (the same draws as ``choices(weights=)``)."""
    out = []
    for question, weights in answers.items():
        keys = [int(k) for k in weights]
        out.append((int(question), keys, list(accumulate(weights[k] for k in weights))))
    return out


def generate_members(spec: dict[str, Any], panel_guid: str, today: date) -> Iterator[Member]:
    """``spec`` is a scenario ``populations`` entry (count, seed, code_prefix, age, gender, answers, ...)."""
    seed = int(spec.get("seed", 0))
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    choosers = _choosers(spec.get("answers", {}))
    age = spec.get("age", {"min": 18, "max": 80})
    gender = spec.get("gender", {"female": 0.5, "male": 0.5})
    prefixes = spec.get("postal_codes")
    for i in range(int(spec["count"])):
        years = rng.randint(age["min"], age["max"])
        birth = today - timedelta(days=int(years * 365.25) + rng.randint(1, 364))
        if prefixes:
            prefix = rng.choice(prefixes)
            postal = prefix + "".join(str(rng.randint(0, 9)) for _ in range(max(0, 5 - len(prefix))))
        else:
            postal = fake.postcode()
        female = gender.get("female", 0) / ((gender.get("female", 0) + gender.get("male", 0)) or 1)
        answers = {qid.GENDER: frozenset([qid.FEMALE if rng.random() < female else qid.MALE])}
        for question, keys, cumulative in choosers:
            answers[question] = frozenset(rng.choices(keys, cum_weights=cumulative))
        yield Member(
            panel_guid=panel_guid,
            member_code=f"{spec.get('code_prefix', 'GEN-')}{i:06d}",
            birth_date=None if rng.random() < spec.get("missing_birth_date", 0) else birth,
            postal_code=None if rng.random() < spec.get("missing_postal_code", 0) else postal,
            answers=answers,
        )
