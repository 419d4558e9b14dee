"""The result-code coverage matrix: for each code the run forced on one of the partner's invites, what the partner
did next with that member and that quota, and whether that is what Toluna's documentation asks (see ``codes``).
The checks named in each row judge the same facts; the matrix shows them code by code."""

from __future__ import annotations

import itertools
from typing import Any

from . import codes
from .facts import Facts, InviteAttempt


def forced(f: Facts) -> list[InviteAttempt]:
    """The partner's invites whose answer the run forced on a coverage quota (the first one per quota)."""
    seen: set[int] = set()
    out = []
    for a in f.invites:
        if a.forced and a.quota in f.coverage and a.result_code == f.coverage[a.quota] and a.quota not in seen:
            seen.add(a.quota)
            out.append(a)
    return out


def reaction(f: Facts, a: InviteAttempt) -> tuple[list[InviteAttempt], str]:
    """The partner's later invites that the refusal ``a`` forbids (none for a transient code), and what it did."""
    later = [b for b in f.invites if b.request.wall > a.request.wall]
    same_pair = [b for b in later if (b.member, b.quota) == (a.member, a.quota)]
    kind = codes.kind(a.result_code)
    if kind == "pair":
        wrong = same_pair
    elif kind == "member":
        wrong = [b for b in later if b.member == a.member]
    elif kind == "quota":
        reread = next((r.wall for r in f.routes("quotas") if r.status == 200 and r.wall > a.request.wall), None)
        wrong = [b for b in later if b.quota == a.quota and (reread is None or b.request.wall < reread)]
    else:
        wrong = []
    return wrong, _describe(a, later, same_pair)


def _describe(a: InviteAttempt, later: list[InviteAttempt], same_pair: list[InviteAttempt]) -> str:
    if same_pair:
        gaps = ", ".join(f"{(b.request.wall - a.request.wall).total_seconds():.1f} s" for b in same_pair[:4])
        return f"asked again for the same member and quota after {gaps}"
    moved = next((b for b in later if b.member == a.member), None)
    if moved is not None:
        return f"moved the member on to quota {moved.quota}"
    other = next((b for b in later if b.quota == a.quota), None)
    if other is not None:
        return f"asked the quota for another member ({other.member})"
    return "never asked for this member or this quota again"


def matrix(f: Facts) -> list[dict[str, Any]]:
    """One row per code in the coverage plan, in code order."""
    hit = {a.quota: a for a in forced(f)}
    rows = []
    for quota, code in sorted(f.coverage.items(), key=lambda item: item[1]):
        kind = codes.kind(code)
        row: dict[str, Any] = {
            "code": code,
            "name": codes.name(code),
            "class": kind,
            "expected": codes.EXPECTED[kind],
            "check": codes.JUDGED_BY[kind],
            "quota": quota,
        }
        a = hit.get(quota)
        if a is None:
            rows.append({**row, "status": "not exercised", "did": "the partner never asked for this quota"})
            continue
        wrong, did = reaction(f, a)
        if kind == "transient":
            wrong = _storm(f, a)
        rows.append(
            {
                **row,
                "member": a.member,
                "journal_id": a.request.id,
                "did": did,
                "status": "not met" if wrong else "met",
                "against": [b.request.id for b in wrong[:10]],
            }
        )
    return rows


def _storm(f: Facts, a: InviteAttempt) -> list[InviteAttempt]:
    """Retries of a transient refusal that come too fast or too often (INV-04's thresholds)."""
    tries = [b for b in f.invites if (b.member, b.quota) == (a.member, a.quota) and b.request.wall >= a.request.wall]
    quick = [b for prev, b in itertools.pairwise(tries) if (b.request.wall - prev.request.wall).total_seconds() < 0.15]
    return tries if len(tries) > 6 or len(quick) >= 2 else []
