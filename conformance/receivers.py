"""The partner's notification endpoints as receivers: what each was sent (genuine, repeated, XML, stale, tampered,
malformed) and how it answered, graded per endpoint.

A grade: **A** every test met; **B** only SHOULD tests missed; **C** a MUST test missed; **F** the endpoint
answered no genuine notification 2xx.
"""

from __future__ import annotations

from typing import Any

from .facts import Facts
from .model import Report, Status

#: The checks that test an endpoint, by the kind of notification it receives.
TESTS = {
    "complete": ("NOT-01", "NOT-03", "NOT-07", "NOT-08", "NOT-09", "ADP-01"),
    "terminate": ("NOT-01", "NOT-08", "NOT-09"),
    "quota": ("NOT-02", "NOT-04", "NOT-05", "NOT-06", "NOT-08", "NOT-09"),
    "survey": ("NOT-02", "NOT-05", "NOT-08", "NOT-09"),
}
SETTINGS = {
    "complete": "Completion Notification URL",
    "terminate": "Terminate Notification URL",
    "quota": "Quota Notification URL",
    "survey": "Survey Notification URL",
}


def first_status(n: dict[str, Any]) -> int | None:
    attempts = n.get("Attempts") or []
    return attempts[0].get("Status") if attempts else None


def grades(f: Facts, report: Report) -> list[dict[str, Any]]:
    results = {r.check.id: r for r in report.results}
    out = []
    for kind, setting in SETTINGS.items():
        url = f.settings.get(setting)
        if not url:
            continue
        genuine = [n for n in f.notifications if n["URL"] == url]
        answered = sum(1 for n in genuine if (first_status(n) or 0) // 100 == 2)
        tests = []
        for check_id in TESTS[kind]:
            r = results.get(check_id)
            if r is not None:
                tests.append({"check": check_id, "severity": str(r.check.severity), "status": r.status.value})
        missed = [t for t in tests if t["status"] in (Status.FAIL.value, Status.WARN.value)]
        if genuine and not answered:
            grade = "F"
        elif any(t["severity"] == "MUST" for t in missed):
            grade = "C"
        elif missed:
            grade = "B"
        else:
            grade = "A"
        out.append(
            {
                "endpoint": url,
                "kind": kind,
                "grade": grade,
                "genuine": len(genuine),
                "answered_2xx": answered,
                "probes": sum(1 for n in f.crafted if n["URL"] == url),
                "tests": tests,
            }
        )
    return out
