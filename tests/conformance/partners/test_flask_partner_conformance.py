"""The suite's verdict on an integration it was not written around: the Flask partner (respondent-driven, upserts,
its own links and parameters, settings read from the panel, a secret header on its notification endpoints, its
own URL layout and member terms) is READY, with every MUST check exercised."""

from __future__ import annotations

from tests.conformance.conftest import Runner, blocking, evidence, failing
from tests.support import ROOT

PAGES = {
    "Qualified URL": "qualified",
    "Terminate URL": "terminate",
    "Quota Full URL": "quotafull",
    "Fraud Terminate URL": "fraud",
    "Digital Finger Printing Failure URL": "dfp",
    "No Surveys URL": "nosurveys",
    "Survey Taken URL": "taken",
    "No Cookies URL": "nocookies",
    "Survey Not Available URL": "notavailable",
    "Not Qualified URL": "notqualified",
    "Max Surveys Reached URL": "max",
}
HOOKS = {
    "Completion Notification URL": "complete",
    "Terminate Notification URL": "terminate",
    "Quota Notification URL": "quota",
    "Survey Notification URL": "survey",
}
ENDPOINTS = {
    **{name: "{base}/return/" + page + "?uid=[MemberCode]&sid=[SurveyID]&wid=[WaveID]" for name, page in PAGES.items()},
    **{name: "{base}/hooks/toluna/" + kind for name, kind in HOOKS.items()},
}


def test_the_flask_partner_is_ready_for_go_live(run_partner: Runner) -> None:
    report = run_partner(
        "examples.flask_partner",
        respondent=True,
        mapping=str(ROOT / "examples" / "flask_partner" / "mapping.yaml"),
        endpoints=ENDPOINTS,
        notification_headers={"X-Partner-Secret": "p2-secret"},
        settings={"Standard EncryptionResult Parameter Name": "sig"},
    )
    assert report.ready, (blocking(report), {c: evidence(report, c)[:3] for c in failing(report)})
    assert not [r.check.id for r in report.results if r.status.value in ("fail", "not exercised")]
    assert {row["status"] for row in report.coverage} == {"met"}
    assert {row["grade"] for row in report.receivers} == {"A"}
