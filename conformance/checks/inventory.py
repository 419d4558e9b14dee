"""Quota inventory: GetQuotas with the right identity, refreshed at a sane cadence."""

from __future__ import annotations

from datetime import timedelta

from ..facts import Facts
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Quota inventory"
ES_ROUTES = ("quotas", "invite", "invites", "recontact", "quota_status")


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
    wrong = [r for r in f.routes(*ES_ROUTES) if r.result_code in (3, 18)]
    return Verdict(
        [Evidence(summary=f"refused: {r.response}", journal_id=r.id, request=r.describe()) for r in wrong[:20]],
        passed=f"{len(polls)} GetQuotas call(s), all with the panel's GUID and key",
        failed=f"{len(wrong)} call(s) with a wrong PanelGUID or API key",
    )


@check(
    "INV-02",
    "GetQuotas refreshed at a sane cadence",
    STEP,
    Severity.SHOULD,
    "Toluna advises polling GetQuotas about once a minute: neither hammering it nor inviting from a stale list.",
)
def cadence(f: Facts) -> Verdict:
    polls = sorted(r.wall for r in f.routes("quotas") if r.status == 200)
    problems = []
    window = timedelta(seconds=10)
    for i, start in enumerate(polls):
        burst = [t for t in polls[i:] if t - start <= window]
        if len(burst) > f.poll_burst:
            problems.append(Evidence(summary=f"{len(burst)} GetQuotas calls within 10 s from {start:%H:%M:%S}"))
            break
    stale = timedelta(seconds=f.refresh_seconds)
    for attempt in f.invites:
        before = [t for t in polls if t <= attempt.request.wall]
        if before and attempt.request.wall - before[-1] > stale:
            problems.append(
                Evidence(
                    summary=f"an invite {int((attempt.request.wall - before[-1]).total_seconds())} s after the last "
                    f"GetQuotas (refresh at least every {f.refresh_seconds:.0f} s)",
                    journal_id=attempt.request.id,
                    request=attempt.request.describe(),
                )
            )
            break
    return Verdict(problems, passed=f"{len(polls)} polls", failed="GetQuotas hammered or not refreshed")
