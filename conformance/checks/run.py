"""The run itself: how the partner's hooks (``POST /run``, the adapter) answered the suite. A slow or failing hook
is a finding with the time it took, not the end of the run."""

from __future__ import annotations

from ..facts import Facts
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "The run"


@check(
    "RUN-01",
    "The partner's hooks answer the suite in time",
    STEP,
    Severity.SHOULD,
    "POST /run and the adapter's routes answer 2xx within their timeouts (cycle_timeout, adapter_timeout); a "
    "partner that works asynchronously answers at once and works on.",
)
def hooks_answer(f: Facts) -> Verdict:
    problems = [
        Evidence(
            summary=f"{call.what}: {call.error or f'HTTP {call.status}'} after {call.seconds:.1f} s"
            + (f" (timeout {call.timeout:g} s)" if call.timeout else "")
        )
        for call in f.hooks
        if not call.ok
    ]
    return Verdict(
        problems[:20],
        judged=len(f.hooks),
        passed=f"{len(f.hooks)} call(s) to the partner, every one answered in time",
        failed=f"{len(problems)} call(s) to the partner failed or timed out",
        nothing="the suite had no hook of the partner's to call (no partner_url, no adapter)",
    )
