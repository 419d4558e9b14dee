"""Quota inventory: GetQuotas with the right identity, not hammered, and read again once its CacheExpires passed."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..facts import Facts, Request, cache_expires
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Quota inventory"
ES_ROUTES = ("quotas", "invite", "invites", "recontact", "quota_status")
BURST_WINDOW = 10  # seconds


@check(
    "INV-01",
    "GetQuotas with the panel's GUID and API key",
    STEP,
    Severity.MUST,
    "Every External Sample call names the partner's PanelGUID (and GetQuotas succeeds with its API_AUTH_KEY).",
)
def identity(f: Facts) -> Verdict:
    polls = [r for r in f.routes("quotas") if r.status == 200]
    if not polls:
        return Verdict([Evidence(summary="the partner never read GetQuotas")], failed="no successful GetQuotas")
    calls = f.routes(*ES_ROUTES)
    wrong = [r for r in calls if r.result_code in (3, 18)]
    return Verdict(
        [Evidence(summary=f"refused: {r.response}", journal_id=r.id, request=r.describe()) for r in wrong[:20]],
        judged=len(calls),
        passed=f"{len(polls)} GetQuotas call(s), all with the panel's GUID and key",
        failed=f"{len(wrong)} call(s) with a wrong PanelGUID or API key",
    )


@check(
    "INV-02",
    "GetQuotas not hammered",
    STEP,
    Severity.SHOULD,
    "Toluna advises polling GetQuotas about once a minute: more than 5 calls within 10 seconds is hammering "
    "(the threshold is the run's poll_burst).",
)
def cadence(f: Facts) -> Verdict:
    polls = sorted(r.wall for r in f.routes("quotas") if r.status == 200)
    problems = []
    window = timedelta(seconds=BURST_WINDOW)
    for i, start in enumerate(polls):
        burst = [t for t in polls[i:] if t - start <= window]
        if len(burst) > f.poll_burst:
            problems.append(Evidence(summary=f"{len(burst)} GetQuotas calls within 10 s from {start:%H:%M:%S}"))
            break
    return Verdict(
        problems, judged=len(polls), passed=f"{len(polls)} polls, never more than {f.poll_burst} in 10 s",
        failed="GetQuotas hammered", nothing="the partner never read GetQuotas",
    )  # fmt: skip


def _expires_wall(r: Request) -> datetime | None:
    """When a GetQuotas answer's CacheExpires passes, on the wall clock (the sandbox's may be moved)."""
    expires = cache_expires(r)
    return None if expires is None else expires - (r.at - r.wall)


@check(
    "INV-06",
    "The inventory is read again once its CacheExpires has passed",
    STEP,
    Severity.MUST,
    "GetQuotas says how long its answer holds (CacheExpires): a partner that starts new work (a cycle, a "
    "respondent's request) more than grace_seconds after the CacheExpires of its last GetQuotas, without reading "
    "it again, invites from a stale inventory.",
)
def refreshed(f: Facts) -> Verdict:
    reads = sorted((r for r in f.routes("quotas") if r.status == 200), key=lambda r: r.wall)
    grace = timedelta(seconds=f.grace_seconds)
    problems, judged = [], 0
    for phase in f.phases[1:]:
        invites = [a for a in f.invites if phase.started <= a.request.wall <= phase.ended]
        for a in invites:
            before = [r for r in reads if r.wall <= a.request.wall]
            expires = _expires_wall(before[-1]) if before else None
            if expires is None:
                continue
            judged += 1
            if expires + grace < phase.started:
                problems.append(
                    Evidence(
                        summary=f"cycle {phase.number} invited from a GetQuotas whose CacheExpires passed "
                        f"{(phase.started - expires).total_seconds():.1f} s before the cycle began",
                        journal_id=a.request.id,
                        member=a.member,
                        quota=a.quota,
                        request=a.request.describe(),
                    )
                )
                break
    return Verdict(
        problems,
        judged=judged,
        passed=f"{judged} invite(s) after the first cycle, each from an inventory within its CacheExpires",
        failed="invites from an inventory whose CacheExpires had passed",
        nothing="the partner invited no one after its first GetQuotas expired",
    )
