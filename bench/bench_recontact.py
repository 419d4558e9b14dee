"""Recontact paging: does a page of 10,000 codes cost the same in a 10M-code list as in a 10k-code list?

Recontact lists live in a WITHOUT ROWID table whose primary key (panel, quota, code) is the paging index, so a
page should be one index seek plus 10,000 rows read in order, whatever the list's length. Each list size gets
its own database, served by its own ``toluna-sandbox serve``; pages spread through each list are timed: the
first page, middle pages reached with ``lastMemberCodeReceived``, and the last page. The lists are timed in
turn in one-second slots, smallest to largest and back, so a change in the machine's speed weighs on all of
them alike. The ratio
of the largest list's median page to the smallest's is the figure that matters (1.0 = length does not matter).

Building is timed both ways the sandbox offers: a scenario entry ``generate: {count: N}`` loaded by
``Store.load``, and codes inserted straight into the store (one ``executemany`` of generated rows in one
transaction through ``Store.recontact.add``). Both are timed on the smaller lists; the largest list is built
the faster way only, since building it twice would double the run's time and disk use.

    python -m bench.bench_recontact [--body getquotas.json] [--sizes 10000,1000000,10000000] [--duration 8]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import common
from simulator.scenario.model import RecontactList
from simulator.services.inventory import RECONTACT_MAX_PAGE

TARGET = 1.2  # the largest list's median page at most 1.2x the smallest's
PAGE = RECONTACT_MAX_PAGE
PREFIX, WIDTH = "RC-", 8  # zero-padded: byte order is numeric order, so the n-th code is known without reading
POSITIONS = 16  # pages timed per list, spread from the first to the last
COMPARE_UP_TO = 2_000_000  # lists up to this size are built both ways


# --- the list ----------------------------------------------------------------------------------------------------
def code(n: int) -> str:
    """The list's n-th code, as ``generate`` writes it and the loader's ``RecontactList`` formats it."""
    return f"{PREFIX}{n:0{WIDTH}d}"


def recontact_body(body: common.Body) -> tuple[common.Body, int]:
    """A copy of the body whose first survey is a recontact survey, and that survey's first QuotaID."""
    doc = copy.deepcopy(body.doc)
    survey = doc["Surveys"][0]
    survey["IsSurveyRecontact"] = True
    return common.Body(doc, body.source), int(survey["Quotas"][0]["QuotaID"])


@dataclass(slots=True)
class Built:
    """One way's build: the database, the scenario that serves it, and the seconds to a ready database."""

    db: Path
    scenario: Path
    seconds: float


def build_via_scenario(tmp: Path, body: common.Body, quota: int, size: int) -> Built:
    """The scenario way: ``recontact: [{quota, generate: {count, prefix, width}}]``, loaded like ``serve`` does."""
    entry = {"quota": quota, "generate": {"count": size, "prefix": PREFIX, "width": WIDTH}}
    scenario = common.write_scenario_file(tmp / f"scenario-{size}.yaml", body, recontact=[entry])
    db = tmp / f"scenario-{size}.db"
    store, _, seconds = common.load_store(scenario, db)
    store.close()
    return Built(db, scenario, seconds)


def build_direct(tmp: Path, body: common.Body, quota: int, size: int) -> Built:
    """The direct way: the scenario without the list, then the codes in one transaction on the store."""
    scenario = common.write_scenario_file(tmp / f"direct-{size}.yaml", body)
    db = tmp / f"direct-{size}.db"
    start = time.perf_counter()
    store, _, _ = common.load_store(scenario, db)
    codes = RecontactList(common.PANEL_GUID, quota, generate_count=size, generate_prefix=PREFIX, generate_width=WIDTH)
    with store.transaction() as conn:
        store.recontact.add(conn, common.PANEL_GUID, quota, codes.iter_codes())
    store.close()
    return Built(db, scenario, time.perf_counter() - start)


BUILDERS: dict[str, Callable[[Path, common.Body, int, int], Built]] = {
    "scenario generate": build_via_scenario,
    "direct executemany": build_direct,
}


# --- the pages ---------------------------------------------------------------------------------------------------
def page_indexes(size: int, positions: int = POSITIONS) -> list[int]:
    """Up to ``positions`` page numbers spread evenly from the first page to the last."""
    pages = math.ceil(size / PAGE)
    if pages <= positions:
        return list(range(pages))
    return sorted({round(i * (pages - 1) / (positions - 1)) for i in range(positions)})


def page_path(quota: int, page: int) -> str:
    path = f"{common.ES}/{common.PANEL_GUID}/Recontact/{quota}/MemberCodes?maxResults={PAGE}"
    return path + (f"&lastMemberCodeReceived={code(page * PAGE - 1)}" if page else "")


def check_pages(base_url: str, quota: int, size: int, pages: list[int]) -> None:
    """Every timed page once, checked: the right number of codes from the right place, and the right
    ``HasAdditionalMembers`` (a page that answers fast because it is wrong must not count)."""
    for page in pages:
        status, raw = common.http_get(base_url, page_path(quota, page))
        body = json.loads(raw) if status == 200 else {}
        codes = body.get("MemberCodes", [])
        want = min(PAGE, size - page * PAGE)
        more = (page + 1) * PAGE < size
        if status != 200 or len(codes) != want or codes[0] != code(page * PAGE) or body["HasAdditionalMembers"] != more:
            raise RuntimeError(f"page {page} of the {size:,}-code list is wrong: {status} {raw[:200]!r}")


# --- the run -----------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class BuiltList:
    """A list's database ready to serve, and how long each way took to build it."""

    size: int
    builds: dict[str, float]
    db: Path
    scenario: Path
    db_bytes: int


def build_list(tmp: Path, body: common.Body, quota: int, size: int, methods: list[str]) -> BuiltList:
    """Build the list each way in ``methods``; keep the first way's database and delete the others at once."""
    built = {name: BUILDERS[name](tmp, body, quota, size) for name in methods}
    kept = built[methods[0]]
    for other in list(built.values())[1:]:
        common.remove_database(other.db)
    return BuiltList(size, {k: b.seconds for k, b in built.items()}, kept.db, kept.scenario, common.file_size(kept.db))


def faster_method(lists: list[BuiltList]) -> str:
    """The builder that was quicker on the largest list built both ways (direct when none was)."""
    compared = [b for b in lists if len(b.builds) > 1]
    if not compared:
        return "direct executemany"
    builds = compared[-1].builds
    return min(builds, key=builds.__getitem__)


@dataclass(slots=True)
class ListResult:
    """A list, the pages timed in it, and their latencies over all its runs."""

    built: BuiltList
    pages: int
    load: common.Load
    slots: list[common.Load]


def measure_lists(tmp: Path, lists: list[BuiltList], quota: int, args: argparse.Namespace) -> list[ListResult]:
    """Serve every list at once, check their pages, then time them in turn (``common.alternate``) over one
    keep-alive connection, so each figure is a page's latency rather than the server's throughput."""
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(common.sandbox_server(b.scenario, b.db)) for b in lists]
        pages = [page_indexes(b.size) for b in lists]
        for b, server, numbers in zip(lists, servers, pages, strict=True):
            check_pages(server.base_url, quota, b.size, numbers)
        targets = [
            (server, [page_path(quota, n) for n in numbers]) for server, numbers in zip(servers, pages, strict=True)
        ]
        runs = common.alternate(targets, tmp, args, connections=1)
    return [ListResult(b, len(n), common.Load.merge(r), r) for b, n, r in zip(lists, pages, runs, strict=True)]


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__, duration=8)
    p.add_argument("--sizes", default="10000,1000000,10000000", help="list sizes, comma-separated")
    args = p.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    body, quota = recontact_body(common.load_body(args.body, args.seed))
    machine = common.machine_idle()
    with common.workspace() as tmp:
        lists: list[BuiltList] = []
        for size in sizes:
            methods = list(BUILDERS) if size <= COMPARE_UP_TO else [faster_method(lists)]
            lists.append(build_list(tmp, body, quota, size, methods))
        results = measure_lists(tmp, lists, quota, args)
    _report(body, results, args, machine)
    return 0


def _report(body: common.Body, results: list[ListResult], args: argparse.Namespace, machine: str) -> None:
    common.heading(f"Recontact pages of {PAGE:,} codes: {body.describe()}")
    common.facts(
        [
            ("server", f"toluna-sandbox serve, {common.WORKERS} workers x {common.THREADS} threads (granian)"),
            ("load", f"{common.generator_label(1, args.duration)} per list in 1 s slots, pages in turn"),
            ("runs", "every list served at once, timed in turn from the smallest to the largest and back"),
            *((f"{_short(r.built.size)} slots", common.slot_rates(r.slots)) for r in results),
            ("pages", f"up to {POSITIONS} per list: first, middle (lastMemberCodeReceived), last; each checked"),
            ("machine", machine),
        ]
    )
    print("  build (seconds to a ready database):")
    methods = list(BUILDERS)
    rows = [
        [f"{b.size:,} codes", *(_build_cell(b, m) for m in methods), f"{b.db_bytes / 1e6:,.0f} MB"]
        for b in (r.built for r in results)
    ]
    common.table(["", *methods, "database"], rows)
    print("  (both ways end in one executemany inside one transaction: Store.load calls the same recontact.add)")
    for b in (r.built for r in results):
        if len(b.builds) == 1:
            print(f"  the {_short(b.size)} list was built only the way that was quicker above: {next(iter(b.builds))}")
    print("  pages (one connection, so req/s is 1 / mean latency):")
    rows = [common.load_row(f"{r.built.size:,} codes, {r.pages} page{'s' * (r.pages > 1)}", r.load) for r in results]
    common.table(common.LOAD_HEADER, rows, common.LOAD_LEFT)
    small, large = results[0], results[-1]
    names = _short(large.built.size), _short(small.built.size)
    ratio = large.load.p50_ms / small.load.p50_ms
    print(f"  p99 ratio {names[0]}/{names[1]}: {large.load.p99_ms / small.load.p99_ms:.2f}x")
    print(
        f"  mean latency ratio {names[0]}/{names[1]}: {small.load.rate / large.load.rate:.2f}x (a cross-check on p50)"
    )
    common.verdict(
        f"recontact: {names[0]}-code list p50 {large.load.p50_ms:.1f} ms vs {names[1]}-code list "
        f"p50 {small.load.p50_ms:.1f} ms = {ratio:.2f}x (target <= {TARGET}x)",
        ratio <= TARGET,
    )


def _build_cell(built: BuiltList, method: str) -> str:
    seconds = built.builds.get(method)
    return "-" if seconds is None else f"{seconds:.2f} s"


def _short(n: int) -> str:
    """10,000,000 -> 10M, 10,000 -> 10k."""
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return f"{n:,}"


if __name__ == "__main__":
    sys.exit(main())
