"""The suite's verdict on an integration it was not written around: the Flask partner (respondent-driven, upserts,
its own links and parameters, settings read from the panel, a secret header on its notification endpoints, its
own URL layout and member terms) is READY, with every MUST check exercised."""

from __future__ import annotations

from tests.conformance.conftest import Runner, blocking, evidence, failing
from tests.conformance.harness import FLASK_PARTNER


def test_the_flask_partner_is_ready_for_go_live(run_partner: Runner) -> None:
    report = run_partner("examples.flask_partner", **FLASK_PARTNER)
    assert report.ready, (blocking(report), {c: evidence(report, c)[:3] for c in failing(report)})
    assert not [r.check.id for r in report.results if r.status.value in ("fail", "not exercised")]
    assert {row["status"] for row in report.coverage} == {"met"}
    assert {row["grade"] for row in report.receivers} == {"A"}
