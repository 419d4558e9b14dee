"""End pages: the suite follows the partner's invites as the members and lands on the partner's end pages."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from ..facts import Facts
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "End pages"


@check(
    "END-01",
    "Every outcome's end page answers",
    STEP,
    Severity.MUST,
    "Toluna redirects members to the partner's end page for each outcome; every one answers 2xx or 3xx.",
)
def answers(f: Facts) -> Verdict:
    if not f.visits:
        return Verdict.unexercised("the partner obtained no invite, so no member reached an end page")
    problems = [
        Evidence(
            summary=f"{v.outcome}: {v.end_page} answered {v.end_status or v.error}", member=v.member, quota=v.quota
        )
        for v in f.visits
        if v.end_page and (v.end_status is None or not 200 <= v.end_status < 400)
    ]
    problems += [
        Evidence(summary=f"{v.outcome}: the member's link {v.start_url} did not lead back: {v.error}", member=v.member)
        for v in f.visits
        if not v.end_page and v.error and "the sandbox answered" not in v.error
    ]
    missing = sorted({v.outcome for v in f.visits if not v.end_page})
    if missing:
        problems.append(Evidence(summary=f"no end page configured for: {', '.join(missing)}"))
    outcomes = sorted({v.outcome for v in f.visits})
    return Verdict(
        problems,
        judged=len(f.visits),
        passed=f"{len(f.visits)} visits ended on the partner's pages ({', '.join(outcomes)})",
        failed="end pages missing or failing",
    )


@check(
    "END-02",
    "End pages keep the member's identity",
    STEP,
    Severity.MUST,
    "An end page tells the partner who came back: [MemberCode], [pid] or a parameter the partner put on the invite.",
)
def identity(f: Facts) -> Verdict:
    problems = []
    judged = 0
    for v in f.visits:
        if not v.end_page:
            continue
        judged += 1
        values = {value for _, value in parse_qsl(urlsplit(v.end_page).query)} | set(
            urlsplit(v.end_page).path.split("/")
        )
        invite_params = {value for key, value in parse_qsl(urlsplit(v.invite_url).query) if key not in ("pgtid", "od")}
        if v.member not in values and not (invite_params & values):
            problems.append(
                Evidence(
                    summary=f"{v.outcome}: {v.end_page} does not name member {v.member}", member=v.member, quota=v.quota
                )
            )
    return Verdict(
        problems,
        judged=judged,
        passed=f"{judged} end page(s) named the member or carried the partner's own parameters back",
        failed="end pages that do not say which member came back",
        nothing="no member reached an end page",
    )
