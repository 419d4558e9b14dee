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
        return Verdict.unexercised(NO_ADAPTER)
    completes = genuine_completes(f)
    probed = {p.about.get("member") for p in f.probes if p.kind in ("tampered", "unsigned")}
    credits = {m: n for m, n in f.adapter.get("credits", {}).items() if m in completes and m not in probed}
    problems = [
        Evidence(
            summary=f"member {m} credited {n} time(s) for {len(completes[m])} complete(s)"
            if n >= 0
            else f"the adapter gave no credit count for member {m}",
            member=m,
        )
        for m, n in credits.items()
        if n != len(completes[m])
    ]
    return Verdict(
        problems,
        judged=len(credits),
        passed=f"{len(credits)} member(s) credited once per complete",
        nothing="no member completed a survey during the run (or the adapter was not asked)",
    )


def genuine_completes(f: Facts) -> dict[str, set[tuple[int, int]]]:
    """The survey waves each member completed, from the completion notifications the sandbox sent."""
    completes: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for n in f.notifications:
        if n["Kind"] == "complete":
            completes[n["About"]["member"]].add((n["About"]["survey"], n["About"]["wave"]))
    return completes


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
        return Verdict.unexercised(NO_ADAPTER)
    checks = f.adapter.get("redirects", [])
    problems = [
        Evidence(summary=f"{'genuine' if c['genuine'] else 'tampered'} URL judged valid={c['valid']}: {c['url']}")
        for c in checks
        if c["valid"] is not c["genuine"]
    ]
    return Verdict(
        problems,
        judged=len(checks),
        passed="a genuine end page accepted, the same one altered refused",
        failed="the partner's redirect check is wrong",
        nothing="no encrypted end page was reached during the run",
    )
