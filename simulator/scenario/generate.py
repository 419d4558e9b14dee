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

import random
from datetime import datetime, timedelta
from typing import Any

from .inventory_draws import IdSource, apportion, deal
from .inventory_quotas import layer_kinds, quota_body
from .inventory_shape import (
    ANCHOR,
    COUNTRY_ID,
    DEVICES,
    EXCLUDING_SHARE,
    EXCLUSION_STATUSES,
    EXCLUSIONS_PER_SURVEY,
    IRS,
    LAYERS_PER_QUOTA,
    LOIS,
    QUOTAS_PER_SURVEY,
    STUDY_TYPES,
    TOPICS,
    Wire,
)

__all__ = ["apportion", "generate_inventory"]


def generate_inventory(surveys: int = 68, quotas: int = 142, seed: int = 0) -> dict[str, Any]:
    """A GetQuotas body (``Surveys``, ``CountryID``, ``CacheExpires``) with exactly ``surveys`` surveys and
    ``quotas`` quotas. The same arguments always give the same body."""
    if surveys < 1 or quotas < surveys:
        raise ValueError(f"need at least one survey and one quota per survey; got {surveys} and {quotas}")
    rng = random.Random(seed)
    ids = IdSource(rng)
    layer_counts = deal(rng, list(LAYERS_PER_QUOTA), list(LAYERS_PER_QUOTA.values()), quotas)
    kinds = layer_kinds(rng, layer_counts)
    quota_bodies = [quota_body(rng, ids, quota_kinds) for quota_kinds in kinds]
    body_surveys = []
    for count in _quotas_per_survey(rng, surveys, quotas):
        body_surveys.append(_survey(rng, ids, quota_bodies[:count]))
        del quota_bodies[:count]
    rng.shuffle(body_surveys)
    _add_exclusions(rng, body_surveys)
    expires = ANCHOR + timedelta(microseconds=rng.randrange(1_000_000))
    return {"Surveys": body_surveys, "CountryID": COUNTRY_ID, "CacheExpires": _dotnet_time(expires, 7) + "Z"}


def _quotas_per_survey(rng: random.Random, surveys: int, quotas: int) -> list[int]:
    """Every survey gets one quota; the rest go to a few surveys, as the reference body's extra quotas do."""
    reference = sorted((n for n, k in QUOTAS_PER_SURVEY.items() for _ in range(k)), reverse=True)
    sampled = [reference[i * len(reference) // surveys] - 1 for i in range(surveys)]
    counts = [1 + extra for extra in apportion(sampled, quotas - surveys)]
    rng.shuffle(counts)
    return counts


def _weighted(rng: random.Random, table: dict[Any, int]) -> Any:
    return rng.choices(list(table), weights=list(table.values()))[0]


# --- surveys --------------------------------------------------------------------------------------------------
def _survey(rng: random.Random, ids: IdSource, quotas: list[Wire]) -> Wire:
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
