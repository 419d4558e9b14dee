"""What the HTTP benchmarks share: the inventory they run on, real servers on loopback, a load generator, and
the figures they print.

Timings only mean something beside a baseline taken in the same run on the same machine, so every benchmark
measures its own baseline; nothing here asserts a timing. Everything a run writes (scenarios, databases, load
scripts, server logs) goes under one temporary directory that is removed at the end, never into the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.scenario.generate import generate_inventory
from simulator.scenario.importer import read_body, scenario_from_body, write_scenario
from simulator.scenario.loader import load_file
from simulator.scenario.model import Scenario
from simulator.store import Store, open_store
from simulator.store.sqlite.db import remove_database_files

ROOT = Path(__file__).resolve().parents[1]

HOST = "127.0.0.1"  # benchmarks never leave loopback
PANEL_GUID = "b3c4d5e6-f7a8-4b9c-8d0e-1f2a3b4c5d6e"
API_KEY = "bench-0000-api-key"
ES = "/IPExternalSamplingService/ExternalSample"
#: The real inventory's size, which the generated one reproduces.
SURVEYS, QUOTAS = 68, 142
#: ``toluna-sandbox serve`` defaults, which the benchmarks measure.
WORKERS, THREADS = 2, 4
#: Each benchmark's verdict line, so ``python -m bench`` can repeat them at the end.
VERDICTS: list[str] = []


# --- the inventory -----------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Body:
    """The GetQuotas body a benchmark runs on and where it came from (for the printed header)."""

    doc: dict[str, Any]
    source: str

    @property
    def surveys(self) -> int:
        return len(self.doc["Surveys"])

    @property
    def quotas(self) -> int:
        return sum(len(s["Quotas"]) for s in self.doc["Surveys"])

    def describe(self) -> str:
        return f"{self.surveys} surveys, {self.quotas} quotas ({self.source})"


def load_body(path: str | None, seed: int) -> Body:
    """A captured body when given (so figures can be compared with production's shape), else a generated body
    of the real one's size, so the benchmark runs anywhere without shipping captured data."""
    if path:
        return Body(read_body(path), f"file {path}")
    return Body(generate_inventory(SURVEYS, QUOTAS, seed), f"generated, seed {seed}")


def parser(doc: str | None, duration: float) -> argparse.ArgumentParser:
    """The options every HTTP benchmark takes; modules add their own."""
    p = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    p.add_argument("--body", help="a captured GetQuotas body (JSON); default: a generated 68-survey body")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated body and population")
    p.add_argument("--duration", type=float, default=duration, help="seconds of load per measurement")
    p.add_argument("--connections", type=int, default=WORKERS * THREADS, help="concurrent keep-alive connections")
    return p


def write_scenario_file(path: Path, body: Body, members: int = 0, seed: int = 0, **extra: Any) -> Path:
    """A scenario serving ``body`` to the benchmark panel, with ``members`` generated members and any extra
    top-level sections (``recontact``)."""
    doc = scenario_from_body(
        body.doc, panel_guid=PANEL_GUID, api_key=API_KEY, members=members, seed=seed, name="bench", source=body.source
    )
    doc.update(extra)
    write_scenario(doc, path)
    return path


def load_store(scenario_path: Path, db_path: Path) -> tuple[Store, Scenario, float]:
    """Load a scenario into a fresh database the way ``serve`` does; the server then resumes it as is."""
    start = time.perf_counter()
    scenario = load_file(scenario_path)
    store = open_store(db_path)
    store.load(scenario)
    return store, scenario, time.perf_counter() - start


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """The run's temporary directory: every file a benchmark writes lives and dies here."""
    with tempfile.TemporaryDirectory(prefix="toluna-bench-") as tmp:
        yield Path(tmp)


def remove_database(db_path: Path) -> None:
    """Drop a database with its side files as soon as it is measured (a 10M-code list is hundreds of MB)."""
    remove_database_files(db_path)


def file_size(path: Path) -> int:
    return sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())


# --- servers -----------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def http_get(base_url: str, path: str, timeout: float = 30) -> tuple[int, bytes]:
    """One GET with the panel's key (http.client: no dependency, and the same client the fallback uses)."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", path, headers={"API_AUTH_KEY": API_KEY})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@dataclass
class Server:
    """A server process on loopback; ``stop`` ends it (and only it: the server's main process takes its workers)."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _launch(args: Callable[[int], list[str]], log: Path, ready_path: str, timeout: float = 120) -> Server:
    """Start ``python *args(port)`` with the project importable and wait until ``ready_path`` answers 200."""
    port = free_port()
    cmd = [sys.executable, *args(port)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    server = Server(f"http://{HOST}:{port}", process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            if http_get(server.base_url, ready_path, timeout=2)[0] == 200:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not start in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def sandbox_server(
    scenario: Path, db: Path | str, workers: int = WORKERS, threads: int = THREADS, extra: Sequence[str] = ()
) -> Iterator[Server]:
    """``toluna-sandbox serve`` itself (granian, WSGI workers), as a partner would run it (``extra``: more options).
    ``db``: a SQLite file, or a PostgreSQL URL (its log is then named after the database, beside the scenario)."""

    def args(port: int) -> list[str]:
        return [
            *("-m", "simulator.cli", "serve", "--scenario", str(scenario), "--db", str(db), "--host", HOST),
            *("--port", str(port), "--workers", str(workers), "--threads", str(threads)),
            *extra,
        ]

    log = db.with_suffix(".log") if isinstance(db, Path) else scenario.with_name(db.rsplit("/", 1)[-1] + ".log")
    server = _launch(args, log, "/_sandbox/health")
    try:
        _wait_for_workers(server, db, workers)
        yield server
    finally:
        server.stop()


def _wait_for_workers(server: Server, db: Path | str, workers: int, timeout: float = 60) -> None:
    """Health answers as soon as one worker is up; wait until every worker has opened the database. Load sent
    earlier lands on the first worker alone, and wrk's keep-alive connections stay there for the whole run."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: nothing to look at, the first seconds may be skewed
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(_has_opened(pid, db) for pid in _children(server.process.pid)) >= workers:
            return
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def _has_opened(pid: int, db: Path | str) -> bool:
    return _has_open(pid, db) if isinstance(db, Path) else _has_connection(pid, db)


def _has_open(pid: int, path: Path) -> bool:
    with contextlib.suppress(OSError):
        return any(os.readlink(fd) == str(path.resolve()) for fd in Path(f"/proc/{pid}/fd").iterdir())
    return False


def _has_connection(pid: int, url: str) -> bool:
    """Whether process ``pid`` holds a connection to the PostgreSQL database at ``url`` (the store's connections
    name their process in ``application_name``)."""
    import psycopg

    from simulator.store.postgres.db import process_tag

    query = "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s"
    with contextlib.suppress(psycopg.Error), psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        return conn.execute(query, (process_tag(pid),)).fetchone() is not None
    return False


@contextlib.contextmanager
def static_server(body_file: Path, workers: int = WORKERS, threads: int = THREADS) -> Iterator[Server]:
    """The baseline: the sandbox's server configuration serving a WSGI app that only returns fixed bytes."""

    def args(port: int) -> list[str]:
        call = f"serve_static({str(body_file)!r}, {port}, {workers}, {threads})"
        return ["-c", f"from bench.common import serve_static; {call}"]

    server = _launch(args, body_file.with_suffix(".log"), "/")
    try:
        yield server
    finally:
        server.stop()


#: The environment variable naming the file the baseline serves (read by each of its worker processes).
STATIC_BODY_VARIABLE = "TOLUNA_BENCH_STATIC_BODY"


def static_app() -> Callable[..., Any]:
    """The baseline's WSGI app, built in each worker: the file's bytes, read once, for every request."""
    body = Path(os.environ[STATIC_BODY_VARIABLE]).read_bytes()
    headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", headers)
        return [body]

    return app


def serve_static(body_file: str, port: int, workers: int, threads: int) -> None:
    """Run in the baseline's process: ``build_server`` is the very configuration ``serve`` uses."""
    from simulator.server import build_server

    os.environ[STATIC_BODY_VARIABLE] = body_file
    build_server("bench.common:static_app", HOST, port, workers, threads).serve()


NGINX_CONF = """{user}worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 100000;
    server {{
        listen {host}:{port};
        location / {{
            default_type "application/json; charset=utf-8";
            root {root};
            try_files /{name} =404;
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx_server(body_file: Path, workers: int = WORKERS) -> Iterator[Server | None]:
    """A peer baseline: nginx serving the same bytes from a file (None when nginx is not installed)."""
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx is None:
        yield None
        return
    conf_dir = body_file.parent / "nginx"
    conf_dir.mkdir(exist_ok=True)

    def args(port: int) -> list[str]:
        conf = conf_dir / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                # started as root, nginx's workers would run as nobody, who cannot read the run's private directory
                user="user root;\n" if os.geteuid() == 0 else "",
                workers=workers,
                tmp=conf_dir,
                host=HOST,
                port=port,
                root=body_file.parent,
                name=body_file.name,
            )
        )
        return ["-c", f"import os; os.execv({nginx!r}, [{nginx!r}, '-e', 'stderr', '-c', {str(conf)!r}])"]

    server = _launch(args, conf_dir / "nginx.log", "/")
    try:
        yield server
    finally:
        server.stop()


def warm_up(base_url: str, paths: Sequence[str], requests: int) -> None:
    """A few sequential requests so every worker has opened its database and built its caches."""
    for i in range(requests):
        http_get(base_url, paths[i % len(paths)])


def measure(
    server: Server,
    paths: Sequence[str],
    tmp: Path,
    args: argparse.Namespace,
    *,
    connections: int = 0,
    duration: float = 0,
) -> Load:
    """One load run on ``server``: the run's duration and connections unless given."""
    return run_load(
        server.base_url,
        paths,
        tmp,
        duration=duration or args.duration,
        connections=connections or args.connections,
    )


def alternate(
    targets: Sequence[tuple[Server, Sequence[str]]],
    tmp: Path,
    args: argparse.Namespace,
    connections: int = 0,
    observe: Callable[[int], contextlib.AbstractContextManager[object]] | None = None,
) -> list[list[Load]]:
    """Measure servers in one-second slots, sweeping first to last and back until each has had
    ``args.duration`` slots; every server's runs, in order. Two things drift during a run on a shared 2-core
    machine: its speed (others' work), and how wrk's keep-alive connections happen to split between the
    workers (they stay on the worker that accepted them). Short slots with fresh connections, interleaved,
    spread both over every server alike. Each slot resumes the paths where the previous one stopped.
    ``observe(i)``, when given, is entered around each slot of the i-th server (to meter what the slot used)."""
    for server, paths in targets:
        warm_up(server.base_url, paths, 4 * WORKERS)  # every worker opens its database and fills its caches
    sweep = [*range(len(targets)), *reversed(range(len(targets)))]
    slots = max(1, round(args.duration))
    runs: list[list[Load]] = [[] for _ in targets]
    for i in (sweep * slots)[: slots * len(targets)]:
        server, paths = targets[i]
        start = sum(x.requests for x in runs[i]) % len(paths)
        turned = [*paths[start:], *paths[:start]]
        with observe(i) if observe else contextlib.nullcontext():
            runs[i].append(measure(server, turned, tmp, args, connections=connections, duration=1))
    return runs


# --- load --------------------------------------------------------------------------------------------------------
#: Each run keeps its latency distribution as this many quantiles (0.1% steps): enough for an exact-enough p99,
#: and runs of one server measured at different moments merge into one distribution.
QUANTILES = 1000


@dataclass(slots=True)
class Load:
    """What one load run (or several merged) measured."""

    requests: int
    seconds: float
    quantiles_ms: list[float]  # latency at 0.1%, 0.2%, ... 100% of the requests
    statuses: Counter[str] = field(default_factory=Counter)
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return self.percentile(50)

    @property
    def p99_ms(self) -> float:
        return self.percentile(99)

    def percentile(self, q: float) -> float:
        return _weighted_percentile([(v, 1.0) for v in self.quantiles_ms], q)

    @staticmethod
    def merge(loads: Sequence[Load]) -> Load:
        """Runs on one server as one: all requests over all the time measured, their latencies pooled (each
        run's quantiles weighted by its request count)."""
        points = [(v, x.requests / len(x.quantiles_ms)) for x in loads for v in x.quantiles_ms]
        return Load(
            requests=sum(x.requests for x in loads),
            seconds=sum(x.seconds for x in loads),
            quantiles_ms=_weighted_quantiles(points),
            statuses=sum((x.statuses for x in loads), Counter()),
            errors=sum(x.errors for x in loads),
        )

    def status_mix(self) -> str:
        """``200: 9,812  400/11: 12``: HTTP status, and Toluna's ResultCode where an error body names one."""
        mix = "  ".join(f"{k}: {n:,}" for k, n in sorted(self.statuses.items(), key=lambda kv: -kv[1]))
        return mix + (f"  socket errors: {self.errors:,}" if self.errors else "")


def _weighted_quantiles(points: Sequence[tuple[float, float]]) -> list[float]:
    """``_weighted_percentile`` at every one of the ``QUANTILES`` steps, with one sort and one walk."""
    ordered = sorted(points)
    total = sum(w for _, w in ordered)
    if not ordered or total <= 0:
        return [math.nan] * QUANTILES
    found, seen, j = [], ordered[0][1], 0
    for i in range(1, QUANTILES + 1):
        target = total * i / QUANTILES - 1e-9 * total
        while seen < target and j < len(ordered) - 1:
            j += 1
            seen += ordered[j][1]
        found.append(ordered[j][0])
    return found


def _weighted_percentile(points: Sequence[tuple[float, float]], q: float) -> float:
    """The smallest value with at least ``q``% of the weight at or below it (nearest rank)."""
    ordered = sorted(points)
    total = sum(w for _, w in ordered)
    if not ordered or total <= 0:
        return math.nan
    target, seen = total * q / 100, 0.0
    for value, weight in ordered:
        seen += weight
        if seen >= target - 1e-9 * total:
            return value
    return ordered[-1][0]


def quantiles(samples_ms: Sequence[float]) -> list[float]:
    """``QUANTILES`` nearest-rank quantiles of raw samples, as wrk's ``latency:percentile`` gives them."""
    ordered = sorted(samples_ms)
    if not ordered:
        return [math.nan]
    n = len(ordered)
    return [ordered[max(0, math.ceil(n * i / QUANTILES) - 1)] for i in range(1, QUANTILES + 1)]


def generator_name() -> str:
    """``wrk`` when it is on PATH (it measures without stealing much CPU from the server), else Python."""
    return "wrk" if shutil.which("wrk") else "python"


def run_load(
    base_url: str,
    paths: Sequence[str],
    tmp: Path,
    *,
    duration: float,
    connections: int,
    max_requests: int = 1_000_000,
) -> Load:
    """Keep-alive GETs on ``paths`` in turn (the first pass sends each path once) with the panel's key, for at
    most ``duration`` seconds and ``max_requests`` requests."""
    if generator_name() == "wrk":
        return _wrk(base_url, paths, tmp, duration, connections, max_requests)
    return _python_load(base_url, paths, duration, connections, max_requests)


_LUA = """-- Written by bench/common.py for one wrk run.
wrk.headers["API_AUTH_KEY"] = {key}
local paths_file = {paths_file}
local max_requests = {max_requests}
local threads = {{}}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses, received, paths = {{}}, 0, {{}}
  for line in io.lines(paths_file) do paths[#paths + 1] = line end
  cursor = math.floor(index * #paths / {threads})  -- threads start evenly apart: no path sent twice early
end
{request}
function response(status, headers, body)
  local key = tostring(status)
  if status ~= 200 then
    local code = string.match(body, '"ResultCode":%s*(%d+)')
    if code then key = key .. "/" .. code end
  end
  statuses[key] = (statuses[key] or 0) + 1
  received = received + 1
  if received >= max_requests then wrk.thread:stop() end
end

-- wrk's own latency histogram (microseconds), as quantiles; the statuses every thread counted.
function done(summary, latency, requests)
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  io.write("wrk-summary ", summary.requests, " ", summary.duration, " ", socket_errors, "\\n")
  for i = 1, {quantiles} do io.write("wrk-quantile ", latency:percentile(i * 100 / {quantiles}), "\\n") end
  local total = {{}}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("statuses")) do total[key] = (total[key] or 0) + n end
  end
  for key, n in pairs(total) do io.write("wrk-status ", key, " ", n, "\\n") end
end
"""
#: Only a script that defines ``request`` makes wrk build a request per call; one path keeps wrk's fast path.
_LUA_ROTATE = """
function request()
  cursor = cursor % #paths + 1
  return wrk.format(nil, paths[cursor])
end
"""
_WRK_THREADS = 1  # one client thread keeps the second core for the server


def _wrk(base_url: str, paths: Sequence[str], tmp: Path, duration: float, connections: int, cap: int) -> Load:
    paths_file = tmp / "wrk-paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    script = tmp / "wrk.lua"
    threads = min(_WRK_THREADS, connections)
    script.write_text(
        _LUA.format(
            key=json.dumps(API_KEY),  # a JSON string of ASCII text is a Lua string literal
            paths_file=json.dumps(str(paths_file)),
            max_requests=math.ceil(cap / threads),
            threads=threads,
            quantiles=QUANTILES,
            request=_LUA_ROTATE if len(paths) > 1 else "",
        )
    )
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "60s"]
    cmd += ["-s", str(script), base_url + paths[0]]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120, check=True).stdout
    load = parse_wrk(out)
    if load.requests >= cap:  # wrk still reports the full duration, so its rate is too low
        print(f"  warning: the {cap:,}-request cap stopped wrk early; req/s below is understated", flush=True)
    return load


def parse_wrk(out: str) -> Load:
    """Read what the Lua ``done`` hook wrote: requests, duration and socket errors, wrk's latency histogram as
    quantiles (finer than ``--latency``'s four lines, and poolable across runs), and the status counts."""
    summary = re.search(r"^wrk-summary (\d+) (\d+) (\d+)$", out, re.MULTILINE)
    points = [float(v) / 1000 for v in re.findall(r"^wrk-quantile ([\d.e+]+)$", out, re.MULTILINE)]
    if not summary or len(points) != QUANTILES:
        raise RuntimeError(f"cannot read wrk's report:\n{out}")
    return Load(
        requests=int(summary[1]),
        seconds=int(summary[2]) / 1e6,
        quantiles_ms=points,
        statuses=Counter({k: int(n) for k, n in re.findall(r"^wrk-status (\S+) (\d+)$", out, re.MULTILINE)}),
        errors=int(summary[3]),
    )


def _python_load(base_url: str, paths: Sequence[str], duration: float, connections: int, cap: int) -> Load:
    """The fallback generator: one thread per keep-alive connection. The GIL makes it a weaker client than
    wrk, so its figures are a floor; the output names the generator so nobody compares the two."""
    host, port = base_url.removeprefix("http://").split(":")
    deadline = time.perf_counter() + duration
    budget = iter(range(cap))  # next() on a shared range iterator is atomic under the GIL
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        mine, seen = [], Counter[str]()
        for n in budget:
            if time.perf_counter() >= deadline:
                break
            t0 = time.perf_counter()
            conn.request("GET", paths[n % len(paths)], headers={"API_AUTH_KEY": API_KEY})
            resp = conn.getresponse()
            body = resp.read()
            mine.append((time.perf_counter() - t0) * 1000)
            seen[_status_key(resp.status, body)] += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(seen)

    seconds = run_threads(client, connections)
    return Load(len(latencies), seconds, quantiles(latencies), statuses)


def run_threads(target: Callable[[], None], count: int) -> float:
    """Run ``target`` in ``count`` threads at once; the seconds until the last one ends."""
    start = time.perf_counter()
    workers = [threading.Thread(target=target) for _ in range(count)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return time.perf_counter() - start


def _status_key(status: int, body: bytes) -> str:
    found = re.search(rb'"ResultCode":\s*(\d+)', body) if status != 200 else None
    return f"{status}/{found[1].decode()}" if found else str(status)


def generator_label(connections: int, duration: float) -> str:
    """How the load was made, for the header of every block."""
    name = generator_name()
    if name == "wrk":
        plural = "s" * (connections > 1)
        return (
            f"wrk, {min(_WRK_THREADS, connections)} thread, {connections} keep-alive connection{plural}, {duration:g} s"
        )
    return f"python http.client fallback (wrk not on PATH), {connections} threads, {duration:g} s"


# --- output ------------------------------------------------------------------------------------------------------
def heading(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def machine_idle(wait: float = 15, window: float = 0.5) -> str:
    """How idle the machine is as a benchmark starts, after waiting up to ``wait`` seconds for it to quiet down.
    Others' work (a test run, a build) takes cores from the server and skews every figure, so each block says
    what it started from rather than pretending the machine was its own."""
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + wait
    while True:
        before = _cpu_times()
        time.sleep(window)
        after = _cpu_times()
        total = sum(after) - sum(before)
        idle = cores * ((after[3] + after[4]) - (before[3] + before[4])) / total if total else 0.0  # idle + iowait
        if idle >= cores - 0.5 or time.monotonic() >= deadline:
            return f"{idle:.1f} of {cores} cores idle as the run started"


def _cpu_times() -> list[int]:
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:]]


def facts(rows: Sequence[tuple[str, str]]) -> None:
    """``label  value`` lines with the values aligned."""
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def table(header: Sequence[str], rows: Sequence[Sequence[str]], left: Sequence[int] = (0,)) -> None:
    """Aligned columns: figures to the right so digits line up, the ``left`` columns (names, mixes) to the left."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        print("  " + "  ".join(cells).rstrip())
    sys.stdout.flush()


def slot_rates(loads: Sequence[Load]) -> str:
    """Each slot's req/s, in order: how much the machine's speed moved during the run."""
    return " ".join(f"{x.rate:,.0f}" for x in loads) + " req/s"


def load_row(name: str, load: Load) -> list[str]:
    """A row under ``LOAD_HEADER``."""
    return [
        name,
        f"{load.rate:,.0f}",
        f"{load.p50_ms:.2f}",
        f"{load.p99_ms:.2f}",
        f"{load.requests:,}",
        load.status_mix(),
    ]


LOAD_HEADER = ["", "req/s", "p50 ms", "p99 ms", "requests", "statuses"]
LOAD_LEFT = (0, 5)


def verdict(line: str, ok: bool) -> None:
    """The benchmark's last line; ``OK``/``MISSED`` informs, the exit status never depends on it."""
    text = f"{line} {'OK' if ok else 'MISSED'}"
    VERDICTS.append(text)
    print(text, flush=True)
