"""The shape of the real EN-US GetQuotas body (68 surveys, 142 quotas) that synthetic inventories follow:
its counts, the layer kinds and targeted questions of its quotas, and its survey attributes. The figures sit
apart from the code that draws from them so they can be read and checked against that body in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulator.domain import questions as qid
from simulator.domain.cultures import country_id

Wire = dict[str, Any]

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
