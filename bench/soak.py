"""``python -m bench.soak --minutes 10``: a long run of a real ``toluna-sandbox serve`` under a partner's load,
which shows that the server's memory stays flat, that retention holds the tables that only grow to their limits,
and that nothing pending in the outbox is lost to a scenario load or a reset.

The load is paced to leave room on a shared machine. The reference partner's integration (``examples.
reference_partner``) runs its cycles (registrations, GetQuotas, recontact lists, invites) and its members click the
invites they get, through to an end page: visits, participations, and completes and terminates notified to a
receiver on a real port. A poller reads GetQuotas several times a second. The control API flips quotas (quota
notifications), adds fault rules, and every ``--reload-seconds`` loads the scenario again or resets it while the
receiver refuses notifications: each notification pending then must be delivered afterwards, under its id, with its
body. The scenario's timeline flips a quota and a survey in real time after every load.

Every ``--sample-seconds``: the resident memory (VmRSS) of the server's whole process tree (the ``serve`` process and
every descendant, whatever the server's workers are), the database size (file and WAL) and its row counts, printed as
a table. Verdict: memory is flat when the last third's median RSS is within 10% (or 4 MB) of the second third's, and
the database when its largest size in the last third is within 10% (or 1 MB) of the second third's; retention holds
when no sample, after the first pass, has more journal entries or finished notifications than the limit plus what
arrives (at the fastest rate measured) during two prune intervals; and no notification pending across a load or reset
was lost. Exit status 1 when a verdict fails.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.common import ES, file_size
from examples.reference_partner.integration import Integration, load_members
from examples.reference_partner.toluna import Toluna
from tests.receiver import Receiver, start_receiver
from tests.support import ROOT, Sandbox, click, start_sandbox

SCENARIO = ROOT / "fixtures" / "scenarios" / "conformance.yaml"
PARTNER_BASE = "http://127.0.0.1:8081"  # where the conformance scenario's end pages and notifications go
PANEL = "c0f0a1b2-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
KEY = "c0f0a1b2-0000-4000-8000-0000000000a1"
#: Quotas the control API and the timeline flip (never the ones the partner relies on most).
FLIPPED = (5200011, 5200091, 5200121, 5200271)
TIMELINE = """
timeline:
- {at: '+20s', quota: 5200091, change: {live: false}}
- {at: '+40s', quota: 5200091, change: {live: true}}
- {at: '+50s', survey: 5100011, change: {status: closed}}
- {at: '+70s', survey: 5100011, change: {status: open}}
"""
#: Rows counted in every sample; ``outbox_done``: delivered or given up.
COUNTS = {
    "journal": "SELECT COUNT(*) FROM journal",
    "outbox_done": "SELECT COUNT(*) FROM outbox WHERE status != 'pending'",
    "pending": "SELECT COUNT(*) FROM outbox WHERE status = 'pending'",
    "replies": "SELECT COUNT(*) FROM control_replies",
    "visits": "SELECT COUNT(*) FROM visits",
    "participations": "SELECT COUNT(*) FROM participations",
    "invites": "SELECT COUNT(*) FROM invites",
    "faults": "SELECT COUNT(*) FROM faults",
    "fired": "SELECT COUNT(*) FROM timeline WHERE fired_at IS NOT NULL",  # timeline entries, since the last load
}
#: The high-water marks of ids (pruning never lowers them): how many rows ever arrived.
ARRIVED = "SELECT name, seq FROM sqlite_sequence WHERE name IN ('journal', 'outbox')"


@dataclass(slots=True)
class Settings:
    seconds: float = 600.0
    sample_seconds: float = 10.0
    reload_seconds: float = 120.0
    workers: int = 2
    keep_journal: int = 2_000
    keep_outbox: int = 200
    prune_seconds: float = 5.0
    pace: float = 1.0  # multiplies every pause of the load: 2 halves it


@dataclass(slots=True)
class Sample:
    at: float  # seconds since the start
    rss_kb: int
    processes: int
    db_bytes: int
    rows: dict[str, int]
    arrived: dict[str, int]


@dataclass(slots=True)
class ReloadCheck:
    """A load or reset made while the receiver refused notifications, and what became of those pending then."""

    how: str
    carried: int = 0
    delivered: int = 0
    failed: int = 0
    lost: list[int] = field(default_factory=list)  # pending before, then gone, still pending, or another body


@dataclass
class Result:
    settings: Settings
    samples: list[Sample]
    reloads: list[ReloadCheck]
    load: Counter[str]

    def rate(self, name: str) -> float:
        """The fastest arrival rate of ``name`` rows between two samples (rows a second)."""
        pairs = zip(self.samples, self.samples[1:], strict=False)
        return max((max(b.arrived[name] - a.arrived[name], 0) / (b.at - a.at) for a, b in pairs), default=0.0)

    def bound(self, name: str, limit: int) -> int:
        """The most rows retention lets ``name`` hold: the limit and two prune intervals of arrivals."""
        return limit + int(self.rate(name) * self.settings.prune_seconds * 2) + 1

    def peak(self, column: str) -> int:
        """The most rows of ``column`` in a sample after the first prune pass could have run."""
        settled = [s for s in self.samples if s.at >= 2 * self.settings.prune_seconds]
        return max((s.rows[column] for s in settled), default=0)

    def thirds(self, measure: Callable[[list[Sample]], float]) -> tuple[float, float]:
        """``measure`` of the second and of the last third of the samples."""
        third = len(self.samples) // 3
        middle, last = self.samples[third : 2 * third], self.samples[2 * third :]
        return (measure(middle), measure(last)) if middle else (float("nan"), float("nan"))

    def verdicts(self) -> list[tuple[bool, str]]:
        s = self.settings
        enough = len(self.samples) >= 6
        middle, last = self.thirds(lambda part: statistics.median(x.rss_kb for x in part) / 1024)
        flat = enough and last - middle <= max(0.10 * middle, 4.0)
        out = [(flat, f"memory flat: median RSS {middle:.1f} MB (second third) -> {last:.1f} MB (last third)")]
        middle, last = self.thirds(lambda part: max(x.db_bytes for x in part) / 1e6)
        flat = enough and last - middle <= max(0.10 * middle, 1.0)
        out.append((flat, f"database size flat: largest {middle:.2f} MB (second third) -> {last:.2f} MB (last third)"))
        for column, name, limit in (("journal", "journal", s.keep_journal), ("outbox_done", "outbox", s.keep_outbox)):
            peak, bound, arrived = self.peak(column), self.bound(name, limit), self.samples[-1].arrived[name]
            out.append(
                (
                    peak <= bound and arrived > limit,
                    f"{column} bounded: peak {peak:,} rows <= {bound:,} (limit {limit:,}); {arrived:,} arrived",
                )
            )
        lost = [i for r in self.reloads for i in r.lost]
        carried = sum(r.carried for r in self.reloads)
        out.append(
            (
                bool(self.reloads) and not lost and carried > 0,
                f"nothing lost: {carried} notification(s) pending across {len(self.reloads)} load(s)/reset(s), "
                f"{sum(r.delivered for r in self.reloads)} delivered after, "
                f"{sum(r.failed for r in self.reloads)} given up, lost {lost}",
            )
        )
        return out


# --- what is measured ----------------------------------------------------------------------------------------
def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (children of every thread, as Linux lists them in /proc)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0  # gone between listing and reading


def sample(started: float, server_pid: int, db: Path) -> Sample:
    pids = process_tree(server_pid)
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        rows = {name: int(conn.execute(sql).fetchone()[0]) for name, sql in COUNTS.items()}
        arrived = {"journal": 0, "outbox": 0} | {name: int(seq) for name, seq in conn.execute(ARRIVED)}
    return Sample(time.monotonic() - started, sum(rss_kb(p) for p in pids), len(pids), file_size(db), rows, arrived)


# --- the load ------------------------------------------------------------------------------------------------
class Load:
    """The partner, the poller, the operator and the reloads, each in a thread until ``stop``."""

    def __init__(self, sandbox: Sandbox, receiver: Receiver, scenario_text: str, settings: Settings) -> None:
        self.sandbox, self.receiver, self.scenario_text, self.settings = sandbox, receiver, scenario_text, settings
        self.stop = threading.Event()
        self.counts: Counter[str] = Counter()
        self.reloads: list[ReloadCheck] = []
        self.lock = threading.Lock()
        self.random = random.Random(7)

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n

    def pause(self, seconds: float) -> bool:
        """Wait; False once the run is over."""
        return not self.stop.wait(seconds * self.settings.pace)

    def run(self) -> list[threading.Thread]:
        jobs: list[Callable[[], None]] = [self.partner, self.poller, self.operator, self.reloader]
        threads = [threading.Thread(target=self._guard, args=(job,), name=job.__name__, daemon=True) for job in jobs]
        for t in threads:
            t.start()
        return threads

    def _guard(self, job: Callable[[], None]) -> None:
        """Run ``job`` until the end; an error (a dropped connection, a fault rule's 503) is counted, not fatal."""
        while not self.stop.is_set():
            try:
                job()
            except (requests.RequestException, OSError, ValueError, KeyError) as exc:
                self.count(f"error {type(exc).__name__}")
                self.pause(0.5)

    def partner(self) -> None:
        """A fresh integration (after a reload the sandbox knows none of its members) runs cycles; members click
        what they were invited to."""
        toluna = Toluna(self.sandbox.base_url, self.sandbox.base_url, PANEL, KEY)
        integration = Integration(toluna, load_members(), poll_seconds=5)
        clicked: set[str] = set()
        for _ in range(20):
            integration.cycle()
            self.count("partner cycles")
            for url in [u for u in integration.invited.values() if u not in clicked][:4]:
                clicked.add(url)
                outcome = self.random.choice(("qualified", "terminate", "quota_full", "qualified"))
                click(url, outcome=outcome)
                self.count("clicks")
            if not self.pause(0.5):
                return

    def poller(self) -> None:
        with requests.Session() as http:
            while self.pause(0.1):
                http.get(f"{self.sandbox.base_url}{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY}, timeout=30)
                self.count("polls")

    def operator(self) -> None:
        """Quota flips (each a notification), every call safe to repeat; a fault rule now and then; the receiver
        failing a few notifications (retries)."""
        for n in itertools.count():
            quota = FLIPPED[n % len(FLIPPED)]
            self.event("quota-status", {"quota": quota, "live": n % 2 == 1}, key=str(uuid.uuid4()))
            if n % 40 == 0:
                rule = {"route": "quotas", "http_status": 503, "times": 2}
                self.sandbox.control("POST", "faults", json=rule).raise_for_status()
                self.count("fault rules")
            if n % 60 == 30:
                self.receiver.misbehave("/toluna/notify/quota", times=3, status=500)
            if not self.pause(0.5):
                return

    def event(self, kind: str, body: dict[str, Any], key: str | None = None) -> list[int]:
        headers = {"Idempotency-Key": key} if key else {}
        resp = self.sandbox.control("POST", f"events/{kind}", json=body, headers=headers)
        resp.raise_for_status()
        self.count("events")
        return [int(i) for i in resp.json()["Notifications"]]

    def reloader(self) -> None:
        """Alternately load the scenario and reset it while the receiver refuses quota notifications."""
        for n in itertools.count():
            if not self.pause(self.settings.reload_seconds):
                return
            self.reload("load" if n % 2 == 0 else "reset")

    def reload(self, how: str) -> None:
        check = ReloadCheck(how)
        self.receiver.misbehave("/toluna/notify/quota", times=1_000_000, status=503)
        try:
            held = [i for q in FLIPPED[:3] for i in self.event("quota-status", {"quota": q, "live": False})]
            bodies = {i: self.sandbox.control("GET", f"outbox/{i}").json()["Body"] for i in held}
            if how == "load":
                self.sandbox.control("POST", "scenario", data=self.scenario_text.encode()).raise_for_status()
            else:
                self.sandbox.control("POST", "reset").raise_for_status()
            pending = {n["ID"] for n in self.outbox(ids=held) if n["Status"] == "pending"}
        finally:
            with self.receiver.lock:
                self.receiver.rules.clear()
                back = time.time()
        check.carried = len(pending)
        params = {"ids": ",".join(map(str, held)), "timeout": 90}
        after = {n["ID"]: n for n in self.sandbox.control("POST", "outbox/wait", params=params).json()["Notifications"]}
        received = {r.body for r in self.receiver.received("/toluna/notify/quota") if r.at >= back}
        for i in held:
            found = after.get(i)
            if found is not None and found["Body"] != bodies[i]:
                check.lost.append(i)  # another notification under its id
            elif (found is None or found["Status"] == "delivered") and bodies[i] in received:
                check.delivered += 1  # delivered (and perhaps pruned since: the receiver has it)
            elif found is not None and found["Status"] == "failed":
                check.failed += 1
            else:
                check.lost.append(i)
        with self.lock:
            self.reloads.append(check)

    def outbox(self, **params: Any) -> list[dict[str, Any]]:
        if "ids" in params:
            params["ids"] = ",".join(map(str, params["ids"]))
        return self.sandbox.control("GET", "outbox", params={"limit": 10_000, **params}).json()["Notifications"]


# --- a run ---------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def soak_server(tmp: Path, settings: Settings) -> Iterator[tuple[Sandbox, Receiver, str]]:
    """A receiver, the soak scenario pointed at it, and ``toluna-sandbox serve`` with the run's retention."""
    receiver = start_receiver()
    text = SCENARIO.read_text(encoding="utf-8").replace(PARTNER_BASE, receiver.base) + TIMELINE
    scenario = tmp / "soak.yaml"
    scenario.write_text(text, encoding="utf-8")
    flags = (
        *("--keep-journal", str(settings.keep_journal), "--keep-outbox", str(settings.keep_outbox)),
        *("--prune-seconds", str(settings.prune_seconds)),
    )
    try:
        sandbox = start_sandbox(tmp, scenario, *flags, workers=settings.workers)
        try:
            yield sandbox, receiver, text
        finally:
            sandbox.stop()
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def run(
    settings: Settings,
    tmp: Path,
    report: Callable[[Sample], None] = lambda _: None,
    enough: Callable[[Sample], bool] = lambda _: True,
    longest: float = 0.0,
) -> Result:
    """The load for ``settings.seconds``, and on until a sample is ``enough`` (at most ``longest`` seconds in all):
    a slow machine gets the same amount of traffic, later."""
    with soak_server(tmp, settings) as (sandbox, receiver, text):
        load = Load(sandbox, receiver, text, settings)
        started = time.monotonic()
        samples = [sample(started, sandbox.process.pid, tmp / "s.db")]
        report(samples[0])
        threads = load.run()
        while True:
            elapsed = time.monotonic() - started
            if elapsed >= settings.seconds and (elapsed >= longest or enough(samples[-1])):
                break
            remaining = settings.seconds - elapsed  # then, past it, one more sample at a time
            time.sleep(min(settings.sample_seconds, remaining) if remaining > 0 else settings.sample_seconds)
            samples.append(sample(started, sandbox.process.pid, tmp / "s.db"))
            report(samples[-1])
        load.stop.set()
        for t in threads:
            t.join(timeout=30)
        return Result(settings, samples, load.reloads, load.counts)


HEADER = ("s", "RSS MB", "procs", "DB MB", *COUNTS, "journal in", "outbox in")


def row(s: Sample) -> str:
    cells = (
        f"{s.at:.0f}",
        f"{s.rss_kb / 1024:.1f}",
        str(s.processes),
        f"{s.db_bytes / 1e6:.2f}",
        *(f"{s.rows[c]:,}" for c in COUNTS),
        f"{s.arrived['journal']:,}",
        f"{s.arrived['outbox']:,}",
    )
    return "  ".join(c.rjust(max(len(h), 7)) for c, h in zip(cells, HEADER, strict=True))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=(__doc__ or "").split("\n\n")[0])
    d = Settings()
    p.add_argument("--minutes", type=float, default=d.seconds / 60)
    p.add_argument("--sample-seconds", type=float, default=d.sample_seconds)
    p.add_argument("--reload-seconds", type=float, default=d.reload_seconds)
    p.add_argument("--workers", type=int, default=d.workers)
    p.add_argument("--keep-journal", type=int, default=d.keep_journal)
    p.add_argument("--keep-outbox", type=int, default=d.keep_outbox)
    p.add_argument("--prune-seconds", type=float, default=d.prune_seconds)
    args = p.parse_args(argv)
    settings = Settings(
        args.minutes * 60,
        args.sample_seconds,
        args.reload_seconds,
        args.workers,
        args.keep_journal,
        args.keep_outbox,
        args.prune_seconds,
    )
    print(
        f"soak: {args.minutes:g} min, {settings.workers} workers, sample every {settings.sample_seconds:g} s, "
        f"reload every {settings.reload_seconds:g} s; retention {settings.keep_journal:,} journal entries, "
        f"{settings.keep_outbox:,} finished notifications, pruned every {settings.prune_seconds:g} s",
        flush=True,
    )
    print("  ".join(h.rjust(max(len(h), 7)) for h in HEADER), flush=True)
    with tempfile.TemporaryDirectory(prefix="toluna-soak-") as tmp:
        result = run(settings, Path(tmp), lambda s: print(row(s), flush=True))
    print(f"load: {', '.join(f'{k} {v:,}' for k, v in sorted(result.load.items()))}")
    for r in result.reloads:
        print(
            f"  {r.how}: {r.carried} pending carried over, {r.delivered} delivered, {r.failed} given up, lost {r.lost}"
        )
    verdicts = result.verdicts()
    for ok, line in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {line}")
    return 0 if all(ok for ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
