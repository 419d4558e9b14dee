"""The terminal report: the sign-off first, a table by step, the evidence of every check that did not pass, the
result-code coverage matrix and the receivers' grades.

Output that is not a terminal (a CI log) is not wrapped to 80 columns: lines are as long as the report needs."""

from __future__ import annotations

import sys
from typing import IO

from rich.console import Console
from rich.table import Table

from ..model import Report, Status

STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.NOT_EXERCISED: "magenta",
    Status.SKIP: "dim",
}
LOG_WIDTH = 400  # a CI log: wide enough for any line of the report


def console_for(stream: IO[str] | None = None) -> Console:
    """A console that wraps at the terminal's width, or not at all when the output goes to a file or a pipe."""
    out = stream or sys.stdout
    if out.isatty():
        return Console(file=out)
    return Console(file=out, width=LOG_WIDTH, soft_wrap=True)


def print_report(report: Report, console: Console | None = None) -> None:
    console = console or console_for()
    verdict = "[bold green]READY for go-live[/]" if report.ready else "[bold red]NOT READY for go-live[/]"
    console.print(f"\n{verdict}")
    console.print(
        f"scenario {report.scenario} · partner {report.partner} · sandbox {report.sandbox_url} "
        f"(toluna-sandbox {report.sandbox_version}, toluna-conformance {report.suite_version}) · "
        f"{report.started} to {report.finished}",
        highlight=False,
    )
    if report.aborted:
        console.print(f"[bold red]the run stopped early:[/] {report.aborted}", highlight=False)
    _results(report, console)
    _evidence(report, console)
    _coverage(report, console)
    _receivers(report, console)
    blocking = report.blocking()
    if blocking:
        console.print(
            "\nblocking go-live: " + ", ".join(f"{r.check.id} ({r.status.value})" for r in blocking), highlight=False
        )
    counts = report.counts()
    console.print(
        f"\n{counts['pass']} passed, {counts['fail']} failed, {counts['warn']} warnings, "
        f"{counts['not_exercised']} not exercised, {counts['skip']} skipped"
    )


def _results(report: Report, console: Console) -> None:
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


def _evidence(report: Report, console: Console) -> None:
    for r in report.results:
        if r.status not in (Status.FAIL, Status.WARN):
            continue
        console.print(f"\n[{STYLE[r.status]}]{r.check.id} {r.check.title}[/]: {r.message}", highlight=False)
        console.print(f"  rule: {r.check.rule}", highlight=False)
        for e in r.evidence[:10]:
            console.print(f"  - {e.summary}" + (f"\n    {e.request}" if e.request else ""), highlight=False)
            if e.tree:
                console.print("    " + e.tree.replace("\n", "\n    "), highlight=False)
        if len(r.evidence) > 10:
            console.print(f"  ... and {len(r.evidence) - 10} more (see the JSON or HTML report)")


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table


def _coverage(report: Report, console: Console) -> None:
    if not report.coverage:
        return
    rows = []
    for row in report.coverage:
        style = {"met": "green", "not met": "bold red"}.get(row["status"], "magenta")
        status = f"[{style}]{row['status'].upper()}[/]"
        rows.append((f"{row['code']} {row['name']}", row["class"], row["expected"], row["did"], row["check"], status))
    columns = ("code", "class", "expected", "what the partner did", "check", "status")
    console.print(_table("Result codes: what the partner did when Toluna answered", columns, rows))


def _receivers(report: Report, console: Console) -> None:
    if not report.receivers:
        return
    rows = []
    for row in report.receivers:
        missed = ", ".join(t["check"] for t in row["tests"] if t["status"] in ("fail", "warn")) or "-"
        style = {"A": "green", "B": "yellow"}.get(row["grade"], "bold red")
        answered = f"{row['answered_2xx']} of {row['genuine']}"
        rows.append((f"[{style}]{row['grade']}[/]", row["kind"], row["endpoint"], answered, str(row["probes"]), missed))
    columns = ("grade", "kind", "endpoint", "genuine answered 2xx", "probes", "tests missed")
    console.print(_table("Notification endpoints", columns, rows))
