"""The terminal report: the sign-off first, a table by step, then the evidence of every failed check."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..model import Report, Status

STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.WARN: "yellow", Status.SKIP: "dim"}


def print_report(report: Report, console: Console | None = None) -> None:
    console = console or Console()
    verdict = "[bold green]READY for go-live[/]" if report.ready else "[bold red]NOT READY for go-live[/]"
    console.rule(verdict)
    console.print(
        f"scenario {report.scenario} · partner {report.partner} · sandbox {report.sandbox_url} "
        f"(toluna-sandbox {report.sandbox_version}) · {report.started} to {report.finished}"
    )
    table = Table(show_lines=False)
    for column in ("step", "check", "severity", "status", "detail"):
        table.add_column(column)
    for step, results in report.by_step():
        for i, r in enumerate(results):
            table.add_row(
                step if i == 0 else "",
                f"{r.check.id} {r.check.title}",
                str(r.check.severity),
                f"[{STYLE[r.status]}]{r.status.value.upper()}[/]",
                r.message,
            )
    console.print(table)
    for r in report.results:
        if r.status not in (Status.FAIL, Status.WARN):
            continue
        console.print(f"\n[{STYLE[r.status]}]{r.check.id} {r.check.title}[/]: {r.message}")
        console.print(f"  rule: {r.check.rule}")
        for e in r.evidence[:10]:
            console.print(f"  - {e.summary}" + (f"\n    {e.request}" if e.request else ""), highlight=False)
            if e.tree:
                console.print("    " + e.tree.replace("\n", "\n    "), highlight=False)
        if len(r.evidence) > 10:
            console.print(f"  ... and {len(r.evidence) - 10} more (see the JSON or HTML report)")
    counts = report.counts()
    console.print(
        f"\n{counts['pass']} passed, {counts['fail']} failed, {counts['warn']} warnings, {counts['skip']} skipped"
    )
