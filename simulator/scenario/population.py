"""Members generated with Faker from a seed and answer distributions: the same seed gives the same panel."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from faker import Faker

from simulator.domain import questions as qid
from simulator.domain.model import Member


def _pick(rng: random.Random, weights: dict[str, float]) -> int:
    keys = list(weights)
    return int(rng.choices(keys, weights=[weights[k] for k in keys])[0])


def generate_members(spec: dict[str, Any], panel_guid: str, today: date) -> Iterator[Member]:
    """``spec`` is a scenario ``populations`` entry (count, seed, code_prefix, age, gender, answers, ...)."""
    seed = int(spec.get("seed", 0))
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
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
        for question, weights in spec.get("answers", {}).items():
            answers[int(question)] = frozenset([_pick(rng, weights)])
        yield Member(
            panel_guid=panel_guid,
            member_code=f"{spec.get('code_prefix', 'GEN-')}{i:06d}",
            birth_date=None if rng.random() < spec.get("missing_birth_date", 0) else birth,
            postal_code=None if rng.random() < spec.get("missing_postal_code", 0) else postal,
            answers=answers,
        )
