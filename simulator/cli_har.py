"""``toluna-sandbox har export`` and ``toluna-sandbox replay``: a partner's exchanges with a running sandbox as a
HAR 1.2 file, and that file sent again to a sandbox, with every answer that differs from the recorded one."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from simulator.api.admin import ENV as ADMIN_TOKEN_ENV
from simulator.api.admin import token_headers
from simulator.api.journaling import JOURNAL_ROUTES
from simulator.cli_client import add_sandbox_arguments, control
from simulator.har import HarError
from simulator.har.export import dumps, read_journal, to_har
from simulator.har.replay import check_sandbox, load, replay


def cmd_har_export(args: argparse.Namespace) -> int:
    filters = {"route": args.route, "member": args.member, "since": args.since, "until": args.until}
    try:
        entries = read_journal(lambda params: control(args, "journal", params), filters)
    except ValueError as exc:  # an answer that is not the journal's
        print(f"toluna-sandbox: {args.url} did not answer as a sandbox's control API ({exc}).", file=sys.stderr)
        return 2
    har = to_har(entries, args.url)
    try:
        Path(args.output).write_text(dumps(har), encoding="utf-8")
    except OSError as exc:
        print(f"toluna-sandbox: cannot write {args.output} ({exc.strerror or exc}).", file=sys.stderr)
        return 2
    cut = sum(1 for e in har["log"]["entries"] if e["response"]["content"].get("_truncated"))
    print(f"{len(entries)} request(s) written to {args.output} ({cut} answer(s) kept only in part, marked _truncated)")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    try:
        entries = load(args.file)
        check_sandbox(args.against, token_headers(args.admin_token))
        found = replay(entries, args.against)
    except HarError as exc:
        print(f"toluna-sandbox: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"Replayed": len(entries), "Differences": [d.to_dict() for d in found]}, indent=2))
    else:
        for difference in found:
            print(difference.line())
        print(f"{len(entries)} request(s) replayed against {args.against}: {len(found)} answer(s) differ")
    return 1 if found else 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("har", help="a running sandbox's request journal as a HAR 1.2 file")
    actions = p.add_subparsers(dest="har_command", required=True)
    e = actions.add_parser("export", help="write the journal's exchanges, in request order, as HAR 1.2")
    add_sandbox_arguments(e)
    e.add_argument("--route", help=f"only this route (one of {', '.join(JOURNAL_ROUTES)})")
    e.add_argument("--member", help="only requests about this MemberCode")
    e.add_argument("--since", help="sandbox time, ISO-8601")
    e.add_argument("--until", help="sandbox time, ISO-8601")
    e.add_argument("-o", "--output", required=True, help="the HAR file to write")
    e.set_defaults(func=cmd_har_export)

    p = sub.add_parser("replay", help="send a HAR file's requests to a sandbox again and show the answers that differ")
    p.add_argument("file", help="a HAR file (toluna-sandbox har export writes one)")
    p.add_argument("--against", required=True, help="the sandbox to send them to (its base URL)")
    p.add_argument(
        "--admin-token",
        default=os.environ.get(ADMIN_TOKEN_ENV),
        help=f"the sandbox's admin token (default: ${ADMIN_TOKEN_ENV}; loopback needs none)",
    )
    p.add_argument("--json", action="store_true", help="the differences as JSON")
    p.set_defaults(func=cmd_replay)
