"""Notifications: the partner's endpoints answer Toluna's notifications, and the partner acts on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..facts import Facts
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Notifications"
ANSWER_SECONDS = 5.0  # "within a few seconds"


def _first(n: dict[str, Any]) -> dict[str, Any] | None:
    attempts = n.get("Attempts") or []
    return attempts[0] if attempts else None


def _answered(n: dict[str, Any]) -> bool:
    a = _first(n)
    return bool(a and a["Status"] is not None and 200 <= a["Status"] < 300 and a["LatencyMs"] <= ANSWER_SECONDS * 1000)


def _evidence(n: dict[str, Any], why: str) -> Evidence:
    a = _first(n) or {}
    got = f"HTTP {a['Status']}" if a.get("Status") is not None else (a.get("Error") or "no attempt")
    return Evidence(
        summary=f"{why}: {n['Kind']} to {n['URL']} got {got} ({a.get('LatencyMs', 0):.0f} ms)",
        notification_id=n["ID"],
        member=n["About"].get("member"),
        quota=n["About"].get("quota"),
    )


def repeated_completions(f: Facts) -> set[int]:
    """The later copies of each completion (Toluna may send a completion more than once; the sandbox sends the
    copy a moment after the first, as a member refreshing the end page would)."""
    seen: set[str] = set()
    out = set()
    for n in f.notifications:
        if n["Kind"] == "complete" and n["ResendOf"] is None:
            if n["Body"] in seen:
                out.add(n["ID"])
            seen.add(n["Body"])
    return out


def _judge(f: Facts, chosen: list[dict[str, Any]], why: str, nothing: str) -> Verdict:
    problems = [_evidence(n, why) for n in chosen if not _answered(n)]
    return Verdict(
        problems,
        judged=len(chosen),
        passed=f"{len(chosen)} notification(s) answered 2xx",
        failed=f"{len(problems)} not answered",
        nothing=nothing,
    )


@check(
    "NOT-01",
    "Member status notifications answered",
    STEP,
    Severity.MUST,
    "Completion, termination and pre-start notifications are answered 2xx within a few seconds.",
)
def member_status(f: Facts) -> Verdict:
    dup = repeated_completions(f)
    chosen = [n for n in f.notifications if n["Kind"] in ("complete", "terminate", "prestart") and n["ID"] not in dup]
    return _judge(f, chosen, "a member status notification failed", "no member finished a survey during the run")


@check(
    "NOT-02",
    "Quota and survey notifications answered, other partners' quotas included",
    STEP,
    Severity.MUST,
    "Quota status notifications come for every quota of the culture, not only the partner's: every one, and every "
    "survey-closed notification, is answered 2xx.",
)
def quota_and_survey(f: Facts) -> Verdict:
    chosen = [n for n in f.notifications if n["Kind"] in ("quota", "survey") and n["Format"] == "json"]
    return _judge(f, chosen, "a quota or survey notification failed", "no quota or survey changed during the run")


@check(
    "NOT-03",
    "Duplicate completions accepted",
    STEP,
    Severity.MUST,
    "A completion may arrive more than once (a member refreshing the end page): the repeat is answered 2xx too.",
)
def duplicates(f: Facts) -> Verdict:
    dup = repeated_completions(f)
    chosen = [n for n in f.notifications if n["ID"] in dup]
    return _judge(f, chosen, "a repeated completion was refused", "no completion was sent twice")


@check(
    "NOT-04",
    "XML notifications accepted",
    STEP,
    Severity.MUST,
    "Toluna sends notifications as JSON or XML, per the panel's configuration: XML ones are answered 2xx too.",
)
def xml(f: Facts) -> Verdict:
    chosen = [n for n in f.notifications if n["Format"] == "xml"]
    return _judge(f, chosen, "an XML notification was refused", "no notification was sent as XML")


def told_not_live(f: Facts) -> dict[int, datetime]:
    """Quota -> when the partner was first told it is not live (a hold, or its survey closed), from the delivery of
    the suite's notifications; the stale probe's quota is NOT-06's."""
    delivered = {n["ID"]: n for n in f.notifications}
    by_survey: dict[int, list[int]] = {}
    for s in f.inventory.get("Surveys", []):
        by_survey.setdefault(s["SurveyID"], []).extend(q["QuotaID"] for q in s["Quotas"])
    told: dict[int, datetime] = {}
    stale = {int(p.about["quota"]) for p in f.probes if p.kind == "stale"}  # NOT-06 judges those
    for action in f.actions:
        if action.kind == "quota-status" and not action.details.get("live", True):
            quotas = [int(action.details["quota"])]
        elif action.kind == "survey-closed":
            quotas = by_survey.get(int(action.details["survey"]), [])
        else:
            continue
        times = [delivered[i].get("DeliveredAt") for i in action.notifications if i in delivered]
        at = min((datetime.fromisoformat(t) for t in times if t), default=None)
        for quota in quotas:
            if at is not None and quota not in stale:
                told[quota] = at
    return told


@check(
    "NOT-05",
    "No invites to a quota after IsLive=false or a survey closed",
    STEP,
    Severity.MUST,
    "Once told a quota is not live (or its survey closed), the partner stops inviting to it (after a short grace).",
)
def stops_after_notification(f: Facts) -> Verdict:
    told = told_not_live(f)
    grace = timedelta(seconds=f.grace_seconds)
    wanted = {a.quota for a in f.invites if a.quota in told and a.request.wall.astimezone(UTC) <= told[a.quota]}
    problems = [
        Evidence(
            summary=f"quota {a.quota} asked for {(a.request.wall - told[a.quota]).total_seconds():.1f} s after "
            "the partner was told it is not live",
            journal_id=a.request.id,
            member=a.member,
            quota=a.quota,
            request=a.request.describe(),
        )
        for a in f.invites
        if a.quota in told and a.request.wall.astimezone(UTC) > told[a.quota] + grace
    ]
    return Verdict(
        problems,
        judged=len(wanted),
        passed=f"{len(wanted)} quota(s) the partner wanted were taken away; no invite after",
        failed="invites after the partner was told the quota is gone",
        nothing="the partner never asked for a quota before it was taken away, so ignoring the notification could "
        "not show",
    )
