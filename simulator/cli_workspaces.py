"""``toluna-sandbox workspace create|list|reset|delete``: the isolated sandboxes a running sandbox serves under
``/w/{name}``, managed through its control API (``/_sandbox/workspaces``) with the default admin token."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simulator.cli_client import add_sandbox_arguments, control


def cmd_create(args: argparse.Namespace) -> int:
    doc: dict[str, str] = {"Name": args.name}
    if args.scenario:
        try:
            doc["Scenario"] = Path(args.scenario).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"toluna-sandbox: cannot read {args.scenario}: {exc}. Fix: give a UTF-8 file.", file=sys.stderr)
            return 2
    if args.token:
        doc["AdminToken"] = args.token
    body = control(args, "workspaces", method="POST", json=doc)
    if args.json:
        print(json.dumps(body, indent=2))
        return 0
    print(f"Workspace {body['Name']} created, running scenario '{body['Scenario']}'.")
    print(f"  Base URL (IP_ES_URL = IP_CORE_URL = IP_REF_DATA_URL): {body['BaseURL']}")
    print(f"  Admin token (header X-Sandbox-Token, asked of every client; shown this once): {body['AdminToken']}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    listed = control(args, "workspaces")["Workspaces"]
    if args.json:
        print(json.dumps(listed, indent=2))
        return 0
    if not listed:
        print("No workspaces. Create one: toluna-sandbox workspace create NAME")
    for w in listed:
        print(f"{w['Name']}  {w['BaseURL']}  created {w['CreatedAt']}")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    body = control(args, f"workspaces/{args.name}/reset", method="POST")
    print(f"Workspace {body['Name']} reset: scenario '{body['Scenario']['Name']}' reloaded, journal cleared.")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    body = control(args, f"workspaces/{args.name}", method="DELETE")
    print(f"Workspace {body['Deleted']} deleted with its whole state.")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("workspace", help="create, list, reset or delete the workspaces of a running sandbox")
    actions = p.add_subparsers(dest="action", required=True)
    c = actions.add_parser("create", help="a new workspace, served under /w/NAME; prints its base URL and token")
    c.add_argument("name", help="1-40 of a-z, 0-9 and '-', starting with a letter or a digit")
    c.add_argument("--scenario", help="scenario file (YAML or JSON; default: the scenario the sandbox runs)")
    c.add_argument("--token", help="the workspace's admin token (default: a new one, printed)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_create)
    c = actions.add_parser("list", help="the workspaces, with their base URLs")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_list)
    c = actions.add_parser("reset", help="reload a workspace's scenario and clear its journal")
    c.add_argument("name")
    c.set_defaults(func=cmd_reset)
    c = actions.add_parser("delete", help="remove a workspace and its whole state")
    c.add_argument("name")
    c.set_defaults(func=cmd_delete)
    for parser in actions.choices.values():
        add_sandbox_arguments(parser)
