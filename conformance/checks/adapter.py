"""Checks that need the partner's own word (the optional conformance adapter): credits, redirect verification.

The adapter contract (under the adapter URL): ``GET credits/{MemberCode}`` answers ``{"Credits": n}``, the
completes the partner credited the member; ``POST redirect-check`` with ``{"url": end page URL}`` answers
``{"Valid": true|false}``, whether the partner accepts its standard-encryption value.
"""

from __future__ import annotations

from collections import defaultdict

from ..facts import Facts
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Partner adapter"
NO_ADAPTER = "no partner adapter (--adapter-url) to ask"


@check(
    "ADP-01",
    "A member is credited once per complete",
    STEP,
    Severity.MUST,
    "Completions can arrive more than once: the partner de-duplicates them on SurveyID (+WaveID) and UniqueCode.",
)
def credited_once(f: Facts) -> Verdict:
    if f.adapter is None:
        return Verdict([], skipped=NO_ADAPTER)
    completes: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for n in f.notifications:
        if n["Kind"] == "complete":
            completes[n["About"]["member"]].add((n["About"]["survey"], n["About"]["wave"]))
    credits = f.adapter.get("credits", {})
    if not credits:
        return Verdict([], skipped="no member completed a survey during the run")
    problems = [
        Evidence(summary=f"member {m} credited {n} time(s) for {len(completes[m])} complete(s)", member=m)
        for m, n in credits.items()
        if m in completes and n != len(completes[m])
    ]
    return Verdict(problems, passed=f"{len(credits)} member(s) credited once per complete")


@check(
    "ADP-02",
    "A tampered encrypted redirect is rejected",
    STEP,
    Severity.MUST,
    "With standard encryption, the partner checks the end page's encrypted value and rejects a URL that was "
    "changed (and accepts the genuine one).",
)
def tampered_redirect(f: Facts) -> Verdict:
    if f.adapter is None:
        return Verdict([], skipped=NO_ADAPTER)
    checks = f.adapter.get("redirects", [])
    if not checks:
        return Verdict([], skipped="no encrypted end page was reached during the run")
    problems = [
        Evidence(summary=f"{'genuine' if c['genuine'] else 'tampered'} URL judged valid={c['valid']}: {c['url']}")
        for c in checks
        if c["valid"] is not c["genuine"]
    ]
    return Verdict(problems, failed="the partner's redirect check is wrong")
