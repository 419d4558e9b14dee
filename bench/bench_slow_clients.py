"""GetQuotas with 20 slow clients connected: latency and throughput for everyone else.

Partners' unfinished code, proxies and scanners open connections and send their requests slowly. The sandbox's
server reads connections in an event loop, so a client trickling one header line a second holds no worker thread.
The benchmark measures GetQuotas (the real inventory's size) in one-second slots: alone, with 20 slow clients
connected, alone again; meanwhile a probe sends one GetQuotas at a time on fresh connections and times each.
Targets: with the slow clients connected every probe answers within 3 s, their p50 under 250 ms, and the load's
throughput stays within 10% of the throughput alone.

    python -m bench.bench_slow_clients [--slow 20] [--duration 6] [--connections 8]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from bench import common
from bench.trickle import SlowClients

PROBE_LIMIT_S, PROBE_P50_MS, KEPT_THROUGHPUT = 3.0, 250.0, 0.9
PHASES = ("alone", "slow clients", "alone again")


class Probe:
    """One GetQuotas at a time on a fresh connection, timed, until stopped."""

    def __init__(self, base_url: str, path: str) -> None:
        self.base_url, self.path = base_url, path
        self.samples_ms: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=PROBE_LIMIT_S * 4)

    def _run(self) -> None:
        while not self._stop.is_set():
            start = time.perf_counter()
            try:
                status, _ = common.http_get(self.base_url, self.path, timeout=PROBE_LIMIT_S * 3)
            except OSError:
                status = 0
            if status == 200:
                self.samples_ms.append((time.perf_counter() - start) * 1000)
            else:
                self.failures += 1
            self._stop.wait(0.1)


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__, duration=6)
    p.add_argument("--slow", type=int, default=20, help="slow clients connected in the middle phase")
    args = p.parse_args(argv)
    body = common.load_body(args.body, args.seed)
    machine = common.machine_idle()
    path = f"{common.ES}/{common.PANEL_GUID}/Quotas"
    with common.workspace() as tmp:
        scenario = common.write_scenario_file(tmp / "scenario.yaml", body)
        with common.sandbox_server(scenario, tmp / "sandbox.db") as sandbox:
            common.warm_up(sandbox.base_url, [path], 4 * common.WORKERS)
            url = urllib.parse.urlsplit(sandbox.base_url)
            loads: dict[str, list[common.Load]] = {}
            loads[PHASES[0]] = _slots(sandbox, path, tmp, args)
            with SlowClients(url.hostname or common.HOST, url.port or 80, args.slow, 1.0, path) as slow:
                connected = slow.wait_connected()
                with Probe(sandbox.base_url, path) as probe:
                    loads[PHASES[1]] = _slots(sandbox, path, tmp, args)
                held, cut = slow.connected, slow.closed_by_server
            loads[PHASES[2]] = _slots(sandbox, path, tmp, args)
    _report(body, args, machine, loads, probe, connected, held, cut)
    return 0


def _slots(server: common.Server, path: str, tmp: Path, args: argparse.Namespace) -> list[common.Load]:
    return [common.measure(server, [path], tmp, args, duration=1) for _ in range(max(1, round(args.duration)))]


def _report(
    body: common.Body,
    args: argparse.Namespace,
    machine: str,
    loads: dict[str, list[common.Load]],
    probe: Probe,
    connected: bool,
    held: int,
    cut: int,
) -> None:
    merged = {name: common.Load.merge(runs) for name, runs in loads.items()}
    alone = (merged[PHASES[0]].rate + merged[PHASES[2]].rate) / 2
    kept = merged[PHASES[1]].rate / alone if alone else 0.0
    samples = sorted(probe.samples_ms)
    p50 = statistics.median(samples) if samples else float("nan")
    worst = samples[-1] if samples else float("nan")
    common.heading(f"GetQuotas with {args.slow} slow clients: {body.describe()}")
    common.facts(
        [
            ("server", f"toluna-sandbox serve, {common.WORKERS} workers x {common.THREADS} threads (granian)"),
            ("slow clients", f"{args.slow}, each sending a header line a second; all connected: {connected}"),
            ("still trickling at the end", f"{held} (closed by the server meanwhile: {cut})"),
            ("load", f"{common.generator_label(args.connections, args.duration)} per phase, in 1 s slots"),
            ("probe", f"{len(samples)} requests on fresh connections, {probe.failures} failed or timed out"),
            ("machine", machine),
        ]
    )
    common.table(common.LOAD_HEADER, [common.load_row(n, x) for n, x in merged.items()], common.LOAD_LEFT)
    print(f"probe with slow clients: p50 {p50:.1f} ms, max {worst:.1f} ms")
    ok = bool(samples) and probe.failures == 0 and worst <= PROBE_LIMIT_S * 1000 and p50 <= PROBE_P50_MS
    common.verdict(
        f"slow_clients: {args.slow} slow clients; probe p50 {p50:.1f} ms (target < {PROBE_P50_MS:.0f}), "
        f"max {worst / 1000:.2f} s (target < {PROBE_LIMIT_S:.0f}); throughput kept {kept:.2f}x "
        f"(target >= {KEPT_THROUGHPUT})",
        ok and kept >= KEPT_THROUGHPUT,
    )


if __name__ == "__main__":
    sys.exit(main())
