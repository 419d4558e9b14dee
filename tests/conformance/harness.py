"""Running the conformance suite on a partner module (the reference partner, a mutant or variant of it, the Flask
partner) against a sandbox: shared by the tests and by the kill matrix (``python -m tests.conformance.kill_matrix``)."""

from __future__ import annotations

import os
import sys

from conformance.config import RunConfig
from conformance.model import Report
from conformance.runner import Run
from conformance.sandbox import free_port
from tests.support import ROOT

MAPPING = ROOT / "examples" / "reference_partner" / "mapping.yaml"
#: A partner that answers POST /run late: the run's timeout is short, and the partner later still.
PARTNER_ENV = {"RUN-01": {"SLOW_RUN_SECONDS": "2.5"}, "examples.flask_partner": {"FLASK_PARTNER_SECRET": "p2-secret"}}
#: RUN-01's /run never answers in time, so only a quiet partner ends its cycles: under a loaded machine a pause of
#: 0.3 s within a cycle ended it early, and the rest of that cycle's invites counted in the next (INV-06).
RUN_SETTINGS: dict[str, dict[str, object]] = {"RUN-01": {"cycle_timeout": 1.0, "quiet_seconds": 1.0}}


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
#: The Flask partner's run: its own URL layout, a secret header, a parameter name of its own, its own mapping.
FLASK_PARTNER: dict[str, object] = {
    "respondent": True,
    "mapping": str(ROOT / "examples" / "flask_partner" / "mapping.yaml"),
    "endpoints": {
        **{k: "{base}/return/" + v + "?uid=[MemberCode]&sid=[SurveyID]&wid=[WaveID]" for k, v in PAGES.items()},
        **{k: "{base}/hooks/toluna/" + v for k, v in HOOKS.items()},
    },
    "notification_headers": {"X-Partner-Secret": "p2-secret"},
    "settings": {"Standard EncryptionResult Parameter Name": "sig"},
}


def partner_on_path() -> None:
    """Partners are started with the repository on their import path."""
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


def run_partner(sandbox_url: str, *partner: str, **settings: object) -> Report:
    """One run on ``python -m <partner...> --port P`` (the last word names its environment and settings)."""
    port = free_port()
    env = " ".join(f"{k}={v}" for k, v in PARTNER_ENV.get(partner[-1], {}).items())
    command = " ".join(filter(None, ["env" if env else "", env, sys.executable, "-m", *partner]))
    config = RunConfig(
        sandbox_url=sandbox_url,
        partner_cmd=f"{command} --port {port}",
        partner_url=f"http://127.0.0.1:{port}/run",
        partner_base=f"http://127.0.0.1:{port}",
        adapter_url=f"http://127.0.0.1:{port}/adapter",
        mapping=MAPPING,
        quiet_seconds=0.3,
        grace_seconds=0.5,
    )
    chosen = {**RUN_SETTINGS.get(partner[-1], {}), **settings}
    if isinstance(chosen.get("endpoints"), dict):  # "{base}" in a URL is where this partner listens
        chosen["endpoints"] = {k: str(v).format(base=config.partner_base) for k, v in chosen["endpoints"].items()}
    config.update(chosen, "test")
    return Run(config).execute()


def failing(report: Report) -> set[str]:
    """The checks that did not pass: failed MUSTs and SHOULD warnings."""
    return {r.check.id for r in report.results if r.status.value in ("fail", "warn")}
