"""The partner's receivers under notifications Toluna's own would not send as such: a stale quota status, a
tampered or unsigned completion, a malformed body (see ``conformance.world`` for how they are made)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..facts import Facts, Probe
from ..model import Evidence, Severity
from ..receivers import first_status
from ..registry import Verdict, check
from .notifications import repeated_completions, told_not_live

STEP = "Notifications"


def _crafted(f: Facts, probe: Probe) -> dict[str, Any] | None:
    return next((n for n in f.crafted if n["ID"] == probe.notification_id), None)


def _delivered_at(n: dict[str, Any] | None) -> datetime | None:
    attempts = (n or {}).get("Attempts") or []
    at = attempts[0].get("At") if attempts else None
    return datetime.fromisoformat(at) if at else None


def _answer(n: dict[str, Any] | None) -> str:
    attempts = (n or {}).get("Attempts") or []
    if not attempts:
        return "no attempt"
    return f"HTTP {attempts[0]['Status']}" if attempts[0].get("Status") is not None else str(attempts[0].get("Error"))


def _ignores_every_hold(f: Facts) -> bool:
    """Whether the partner invited to a quota taken away after being told (NOT-05's violation)."""
    told = told_not_live(f)
    grace = timedelta(seconds=f.grace_seconds)
    return any(a.quota in told and a.request.wall.astimezone(UTC) > told[a.quota] + grace for a in f.invites)


@check(
    "NOT-06",
    "A stale IsLive=true does not reopen a quota",
    STEP,
    Severity.MUST,
    "Quota notifications can arrive out of order: one whose UpdateDateTimeUTC is older than the last one applied "
    "for that quota is ignored, so an older IsLive=true after a newer IsLive=false leaves the quota closed.",
)
def stale_ignored(f: Facts) -> Verdict:
    if _ignores_every_hold(f):
        return Verdict.unexercised(
            "the partner ignores IsLive=false altogether (NOT-05), so a stale IsLive=true cannot be told apart"
        )
    problems, judged = [], 0
    for probe in (p for p in f.probes if p.kind == "stale"):
        quota = int(probe.about["quota"])
        at = _delivered_at(_crafted(f, probe))
        wanted = any(a.quota == quota and a.request.wall.astimezone(UTC) < f.shaped.get(quota, at) for a in f.invites)
        if at is None or not wanted:
            continue
        judged += 1
        grace = timedelta(seconds=f.grace_seconds)
        problems += [
            Evidence(
                summary=f"quota {quota} asked for after a stale IsLive=true (its IsLive=false was newer)",
                journal_id=a.request.id,
                member=a.member,
                quota=quota,
                request=a.request.describe(),
                notification_id=probe.notification_id,
            )
            for a in f.invites
            if a.quota == quota and a.request.wall.astimezone(UTC) > at + grace
        ]
    return Verdict(
        problems,
        judged=judged,
        passed="the quota stayed closed after a stale IsLive=true",
        failed="an older IsLive=true reopened a quota",
        nothing="no stale quota status was delivered for a quota the partner had asked for",
    )


@check(
    "NOT-07",
    "A tampered or unsigned completion credits nothing",
    STEP,
    Severity.MUST,
    "With standard encryption, a completion's EncryptedValue (SurveyID + WaveID + member code, with the shared "
    "key) is checked: a completion whose value does not match, or that has none, credits the member nothing.",
)
def tampered_refused(f: Facts) -> Verdict:
    if not f.encryption_on:
        return Verdict.unexercised('standard encryption was off for the run (encryption_algorithm = "")')
    if f.adapter_url is None:
        return Verdict.unexercised("needs the adapter's credits route (--adapter-url) to see what was credited")
    problems, judged = [], 0
    for probe in (p for p in f.probes if p.kind in ("tampered", "unsigned")):
        member = str(probe.about["member"])
        credited, n = f.forged_credits.get(member), _crafted(f, probe)
        if credited is None or n is None or not n.get("Attempts"):
            continue
        judged += 1
        if credited > 0:
            problems.append(
                Evidence(
                    summary=f"member {member}, who completed nothing, was credited {credited} time(s) after a "
                    f"{probe.kind} completion for survey {probe.about['survey']} (the endpoint answered {_answer(n)})",
                    member=member,
                    notification_id=probe.notification_id,
                )
            )
    return Verdict(
        problems[:1],
        judged=judged,
        passed=f"{judged} forged completion(s) credited nothing",
        failed="a forged completion was credited",
        nothing="no completion could be forged (no completion to copy, or every member had completed one)",
    )


def _worked_before(f: Facts, probe: Probe, at: datetime) -> bool:
    """Whether the endpoint answered its last genuine notification before the probe 2xx (if it already failed,
    that is NOT-01's or NOT-02's to judge, not a malformed body's doing)."""
    before = [g for g in f.notifications if g["URL"] == probe.endpoint and (_delivered_at(g) or at) < at]
    return not before or (first_status(before[-1]) or 0) // 100 == 2


def _malformed(f: Facts) -> list[tuple[Probe, dict[str, Any]]]:
    return [(p, n) for p in f.probes if p.kind == "malformed" and (n := _crafted(f, p)) is not None]


@check(
    "NOT-08",
    "A malformed notification does not break the endpoint",
    STEP,
    Severity.MUST,
    "A body that cannot be read is answered (not a 5xx, not a dropped connection), and the endpoint answers the "
    "next genuine notification 2xx.",
)
def survives_malformed(f: Facts) -> Verdict:
    problems, judged = [], 0
    for probe, n in _malformed(f):
        status, at = first_status(n), _delivered_at(n)
        if at is None:
            continue
        repeats = repeated_completions(f)
        after = [
            g
            for g in f.notifications
            if g["URL"] == probe.endpoint and g["ID"] not in repeats and (_delivered_at(g) or at) > at
        ]
        judged += 1
        if status is None or status >= 500:
            problems.append(
                Evidence(summary=f"a malformed body got {_answer(n)}", notification_id=probe.notification_id)
            )
        elif after and _worked_before(f, probe, at) and (first_status(after[0]) or 0) // 100 != 2:
            problems.append(
                Evidence(
                    summary=f"after a malformed body, the next genuine {after[0]['Kind']} notification got "
                    f"{_answer(after[0])}",
                    notification_id=after[0]["ID"],
                )
            )
    return Verdict(
        problems,
        judged=judged,
        passed=f"{judged} endpoint(s) answered a malformed body and kept working",
        failed="an endpoint broke on a malformed body",
        nothing="no malformed notification was delivered",
    )


@check(
    "NOT-09",
    "A malformed notification is refused with 4xx",
    STEP,
    Severity.SHOULD,
    "A body that cannot be read is answered 4xx: a 2xx says it was understood (and Toluna would not send it again).",
)
def refuses_malformed(f: Facts) -> Verdict:
    sent = _malformed(f)
    problems = [
        Evidence(summary=f"{probe.about['kind']} endpoint answered {_answer(n)}", notification_id=probe.notification_id)
        for probe, n in sent
        if (first_status(n) or 0) // 100 != 4
    ]
    return Verdict(
        problems,
        judged=len(sent),
        passed=f"{len(sent)} malformed bodies refused with 4xx",
        failed="malformed bodies accepted or failed",
        nothing="no malformed notification was delivered",
    )
