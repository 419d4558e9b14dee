"""Invites and result codes: what a partner does after the sandbox's answer."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from ..facts import Facts
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Invites and result codes"
#: Codes that may clear during a run: retrying them later is fine.
TRANSIENT = {9, 17, 27, 36, 37, 39, 40, 45}
#: Codes about the member rather than the quota: the Sampling step (SMP-08) judges what follows them.
MEMBER_CODES = {12, 13, 14, 22}


@check(
    "INV-03",
    "Permanent refusals are not retried",
    STEP,
    Severity.MUST,
    "A result code that will not change for this member and quota (e.g. 16, 30, 38) is not asked again.",
)
def no_retry(f: Facts) -> Verdict:
    refused: dict[tuple[str, int], int] = {}
    problems = []
    for a in f.invites:
        key = (a.member, a.quota)
        if key in refused:
            problems.append(
                Evidence(
                    summary=f"asked again after ResultCode {refused[key]}",
                    journal_id=a.request.id,
                    member=a.member,
                    quota=a.quota,
                    request=a.request.describe(),
                )
            )
        elif a.result_code not in TRANSIENT | MEMBER_CODES and not a.ok:
            refused[key] = a.result_code
    return Verdict(problems[:30], failed=f"{len(problems)} retried permanent refusal(s)")


@check(
    "INV-04",
    "Temporary failures retried with backoff",
    STEP,
    Severity.SHOULD,
    "TECHNICAL_ERROR (36) and HTTP 500 are retried, spaced out with backoff, not in a storm.",
)
def backoff(f: Facts) -> Verdict:
    failures: dict[tuple[str, int], list] = {}
    for a in f.invites:
        if a.result_code == 36 or a.request.status >= 500:
            failures.setdefault((a.member, a.quota), []).append(a.request.wall)
    problems = []
    for (member, quota), times in failures.items():
        quick = [b for a, b in pairwise(times) if b - a < timedelta(milliseconds=150)]
        if len(times) > 6 or len(quick) >= 2:
            problems.append(
                Evidence(
                    summary=f"{len(times)} failed tries, {len(quick)} of them within 150 ms of the one before",
                    member=member,
                    quota=quota,
                )
            )
    return Verdict(problems, failed="temporary failures retried in a storm")


@check(
    "INV-05",
    "A 403 stops the partner",
    STEP,
    Severity.MUST,
    "A 403 (invalid API_AUTH_KEY) is not retried in a loop: the key must be fixed first.",
)
def forbidden_stops(f: Facts) -> Verdict:
    forbidden = [r for r in f.requests if r.status == 403]
    if not forbidden:
        return Verdict([], passed="no 403 during the run")
    problems = []
    for key in dict.fromkeys(r.header("API_AUTH_KEY") for r in forbidden):
        first = next(r for r in forbidden if r.header("API_AUTH_KEY") == key)
        again = [r for r in forbidden if r.wall > first.wall and r.header("API_AUTH_KEY") == key]
        if len(again) > 2:
            problems.append(
                Evidence(
                    summary=f"{len(again)} more calls with the key refused by 403 ({key!r})",
                    journal_id=first.id,
                    request=first.describe(),
                )
            )
    return Verdict(problems, failed="the partner kept calling with a key Toluna refused")
