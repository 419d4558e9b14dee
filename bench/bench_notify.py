"""Notification delivery: how many notifications a second the outbox's dispatchers deliver to a partner's
endpoint, how soon after the event, and how long they take to catch up after a kill -9.

The partner is a real HTTP server in its own process on a loopback port (``http.server``, threaded, keep-alive,
one write per answer so no Nagle stall), which answers 200 at once and records when each POST arrived, its path
and its body. ``toluna-sandbox serve`` points the panel's Quota Notification URL at it and runs with 1 and then
4 workers (one dispatcher thread each, 8 concurrent deliveries each). For each worker count, on one fresh server:

* stream: ``--rate`` quota-status notifications a second for ``--duration`` seconds, rendered by the sandbox's
  own routing and stored with ``Outbox.queue`` from this process, a transaction every 10 ms. A quota-status
  event through the control API costs the sandbox some 20 ms of CPU (every state change makes the worker re-read
  the whole inventory), so events alone cannot offer 1,000/s on 2 cores; queued this way, the dispatchers are
  loaded at the target rate. Like a worker that took an event, this process signals the dispatchers through the
  shared memory beside the database (no worker's own wake-up helps: they all learn of the work as the workers
  that did not take an event do). Latency: the row's ``created_at`` to its arrival, paired exactly by a
  sequence number in each notification's URL.
* events: quota-status events fired through the control API (``POST /_sandbox/events/quota-status``) at
  ``--event-rate`` by paced keep-alive clients: the whole path, event to delivery, from the client sending the
  event to the receiver reading the notification. Events carry no sequence, so notifications are paired with
  events by body (the quotas are fired in turn: QuotaID and the hundredth-of-a-second stamp tell them apart),
  and with the outbox by the ids each event answered with.
* drain: a backlog of ``--backlog`` notifications queued at once in one transaction, delivered by the running
  dispatchers; the sustained rate is taken over the middle 90% of the arrivals, so the backlog is never empty.

The baselines, measured in the same run just before each server, post the same document straight to the same
receiver with the dispatchers' concurrency (8 threads in each of as many processes as the server has workers):
with ``requests.Session``, the dispatcher's own client, so ``drain / requests`` is what the outbox (claiming,
recording, handing out) costs on top of the POSTs; and with ``http.client``, nearer the receiver's own ceiling.

Recovery: ``--pending`` notifications queued before a server starts (``--recovery-workers`` workers); the
receiver holds the first deliveries unanswered, so all of them are still pending and the dispatchers' first
claims are in flight; then the whole process group is killed with SIGKILL, the receiver lets go, and a new
server is started on the same database. Recovery time runs from that restart until the outbox has nothing
pending; every notification must have reached the receiver (lost: none), and the ones in flight at the kill
are delivered again (at-least-once), so the receiver counts the duplicates.

Nothing here asserts a timing: the verdict lines inform.

    python -m bench.bench_notify [--workers 1,4] [--rate 1000] [--event-rate 20] [--duration 8]
                                 [--backlog 10000] [--pending 10000] [--recovery-workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench import common
from simulator.domain.events import QuotaStatus
from simulator.notify.routing import outgoing
from simulator.scenario.importer import scenario_from_body, write_scenario
from simulator.store import Store, open_store
from simulator.store.records import Outgoing
from simulator.store.sql.outbox import LEASE_SECONDS

TARGET_RATE = 1_000  # delivered notifications per second, sustained
TARGET_P50_MS = 50.0  # event to delivery
#: The benchmark reads every notification's row once the server is gone: retention must not prune any.
KEEP_ALL = ("--keep-outbox", "0", "--keep-journal", "0")
CONCURRENCY = 8  # the dispatcher's concurrent deliveries per server worker (``notify.dispatcher.Dispatcher``)
HOLD_SECONDS = 60.0  # how long the receiver keeps a held request unanswered at most
CONTROL = "/_sandbox"
TICK = 0.01  # the stream queues a transaction this often


# --- the partner's endpoint (its own process) -------------------------------------------------------------------
class _Receiver(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # every dispatcher connects at once: no SYN retried a second later


def serve_receiver(port: int) -> None:
    """Run in the receiver's process: answer every POST with 200 and record (arrival, path, body). GET ``/_count``
    says how many arrived, ``/_dump?after=N`` returns the records from the N-th, ``/_hold`` keeps POSTs
    unanswered until ``/_release`` (the partner stalls: deliveries stay in flight)."""
    records: list[tuple[float, str, str]] = []
    release = threading.Event()
    release.set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *_args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            records.append((time.time(), self.path, body.decode("utf-8", errors="replace")))
            if not release.is_set():
                release.wait(HOLD_SECONDS)
            self._send(b'{"ok": true}')

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path == "/_dump":
                after = int(query.removeprefix("after=") or 0)
                self._send(json.dumps(records[after:]).encode())
                return
            if path == "/_hold":
                release.clear()
            elif path == "/_release":
                release.set()
            self._send(json.dumps({"count": len(records)}).encode())

        def _send(self, data: bytes) -> None:
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
            try:
                self.wfile.write(head.encode() + data)  # one write: no Nagle stall behind a delayed ACK
            except OSError:  # the sender died while we held its request
                self.close_connection = True

    _Receiver((common.HOST, port), Handler).serve_forever()


@dataclass
class Receiver:
    """The receiver's process and its control routes."""

    base_url: str
    process: subprocess.Popen[bytes]

    def url(self, path: str) -> str:
        return self.base_url + path

    def count(self) -> int:
        return int(http_json(self.base_url, "GET", "/_count")["count"])

    def hold(self, on: bool) -> None:
        http_json(self.base_url, "GET", "/_hold" if on else "/_release")

    def records(self, after: int = 0) -> list[tuple[float, str, str]]:
        return [(float(t), str(p), str(b)) for t, p, b in http_json(self.base_url, "GET", f"/_dump?after={after}")]


@contextlib.contextmanager
def receiver_process(tmp: Path) -> Iterator[Receiver]:
    port = common.free_port()
    with (tmp / "receiver.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", f"from bench.bench_notify import serve_receiver; serve_receiver({port})"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_env(),
            cwd=common.ROOT,
        )
    receiver = Receiver(f"http://{common.HOST}:{port}", process)
    try:
        _wait_until(lambda: receiver.count() >= 0, process, tmp / "receiver.log")
        yield receiver
    finally:
        process.kill()
        process.wait(timeout=10)


# --- plumbing ----------------------------------------------------------------------------------------------------
def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(common.ROOT), os.environ.get("PYTHONPATH")]))}


def http_json(base_url: str, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
    """One request with a JSON body (or none) and a JSON answer; a non-2xx answer raises."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        raw = resp.read()
        if not 200 <= resp.status < 300:
            raise RuntimeError(f"{method} {path}: {resp.status} {raw[:300]!r}")
        return json.loads(raw)
    finally:
        conn.close()


def _wait_until(ready: Any, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            if ready():
                return
        time.sleep(0.05)
    raise RuntimeError(f"not ready in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def pending(base_url: str) -> int:
    return int(http_json(base_url, "GET", f"{CONTROL}/outbox?status=pending&limit=1")["Pending"])


def wait_drained(base_url: str, timeout: float) -> float:
    """Poll until the outbox has nothing pending; when that was (epoch seconds), or NaN on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if pending(base_url) == 0:
                return time.time()
        time.sleep(0.05)
    return math.nan


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of these processes so far (Linux; 0 elsewhere)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """A server's main process and its workers."""
    with contextlib.suppress(OSError):
        return [pid, *(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    return [pid]


# --- the scenario and the queued notifications ------------------------------------------------------------------
def write_notify_scenario(path: Path, body: common.Body, quota_url: str) -> Path:
    """The benchmark panel with quota notifications on, in JSON, to ``quota_url``."""
    doc = scenario_from_body(body.doc, panel_guid=common.PANEL_GUID, api_key=common.API_KEY, name="bench")
    doc["panels"][0]["settings"] = {"Quota Notifications Enabled": "True", "Quota Notification URL": quota_url}
    doc["panels"][0]["notification_format"] = "json"
    write_scenario(doc, path)
    return path


def quota_ids(body: common.Body) -> list[int]:
    return [int(q["QuotaID"]) for s in body.doc["Surveys"] for q in s["Quotas"]]


def render(store: Store, count: int, url: str) -> list[Outgoing]:
    """``count`` quota-status notifications as the sandbox routes and renders them (its quotas in turn, to its
    one panel), the n-th to ``url?n=<n>`` so the receiver tells every one apart."""
    snap = store.inventory.snapshot()
    panels = list(snap.panels.values())
    quotas = [(s, q) for s in snap.surveys_for(panels[0].culture) for q in s.quotas]
    now = datetime.now(UTC)
    events = [
        QuotaStatus(s.culture, q.quota_id, s.survey_id, s.wave_id, False, now)
        for s, q in (quotas[i % len(quotas)] for i in range(count))
    ]
    items = outgoing(events, panels)
    if len(items) != count:
        raise RuntimeError(f"{count} events made {len(items)} notifications: exactly one panel should listen")
    for n, item in enumerate(items):
        item.url = f"{url}?n={n}"
    return items


def queue_backlog(db: Path, count: int, url: str) -> float:
    """Queue ``count`` notifications (``render``) in one transaction; the seconds the transaction took."""
    store = open_store(db)
    try:
        items = render(store, count, url)
        start = time.perf_counter()
        with store.transaction() as conn:
            store.outbox.queue(conn, items)
        return time.perf_counter() - start
    finally:
        store.close()


def queue_stream(db: Path, url: str, rate: float, seconds: float) -> tuple[list[int], float]:
    """Queue notifications at ``rate`` per second for ``seconds``, a transaction every ``TICK`` (as workers
    queueing events would, from this process: the dispatchers learn of it through the shared signal).
    The ids in sequence order and the seconds it took."""
    store = open_store(db)
    try:
        items = render(store, int(rate * seconds), url)
        ids: list[int] = []
        start = time.perf_counter()
        while len(ids) < len(items):
            due = min(len(items), int((time.perf_counter() - start) * rate) + 1)
            if due > len(ids):
                with store.transaction() as conn:
                    ids += store.outbox.queue(conn, items[len(ids) : due])
            time.sleep(max(0.0, TICK - (time.perf_counter() - start) % TICK))
        return ids, time.perf_counter() - start
    finally:
        store.close()


def outbox_rows(db: Path, ids: Sequence[int]) -> dict[int, tuple[str, float, float | None, int]]:
    """id -> (body, created_at, delivered_at, attempts), read once the server is gone."""
    if not ids:
        return {}
    store = open_store(db)
    try:
        rows = store.db.read(
            "SELECT id, body, created_at, delivered_at, attempts FROM outbox WHERE id BETWEEN ? AND ?",
            (min(ids), max(ids)),
        )
        return {int(r[0]): (str(r[1]), float(r[2]), r[3], int(r[4])) for r in rows}
    finally:
        store.close()


# --- the baseline ------------------------------------------------------------------------------------------------
def post_loop(url: str, threads: int, seconds: float, body: str, client: str) -> None:
    """Run in a baseline process: ``threads`` keep-alive loops POSTing ``body`` to ``url`` for ``seconds``, with
    ``requests.Session`` (the dispatcher's client) or ``http.client``; prints one JSON line: requests, seconds
    and latency quantiles."""
    import requests

    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    lock = threading.Lock()
    data = body.encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "toluna-sandbox-notifications"}
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    path = "/" + url.removeprefix("http://").split("/", 1)[1]

    def loop() -> None:
        session = requests.Session()
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        mine = []
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            if client == "requests":
                session.post(url, data=data, headers=headers, timeout=5)
            else:
                conn.request("POST", path, data, headers)
                conn.getresponse().read()
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)

    seconds = common.run_threads(loop, threads)
    print(json.dumps({"requests": len(latencies), "seconds": seconds, "q": common.quantiles(latencies)}))


def baseline(receiver: Receiver, processes: int, seconds: float, body: str, client: str) -> common.Load:
    """POSTs straight to the receiver, with the dispatchers' concurrency: ``processes`` x ``CONCURRENCY`` loops."""
    call = f"post_loop({receiver.url('/baseline')!r}, {CONCURRENCY}, {seconds}, {body!r}, {client!r})"
    cmd = [sys.executable, "-c", f"from bench.bench_notify import post_loop; {call}"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, env=_env(), cwd=common.ROOT) for _ in range(processes)]
    outs = [json.loads(p.communicate(timeout=seconds + 60)[0]) for p in procs]
    loads = [common.Load(o["requests"], o["seconds"], o["q"]) for o in outs]
    merged = common.Load.merge(loads)
    merged.seconds = max(x.seconds for x in loads)  # the loops ran side by side, not one after the other
    return merged


# --- latency at a steady rate -----------------------------------------------------------------------------------
@dataclass(slots=True)
class Latency:
    """One steady run: what was offered, what arrived, and how long each notification took."""

    offered: float  # notifications per second queued (stream) or events per second fired (events)
    delivered: float  # arrivals per second while they were offered
    latencies_ms: list[float]  # stream: queued -> received; events: event sent -> received
    outbox_ms: list[float]  # created_at -> delivered_at, as the sandbox records it (after the 200 came back)
    lost: int
    duplicates: int
    retried: int  # delivered on a second attempt or later
    round_trip_ms: list[float] = field(default_factory=list)  # events: the control API's answer


Rows = dict[int, tuple[str, float, float | None, int]]
Arrival = tuple[float, str, str]


def stream_latency(ids: Sequence[int], seconds: float, rows: Rows, arrivals: Sequence[Arrival]) -> Latency:
    """The n-th queued notification is the one whose URL says ``n=<n>``: exact pairs."""
    if not ids:
        return Latency(math.nan, math.nan, [], [], 0, 0, 0)
    start, end = min(r[1] for r in rows.values()), max(r[1] for r in rows.values())
    first: dict[int, float] = {}
    for t, path, _ in sorted(arrivals):
        first.setdefault(int(path.rsplit("=", 1)[1]), t)
    created = {n: rows[i][1] for n, i in enumerate(ids)}
    return Latency(
        offered=len(ids) / seconds,
        delivered=sum(start <= t <= end for t, _, _ in arrivals) / (end - start) if end > start else math.nan,
        latencies_ms=[(t - created[n]) * 1000 for n, t in first.items()],
        outbox_ms=[(r[2] - r[1]) * 1000 for i in ids if (r := rows[i])[2] is not None],
        lost=len(ids) - len(first),
        duplicates=len(arrivals) - len(first),
        retried=sum(rows[i][3] > 1 for i in ids),
    )


def fire_events(
    base_url: str, quotas: Sequence[int], rate: float, seconds: float, clients: int
) -> list[tuple[float, float, list[int]]]:
    """Open-loop quota-status events through the control API: slot i is due at start + i / rate; ``clients``
    keep-alive connections take the slots in turn (a late client sends at once). Each event's (sent at, round
    trip ms, notification ids), in order."""
    host, port = base_url.removeprefix("http://").split(":")
    slots = itertools.count()  # next() is atomic under the GIL
    start = time.perf_counter() + 0.2
    end_slot = int(rate * seconds)
    sent: list[tuple[float, float, list[int]]] = []
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        mine = []
        for i in slots:
            if i >= end_slot:
                break
            wait = start + i / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            data = json.dumps({"quota": quotas[i % len(quotas)], "live": False}).encode()
            at, t0 = time.time(), time.perf_counter()
            conn.request("POST", f"{CONTROL}/events/quota-status", data, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            raw = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"quota-status event: {resp.status} {raw[:300]!r}")
            mine.append((at, (time.perf_counter() - t0) * 1000, [int(n) for n in json.loads(raw)["Notifications"]]))
        conn.close()
        with lock:
            sent.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(sent)


def event_latency(sent: Sequence[tuple[float, float, list[int]]], rows: Rows, arrivals: Sequence[Arrival]) -> Latency:
    """Events carry no sequence: the k-th notification of a body pairs with the k-th arrival of that body (the
    quotas are fired in turn, so QuotaID and the hundredth-of-a-second stamp tell bodies apart)."""
    at_of = {n: at for at, _, ids in sent for n in ids}
    by_body: dict[str, list[int]] = defaultdict(list)
    for n in sorted(at_of):
        by_body[rows[n][0]].append(n)
    came: dict[str, list[float]] = defaultdict(list)
    for t, _, body in arrivals:
        came[body].append(t)
    latencies, lost, duplicates = [], 0, 0
    for body, ids in by_body.items():
        times = sorted(came.get(body, []))
        lost += max(0, len(ids) - len(times))
        duplicates += max(0, len(times) - len(ids))
        latencies += [(t - at_of[n]) * 1000 for n, t in zip(ids, times, strict=False)]
    start, end = (sent[0][0], sent[-1][0]) if sent else (0.0, 0.0)
    return Latency(
        offered=len(sent) / (end - start) if end > start else math.nan,
        delivered=sum(start <= t <= end for t, _, _ in arrivals) / (end - start) if end > start else math.nan,
        latencies_ms=latencies,
        outbox_ms=[(r[2] - r[1]) * 1000 for n, r in rows.items() if n in at_of and r[2] is not None],
        lost=lost,
        duplicates=duplicates,
        retried=sum(rows[n][3] > 1 for n in at_of),
        round_trip_ms=[ms for _, ms, _ in sent],
    )


# --- one worker count --------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Drain:
    backlog: int
    queue_seconds: float  # the one transaction that queued it
    rate: float  # arrivals per second over the middle 90%
    all_after: float  # seconds from the commit to nothing pending
    lost: int
    duplicates: int
    sandbox_cores: float  # CPU the server's processes used while draining, in cores
    receiver_cores: float


def drain_result(backlog: int, queue_seconds: float, all_after: float, arrivals: Sequence[Arrival]) -> Drain:
    times = sorted(t for t, _, _ in arrivals)
    seqs = {int(p.rsplit("=", 1)[1]) for _, p, _ in arrivals}
    lo, hi = int(len(times) * 0.05), max(0, int(len(times) * 0.95) - 1)
    span = times[hi] - times[lo] if times else 0.0
    return Drain(
        backlog=backlog,
        queue_seconds=queue_seconds,
        rate=(hi - lo) / span if span > 0 else math.nan,
        all_after=all_after,
        lost=backlog - len(seqs),
        duplicates=len(arrivals) - len(seqs),
        sandbox_cores=math.nan,
        receiver_cores=math.nan,
    )


@dataclass(slots=True)
class WorkerRun:
    workers: int
    baseline: common.Load  # requests.Session, the dispatcher's client
    ceiling: common.Load  # http.client: nearer the receiver's own ceiling
    stream: Latency
    events: Latency
    drain: Drain


def run_workers(tmp: Path, body: common.Body, receiver: Receiver, workers: int, args: argparse.Namespace) -> WorkerRun:
    """The baseline, then one server of ``workers`` workers, fresh: the stream, the events, the backlog."""
    quotas = quota_ids(body)
    scenario = write_notify_scenario(tmp / f"notify-{workers}.yaml", body, receiver.url("/events"))
    db = tmp / f"notify-{workers}.db"
    store, _, _ = common.load_store(scenario, db)
    sample = render(store, 1, "")[0].body  # a quota-status document as the dispatcher sends it
    store.close()
    base = baseline(receiver, workers, args.duration, sample, "requests")
    ceiling = baseline(receiver, workers, args.duration, sample, "http.client")
    with common.sandbox_server(scenario, db, workers=workers, extra=KEEP_ALL) as server:
        before = receiver.count()
        ids, seconds = queue_stream(db, receiver.url("/stream"), args.rate, args.duration)
        wait_drained(server.base_url, timeout=60 + args.duration * 4)
        streamed = receiver.records(before)
        before += len(streamed)
        sent = fire_events(server.base_url, quotas, args.event_rate, args.duration, args.clients)
        wait_drained(server.base_url, timeout=60 + args.duration * 4)
        fired = receiver.records(before)
        before += len(fired)
        pids = process_tree(server.process.pid)
        queue_seconds = queue_backlog(db, args.backlog, receiver.url("/drain"))
        committed = time.time()
        cpu0, rcpu0 = cpu_seconds(pids), cpu_seconds([receiver.process.pid])
        done = wait_drained(server.base_url, timeout=60 + args.backlog / 50)
        cpu1, rcpu1, wall1 = cpu_seconds(pids), cpu_seconds([receiver.process.pid]), time.time()
        time.sleep(0.2)  # a duplicate would come right after its first delivery
        drained = receiver.records(before)
    drain = drain_result(
        args.backlog, queue_seconds, done - committed, [r for r in drained if r[1].startswith("/drain")]
    )
    drain.sandbox_cores = (cpu1 - cpu0) / (wall1 - committed)
    drain.receiver_cores = (rcpu1 - rcpu0) / (wall1 - committed)
    event_ids = [n for _, _, got in sent for n in got]
    return WorkerRun(
        workers=workers,
        baseline=base,
        ceiling=ceiling,
        stream=stream_latency(ids, seconds, outbox_rows(db, ids), [r for r in streamed if r[1].startswith("/stream")]),
        events=event_latency(sent, outbox_rows(db, event_ids), [r for r in fired if r[1] == "/events"]),
        drain=drain,
    )


# --- recovery after kill -9 --------------------------------------------------------------------------------------
class Sandbox(common.Server):
    """``toluna-sandbox serve`` in a session of its own, so ``kill`` takes the master and its workers at once."""

    def healthy(self) -> bool:
        return common.http_get(self.base_url, f"{CONTROL}/health", timeout=2)[0] == 200

    def kill(self) -> None:
        """kill -9 the master and every worker, as a crash or the OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def start_sandbox(scenario: Path, db: Path, workers: int, log: Path) -> Sandbox:
    """Start the server and return at once (recovery time includes the start)."""
    port = common.free_port()
    cmd = [
        *(sys.executable, "-m", "simulator.cli", "serve", "--scenario", str(scenario), "--db", str(db)),
        *("--host", common.HOST, "--port", str(port), "--workers", str(workers), "--threads", str(common.THREADS)),
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=_env(), cwd=common.ROOT, start_new_session=True
        )
    return Sandbox(f"http://{common.HOST}:{port}", process, log)


@dataclass(slots=True)
class Recovery:
    workers: int
    pending: int  # pending at the kill
    in_flight: int  # deliveries the receiver held when the server was killed
    queue_seconds: float
    up_after: float  # restart -> health answers
    first_after: float  # restart -> first delivery
    bulk_after: float  # restart -> every notification not in flight at the kill delivered
    all_after: float  # restart -> nothing pending
    lease_left: float  # at the restart, seconds until the killed workers' leases ran out
    lost: int  # never reached the receiver
    undelivered: int  # not marked delivered in the outbox at the end
    duplicates: int  # arrivals beyond one per notification


def recovery(tmp: Path, body: common.Body, receiver: Receiver, args: argparse.Namespace) -> Recovery:
    """Queue ``--pending``, start a server while the receiver holds what arrives, kill -9 it with the first
    deliveries in flight, restart it on the same database and time until nothing is pending."""
    workers, path = args.recovery_workers, "/recovery"
    scenario = write_notify_scenario(tmp / "recovery.yaml", body, receiver.url(path))
    db = tmp / "recovery.db"
    store, _, _ = common.load_store(scenario, db)
    store.close()
    queue_seconds = queue_backlog(db, args.pending, receiver.url(path))
    log = tmp / "recovery.log"
    first = receiver.count()
    receiver.hold(True)
    try:
        crashed = start_sandbox(scenario, db, workers, log)
        try:
            _wait_until(crashed.healthy, crashed.process, log)
            deadline = time.monotonic() + 30
            want = workers * CONCURRENCY
            first_held = None
            while time.monotonic() < deadline:
                held = receiver.count() - first
                if held and first_held is None:
                    first_held = time.monotonic()
                # every dispatcher's claims in flight, well within the panel's 5 s timeout
                if held >= want or (first_held is not None and time.monotonic() - first_held > 2):
                    break
                time.sleep(0.02)
            at_kill = pending(crashed.base_url)
        finally:
            crashed.kill()
    finally:
        receiver.hold(False)
    killed = time.time()
    held_records = receiver.records(first)
    restarted = time.time()
    second = start_sandbox(scenario, db, workers, log)
    try:
        _wait_until(second.healthy, second.process, log)
        up = time.time()
        done = wait_drained(second.base_url, timeout=args.recovery_timeout)
    finally:
        second.stop()
    time.sleep(0.2)
    arrivals = [r for r in receiver.records(first) if r[1].startswith(path)]
    seq = {r: int(r[1].rsplit("=", 1)[1]) for r in arrivals}
    in_flight = {seq[r] for r in arrivals if r[0] < killed}
    firsts: dict[int, float] = {}
    for t, p, b in sorted(r for r in arrivals if r[0] >= restarted):
        firsts.setdefault(seq[(t, p, b)], t)
    bulk = [t for n, t in firsts.items() if n not in in_flight]
    store = open_store(db)
    try:
        undelivered = int(store.db.read("SELECT COUNT(*) FROM outbox WHERE status != 'delivered'")[0][0])
    finally:
        store.close()
    claimed = min((t for t, _, _ in held_records), default=killed)
    return Recovery(
        workers=workers,
        pending=at_kill,
        in_flight=len(in_flight),
        queue_seconds=queue_seconds,
        up_after=up - restarted,
        first_after=min(firsts.values(), default=math.nan) - restarted,
        bulk_after=max(bulk, default=math.nan) - restarted,
        all_after=done - restarted,
        lease_left=claimed + LEASE_SECONDS - restarted,
        lost=args.pending - len(set(seq.values())),
        undelivered=undelivered,
        duplicates=len(arrivals) - len(set(seq.values())),
    )


# --- the run -----------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Run:
    runs: list[WorkerRun] = field(default_factory=list)
    recovery: Recovery | None = None


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__, duration=8)
    p.add_argument("--workers", default="1,4", help="server worker counts to measure, comma-separated")
    p.add_argument("--rate", type=float, default=TARGET_RATE, help="notifications per second the stream queues")
    p.add_argument("--event-rate", type=float, default=20, help="quota-status events per second via the control API")
    p.add_argument("--clients", type=int, default=4, help="keep-alive connections firing the events")
    p.add_argument("--backlog", type=int, default=10_000, help="notifications queued at once for the drain")
    p.add_argument("--pending", type=int, default=10_000, help="notifications pending at the kill -9 (0: skip)")
    p.add_argument("--recovery-workers", type=int, default=common.WORKERS, help="workers of the killed server")
    p.add_argument("--recovery-timeout", type=float, default=120, help="seconds to wait for the recovery")
    args = p.parse_args(argv)
    body = common.load_body(args.body, args.seed)
    machine = common.machine_idle()
    result = Run()
    with common.workspace() as tmp, receiver_process(tmp) as receiver:
        for workers in sorted({int(w) for w in args.workers.split(",")}):
            result.runs.append(run_workers(tmp, body, receiver, workers, args))
        if args.pending > 0:
            result.recovery = recovery(tmp, body, receiver, args)
    _report(body, result, args, machine)
    return 0


def _pct(values: Sequence[float], q: float) -> float:
    return common.Load(len(values), 1, common.quantiles(values)).percentile(q) if values else math.nan


def _workers(n: int) -> str:
    return f"{n} worker{'s' * (n > 1)}"


def _report(body: common.Body, r: Run, args: argparse.Namespace, machine: str) -> None:
    common.heading(f"Notification delivery: {body.describe()}")
    common.facts(
        [
            ("receiver", "http.server (threaded, keep-alive) in its own process: 200 at once, arrivals recorded"),
            (
                "server",
                f"toluna-sandbox serve, N workers x {common.THREADS} threads (granian), a dispatcher per worker "
                f"({CONCURRENCY} concurrent deliveries, requests.Session)",
            ),
            (
                "baselines",
                f"loops POSTing a quota document straight to the receiver, {CONCURRENCY} threads in each of N "
                f"processes, {args.duration:g} s each, just before each server: requests.Session (the dispatcher's "
                "client) and http.client (nearer the receiver's own ceiling)",
            ),
            (
                "drain",
                f"{args.backlog:,} notifications queued in one transaction; rate over the middle 90% of arrivals",
            ),
            (
                "stream",
                f"{args.rate:,.0f} notifications/s queued for {args.duration:g} s, a transaction every "
                f"{TICK * 1000:g} ms from another process; latency: queued -> received",
            ),
            (
                "events",
                f"{args.event_rate:,.0f} quota-status events/s via the control API for {args.duration:g} s, "
                f"{args.clients} keep-alive clients; latency: event sent -> notification received",
            ),
            ("machine", machine),
        ]
    )
    print("  sustained delivery from a backlog, beside plain clients posting to the same receiver:")
    rows = []
    for w in r.runs:
        d = w.drain
        rows.append(
            [
                _workers(w.workers),
                f"{w.ceiling.rate:,.0f}",
                f"{w.baseline.rate:,.0f}",
                f"{w.baseline.p50_ms:.2f}",
                f"{d.rate:,.0f}",
                f"{d.rate / w.baseline.rate:.2f}x",
                f"{d.rate / w.ceiling.rate:.2f}x",
                f"{d.all_after:.1f} s",
                f"{d.queue_seconds:.1f} s",
                f"{d.sandbox_cores:.2f}",
                f"{d.receiver_cores:.2f}",
                f"{d.lost:,}",
                f"{d.duplicates:,}",
            ]
        )
    header = [
        *("", "http.client/s", "requests/s", "requests p50 ms", "drain/s", "vs requests", "vs http.client"),
        *("all in", "queued in", "sandbox cores", "receiver cores", "lost", "dup"),
    ]
    common.table(header, rows)
    print("  (all in: from the commit to nothing pending; queued in: the transaction that queued the backlog)")
    print("  latency at a steady rate:")
    rows = []
    for w in r.runs:
        for name, x in (("stream", w.stream), ("events", w.events)):
            rows.append(
                [
                    f"{_workers(w.workers)}, {name}",
                    f"{x.offered:,.0f}",
                    f"{x.delivered:,.0f}",
                    f"{_pct(x.latencies_ms, 50):.1f}",
                    f"{_pct(x.latencies_ms, 99):.1f}",
                    f"{_pct(x.outbox_ms, 50):.1f}",
                    f"{_pct(x.outbox_ms, 99):.1f}",
                    f"{_pct(x.round_trip_ms, 50):.1f}" if x.round_trip_ms else "-",
                    f"{x.lost:,}",
                    f"{x.duplicates:,}",
                    f"{x.retried:,}",
                ]
            )
    header = [
        *("", "offered/s", "delivered/s", "p50 ms", "p99 ms", "outbox p50", "outbox p99", "event p50"),
        *("lost", "dup", "retried"),
    ]
    common.table(header, rows)
    print("  (outbox: created_at -> delivered_at as the sandbox records it; event: the control API's round trip)")
    for w in r.runs:
        d, name = w.drain, _workers(w.workers)
        common.verdict(
            f"notify ({name}): {d.rate:,.0f} notifications/s sustained from a {d.backlog:,} backlog, "
            f"{d.rate / w.baseline.rate:.2f}x a plain requests client's {w.baseline.rate:,.0f}/s "
            f"(target >= {TARGET_RATE:,}/s)",
            d.rate >= TARGET_RATE,
        )
        stream, events = _pct(w.stream.latencies_ms, 50), _pct(w.events.latencies_ms, 50)
        common.verdict(
            f"notify ({name}): to delivery p50 {stream:.1f} ms, p99 {_pct(w.stream.latencies_ms, 99):.1f} ms "
            f"queued at {w.stream.offered:,.0f}/s; p50 {events:.1f} ms, p99 {_pct(w.events.latencies_ms, 99):.1f} ms "
            f"from events at {w.events.offered:,.0f}/s (target p50 < {TARGET_P50_MS:.0f} ms)",
            max(stream, events) < TARGET_P50_MS,
        )
    rec = r.recovery
    if rec is None:
        return
    print(f"  recovery after kill -9 ({_workers(rec.workers)}, {rec.pending:,} pending at the kill):")
    common.facts(
        [
            ("queued", f"{args.pending:,} notifications in one transaction in {rec.queue_seconds:.1f} s"),
            ("in flight", f"{rec.in_flight} deliveries held by the receiver at the kill (leases: {LEASE_SECONDS:g} s)"),
            ("restart -> healthy", f"{rec.up_after:.1f} s"),
            ("restart -> first delivery", f"{rec.first_after:.1f} s"),
            ("restart -> all but in flight", f"{rec.bulk_after:.1f} s"),
            (
                "restart -> none pending",
                f"{rec.all_after:.1f} s (the killed workers' leases, taken over at the restart, had "
                f"{rec.lease_left:.1f} s to run)",
            ),
            ("lost", f"{rec.lost:,} never received, {rec.undelivered:,} not delivered in the outbox"),
            ("duplicates", f"{rec.duplicates:,} received twice (in flight at the kill, delivered again)"),
        ]
    )
    common.verdict(
        f"notify recovery: {rec.pending:,} pending at kill -9, all delivered {rec.all_after:.1f} s after the restart "
        f"(all but the {rec.in_flight} in flight in {rec.bulk_after:.1f} s), lost {rec.lost}, duplicates "
        f"{rec.duplicates} (target: none lost)",
        rec.lost == 0 and rec.undelivered == 0 and not math.isnan(rec.all_after),
    )


if __name__ == "__main__":
    sys.exit(main())
