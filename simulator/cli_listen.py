"""``toluna-sandbox listen``: receive the sandbox's notifications on this machine, print one line each (or one JSON
line), check ``EncryptedValue`` with the panel's key, and optionally pass each one on to the partner's own endpoint,
answering the sandbox with what the partner answered (in the spirit of ``stripe listen``)."""

from __future__ import annotations

import argparse
import hmac
import http.client
import json
import signal
import socket
import sys
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import urlsplit

from simulator.notify.encryption import encrypt, normalize, notification_value
from simulator.notify.payloads import XML_ROOTS

#: the walk-through's notification URLs point here; the sandbox serves 8080, the reference partner 8081.
DEFAULT_PORT = 9000
MAX_BODY = 8 * 1024 * 1024
RAW_SHOWN = 300
#: headers that belong to one connection, not to the notification: never passed on, in either direction.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
KIND_OF_ROOT = {root: kind for kind, root in reversed(list(XML_ROOTS.items()))}  # termination -> terminate
LABELS = {"quota": "quota status", "survey": "survey closed"}
SIGNED = ("complete", "terminate")


@dataclass(frozen=True, slots=True)
class Options:
    forward_to: str | None = None
    algorithm: str | None = None  # with ``key``: how EncryptedValue is checked; None: not checked
    key: str | None = None
    json: bool = False
    timeout: float = 10.0


def _get(doc: dict[str, Any], name: str) -> Any:
    """A field whatever its case (Toluna writes both ``SurveyId`` and ``SurveyID``)."""
    lowered = name.lower()
    return next((v for k, v in doc.items() if k.lower() == lowered), None)


def parse(body: bytes) -> tuple[str, dict[str, Any]]:
    """(kind, document) of a notification body, JSON or XML; ValueError names why it is none."""
    try:
        text = body.decode("utf-8").lstrip("\ufeff \t\r\n")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    root_kind = None
    if text.startswith("<"):
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise ValueError(f"malformed XML ({exc})") from None
        tag = root.tag.rpartition("}")[2]
        if tag not in KIND_OF_ROOT:
            raise ValueError(f"XML root <{tag}> is none of Toluna's ({', '.join(sorted(KIND_OF_ROOT))})")
        root_kind = KIND_OF_ROOT[tag]
        doc: Any = {child.tag.rpartition("}")[2]: child.text or "" for child in root}
    else:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"neither JSON nor XML ({exc})") from None
        if not isinstance(doc, dict):
            raise ValueError(f"JSON {type(doc).__name__}, not an object")
    kind = _kind(doc, root_kind)
    if kind is None:
        raise ValueError("no Toluna notification fields (UniqueCode, IsLive, Status Closed, ReconciliationId)")
    return kind, doc


def _kind(doc: dict[str, Any], root_kind: str | None) -> str | None:
    """The XML root's kind, else the kind the JSON fields say; a termination with pre-start fields is a pre-start."""
    keys = {k.lower() for k in doc}
    kind = root_kind
    if kind is None:
        if "reconciliationid" in keys:
            kind = "reconciliation"
        elif "islive" in keys:
            kind = "quota"
        elif "uniquecode" in keys:
            kind = "complete" if "revenue" in keys else "terminate"
        elif str(_get(doc, "Status") or "").lower() == "closed":
            kind = "survey"
    if kind == "terminate" and keys & {"incidencerate", "rejectionid"}:
        return "prestart"
    return kind


def about(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    """What a notification is about, in reading order."""
    names = {"member": "UniqueCode", "survey": "SurveyId", "wave": "WaveId", "quota": "QuotaId"}
    found = {label: _get(doc, name) for label, name in names.items()}
    extra = {
        "complete": {"revenue": "Revenue"},
        "terminate": {"reason": "Reason"},
        "prestart": {"reason": "Reason", "rejection": "RejectionName", "incidence": "IncidenceRate"},
        "reconciliation": {"reconciliation": "ReconciliationId", "revenue": "Revenue"},
    }.get(kind, {})
    found.update({label: _get(doc, name) for label, name in extra.items()})
    if kind == "quota":
        found["live"] = str(_get(doc, "IsLive")).lower() == "true"
    if str(_get(doc, "IsAutoRouted")).lower() == "true":
        found["routed from"] = _get(doc, "OriginalSurveyId")
    return {k: v for k, v in found.items() if v not in (None, "")}


def signature(kind: str, doc: dict[str, Any], options: Options) -> str | None:
    """``ok``, ``BAD``, ``missing`` or ``unchecked`` for completions and terminations; None for the other kinds."""
    if kind not in SIGNED:
        return None
    given = _get(doc, "EncryptedValue")
    if options.algorithm is None:
        return "unchecked" if given else None
    if not given:
        return "missing"
    try:
        value = notification_value(int(_get(doc, "SurveyId")), int(_get(doc, "WaveId")), str(_get(doc, "UniqueCode")))
    except (TypeError, ValueError):
        return "BAD"
    return "ok" if hmac.compare_digest(str(given), encrypt(options.algorithm, value, options.key)) else "BAD"


@dataclass(slots=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    note: str = ""  # where it came from, or why the partner gave none


def forward(options: Options, path: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
    """The notification POSTed to the partner (``--forward-to`` + the request's path and query), and its answer."""
    assert options.forward_to
    target = urlsplit(options.forward_to)
    url = target.geturl().rstrip("/") + path
    kind = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    sent = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP | {"host", "content-length"}]
    conn = kind(target.netloc, timeout=options.timeout)
    try:
        conn.putrequest("POST", target.path.rstrip("/") + path, skip_host=True, skip_accept_encoding=True)
        for k, v in [("Host", target.netloc), *sent, ("Content-Length", str(len(body)))]:
            conn.putheader(k, v)
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
    except (OSError, http.client.HTTPException) as exc:
        reason = f"partner unreachable at {url}: {exc.__class__.__name__}: {exc}"
        return Answer(502, [("Content-Type", "application/json")], json.dumps({"Error": reason}).encode(), reason)
    finally:
        conn.close()
    kept = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length", "date", "server"}]
    return Answer(resp.status, kept, data, f"from {url}")


def record(method: str, path: str, body: bytes, options: Options, refused: str | None = None) -> dict[str, Any]:
    """What is printed of one notification (the answer is added once known); ``refused``: why its body was not read."""
    entry: dict[str, Any] = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), "method": method, "path": path}
    try:
        if refused:
            raise ValueError(f"refused: {refused}")
        kind, doc = parse(body)
    except ValueError as exc:
        return {**entry, "kind": "unreadable", "problem": str(exc), "raw": body.decode("utf-8", "replace")}
    entry.update(kind=LABELS.get(kind, kind), about=about(kind, doc))
    sig = signature(kind, doc, options)
    return {**entry, "signature": sig} if sig else entry


def line(entry: dict[str, Any]) -> str:
    at = datetime.fromisoformat(entry["at"]).astimezone().strftime("%H:%M:%S")
    if entry["kind"] == "unreadable":
        raw = entry["raw"] if len(entry["raw"]) <= RAW_SHOWN else entry["raw"][:RAW_SHOWN] + "..."
        what = f"{entry['problem']}: {raw!r}"
    else:
        parts = [f"{k} {v}" if k != "live" else ("live" if v else "on hold") for k, v in entry["about"].items()]
        what = " ".join(parts) + (f"  signature {entry['signature']}" if entry.get("signature") else "")
    answer = f"{entry['status']} {entry['note']}".rstrip()
    return f"{at}  {entry['kind']:<14} {what}  {entry['method']} {entry['path']} -> {answer}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ListenServer

    def do_POST(self) -> None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._refuse(411, "send the body with a Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._refuse(400, "Content-Length is not a number")
        if not 0 <= length <= MAX_BODY:
            return self._refuse(413, f"the body must be 0 to {MAX_BODY} bytes")
        body = self.rfile.read(length)
        options = self.server.options
        entry = record("POST", self.path, body, options)
        if options.forward_to:
            answer = forward(options, self.path, list(self.headers.items()), body)
        else:
            answer = Answer(200, [("Content-Type", "application/json")], b'{"Received": true}')
        self.server.show({**entry, "status": answer.status, "note": answer.note})
        self.send_response(answer.status)
        for k, v in answer.headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def do_GET(self) -> None:
        self._refuse(200, "toluna-sandbox listen: POST notifications to any path")

    def _refuse(self, status: int, message: str) -> None:
        if status >= 400:
            entry = record("POST", self.path, b"", self.server.options, refused=message)
            self.server.show({**entry, "status": status, "note": ""})
        body = json.dumps({"Message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Each notification is printed once, by ``show``."""


class ListenServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, options: Options, out: TextIO) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.options = options
        self.out = out
        self._lock = threading.Lock()
        super().__init__((host, port), Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"

    def show(self, entry: dict[str, Any]) -> None:
        text = json.dumps(entry, ensure_ascii=False) if self.options.json else line(entry)
        with self._lock:
            print(text, file=self.out, flush=True)


class _Stop(BaseException):
    """SIGTERM: end like Ctrl-C (a BaseException, as KeyboardInterrupt, which the server's request loop lets pass)."""


def _stop(signum: int, frame: object) -> None:
    raise _Stop


def options_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Options:
    """The flags checked: a bad one ends the command with what to write instead."""
    algorithm = args.algorithm or ("HMAC-SHA256" if args.key else None)
    if algorithm:
        try:
            algorithm = normalize(algorithm)
        except ValueError as exc:
            parser.error(f"--algorithm: {exc}")
        if algorithm.startswith("HMAC-") and not args.key:
            parser.error(f"--algorithm {algorithm} needs --key: the panel's encryption_key")
    if args.forward_to:
        target = urlsplit(args.forward_to)
        if target.scheme not in ("http", "https") or not target.netloc or target.query or target.fragment:
            parser.error(
                f"--forward-to {args.forward_to!r}: write an http(s) URL, no query, e.g. http://127.0.0.1:8081"
            )
    return Options(args.forward_to, algorithm, args.key, args.json, args.timeout)


def cmd_listen(args: argparse.Namespace) -> int:
    options = options_from(args, args.parser)
    host = args.host.strip("[]")
    try:
        server = ListenServer(host, args.port, options, sys.stdout)
    except OSError as exc:
        problem = exc.strerror or exc
        print(f"toluna-sandbox: cannot listen on {host}:{args.port} ({problem}): pass another --port", file=sys.stderr)
        return 2
    answering = f"forwarding to {options.forward_to} + the path" if options.forward_to else "answering 200"
    checking = f"checking EncryptedValue ({options.algorithm})" if options.algorithm else "not checking EncryptedValue"
    print(f"toluna-sandbox listen: ready on {server.url} (POST to any path); {answering}; {checking}", file=sys.stderr)
    print("  point the panel's notification URLs here; Ctrl-C stops", file=sys.stderr, flush=True)
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
    print("toluna-sandbox listen: stopped", file=sys.stderr, flush=True)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "listen",
        help="receive the sandbox's notifications here, print each, optionally forward them to your endpoint",
        description="Receive the sandbox's notifications on this machine and print one line each: time, kind, "
        "what it is about (member, survey, wave, quota, live/on hold, ...), the path it was posted to and the answer. "
        "Completions and terminations carrying EncryptedValue show 'signature ok', 'signature BAD', 'signature "
        "missing' (with --key, none sent) or 'signature unchecked' (no --key). A body that is no notification is "
        "printed raw with the reason. Notifications do not name the panel: the path tells which endpoint it was.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (:: for IPv6; default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to bind (default {DEFAULT_PORT}; 0: any free)")
    p.add_argument(
        "--forward-to",
        metavar="URL",
        help="POST each notification to URL + the request's path and query (e.g. http://127.0.0.1:8081 turns "
        "/toluna/notify/quota into http://127.0.0.1:8081/toluna/notify/quota) with its headers and body, and answer "
        "the sandbox with the partner's status and body (502 when it cannot be reached). Without it: answer 200",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds the partner may take to answer (default 10; the sandbox itself waits the panel's "
        "notification_timeout, 5 s by default)",
    )
    p.add_argument(
        "--key",
        help="the panel's encryption_key: check the EncryptedValue of completions and terminations and print "
        "'signature ok' or 'signature BAD' (given here: the control API does not show the key)",
    )
    p.add_argument(
        "--algorithm",
        help="the panel's encryption_algorithm (default HMAC-SHA256 with --key; SHA256, SHA1, MD5, BASE64 need no key)",
    )
    p.add_argument("--json", action="store_true", help="print each notification as one JSON line")
    p.set_defaults(func=cmd_listen, parser=p)
