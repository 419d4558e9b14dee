"""``toluna-conformance``: judge a partner's integration against a toluna-sandbox, step by step, with evidence.

    toluna-conformance run --partner-cmd "python -m examples.reference_partner --port 8081" \\
        --partner-url http://127.0.0.1:8081/run --adapter-url http://127.0.0.1:8081/adapter

Exit status: 0 READY (every MUST check exercised and passed), 1 NOT READY, 2 when the run could not be carried out
(a bad configuration, no sandbox, a partner that died); a run that started writes its reports in every case.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import registry
from .certificate import add_arguments_for_verify, verify_main, write_certificate
from .config import ConfigError, load
from .mapping_cli import add_mapping_parser, mapping_main
from .preflight import add_preflight_parser, preflight_main
from .profiles import run_profile
from .report import write
from .report.terminal import console_for, print_report
from .runner import Run, RunError
from .sandbox import SandboxError

REPORTS = Path("reports")
DEFAULT_REPORTS = {
    "json": "toluna-conformance.json",
    "junit": "toluna-conformance.xml",
    "html": "toluna-conformance.html",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toluna-conformance", description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="drive the partner's integration and judge it")
    run.add_argument("--scenario", type=Path, help="a conformance scenario (default: the bundled one)")
    run.add_argument("--sandbox-url", help="attach to a running sandbox instead of starting one")
    run.add_argument(
        "--admin-token", help="that sandbox's admin token (default: $TOLUNA_SANDBOX_ADMIN_TOKEN; loopback needs none)"
    )
    run.add_argument("--partner-cmd", help="command that starts the partner (kept running during the run)")
    run.add_argument("--partner-url", help="URL POSTed to start each cycle of the partner's integration")
    run.add_argument("--partner-base", help="where the partner listens (replaces http://127.0.0.1:8081)")
    run.add_argument("--adapter-url", help="the partner's conformance adapter")
    run.add_argument(
        "--respondent", action="store_true", default=None, help="the adapter answers POST respondent (members' links)"
    )
    run.add_argument("--mapping", type=Path, help="the partner's attribute mapping (YAML or CSV)")
    run.add_argument("--cycles", type=int)
    run.add_argument("--quiet-seconds", type=float, help="a cycle ends when the partner is quiet this long")
    run.add_argument("--grace-seconds", type=float, help="how soon the partner must act on a notification")
    run.add_argument("--cycle-timeout", type=float, help="how long POST /run may take (and a cycle may last)")
    run.add_argument("--env-file", type=Path, help="write the sandbox's URL, GUID and keys here for the partner")
    run.add_argument("--select", action="append", default=None, help="only these checks (id, glob or step)")
    run.add_argument("--exclude", action="append", default=None, help="leave out these checks")
    for fmt, name in DEFAULT_REPORTS.items():
        run.add_argument(f"--{fmt}", type=Path, help=f"write the {fmt} report here (default: reports/{name})")
    run.add_argument("--certificate", type=Path, help="write a signed go-live certificate here")
    run.add_argument("--signing-key", type=Path, help="the Ed25519 key (PEM) that signs it (default: per user)")
    run.add_argument("--config", type=Path, help="the partner configuration (go-live profiles, YAML or JSON)")
    run.add_argument("--profile", help="the profile of --config this run tests (its sandbox; recorded in the sign-off)")
    sub.add_parser("checks", help="list every check")
    add_mapping_parser(sub)
    add_arguments_for_verify(sub)
    add_preflight_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = console_for()
    if args.command == "checks":
        from . import checks  # noqa: F401  (registers them)

        for info, _ in registry.select():
            console.print(f"{info.id}  [{info.severity}]  {info.step}: {info.title}", highlight=False)
        return 0
    if args.command == "mapping":
        return mapping_main(args)
    if args.command == "verify":
        return verify_main(args)
    if args.command == "preflight":
        return preflight_main(args)
    try:
        config = load()
        skip = {"command", "select", "certificate", "signing_key", "config", "profile", *DEFAULT_REPORTS}
        flags = {k: v for k, v in vars(args).items() if v is not None and k not in skip}
        if args.select:
            flags["include"] = args.select
        for key in ("certificate", "signing_key"):
            if getattr(args, key):
                flags[key] = getattr(args, key)
        profile = run_profile(args.config, args.profile, flags)
        config.update(flags, "command line")
        config.reports.update({fmt: getattr(args, fmt) for fmt in DEFAULT_REPORTS if getattr(args, fmt)})
        report = Run(config, progress=lambda message: console.print(f"[dim]· {message}[/]", highlight=False)).execute()
    except (ConfigError, RunError, SandboxError) as exc:
        console.print(f"[red]toluna-conformance: {exc}[/]", highlight=False)
        return 2
    print_report(report, console)
    for fmt, name in DEFAULT_REPORTS.items():
        path = config.reports.get(fmt) or _default_report(name)
        console.print(f"{fmt} report: {write(report, fmt, path)}", highlight=False)
    if config.certificate:
        try:
            path = write_certificate(report, config, config.certificate, config.signing_key, profile)
        except ConfigError as exc:
            console.print(f"[red]toluna-conformance: {exc}[/]", highlight=False)
            return 2
        console.print(f"certificate: {path}", highlight=False)
    if report.aborted:
        return 2
    return 0 if report.ready else 1


def _default_report(name: str) -> Path:
    """Reports nobody named go to ``reports/``, a folder that keeps itself out of git."""
    REPORTS.mkdir(exist_ok=True)
    ignore = REPORTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by toluna-conformance: reports stay out of version control\n*\n")
    return REPORTS / name


if __name__ == "__main__":
    sys.exit(main())
