"""GetQuotas through the real server against a static-file baseline serving the same bytes.

Partners poll GetQuotas all day; on the real inventory's size (68 surveys, 142 quotas) the body is a few
hundred kB. The sandbox keeps the rendered survey list per inventory version, so a request should cost little
more than sending those bytes. Two servers send the same bytes beside it: nginx, a real static file server with
as many workers (the peer the target is set against: at least half its rate), and the sandbox's own server
configuration (granian, workers, threads) serving a WSGI app that returns the sandbox's response from memory. That
second ratio isolates what the sandbox adds per request (authorization, fault rules, the clock, the journal); since
granian hands a body from memory to the socket in Rust, it is the stricter of the two. Without nginx installed the
target is set against the in-memory baseline.

Both servers run side by side and are measured in turn in one-second slots (sandbox, baseline, baseline,
sandbox, ...), so a change in the machine's speed weighs on both alike instead of on one of them.

    python -m bench.bench_getquotas [--body getquotas.json] [--duration 10] [--connections 8]
"""

from __future__ import annotations

import argparse
import json
import sys

from bench import common

TARGET = 0.5  # the sandbox at half a static file server's rate or better


def quotas_path() -> str:
    return f"{common.ES}/{common.PANEL_GUID}/Quotas"


def _fetch_body(base_url: str) -> bytes:
    """The sandbox's GetQuotas response, checked: the baseline serves these very bytes."""
    status, body = common.http_get(base_url, quotas_path())
    if status != 200:
        raise RuntimeError(f"GetQuotas answered {status}: {body[:300]!r}")
    return body


def main(argv: list[str] | None = None) -> int:
    args = common.parser(__doc__, duration=10).parse_args(argv)
    body = common.load_body(args.body, args.seed)
    machine = common.machine_idle()
    with common.workspace() as tmp:
        scenario = common.write_scenario_file(tmp / "scenario.yaml", body)
        with common.sandbox_server(scenario, tmp / "sandbox.db") as sandbox:
            served = _fetch_body(sandbox.base_url)
            static_file = tmp / "static-body.json"
            static_file.write_bytes(served)
            with common.static_server(static_file) as baseline, common.nginx_server(static_file) as nginx:
                paths = [quotas_path()]
                servers = {"sandbox": sandbox, "baseline": baseline, **({"nginx": nginx} if nginx else {})}
                measured = common.alternate([(server, paths) for server in servers.values()], tmp, args)
                runs = dict(zip(servers, measured, strict=True))
    _report(body, served, runs, args, machine)
    return 0


def _report(
    body: common.Body, served: bytes, runs: dict[str, list[common.Load]], args: argparse.Namespace, machine: str
) -> None:
    listed = json.loads(served)["Surveys"]
    merged = {name: common.Load.merge(loads) for name, loads in runs.items()}
    sandbox, baseline = merged["sandbox"], merged["baseline"]
    ratio = sandbox.rate / baseline.rate if baseline.rate else 0.0
    common.heading(f"GetQuotas: {body.describe()}")
    common.facts(
        [
            ("sandbox", f"toluna-sandbox serve, {common.WORKERS} workers x {common.THREADS} threads (granian)"),
            ("baseline", "the same server options serving the same bytes from memory"),
            ("nginx", "the same bytes from a file, same number of workers" if "nginx" in runs else "not installed"),
            ("load", f"{common.generator_label(args.connections, args.duration)} per server, in 1 s slots"),
            *((f"{name} slots", common.slot_rates(loads)) for name, loads in runs.items()),
            ("body", f"{len(served):,} bytes, {len(listed)} surveys, {sum(len(s['Quotas']) for s in listed)} quotas"),
            ("machine", machine),
        ]
    )
    rows = [common.load_row(name, load) for name, load in merged.items()]
    common.table(common.LOAD_HEADER, rows, common.LOAD_LEFT)
    own = f"sandbox {sandbox.rate:,.0f} req/s vs bytes from memory {baseline.rate:,.0f} req/s = {ratio:.2f}x"
    nginx = merged.get("nginx")
    if nginx is None:
        common.verdict(f"getquotas: {own} (target >= {TARGET}x; nginx not installed)", ratio >= TARGET)
        return
    peer = sandbox.rate / nginx.rate if nginx.rate else 0.0
    common.verdict(
        f"getquotas: sandbox {sandbox.rate:,.0f} req/s vs nginx {nginx.rate:,.0f} req/s = {peer:.2f}x "
        f"(target >= {TARGET}x); {own}",
        peer >= TARGET,
    )


if __name__ == "__main__":
    sys.exit(main())
