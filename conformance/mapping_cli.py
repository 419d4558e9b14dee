"""``toluna-conformance mapping FILE``: judge a partner's attribute mapping against Toluna's reference data before
any run, so a reversed gender or an answer of the wrong question is found at the desk, not in the field.

    toluna-conformance mapping mapping.yaml --culture EN-US --json mapping.json --html mapping.html

Exit status: 0 when no MUST finding, 1 when there is one, 2 when the file (or the culture) cannot be read.
The JSON, JUnit and HTML reports are the run's formats: one check per finding code, its findings as evidence.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from rich.console import Console

from simulator.domain.reference import Culture, bundled

from .mapping import (
    DEFAULT_CULTURE,
    RULES,
    Finding,
    Mapping,
    MappingError,
    check_mapping,
    load_mapping,
    resolve_culture,
)
from .model import CheckInfo, Evidence, Report, Result, Severity, Status
from .report import write

FORMATS = ("json", "junit", "html")
STEP = "Member registration"
STYLE = {Severity.MUST: "bold red", Severity.SHOULD: "yellow"}


def add_mapping_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The ``mapping`` subcommand, added to the ``toluna-conformance`` parser."""
    parser = subparsers.add_parser("mapping", help="check a partner's attribute mapping (YAML or CSV)")
    parser.add_argument("file", type=Path, help="the mapping: YAML, or CSV when it ends in .csv")
    parser.add_argument("--culture", help=f"the panel's culture (default: the mapping's, else {DEFAULT_CULTURE})")
    for fmt in FORMATS:
        parser.add_argument(f"--{fmt}", type=Path, help=f"write the findings as a {fmt} report here")
    return parser


def mapping_main(args: argparse.Namespace, console: Console | None = None) -> int:
    """Check the mapping, print its findings, write the reports asked for; the exit status (see the module)."""
    console = console or Console()
    started = _now()
    try:
        mapping = load_mapping(args.file)
        reference = bundled()
        culture = resolve_culture(reference, args.culture or mapping.culture or DEFAULT_CULTURE, str(args.file))
    except MappingError as exc:
        console.print(f"[red]toluna-conformance: {exc}[/]", highlight=False, soft_wrap=True)
        return 2
    findings = check_mapping(mapping, reference, culture)
    print_findings(mapping, culture, findings, console)
    report = findings_report(mapping, culture, findings, started)
    for fmt in FORMATS:
        path = getattr(args, fmt, None)
        if path:
            console.print(f"{fmt} report: {write(report, fmt, path)}", highlight=False)
    return 1 if any(f.severity is Severity.MUST for f in findings) else 0


def print_findings(mapping: Mapping, culture: Culture, findings: list[Finding], console: Console) -> None:
    """The verdict first, then one line per finding with its fix."""
    must = sum(f.severity is Severity.MUST for f in findings)
    verdict = "[bold green]mapping OK[/]" if not must else f"[bold red]mapping WRONG: {must} MUST finding(s)[/]"
    console.rule(verdict)
    console.print(
        f"{mapping.source} · culture {culture.name.upper()} · {mapping.size()} mapped value(s) · "
        f"{len(mapping.fields)} field(s)",
        highlight=False,
    )
    if not findings:
        console.print("[green]No finding: every mapped answer agrees with Toluna's reference data.[/]")
        return
    for f in findings:
        console.print(f"[{STYLE[f.severity]}]{f.severity:<6}[/] {f.code}: {f.message}", highlight=False)
    should = len(findings) - must
    console.print(f"\n{must} MUST, {should} SHOULD finding(s)", highlight=False)


def findings_report(mapping: Mapping, culture: Culture, findings: list[Finding], started: str) -> Report:
    """The findings as a run report: one check per finding code (pass when it found nothing), its findings as
    evidence, so the JSON, JUnit and HTML writers serve the mapping command unchanged."""
    results = []
    for code, (severity, title, rule) in RULES.items():
        info = CheckInfo(id=code, title=title, step=STEP, severity=severity, rule=rule)
        mine = [f for f in findings if f.code == code]
        evidence = [Evidence(summary=f.message) for f in mine]
        if not mine:
            message = f"no finding among {mapping.size()} mapped value(s)"
            results.append(Result(check=info, status=Status.PASS, message=message))
        else:
            status = Status.FAIL if severity is Severity.MUST else Status.WARN
            results.append(Result(check=info, status=status, message=f"{len(mine)} finding(s)", evidence=evidence))
    return Report(
        scenario=f"mapping {Path(mapping.source).name}",
        sandbox_url=f"bundled reference data, culture {culture.name.upper()}",
        sandbox_version=_version(),
        started=started,
        finished=_now(),
        partner=mapping.source,
        results=results,
        notes=[f"{mapping.size()} mapped value(s) in {len(mapping.fields)} field(s), checked for {culture.name}"],
    )


def _version() -> str:
    try:
        return metadata.version("toluna-sandbox")
    except metadata.PackageNotFoundError:
        return "unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
