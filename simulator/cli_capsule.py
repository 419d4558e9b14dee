"""``toluna-sandbox capsule export | open | replay``: a sandbox as a partner left it, in one file that support opens.

``export`` asks a running sandbox for its capsule (``GET /_sandbox/capsule``) and writes the file; ``open`` puts
a capsule into a database through the store port and serves it like ``serve`` (no scenario load wipes it);
``replay`` sends the capsule's journal tape again and reports each request whose status or ES result code differs.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from simulator import __version__
from simulator.api.admin import token_headers
from simulator.cli_client import add_sandbox_arguments, control
from simulator.har import HarError
from simulator.har.compare import decisive
from simulator.har.export import to_har
from simulator.har.replay import Difference, check_sandbox, replay
from simulator.services.capsules import CapsuleError, Capsules, pack, summary, unpack
from simulator.store import open_store

#: Methods sent again by default: reads, and GenerateInvite (a member's open invite comes back again).
SAFE_METHODS = frozenset({"GET", "HEAD"})
#: How long ``replay`` waits for the sandbox it opens to answer.
START_SECONDS = 60.0


def _read(path: str) -> dict[str, Any]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CapsuleError(f"{path}: cannot be read ({exc.strerror or exc}). Fix: name a capsule file") from None
    return unpack(data, path)


def _print_summary(what: str, facts: dict[str, Any]) -> None:
    versions = facts["Versions"]
    print(
        f"{what}: scenario '{facts['Scenario']}', sandbox time {facts['SandboxTime']}, {facts['Members']} members, "
        f"{facts['Invites']} invites, {facts['TapeEntries']} journal entries on the tape "
        f"(sandbox {versions['sandbox_version']}, capsule format {versions['capsule_version']}, "
        f"schema {versions['schema_version']})"
    )


def cmd_export(args: argparse.Namespace) -> int:
    doc = control(args, "capsule")
    Path(args.output).write_bytes(pack(doc))
    _print_summary(f"capsule {args.output}", summary(doc))
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    doc = _read(args.file)
    db = args.db or str(Path(tempfile.mkdtemp(prefix="capsule-")) / "sandbox.db")
    store = open_store(db)
    try:
        opened = Capsules(store, __version__).open(doc)
    finally:
        store.close()
    _print_summary(f"capsule {args.file} opened into {db}", opened)
    forwarded = ["--db", db, "--port", str(args.port), "--host", args.host]
    forwarded += ["--workers", str(args.workers), "--threads", str(args.threads)]
    for flag, value in (("--admin-token", args.admin_token), ("--public-url", args.public_url)):
        if value:
            forwarded += [flag, value]
    serve_args = args.serve_parser.parse_args(forwarded)
    return int(serve_args.func(serve_args))


# --- replay -----------------------------------------------------------------------------------------------------
def _decisive(difference: Difference) -> bool:
    """Whether the status or the ES result code differs (a body alone may differ: the capsule holds the state after
    the tape, and counters, times and tokens moved on)."""
    return any(decisive(what) for what in difference.what)


def replay_tape(base_url: str, tape: list[dict[str, Any]], writes: bool) -> tuple[int, list[Difference]]:
    """Send the tape's requests again to ``base_url`` (the HAR replay: same comparison, invite tokens learnt as it
    goes); how many were sent, and the answers that differ. Requests that change state (not GET or HEAD) are sent
    only with ``writes``: their change is in the capsule's state already."""
    chosen = [e for e in tape if writes or str(e.get("method", "GET")).upper() in SAFE_METHODS]
    entries = to_har(chosen, base_url)["log"]["entries"]
    return len(entries), replay(entries, base_url)


def _opened_sandbox(file: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``capsule open FILE`` on a free loopback port, answering; the process and its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    cmd = [sys.executable, "-m", "simulator.cli", "capsule", "open", file, "--port", str(port), "--workers", "1"]
    with (workdir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [*cmd, "--db", str(workdir / "sandbox.db")], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{url}/_sandbox/health", timeout=5).ok:
                return process, url
        except requests.RequestException:
            time.sleep(0.1)
    _stop(process)
    raise SystemExit(f"toluna-sandbox: the capsule's sandbox did not start: {(workdir / 'server.log').read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def cmd_replay(args: argparse.Namespace) -> int:
    tape = _read(args.file).get("tape") or []
    try:
        if args.against:
            check_sandbox(args.against, token_headers(args.admin_token))
            sent, found = replay_tape(args.against, tape, args.writes)
        else:
            with tempfile.TemporaryDirectory(prefix="capsule-replay-") as tmp:
                process, url = _opened_sandbox(args.file, Path(tmp))
                try:
                    sent, found = replay_tape(url, tape, args.writes)
                finally:
                    _stop(process)
    except HarError as exc:
        print(f"toluna-sandbox: {exc}", file=sys.stderr)
        return 2
    deciding = [d for d in found if _decisive(d)]
    if args.json:
        print(
            json.dumps(
                {
                    "Sent": sent,
                    "NotSent": len(tape) - sent,
                    "Differences": [{**d.to_dict(), "StatusOrResultCode": _decisive(d)} for d in found],
                },
                indent=2,
            )
        )
    else:
        for difference in found:
            print(("" if _decisive(difference) else "(body only) ") + difference.line())
        print(
            f"replay: {sent} request(s) sent again, {len(tape) - sent} not sent (they change state; --writes sends "
            f"them), {len(deciding)} differ in status or result code, {len(found) - len(deciding)} in the body only"
        )
    return 1 if deciding else 0


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A file that is not a capsule ends the command with its message and exit status 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except CapsuleError as exc:
            print(f"toluna-sandbox: {exc}", file=sys.stderr)
            return 2

    return run


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("capsule", help="repro capsules: a sandbox as a partner left it, in one file")
    actions = p.add_subparsers(dest="action", required=True)

    e = actions.add_parser("export", help="write a running sandbox's capsule to a file")
    add_sandbox_arguments(e)
    e.add_argument("-o", "--output", required=True, help="the capsule file to write (a zip)")
    e.set_defaults(func=_guarded(cmd_export))

    o = actions.add_parser("open", help="serve a capsule's sandbox in exactly its state")
    o.add_argument("file")
    o.add_argument("--port", type=int, default=8080)
    o.add_argument("--db", help="SQLite file to open it into (default: a new one in a temporary directory)")
    o.add_argument("--host", default="127.0.0.1")
    o.add_argument("--workers", type=int, default=2)
    o.add_argument("--threads", type=int, default=4)
    o.add_argument("--admin-token", help="as for serve (default: a new token, printed at start)")
    o.add_argument("--public-url", help="as for serve")
    o.set_defaults(func=_guarded(cmd_open), serve_parser=sub.choices["serve"])

    r = actions.add_parser("replay", help="send a capsule's journal tape again and report what differs")
    r.add_argument("file")
    r.add_argument("--against", help="a running sandbox (default: one opened from the capsule, then stopped)")
    r.add_argument("--admin-token", help="the --against sandbox's admin token, when it is not on loopback")
    r.add_argument("--writes", action="store_true", help="send POST/PUT/DELETE requests again too")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_guarded(cmd_replay))
