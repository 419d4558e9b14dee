"""Trackers: SurveyID+WaveID is the identity of a member's participation."""

from __future__ import annotations

from ..facts import Facts
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Trackers and exclusions"


@check(
    "TRK-01",
    "A survey wave is never offered twice to a member",
    STEP,
    Severity.MUST,
    "A member who took a SurveyID+WaveID (started, terminated, qualified, quota full) is not invited to it again.",
)
def same_wave(f: Facts) -> Verdict:
    asked: set[tuple[str, int]] = set()
    problems = []
    judged = [a for a in f.invites if not a.forced]
    for a in judged:
        first = (a.member, a.quota) not in asked  # asking a pair again is INV-03's matter
        asked.add((a.member, a.quota))
        if first and a.result_code in (38, 26, 35):
            problems.append(
                Evidence(
                    summary=f"member {a.member} already took this survey wave",
                    journal_id=a.request.id,
                    member=a.member,
                    quota=a.quota,
                    request=a.request.describe(),
                )
            )
    return Verdict(
        problems,
        judged=len(judged),
        passed=f"{len(judged)} invite(s), none to a survey wave the member had taken",
        failed=f"{len(problems)} invite(s) to a survey wave the member already took",
        nothing="the partner asked for no invite",
    )


@check(
    "TRK-02",
    "The next wave of a tracker is a new survey",
    STEP,
    Severity.SHOULD,
    "SurveyID+WaveID is the identity: taking wave 1 does not keep a member from wave 2 unless an exclusion says so.",
)
def next_wave(f: Facts) -> Verdict:
    expected = f.tracker_expectations
    if not expected:
        return Verdict.unexercised("the scenario names no member to invite to a tracker's next wave")
    asked = {(a.member, a.quota) for a in f.invites}
    problems = [
        Evidence(
            summary=f"member {m} took an earlier wave and matches quota {q}, but was not invited", member=m, quota=q
        )
        for m, q in expected
        if (m, q) not in asked
    ]
    return Verdict(
        problems, judged=len(expected), failed="members who took an earlier wave were left out of the next one"
    )
