"""``python -m tests.conformance.kill_matrix [-j N] [NAME ...]`` (``make mutants``): the whole kill matrix. Every
mutant of the reference partner, every correct variant of it, the reference partner and the Flask partner, each
run by the suite on a sandbox of its own (N at a time); a row each: what failed or warned, what was expected, and
whether the suite's verdict was right. Exit 1 when any verdict was wrong."""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from conformance.model import Report, Status
from conformance.sandbox import LocalSandbox
from tests.support import ROOT

from .harness import FLASK_PARTNER, failing, partner_on_path, run_partner
from .mutants import ALSO_FAILS, MUTANTS, VARIANTS


@dataclass(frozen=True)
class Row:
    name: str
    module: tuple[str, ...]
    settings: dict[str, object]
    expected: frozenset[str]  # empty: must be READY


def rows() -> list[Row]:
    out = [Row("reference partner", ("examples.reference_partner",), {}, frozenset())]
    out.append(Row("flask partner", ("examples.flask_partner",), FLASK_PARTNER, frozenset()))
    out += [
        Row(f"variant {name}", ("tests.conformance.mutants", name), VARIANTS[name][2], frozenset())
        for name in sorted(VARIANTS)
    ]
    out += [
        Row(f"mutant {name}", ("tests.conformance.mutants", name), {}, frozenset({name} | ALSO_FAILS.get(name, set())))
        for name in sorted(MUTANTS)
    ]
    return out


def judge(row: Row, report: Report) -> tuple[bool, str]:
    """Whether the suite's verdict is the right one, and what it said."""
    got = failing(report)
    unexercised = sorted(r.check.id for r in report.blocking() if r.status is Status.NOT_EXERCISED)
    said = ", ".join(sorted(got)) or "-"
    if unexercised:
        said += f" (not exercised: {', '.join(unexercised)})"
    if not row.expected:
        return report.ready, said  # SHOULD warnings are shown, and allowed
    return got == row.expected, said


def one(row: Row) -> tuple[Row, bool, str, float]:
    text = (ROOT / "fixtures" / "scenarios" / "conformance.yaml").read_text()
    started = time.monotonic()
    sandbox = LocalSandbox(text, "conformance.yaml", workers=1)
    try:
        right, said = judge(row, run_partner(sandbox.url, *row.module, **row.settings))
    except Exception as exc:  # a crashed run is a wrong verdict, reported, and the others go on
        right, said = False, f"the run crashed: {exc!r}"
    finally:
        sandbox.stop()
    return row, right, said, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance.kill_matrix", description=__doc__)
    parser.add_argument("-j", "--jobs", type=int, default=4, help="runs at a time (each with its own sandbox)")
    parser.add_argument("names", nargs="*", help="only these rows (mutant or variant names)")
    args = parser.parse_args(argv)
    partner_on_path()
    chosen = [r for r in rows() if not args.names or any(r.name.endswith(n) for n in args.names)]
    started = time.monotonic()
    wrong = 0
    print(f"{'partner':<32} {'expected to fail':<26} {'failed or warned':<44} verdict  seconds")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for row, right, said, seconds in pool.map(one, chosen):
            wrong += not right
            expected = ", ".join(sorted(row.expected)) or "(READY)"
            verdict = "right" if right else "WRONG"
            print(f"{row.name:<32} {expected:<26} {said:<44} {verdict:<8} {seconds:5.1f}", flush=True)
    mutants = sum(1 for r in chosen if r.expected)
    print(
        f"\n{len(chosen) - wrong} of {len(chosen)} verdicts right ({mutants} mutants, {len(chosen) - mutants} correct "
        f"integrations) in {time.monotonic() - started:.0f} s with {args.jobs} at a time"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
