"""Answers Toluna computes from a member's postal code (state, region, DMA, MSA): a member cannot write them,
Toluna derives them. The sandbox derives them from a table of postal prefixes (a scenario's ``postal_areas``):
the longest prefix that starts the member's postal code gives its answers."""

from __future__ import annotations

from dataclasses import dataclass

from .sampling import normalize_postal


@dataclass(slots=True, frozen=True)
class PostalArea:
    prefix: str
    answers: tuple[tuple[int, int], ...]  # (QuestionID, AnswerID)


def derive(areas: list[PostalArea], postal_code: str | None) -> dict[int, frozenset[int]]:
    """The computed answers of a postal code (none when no prefix matches)."""
    if not postal_code:
        return {}
    code = normalize_postal(postal_code)
    matching = [a for a in areas if code.startswith(normalize_postal(a.prefix))]
    if not matching:
        return {}
    best = max(matching, key=lambda a: len(a.prefix))
    out: dict[int, set[int]] = {}
    for question, answer in best.answers:
        out.setdefault(question, set()).add(answer)
    return {q: frozenset(a) for q, a in out.items()}


def to_list(areas: list[PostalArea]) -> list[dict[str, object]]:
    return [{"prefix": a.prefix, "answers": [list(pair) for pair in a.answers]} for a in areas]


def from_list(items: list[dict[str, object]]) -> list[PostalArea]:
    return [PostalArea(str(i["prefix"]), tuple((int(q), int(a)) for q, a in i["answers"])) for i in items]  # type: ignore[union-attr]
