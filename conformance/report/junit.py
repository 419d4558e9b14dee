"""JUnit XML for CI: one testcase per check, grouped in one testsuite per integration step; a failed MUST is a
failure, a failed SHOULD is a passing testcase with its evidence in system-out (CI stays green on warnings)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..model import Report, Result, Severity, Status


def _evidence_text(result: Result) -> str:
    lines = [result.message, f"Rule: {result.check.rule}"]
    for e in result.evidence:
        lines.append(f"- {e.summary}")
        if e.request:
            lines.append(f"  request: {e.request}")
        if e.tree:
            lines += [f"  {line}" for line in e.tree.splitlines()]
    return "\n".join(lines)


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name="toluna-conformance", tests=str(len(report.results)))
    failures = 0
    for step, results in report.by_step():
        suite = ET.SubElement(root, "testsuite", name=step, tests=str(len(results)))
        suite_failures = suite_skips = 0
        for result in results:
            case = ET.SubElement(
                suite, "testcase", classname=f"toluna.{step}", name=f"{result.check.id} {result.check.title}"
            )
            if result.status is Status.FAIL:
                suite_failures += 1
                failure = ET.SubElement(case, "failure", message=result.message, type=str(result.check.severity))
                failure.text = _evidence_text(result)
            elif result.status is Status.NOT_EXERCISED and result.check.severity is Severity.MUST:
                suite_failures += 1  # READY needs it exercised: CI must see it
                failure = ET.SubElement(case, "failure", message=result.message, type="NOT EXERCISED")
                failure.text = f"Not exercised: {result.message}\nRule: {result.check.rule}"
            elif result.status in (Status.SKIP, Status.NOT_EXERCISED):
                suite_skips += 1
                ET.SubElement(case, "skipped", message=result.message)
            elif result.status is Status.WARN:
                ET.SubElement(case, "system-out").text = "WARNING (SHOULD): " + _evidence_text(result)
        suite.set("failures", str(suite_failures))
        suite.set("skipped", str(suite_skips))
        failures += suite_failures
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
