"""Scale-out: the same sandbox served by one process over SQLite, one over PostgreSQL, and two over PostgreSQL.

Several processes on one PostgreSQL database are one sandbox (the state's writes take one advisory lock, every
request reads the state version, the outbox is claimed with ``FOR UPDATE SKIP LOCKED``), so a second process can
add throughput, and hosts can share the database where they cannot share a SQLite file. Three servers run side by
side, each on a database of its own loaded from one scenario (the generated inventory and a generated population):

* SQLite, 1 process: ``toluna-sandbox serve --workers 1`` on a file;
* PostgreSQL, 1 process: ``serve --workers 1`` on a database of a private PostgreSQL cluster;
* PostgreSQL, 2 processes: ``serve --workers 2`` on another database of that cluster.

A process is a granian worker of one ``serve`` (same ``--threads`` in every row): one port and one load generator
with the same settings for every row. Two ``serve`` commands on two ports would need the load split between two
generators, and how it splits would become part of the figure. Fresh connections every second
(``common.alternate``) spread the load over both workers.

* GetQuotas and GenerateInvite: the servers are measured in turn in one-second slots; GenerateInvite sends
  (member, quota) pairs that pass the whole chain (``bench_invite``), so the first pass writes an invite per
  request on every server alike.
* Outbox: ``--backlog`` quota notifications queued at once into each server's database (``bench_notify``),
  delivered by its dispatchers (one per process) to a real receiver; the rate is taken over the middle 90% of
  the arrivals.

Beside each figure, the CPU used while that row was measured, in cores: the server's processes, the PostgreSQL
backends serving its database, and the whole machine (load generator, receiver and any other work included). When
the machine is busy on every core, a second process has no core to run on and the ratio says so.

The PostgreSQL cluster is the tests' own (``tests.postgres``): started once for the run, removed at its end. Where
PostgreSQL is not installed its rows say so and the SQLite row is still measured.

    python -m bench.bench_scale [--body getquotas.json] [--duration 4] [--members 2000] [--backlog 3000]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench import common
from bench.bench_getquotas import quotas_path
from bench.bench_invite import count_rows, invite_path, succeeding_pairs
from bench.bench_notify import (
    KEEP_ALL,
    Drain,
    Receiver,
    cpu_seconds,
    drain_result,
    process_tree,
    queue_backlog,
    receiver_process,
    wait_drained,
)
from simulator.scenario.importer import scenario_from_body, write_scenario
from simulator.scenario.loader import load_file
from simulator.store import open_store
from tests.postgres import PostgresCluster, base_dir, postgres_bindir, sweep, unavailable_reason

GOAL = 1.6  # PostgreSQL 2 processes / 1 process, on 2 cores
SHARED = "wrk, the receiver and PostgreSQL run on the same cores as the server"


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    postgres: bool
    workers: int


ROWS = (
    Row("SQLite, 1 process", False, 1),
    Row("PostgreSQL, 1 process", True, 1),
    Row("PostgreSQL, 2 processes", True, 2),
)


@dataclass(slots=True)
class Cores:
    """CPU used while a row was measured, in cores."""

    server: float = math.nan  # the server's main process and workers
    postgres: float = math.nan  # the backends serving the row's database
    machine: float = math.nan  # every process on the machine


@dataclass(slots=True)
class Measured:
    """One row's figures (None where the row could not run)."""

    quotas: common.Load | None = None
    invites: common.Load | None = None
    drain: Drain | None = None
    written: int = 0
    cores: dict[str, Cores] = field(default_factory=dict)


class Meter:
    """CPU seconds each row's processes use while that row is measured (Linux's /proc; NaN elsewhere)."""

    def __init__(self, servers: dict[int, common.Server], dbs: dict[int, Path | str], cluster: object) -> None:
        self.servers, self.dbs = servers, dbs
        self.postmaster = cluster.process.pid if isinstance(cluster, PostgresCluster) and cluster.process else 0
        self.used: dict[int, list[float]] = {}

    def _backends(self, i: int) -> list[int]:
        db = self.dbs[i]
        if isinstance(db, Path) or not self.postmaster:
            return []
        name = f" {db.rsplit('/', 1)[-1]} ".encode()  # a backend's title: postgres: USER DATABASE HOST(PORT) STATE
        return [pid for pid in process_tree(self.postmaster)[1:] if name in _cmdline(pid)]

    def _sample(self, i: int) -> tuple[dict[int, float], dict[int, float], float, float]:
        server = {pid: cpu_seconds([pid]) for pid in process_tree(self.servers[i].process.pid)}
        backends = {pid: cpu_seconds([pid]) for pid in self._backends(i)}
        return server, backends, _machine_seconds(), time.monotonic()

    @contextlib.contextmanager
    def __call__(self, i: int) -> Iterator[None]:
        before = self._sample(i)
        yield
        after = self._sample(i)
        used = self.used.setdefault(i, [0.0, 0.0, 0.0, 0.0])
        for k in (0, 1):  # a process that started during the window counts from zero
            used[k] += sum(cpu - before[k].get(pid, 0.0) for pid, cpu in after[k].items())
        used[2] += after[2] - before[2]
        used[3] += after[3] - before[3]

    def take(self) -> dict[int, Cores]:
        """Each row's cores since the last ``take``."""
        taken = {i: Cores(*(x / used[3] for x in used[:3])) for i, used in self.used.items() if used[3] > 0}
        self.used = {}
        return taken


def _cmdline(pid: int) -> bytes:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


def _machine_seconds() -> float:
    """CPU seconds the whole machine has been busy (not idle, not waiting on I/O) since boot."""
    with contextlib.suppress(OSError):
        times = common._cpu_times()
        return (sum(times) - times[3] - times[4]) / os.sysconf("SC_CLK_TCK")
    return math.nan


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster | str]:
    """The run's private PostgreSQL cluster, or why there is none (its rows then say so)."""
    bindir = postgres_bindir()
    reason = unavailable_reason(bindir)
    if bindir is None or reason is not None:
        yield "not installed" if bindir is None else f"cannot run: {reason}"
        return
    cluster = PostgresCluster(bindir).start()
    try:
        yield cluster
    finally:
        cluster.stop()
        sweep(base_dir())  # the cluster's template too, and whatever an interrupted run left


def write_scale_scenario(path: Path, body: common.Body, members: int, seed: int, quota_url: str) -> Path:
    """The benchmark panel with a generated population, and quota notifications (JSON) sent to ``quota_url``."""
    doc = scenario_from_body(
        body.doc, panel_guid=common.PANEL_GUID, api_key=common.API_KEY, members=members, seed=seed, name="bench"
    )
    doc["panels"][0]["settings"] = {"Quota Notifications Enabled": "True", "Quota Notification URL": quota_url}
    doc["panels"][0]["notification_format"] = "json"
    write_scenario(doc, path)
    return path


def prepare(
    tmp: Path, scenario_path: Path, cluster: PostgresCluster | str, args: argparse.Namespace
) -> tuple[dict[int, Path | str], list[str]]:
    """Each row's database loaded with the scenario (rows on an absent PostgreSQL left out), and the GenerateInvite
    paths that pass the whole chain, found on the first freshly loaded database."""
    scenario = load_file(scenario_path)
    dbs: dict[int, Path | str] = {}
    paths: list[str] = []
    for i, row in enumerate(ROWS):
        if not row.postgres:
            dbs[i] = tmp / f"scale-{i}.db"
        elif isinstance(cluster, PostgresCluster):
            dbs[i] = cluster.new_database()
        else:
            continue
        store = open_store(dbs[i])
        try:
            store.load(scenario)
            if not paths:
                paths = [invite_path(m, q) for m, q in succeeding_pairs(store, scenario, args.pairs, args.seed).pairs]
        finally:
            store.close()
    if not paths:
        raise RuntimeError("no (member, quota) pair passes the decision chain: nothing to measure")
    return dbs, paths


def drain(server: common.Server, db: Path | str, receiver: Receiver, backlog: int, metered: Meter, i: int) -> Drain:
    """Queue ``backlog`` notifications at once, then time (and meter) their delivery to the receiver."""
    path = f"/drain-{i}"
    before = receiver.count()
    queued_in = queue_backlog(db, backlog, receiver.url(path))
    committed = time.time()
    with metered(i):
        done = wait_drained(server.base_url, timeout=60 + backlog / 50)
    time.sleep(0.2)  # a duplicate would come right after its first delivery
    arrivals = [r for r in receiver.records(before) if r[1].startswith(path)]
    return drain_result(backlog, queued_in, done - committed, arrivals)


def run(tmp: Path, body: common.Body, args: argparse.Namespace, cluster: PostgresCluster | str) -> list[Measured]:
    results = [Measured() for _ in ROWS]
    with receiver_process(tmp) as receiver:
        scenario = write_scale_scenario(tmp / "scale.yaml", body, args.members, args.seed, receiver.url("/events"))
        dbs, paths = prepare(tmp, scenario, cluster, args)
        order = list(dbs)
        with contextlib.ExitStack() as stack:
            servers = {
                i: stack.enter_context(
                    common.sandbox_server(scenario, db, workers=ROWS[i].workers, threads=args.threads, extra=KEEP_ALL)
                )
                for i, db in dbs.items()
            }
            meter = Meter(servers, dbs, cluster)
            for kind, sent in (("quotas", [quotas_path()]), ("invites", paths)):
                targets = [(servers[i], sent) for i in order]
                runs = common.alternate(targets, tmp, args, observe=lambda k: meter(order[k]))
                cores = meter.take()
                for i, loads in zip(order, runs, strict=True):
                    setattr(results[i], kind, common.Load.merge(loads))
                    results[i].cores[kind] = cores[i]
            for i in order:
                results[i].drain = drain(servers[i], dbs[i], receiver, args.backlog, meter, i)
            for i, cores in meter.take().items():
                results[i].cores["outbox"] = cores
        for i, db in dbs.items():
            results[i].written = count_rows(db, "invites")
    return results


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__, duration=4)
    p.add_argument("--threads", type=int, default=common.THREADS, help="threads per server process (every row)")
    p.add_argument("--members", type=int, default=2_000, help="generated members in the scenario")
    p.add_argument("--pairs", type=int, default=6_000, help="(member, quota) pairs GenerateInvite sends in turn")
    p.add_argument("--backlog", type=int, default=3_000, help="notifications queued at once for each outbox row")
    args = p.parse_args(argv)
    body = common.load_body(args.body, args.seed)
    machine = common.machine_idle(wait=5)
    with common.workspace() as tmp, postgres_cluster() as cluster:
        results = run(tmp, body, args, cluster)
    _report(body, results, args, machine, None if isinstance(cluster, PostgresCluster) else cluster)
    return 0


def _rate(m: Measured, kind: str) -> float:
    if kind == "outbox":
        return m.drain.rate if m.drain else math.nan
    load = getattr(m, kind)
    return load.rate if load else math.nan


def _cores(m: Measured, kind: str) -> list[str]:
    c = m.cores.get(kind, Cores())
    return [
        f"{c.server:.2f}",
        "-" if math.isnan(c.postgres) or not c.postgres else f"{c.postgres:.2f}",
        f"{c.machine:.2f}",
    ]


CORES = ["server cores", "PG cores", "machine busy"]


def _report(
    body: common.Body, results: list[Measured], args: argparse.Namespace, machine: str, absent: str | None
) -> None:
    common.heading(f"Scale-out, 1 vs 2 processes, SQLite vs PostgreSQL: {body.describe()}")
    common.facts(
        [
            ("servers", f"toluna-sandbox serve --workers 1 or 2 --threads {args.threads} (granian), side by side"),
            ("process", "a granian worker of one serve: one port, one load generator, same settings for every row"),
            ("postgresql", f"PostgreSQL {absent}" if absent else "a private cluster, a database per row"),
            ("load", f"{common.generator_label(args.connections, args.duration)} per server, in 1 s slots"),
            ("invite", f"passing (member, quota) pairs of {args.members:,} generated members, in turn"),
            ("outbox", f"{args.backlog:,} notifications queued at once per row; rate over the middle 90% of arrivals"),
            ("cores", f"CPU used while the row was measured, of {os.cpu_count()} cores; machine: every process"),
            ("machine", machine),
        ]
    )
    for title, kind in (("GetQuotas", "quotas"), ("GenerateInvite", "invites")):
        print(f"  {title}:")
        rows = []
        for row, m in zip(ROWS, results, strict=True):
            load = getattr(m, kind)
            if load is None:
                rows.append([row.name, *["-"] * 7, absent or "-"])
                continue
            *figures, statuses = common.load_row(row.name, load)
            written = f"  invites written: {m.written:,}" if kind == "invites" else ""
            rows.append([*figures, *_cores(m, kind), statuses + written])
        common.table([*common.LOAD_HEADER[:-1], *CORES, "statuses"], rows, (0, 8))
    print("  Outbox, delivered to a real receiver:")
    rows = []
    for row, m in zip(ROWS, results, strict=True):
        d = m.drain
        if d is None:
            rows.append([row.name, *["-"] * 7, absent or "-"])
            continue
        rows.append([row.name, f"{d.rate:,.0f}", f"{d.all_after:.1f} s", f"{d.lost:,}", f"{d.duplicates:,}"])
        rows[-1] += [*_cores(m, "outbox"), ""]
    common.table(["", "delivered/s", "all in", "lost", "dup", *CORES, ""], rows, (0, 8))
    if absent:
        print(f"  PostgreSQL 2 processes / 1 process: not measured (PostgreSQL {absent})")
        return
    ratios = {kind: _rate(results[2], kind) / _rate(results[1], kind) for kind in ("quotas", "invites", "outbox")}
    print(
        f"  PostgreSQL 2 processes / 1 process: GetQuotas {ratios['quotas']:.2f}x, GenerateInvite "
        f"{ratios['invites']:.2f}x, outbox {ratios['outbox']:.2f}x (goal >= {GOAL}x on 2 cores; {SHARED})"
    )
    common.verdict(
        f"scale: PostgreSQL 2 processes / 1 process {ratios['quotas']:.2f}x GetQuotas, {ratios['invites']:.2f}x "
        f"GenerateInvite on {os.cpu_count()} cores (goal >= {GOAL}x on 2 cores; {SHARED})",
        min(ratios["quotas"], ratios["invites"]) >= GOAL,
    )


if __name__ == "__main__":
    sys.exit(main())
