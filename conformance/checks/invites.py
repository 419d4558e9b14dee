"""Invites and result codes: what a partner does after the sandbox's answer (see ``conformance.codes`` for what
each code asks of it)."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from .. import codes
from ..facts import Facts, InviteAttempt
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Invites and result codes"
MAX_TRIES = 6
QUICK = timedelta(milliseconds=150)


def _evidence(a: InviteAttempt, summary: str) -> Evidence:
    return Evidence(
        summary=summary, journal_id=a.request.id, member=a.member, quota=a.quota, request=a.request.describe()
    )


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
            problems.append(_evidence(a, f"asked again after ResultCode {refused[key]}"))
        elif not a.ok and codes.kind(a.result_code) == "pair":
            refused[key] = a.result_code
    return Verdict(
        problems[:30],
        judged=len(refused),
        passed=f"{len(refused)} final refusal(s), none asked again",
        failed=f"{len(problems)} retried permanent refusal(s)",
        nothing="the partner met no final refusal during the run",
    )


@check(
    "INV-04",
    "Temporary failures retried with backoff",
    STEP,
    Severity.SHOULD,
    f"TECHNICAL_ERROR (36), other transient codes and HTTP 5xx may be retried, spaced out: at most {MAX_TRIES} tries "
    "for one member and quota, and not two retries within 150 ms of the try before.",
)
def backoff(f: Facts) -> Verdict:
    failures: dict[tuple[str, int], list] = {}
    for a in f.invites:
        if a.result_code in codes.TRANSIENT or a.request.status >= 500:
            failures.setdefault((a.member, a.quota), []).append(a.request.wall)
    problems = []
    for (member, quota), times in failures.items():
        quick = [b for a, b in pairwise(times) if b - a < QUICK]
        if len(times) > MAX_TRIES or len(quick) >= 2:
            problems.append(
                Evidence(
                    summary=f"{len(times)} failed tries, {len(quick)} of them within 150 ms of the one before",
                    member=member,
                    quota=quota,
                )
            )
    return Verdict(
        problems,
        judged=len(failures),
        passed=f"{len(failures)} temporary failure(s), retried calmly or not at all",
        failed="temporary failures retried in a storm",
        nothing="the partner met no temporary failure",
    )


@check(
    "INV-05",
    "A 403 stops the partner",
    STEP,
    Severity.MUST,
    "A 403 (invalid API_AUTH_KEY) is not retried in a loop: at most 2 more calls with a key Toluna refused.",
)
def forbidden_stops(f: Facts) -> Verdict:
    forbidden = [r for r in f.requests if r.status == 403]
    problems = []
    keys = list(dict.fromkeys(r.header("API_AUTH_KEY") for r in forbidden))
    for key in keys:
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
    return Verdict(
        problems,
        judged=len(keys),
        passed="the partner stopped calling after its key was refused",
        failed="the partner kept calling with a key Toluna refused",
        nothing="no call was refused with 403 during the run",
    )


@check(
    "INV-07",
    "A quota refused as full or not live is left alone until the inventory lists it again",
    STEP,
    Severity.MUST,
    "QUOTA_NOT_LIVE (9), QUOTA_FULL (28), SUB_QUOTA_FULL (41), survey caps (46, 47) and the like say the quota takes "
    "no one now: no invite for it, for any member, until a later GetQuotas lists it again.",
)
def quota_refusals(f: Facts) -> Verdict:
    listed = set(f.quota_survey())
    moved = f.quotas_moved_by_suite()
    reads = sorted(r.wall for r in f.routes("quotas") if r.status == 200)
    problems, judged = [], 0
    stopped: dict[int, tuple[object, int]] = {}  # quota -> (when, the code)
    for a in f.invites:
        since = stopped.get(a.quota)
        if since is not None and not any(since[0] < t < a.request.wall for t in reads):
            problems.append(_evidence(a, f"quota {a.quota} asked again after ResultCode {since[1]}"))
            continue
        if not a.ok and codes.kind(a.result_code) == "quota" and a.quota in listed and a.quota not in moved:
            judged += 1
            stopped[a.quota] = (a.request.wall, a.result_code)
    return Verdict(
        problems[:30],
        judged=judged,
        passed=f"{judged} quota refusal(s), the quota left alone until the inventory was read again",
        failed=f"{len(problems)} invite(s) to a quota that had said it takes no one",
        nothing="no quota of the inventory refused the partner as full or not live",
    )
