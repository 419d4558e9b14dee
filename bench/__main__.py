"""``python -m bench``: every benchmark in turn, each printing its block, then their verdict lines together.

    python -m bench [--body getquotas.json] [--only getquotas] [--only invite]

``--body`` is passed on to each benchmark. The exit status is 0 whatever the figures are (benchmarks inform;
tests never time anything); it is 1 only when a benchmark could not run at all.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from bench import common

#: name -> module, in the order they run (the quick in-process one first, the longest last).
BENCHMARKS = {
    "sampling": "bench.bench_sampling",
    "getquotas": "bench.bench_getquotas",
    "slow_clients": "bench.bench_slow_clients",
    "invite": "bench.bench_invite",
    "recontact": "bench.bench_recontact",
    "notify": "bench.bench_notify",
    "scale": "bench.bench_scale",
    "conformance": "bench.bench_conformance",
}


def run_one(name: str, argv: list[str]) -> bool:
    """Run a benchmark's ``main``; a crash is reported and the next benchmark still runs."""
    print(f"\n-- {name} --", flush=True)
    start = time.perf_counter()
    try:
        code = importlib.import_module(BENCHMARKS[name]).main(argv)
    except Exception:  # one broken benchmark must not hide the others' figures
        traceback.print_exc()
        code = 1
    print(f"[{name}: {time.perf_counter() - start:.0f} s]", flush=True)
    return code == 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--body", help="a captured GetQuotas body (JSON), passed on to every benchmark")
    p.add_argument("--only", action="append", choices=list(BENCHMARKS), help="run only this one (repeatable)")
    args = p.parse_args(argv)
    passed = ["--body", args.body] if args.body else []
    failed = [name for name in BENCHMARKS if name in (args.only or BENCHMARKS) and not run_one(name, passed)]
    print("\n== summary ==")
    for line in common.VERDICTS:
        print(line)
    for name in failed:
        print(f"{name}: did not run to the end (see above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
