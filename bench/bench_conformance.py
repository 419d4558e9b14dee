"""A whole conformance run on the reference partner, as a partner's CI runs it, with the default settings: target
under 30 s on 2 cores, every check exercised and passed.

The run starts its own sandbox, starts the reference partner, drives its four cycles (start, inventory expired,
after the notifications, key refused), plays members through the surveys to its end pages, sends notifications and
probes, and judges. Part of that time is waiting by design (the quiet period that tells a cycle has ended, twice in
the second cycle; the partner's inventory expiring plus the grace it may keep it; the grace given to act on a
notification); the baseline is that designed wait, so the ratio shows how much the sandbox's and the partner's
work add to it.

    python -m bench.bench_conformance [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench import common
from conformance.config import RunConfig
from conformance.runner import Run
from conformance.sandbox import free_port

TARGET_SECONDS = 30.0
MAPPING = "examples/reference_partner/mapping.yaml"


def one_run() -> tuple[float, float, dict[str, float], bool]:
    """(seconds, of which designed waiting, seconds per phase, ready)."""
    port = free_port()
    config = RunConfig(
        partner_cmd=f"{sys.executable} -m examples.reference_partner --port {port}",
        partner_url=f"http://127.0.0.1:{port}/run",
        partner_base=f"http://127.0.0.1:{port}",
        adapter_url=f"http://127.0.0.1:{port}/adapter",
    )
    config.update({"mapping": MAPPING}, "bench")
    marks: list[tuple[float, str]] = []
    start = time.perf_counter()
    report = Run(config, progress=lambda message: marks.append((time.perf_counter(), message))).execute()
    total = time.perf_counter() - start
    phases: dict[str, float] = {}
    previous, name = start, "sandbox start"
    for at, message in marks:
        label = _phase(message)
        if label is None:
            continue
        phases[name] = phases.get(name, 0.0) + at - previous
        previous, name = at, label
    phases[name] = phases.get(name, 0.0) + start + total - previous
    cycles = config.cycles + 1  # and the key-refused cycle
    waiting = config.quiet_seconds * (cycles + 1) + config.cache_seconds + 2 * config.grace_seconds
    return total, waiting, phases, report.ready


def _phase(message: str) -> str | None:
    if message.startswith("starting the partner"):
        return "partner start"
    if message.startswith("partner cycle"):
        return message.replace("partner ", "")
    if message.startswith("fired"):
        return "notifications and grace"
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3, help="runs to time (the median counts)")
    args = p.parse_args(argv)
    totals, waits, ready = [], [], True
    for i in range(args.runs):
        total, waiting, phases, ok = one_run()
        ready = ready and ok
        totals.append(total)
        waits.append(waiting)
        split = ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
        print(f"run {i + 1}: {total:.1f} s ({'READY' if ok else 'NOT READY'}); {split}", flush=True)
    median, waiting = statistics.median(totals), statistics.median(waits)
    print(f"median {median:.1f} s; designed waiting {waiting:.1f} s; run / waiting = {median / waiting:.2f}x")
    common.verdict(
        f"conformance run on the reference partner: {median:.1f} s (target < {TARGET_SECONDS:.0f} s, "
        f"{median / TARGET_SECONDS:.2f} of it), all checks green: {'yes' if ready else 'no'}",
        median < TARGET_SECONDS and ready,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
