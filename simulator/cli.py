"""``toluna-sandbox``: serve a scenario, look into a running sandbox, convert captured bodies."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from simulator.api.admin import ENV as ADMIN_TOKEN_ENV
from simulator.api.admin import generate_token, is_loopback_host
from simulator.api.journaling import JOURNAL_ROUTES
from simulator.api.limits import DEFAULTS as INPUT_LIMITS
from simulator.cli_client import DEFAULT_URL, add_sandbox_arguments, control
from simulator.domain.errors import ScenarioError
from simulator.scenario.loader import load_file
from simulator.services.world import World
from simulator.store import StoreLocationError, open_store, redacted
from simulator.store.records import DEFAULT_LIMITS

Command = Callable[[argparse.Namespace], int]
#: The environment variable that gives ``serve`` its database when ``--db`` does not.
DB_ENV = "TOLUNA_SANDBOX_DB"


def cmd_serve(args: argparse.Namespace) -> int:
    from simulator.app import build_services
    from simulator.server import serve

    new_token = not args.admin_token
    if new_token:
        args.admin_token = generate_token()
    if not is_loopback_host(args.host):
        print(
            f"toluna-sandbox: warning: --host {args.host} is not loopback: other machines can reach this sandbox "
            "(the Toluna routes and the survey pages answer anyone; the control API asks them for the admin token).",
            file=sys.stderr,
        )
    store = open_store(args.db)
    try:
        world = build_services(store).world
        state = world.start(load_file(args.scenario) if args.scenario else None, args.reset)
        if state is None:
            print("No scenario: pass --scenario FILE.", file=sys.stderr)
            return 2
        _print_banner(world, args, state, new_token=new_token)
    finally:
        store.close()
    serve(
        args.db,
        args.host.strip("[]"),
        args.port,
        args.workers,
        args.threads,
        PUBLIC_URL=args.public_url,
        ADMIN_TOKEN=args.admin_token,
        ADMIN_TOKEN_REQUIRED=args.require_token,
        TIMELINE_SECONDS=1.0,
        DISPATCH=True,
        RETENTION_SECONDS=args.prune_seconds,
        KEEP_JOURNAL=args.keep_journal,
        KEEP_OUTBOX=args.keep_outbox,
        KEEP_DAYS=args.keep_days,
        REPORTS_DIR=args.reports,
        MAX_BODY_BYTES=args.max_body_bytes,
        MAX_UPLOAD_BYTES=args.max_upload_bytes,
        MAX_JSON_DEPTH=args.max_json_depth,
    )
    return 0


def local_url(host: str, port: int) -> str:
    """Where this machine reaches a server bound to ``host``: a wildcard address as loopback, IPv6 in brackets."""
    bare = host.strip("[]")
    bare = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(bare, bare)
    return f"http://[{bare}]:{port}" if ":" in bare else f"http://{bare}:{port}"


def _print_banner(world: World, args: argparse.Namespace, state: str, new_token: bool = False) -> None:
    base = args.public_url or local_url(args.host, args.port)
    scenario = world.describe(base)
    print(f"toluna-sandbox: scenario '{scenario['Name']}' {state}; database {redacted(args.db)}")
    print(f"  Base URL (IP_ES_URL = IP_CORE_URL = IP_REF_DATA_URL): {base}")
    for p in scenario["Panels"]:
        print(
            f"  Panel {p['Name'] or p['Culture']}: PanelGUID {p['PanelGUID']}  API_AUTH_KEY {p['API_AUTH_KEY']}  "
            f"culture {p['Culture']}, {p['Surveys']} surveys, {p['Members']} members"
        )
        if p["PARTNER_AUTH_KEY"]:
            print(f"    PARTNER_AUTH_KEY (reference data) {p['PARTNER_AUTH_KEY']}")
    first = next(iter(scenario["Panels"]), None)
    if first:
        print("  Try:")
        print(
            f"    curl -H 'API_AUTH_KEY: {first['API_AUTH_KEY']}' "
            f"{base}/IPExternalSamplingService/ExternalSample/{first['PanelGUID']}/Quotas"
        )
    print(f"  Control API: {base}/_sandbox/scenario   OpenAPI: {base}/openapi.json")
    shown = args.admin_token if new_token else f"as given (--admin-token or {ADMIN_TOKEN_ENV})"
    who = "every client, loopback included," if getattr(args, "require_token", False) else "non-loopback clients"
    print(f"  Admin token (header X-Sandbox-Token; the control API asks {who} for it): {shown}")
    print(f"  Workspaces: {base}/w/NAME (toluna-sandbox workspace create NAME; each has its own admin token)")
    sys.stdout.flush()


def cmd_journal(args: argparse.Namespace) -> int:
    body = control(
        args,
        "journal",
        {
            "route": args.route,
            "member": args.member,
            "quota": args.quota,
            "panel": args.panel,
            "since": args.since,
            "until": args.until,
            "limit": args.limit,
        },
    )
    entries = body["Entries"]
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    for e in entries:
        code = f" ResultCode {e['result_code']}" if e["result_code"] is not None else ""
        print(
            f"#{e['id']} {e['at']} {e['method']} {e['path']}{'?' + e['query'] if e['query'] else ''} "
            f"-> {e['status']}{code} ({e['duration_ms']} ms){'  ' + e['note'] if e['note'] else ''}"
        )
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    body = control(args, "explain", {"member": args.member, "quota": args.quota, "panel": args.panel})
    if args.json:
        print(json.dumps(body, indent=2))
        return 0
    print(f"GenerateInvite would answer: {body['Result']} ({body['ResultCode']}): {body['Reason']}")
    if body.get("Tree"):
        print(body["Tree"])
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Every problem of the file, one a line (file: at path: problem. Fix: fix), then their count; exit 2."""
    try:
        scenario = load_file(args.scenario)
    except ScenarioError as exc:
        print("\n".join([*exc.lines(), exc.summary()]), file=sys.stderr)
        return 2
    print(json.dumps(scenario.summary(), indent=2))
    return 0


class _Removed(argparse.Action):
    """A flag that no longer exists: the command stops and says what to use instead."""

    def __init__(self, option_strings: list[str], dest: str, **kw: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help=argparse.SUPPRESS)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any, **__: Any) -> None:
        parser.error(
            "--control-from-anywhere is gone: the control API answers any client that sends the admin token. "
            f"Use --admin-token TOKEN (or {ADMIN_TOKEN_ENV}; without one, serve prints a new token at start), "
            "with --host 0.0.0.0 (or ::) to be reachable; clients send the token in X-Sandbox-Token."
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toluna-sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve a scenario with the production server")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (:: for IPv6; default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--scenario", help="scenario file (YAML or JSON)")
    p.add_argument(
        "--db",
        default=os.environ.get(DB_ENV) or ".sandbox/sandbox.db",
        help=f"SQLite file, or postgresql://user:password@host:5432/name (default: {DB_ENV}, "
        "else .sandbox/sandbox.db); state survives restarts",
    )
    p.add_argument("--reset", action="store_true", help="reload the scenario even if the database holds it")
    p.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    p.add_argument("--threads", type=int, default=4, help="Python threads per worker running requests (default 4)")
    p.add_argument("--public-url", help="base URL put in invite links (default: the request's host)")
    p.add_argument(
        "--admin-token",
        default=os.environ.get(ADMIN_TOKEN_ENV),
        help=f"the token non-loopback control API clients send in X-Sandbox-Token (default: ${ADMIN_TOKEN_ENV}; "
        "without one, a new token is printed at start)",
    )
    p.add_argument(
        "--require-token",
        action="store_true",
        help="ask loopback clients for the admin token too (a deployment behind a proxy on this machine)",
    )
    p.add_argument(
        "--reports",
        default=".sandbox/reports",
        help="where the console's Runs page finds conformance reports (toluna-conformance run --json/--html into "
        "it; default %(default)s)",
    )
    p.add_argument("--control-from-anywhere", action=_Removed)
    for flag, key, helptext in (
        ("--max-body-bytes", "MAX_BODY_BYTES", "largest request body (413 past it)"),
        (
            "--max-upload-bytes",
            "MAX_UPLOAD_BYTES",
            "largest body of POST /_sandbox/scenario, /_sandbox/reference and /_sandbox/capsule",
        ),
        ("--max-json-depth", "MAX_JSON_DEPTH", "deepest JSON nesting a body may have (400 past it)"),
    ):
        p.add_argument(flag, type=int, default=INPUT_LIMITS[key], help=f"{helptext} (default %(default)s)")
    keep = DEFAULT_LIMITS
    p.add_argument("--keep-journal", type=int, default=keep.journal_entries, help="newest journal entries kept")
    p.add_argument("--keep-outbox", type=int, default=keep.outbox_finished, help="finished notifications kept")
    p.add_argument("--keep-days", type=float, default=keep.max_age_days, help="max age of those two, in days")
    p.add_argument("--prune-seconds", type=float, default=10.0, help="how often retention runs (0: never)")
    p.set_defaults(func=cmd_serve)

    for name, func, helptext in (
        ("journal", cmd_journal, "print the request journal of a running sandbox"),
        ("explain", cmd_explain, "why GenerateInvite gives a member a result code"),
    ):
        p = sub.add_parser(name, help=helptext)
        add_sandbox_arguments(p)
        p.add_argument("--panel", help="PanelGUID (needed when the sandbox has several panels)")
        p.add_argument("--member", required=name == "explain")
        p.add_argument("--quota", type=int, required=name == "explain")
        p.add_argument("--json", action="store_true")
        if name == "journal":
            p.add_argument("--route", help=f"one of {', '.join(JOURNAL_ROUTES)}")
            p.add_argument("--since", help="sandbox time, ISO-8601")
            p.add_argument("--until", help="sandbox time, ISO-8601")
            p.add_argument("--limit", type=int, default=100)
        p.set_defaults(func=func)

    p = sub.add_parser("validate", help="check a scenario file and print what it declares")
    p.add_argument("scenario")
    p.set_defaults(func=cmd_validate)

    from simulator import cli_capsule, cli_events, cli_har, cli_inventory, cli_listen, cli_workspaces

    cli_inventory.add_commands(sub)
    cli_events.add_commands(sub, DEFAULT_URL)
    cli_capsule.add_commands(sub)
    cli_har.add_commands(sub)
    cli_listen.add_commands(sub)
    cli_workspaces.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ScenarioError, StoreLocationError) as exc:
        print(f"toluna-sandbox: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the output was piped to a reader that stopped (``| head``): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
