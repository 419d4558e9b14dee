"""Fuzz every operation of ``/openapi.json`` against a real sandbox server.

``python -m tests.fuzz --cases 3000`` starts a fresh server on the default scenario, spreads the cases over every
operation (partner routes first, then the control API, whose fault rules and resets would change what the partner
routes answer), and prints the cases run per operation, the total and every failure. Exit status 1 on any failure.

The checks: no 5xx, and every answer's status code, content type and body as the document says. Requests carry
the default scenario's keys, and about half of the identifiers (panel, member, quota, survey, ...) are ones the
scenario knows, so the handlers behind the key gate are reached.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import tests.properties  # noqa: F401  (Hypothesis's caches out of the repository)
from simulator.api.openapi import document
from tests.support import KEY, PANEL, PANEL_ES_OFF, start_sandbox

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
REFERENCE_KEY = "e3b7c1d9-2a6f-4d8b-9c4e-6a1f3b7d5c28"
HEADERS = {
    "API_AUTH_KEY": KEY,
    "PARTNER_AUTH_KEY": REFERENCE_KEY,
    "Accept": "application/json;version=2.0",
}
MEMBERS = ["M-ANNA", "M-BOB", "M-CARA", "M-DAN"]
#: Values the default scenario knows, by parameter or body key: drawn instead of the generated value half the time.
KNOWN: dict[str, list[Any]] = {
    "panelguid": [PANEL, PANEL_ES_OFF],
    "partnerguid": [PANEL, PANEL_ES_OFF],
    "samplepartnerguid": [PANEL],
    "guid": [PANEL],
    "panel": [PANEL],
    "membercode": MEMBERS,
    "mc": MEMBERS,
    "member": MEMBERS,
    "quotaid": [4200001, 4200002],
    "quota": [4200001, 4200002],
    "quotaids": [[4200001], [4200001, 4200002]],
    "surveyid": [3100001, 3100002],
    "survey": [3100001],
    "surveyname": ["3100001-US", "3100002-US"],
    "questionid": [1001007, 1001538],
    "cultureid": [1],
    "cultureids": [[1]],
    "kind": ["complete", "terminate", "prestart", "quota-status", "survey-closed", "reconciliation"],
    "startdate": ["2026-01-01 00:00:00"],
    "enddate": ["2026-01-20 00:00:00"],
    "birthdate": ["02/14/1995"],
    "outcome": ["qualified", "terminated", "auto"],
}
#: Query values always sent: a long wait would only measure the clock.
FORCED: dict[str, Any] = {"timeout": "0.1"}


@dataclass
class Tally:
    cases: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.cases.values())


def load_schema() -> BaseSchema:
    return schemathesis.openapi.from_dict(document())


def ordered(schema: BaseSchema) -> list[APIOperation]:
    """Every operation, the control API's last."""
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: op.path.startswith("/_sandbox"))


def _known(container: Any, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
    """Replace, in place, some values whose key the scenario has values for (one level of nesting)."""
    if not isinstance(container, dict):
        return
    for key in list(container):
        name = str(key).lower()
        if name in KNOWN and draw(st.booleans()):
            container[key] = draw(st.sampled_from(KNOWN[name]))
        elif isinstance(container[key], dict):
            _known(container[key], draw)


def _describe(label: str, case: Any, response: requests.Response | None, exc: BaseException) -> str:
    found = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
    what = "; ".join(" ".join(f"{getattr(f, 'title', type(f).__name__)}: {f}".split())[:600] for f in found)
    status = response.status_code if response is not None else "no answer"
    body = response.text[:300] if response is not None else ""
    return f"{label} [{status}] {what}\n    {case.as_curl_command(headers=HEADERS)}\n    answer: {body}"


def fuzz_operation(operation: APIOperation, base_url: str, cases: int, tally: Tally, seed_value: int = 1) -> None:
    """``cases`` generated requests (half valid, half not), each checked; failures are noted, not raised."""
    label = f"{operation.method.upper()} {operation.path}"
    tally.cases.setdefault(label, 0)
    session = requests.Session()
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    declared = {p.get("name") for p in operation.definition.raw.get("parameters", [])}
    forced = {name: value for name, value in FORCED.items() if name in declared}

    @seed(seed_value)
    @settings(
        max_examples=cases,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=strategy, data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        if forced:
            case.query = {**(case.query or {}), **forced}
        for part in (case.path_parameters, case.query, case.body):
            _known(part, data.draw)
        tally.cases[label] += 1
        response = None
        try:
            response = case.call(base_url=base_url, session=session, headers=HEADERS, allow_redirects=False)
            case.validate_response(response, checks=CHECKS)
        except (Exception, FailureGroup) as exc:  # every kind of failure is a finding to report
            tally.failures.append(_describe(label, case, response, exc))

    started = time.monotonic()
    try:
        run()
    except Exception as exc:  # e.g. an operation Hypothesis cannot generate for
        tally.failures.append(f"{label}: could not fuzz: {exc!r}"[:1500])
    finally:
        session.close()
        tally.seconds[label] = time.monotonic() - started


def fuzz(base_url: str, cases_per_operation: int, seed_value: int = 1, only: str = "") -> Tally:
    tally = Tally()
    for operation in ordered(load_schema()):
        if only.lower() in f"{operation.method} {operation.path}".lower():
            fuzz_operation(operation, base_url, cases_per_operation, tally, seed_value)
    return tally


@contextmanager
def fresh_server() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="toluna-fuzz-") as tmp:
        server = start_sandbox(Path(tmp))
        try:
            yield server.base_url
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=3000, help="cases in all, spread over every operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="fuzz this running sandbox instead of a fresh one (its state will change)")
    parser.add_argument("--only", default="", help="only the operations whose 'METHOD /path' contains this text")
    args = parser.parse_args(argv)
    per_operation = max(1, -(-args.cases // len(ordered(load_schema()))))
    started = time.monotonic()
    if args.url:
        tally = fuzz(args.url.rstrip("/"), per_operation, args.seed, args.only)
    else:
        with fresh_server() as url:
            tally = fuzz(url, per_operation, args.seed, args.only)
    for label, count in tally.cases.items():
        print(f"{count:6d} {tally.seconds[label]:6.1f} s  {label}")
    print(f"{tally.total} cases over {len(tally.cases)} operations in {time.monotonic() - started:.1f} s")
    print(f"{len(tally.failures)} failures")
    for failure in tally.failures:
        print("FAIL", failure)
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
