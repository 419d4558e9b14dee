"""GenerateInvite through the real server: the whole decision chain, and an invite written per new pair.

A partner's router calls GenerateInvite once per member it sends to a quota, so this is the sandbox's hottest
write path: every request reads the member and their history, runs the decision chain, and journals the
exchange; a member's first invite to a quota is also written to SQLite. The benchmark serves an imported
inventory with a generated population, finds (member, quota) pairs that pass the whole chain, and sends
them in turn, so the first pass over the pairs writes an invite per request. The load comes in one-second
slots with fresh connections (``common.alternate``), so no single split of keep-alive connections between
the two workers decides the figure. A target in requests per second depends on the machine, so beside
it runs a reference: the same server options returning an invite body from memory, timed in turn.

Pairs are found in-process with the sandbox's own ``decide`` on the freshly loaded scenario (no history yet,
so an empty ``History`` is exactly what the server will see). Only one quota per member and survey is taken:
once a member holds an invite for one quota of a survey, Toluna refuses the survey's other quotas.

    python -m bench.bench_invite [--body getquotas.json] [--members 5000] [--pairs 15000] [--duration 10]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import common
from simulator.domain.decisions import History, InviteRequest, decide
from simulator.scenario.model import Scenario
from simulator.store import Store, open_store

TARGET = 1_500  # requests per second on 2 cores
SEARCH_SECONDS = 15.0  # at most this long looking for pairs


@dataclass(slots=True)
class Pairs:
    """(member, quota) pairs that pass the whole chain, and what finding them took."""

    pairs: list[tuple[str, int]]
    tried: int
    seconds: float


def succeeding_pairs(store: Store, scenario: Scenario, limit: int, seed: int) -> Pairs:
    """Up to ``limit`` passing pairs over (member, survey) combinations in random order, one quota each,
    so members and surveys are spread as real routing spreads them."""
    start = time.perf_counter()
    snap = store.inventory.snapshot()
    panel = snap.panels[common.PANEL_GUID]
    surveys = snap.surveys_for(panel.culture)
    members = [m for m in scenario.members if m.panel_guid == panel.guid]
    order = list(range(len(members) * len(surveys)))
    random.Random(seed).shuffle(order)
    now = store.now()
    found: list[tuple[str, int]] = []
    tried = 0
    for combo in order:
        if len(found) >= limit or time.perf_counter() - start > SEARCH_SECONDS:
            break
        member, survey = members[combo // len(surveys)], surveys[combo % len(surveys)]
        for quota in survey.quotas:
            tried += 1
            if decide(InviteRequest(panel, member, quota, survey, now, History())).ok:
                found.append((member.member_code, quota.quota_id))
                break
    return Pairs(found, tried, time.perf_counter() - start)


def invite_path(member: str, quota: int) -> str:
    return f"{common.ES}/{common.PANEL_GUID}/{member}/Invite/{quota}"


def count_rows(db: Path, table: str) -> int:
    """Rows in a table once the server has stopped: how many invites the run really wrote."""
    store = open_store(db)
    try:
        return int(store.db.read(f"SELECT COUNT(*) FROM {table}")[0][0])
    finally:
        store.close()


@dataclass(slots=True)
class Run:
    """Everything the report prints."""

    members: int
    loaded_seconds: float
    pairs: Pairs
    load: common.Load
    slots: list[common.Load]
    reference: common.Load
    reference_slots: list[common.Load]
    invites: int


def run(tmp: Path, body: common.Body, args: argparse.Namespace) -> Run:
    """Load the scenario, find the pairs on the loaded database, then serve that same database and send them."""
    scenario_path = common.write_scenario_file(tmp / "scenario.yaml", body, members=args.members, seed=args.seed)
    db = tmp / "sandbox.db"
    store, scenario, loaded = common.load_store(scenario_path, db)
    try:
        pairs = succeeding_pairs(store, scenario, args.pairs, args.seed)
    finally:
        store.close()
    if not pairs.pairs:
        raise RuntimeError("no (member, quota) pair passes the decision chain: nothing to measure")
    paths = [invite_path(m, q) for m, q in pairs.pairs]
    with common.sandbox_server(scenario_path, db) as server:
        reference_body = tmp / "invite-body.json"
        reference_body.write_bytes(common.http_get(server.base_url, paths[0])[1])  # the pair's invite, reused later
        with common.static_server(reference_body) as static:
            slots, reference = common.alternate([(server, paths), (static, paths)], tmp, args)
    return Run(
        members=len(scenario.members),
        loaded_seconds=loaded,
        pairs=pairs,
        load=common.Load.merge(slots),
        slots=slots,
        reference=common.Load.merge(reference),
        reference_slots=reference,
        invites=count_rows(db, "invites"),
    )


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__, duration=10)
    p.add_argument("--members", type=int, default=5_000, help="generated members in the scenario")
    p.add_argument("--pairs", type=int, default=15_000, help="(member, quota) pairs to send in turn")
    args = p.parse_args(argv)
    body = common.load_body(args.body, args.seed)
    machine = common.machine_idle()
    with common.workspace() as tmp:
        result = run(tmp, body, args)
    _report(body, result, args, machine)
    return 0


def _report(body: common.Body, r: Run, args: argparse.Namespace, machine: str) -> None:
    load = r.load
    common.heading(f"GenerateInvite: {body.describe()}")
    common.facts(
        [
            ("server", f"toluna-sandbox serve, {common.WORKERS} workers x {common.THREADS} threads (granian)"),
            ("reference", "the same server options returning an invite body from memory, timed in turn"),
            ("load", f"{common.generator_label(args.connections, args.duration)} per server in 1 s slots"),
            ("sandbox slots", common.slot_rates(r.slots)),
            ("reference slots", common.slot_rates(r.reference_slots)),
            (
                "population",
                f"{r.members:,} generated members (seed {args.seed}), scenario loaded in {r.loaded_seconds:.1f} s",
            ),
            (
                "pairs",
                f"{len(r.pairs.pairs):,} passing (member, quota) pairs, one per member and survey, found in "
                f"{r.pairs.seconds:.1f} s among {r.pairs.tried:,} tried",
            ),
            ("writes", f"{r.invites:,} invites written (a pair's first request); every request journaled"),
            ("machine", machine),
        ]
    )
    rows = [common.load_row("sandbox", load), common.load_row("reference", r.reference)]
    common.table(common.LOAD_HEADER, rows, common.LOAD_LEFT)
    print(
        f"  sandbox / reference: {load.rate / r.reference.rate:.2f}x (the full chain vs bytes from memory, same server)"
    )
    common.verdict(
        f"invite: sandbox {load.rate:,.0f} req/s, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms "
        f"(target >= {TARGET:,} req/s)",
        load.rate >= TARGET,
    )


if __name__ == "__main__":
    sys.exit(main())
