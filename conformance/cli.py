"""``toluna-conformance``: judge a partner's integration against a toluna-sandbox, step by step, with evidence.

    toluna-conformance run --partner-cmd "python -m examples.reference_partner --port 8081" \\
        --partner-url http://127.0.0.1:8081/run --html report.html --junit junit.xml

Exit status: 0 when no MUST check failed, 1 when one did, 2 when the run itself could not be carried out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from . import registry
from .config import ConfigError, load
from .report import write
from .report.terminal import print_report
from .runner import Run, RunError
from .sandbox import SandboxError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toluna-conformance", description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="drive the partner's integration and judge it")
    run.add_argument("--scenario", type=Path, help="a conformance scenario (default: the bundled one)")
    run.add_argument("--sandbox-url", help="attach to a running sandbox instead of starting one")
    run.add_argument("--partner-cmd", help="command that starts the partner (kept running during the run)")
    run.add_argument("--partner-url", help="URL POSTed to start each cycle of the partner's integration")
    run.add_argument("--partner-base", help="where the partner listens (replaces http://127.0.0.1:8081)")
    run.add_argument("--adapter-url", help="the partner's conformance adapter (optional checks)")
    run.add_argument("--cycles", type=int)
    run.add_argument("--quiet-seconds", type=float, help="a cycle ends when the partner is quiet this long")
    run.add_argument("--grace-seconds", type=float, help="how soon the partner must act on a notification")
    run.add_argument("--refresh-seconds", type=float, help="GetQuotas must be refreshed at least this often")
    run.add_argument("--env-file", type=Path, help="write the sandbox's URL, GUID and keys here for the partner")
    run.add_argument("--select", action="append", default=None, help="only these checks (id, glob or step)")
    run.add_argument("--exclude", action="append", default=None, help="leave out these checks")
    for fmt in ("json", "junit", "html"):
        run.add_argument(f"--{fmt}", type=Path, help=f"write the {fmt} report here")
    sub.add_parser("checks", help="list every check")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=False)
    if args.command == "checks":
        from . import checks  # noqa: F401  (registers them)

        for info, _ in registry.select():
            console.print(f"{info.id}  [{info.severity}]  {info.step}: {info.title}", highlight=False)
        return 0
    try:
        config = load()
        flags = {
            k: v
            for k, v in vars(args).items()
            if v is not None and k not in ("command", "select", "json", "junit", "html")
        }
        if args.select:
            flags["include"] = args.select
        config.update(flags, "command line")
        config.reports.update({fmt: getattr(args, fmt) for fmt in ("json", "junit", "html") if getattr(args, fmt)})
        report = Run(config, progress=lambda message: console.print(f"[dim]· {message}[/]", highlight=False)).execute()
    except (ConfigError, RunError, SandboxError) as exc:
        console.print(f"[red]toluna-conformance: {exc}[/]", highlight=False)
        return 2
    print_report(report, console)
    for fmt, path in config.reports.items():
        console.print(f"{fmt} report: {write(report, fmt, path)}", highlight=False)
    return 0 if report.ready else 1


if __name__ == "__main__":
    sys.exit(main())
