"""``toluna-sandbox trigger``, ``outbox`` and ``import-reference``: make things happen in a running sandbox and see
what the partner was told (in the spirit of ``stripe trigger``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from simulator.cli_client import add_sandbox_arguments, control
from simulator.domain.outcomes import BY_REASON

#: trigger event -> (control API event, the arguments it takes)
EVENTS = {
    "complete": ("member", "quota", "panel"),
    "terminate": ("member", "quota", "panel", "reason"),
    "prestart": ("member", "quota", "panel", "rejection"),
    "reconciliation": ("member", "quota", "panel", "reason"),
    "quota-status": ("quota", "live"),
    "survey-closed": ("survey", "wave"),
}


def _show(notification: dict[str, Any]) -> list[str]:
    about = ", ".join(f"{k} {v}" for k, v in notification.get("About", {}).items())
    lines = [f"  #{notification['ID']} {notification['Kind']} ({about}) -> POST {notification['URL']}"]
    lines.append(f"    {notification['Format']}: {notification['Body'][:300]}")
    for a in notification.get("Attempts", []) if isinstance(notification.get("Attempts"), list) else []:
        answer = f"HTTP {a['Status']}" if a["Status"] is not None else a["Error"]
        lines.append(f"    {a['At']}: {answer} in {a['LatencyMs']:.0f} ms {(a['Response'] or '')[:120]!r}")
    lines.append(f"    status: {notification['Status']}")
    return lines


def cmd_trigger(args: argparse.Namespace) -> int:

    body: dict[str, Any] = {}
    for name in EVENTS[args.event]:
        value = getattr(args, name, None)
        if value is not None:
            body[name] = value
    if args.event == "quota-status":
        body["live"] = args.live.lower() == "true"
    answer = control(args, f"events/{args.event}", method="POST", json=body)
    print(f"{args.event}: {answer.get('Note') or 'done'}")
    if answer.get("EndPage"):
        print(f"  the member lands on {answer['EndPage']}")
    ids = answer.get("Notifications", [])
    if not ids:
        print("  no notification: no endpoint is set for it (see the panel's settings)")
        return 0
    params = {"ids": ",".join(map(str, ids)), "timeout": args.wait}
    control(args, "outbox/wait", params, method="POST")
    for notification_id in ids:
        print("\n".join(_show(control(args, f"outbox/{notification_id}"))))
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:

    if args.action == "list":
        found = control(args, "outbox", {"status": args.status, "kind": args.kind, "limit": args.limit})
        for n in found["Notifications"]:
            print(f"#{n['ID']} {n['Status']:9} {n['Kind']:14} attempts {n['Attempts']} {n['URL']}")
        print(f"{found['Pending']} pending")
    elif args.action == "show":
        print("\n".join(_show(control(args, f"outbox/{args.id}"))))
    else:
        again = control(args, f"outbox/{args.id}/resend", method="POST")
        print(f"#{args.id} sent again as #{again['ID']}")
    return 0


def cmd_import_reference(args: argparse.Namespace) -> int:

    text = Path(args.file).read_text(encoding="utf-8-sig")
    answer = control(args, "reference", method="POST", data=text.encode(), headers={"Content-Type": "application/json"})
    print(json.dumps(answer, indent=2))
    return 0


def add_commands(sub: argparse._SubParsersAction, default_url: str) -> None:  # type: ignore[type-arg]

    p = sub.add_parser("trigger", help="make an event happen now and show what the partner was told")
    events = p.add_subparsers(dest="event", required=True)
    for event, names in EVENTS.items():
        e = events.add_parser(event)
        for name in names:
            if name == "live":
                e.add_argument("--live", required=True, choices=["true", "false"])
            elif name == "reason" and event == "terminate":
                e.add_argument("--reason", choices=sorted(BY_REASON), default="Terminated")
            elif name == "reason":
                e.add_argument("--reason", type=int, default=1, help="ReconciliationId")
            elif name in ("quota", "survey", "wave"):
                e.add_argument(f"--{name}", type=int, required=name != "wave")
            else:
                e.add_argument(f"--{name}", required=name == "member")
        add_sandbox_arguments(e, default_url)
        e.add_argument("--wait", type=float, default=10, help="seconds to wait for the deliveries")
        e.set_defaults(func=cmd_trigger)

    p = sub.add_parser("outbox", help="the notifications a running sandbox sent or is sending")
    p.add_argument("action", choices=["list", "show", "resend"])
    p.add_argument("id", nargs="?", type=int)
    p.add_argument("--status", choices=["pending", "delivered", "failed"])
    p.add_argument("--kind")
    p.add_argument("--limit", type=int, default=50)
    add_sandbox_arguments(p, default_url)
    p.set_defaults(func=cmd_outbox)

    p = sub.add_parser("import-reference", help="serve a Toluna QuestionsAndAnswersData body as reference data")
    p.add_argument("file")
    add_sandbox_arguments(p, default_url)
    p.set_defaults(func=cmd_import_reference)
