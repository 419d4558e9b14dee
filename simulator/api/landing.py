"""Where invite URLs lead: Toluna's survey entry path. A person sees the survey page and picks an outcome; an
automated caller names it with ``&outcome=`` (``auto``: the scenario's outcome rules choose). Either way the
member ends on the partner's end page (302)."""

from __future__ import annotations

from flask import Blueprint, Response, g, redirect, render_template, request

from simulator.domain.outcome_rules import AUTO
from simulator.domain.outcomes import OUTCOMES
from simulator.domain.urls import INVITE_PATH
from simulator.services.survey_flow import Step, SurveyFlow

from .context import base_url, bind
from .journaling import note

COOKIE = "tsbx_visit"


def _outcome() -> str | None:
    value = request.values.get("outcome")
    return value.strip().lower() if value else None


def survey_entry(flow: SurveyFlow) -> Response:
    token = request.args.get("od") or request.args.get("di") or ""  # Toluna's links have used both names
    outcome = _outcome()
    if outcome is not None and outcome not in OUTCOMES and outcome != AUTO:
        choices = ", ".join([*OUTCOMES, AUTO])
        return _message(400, "Unknown outcome", [f"'{outcome}' is not an outcome; use one of {choices}."])
    if outcome is not None:
        outcome = flow.resolve(token, outcome)  # auto: the scenario's outcome rules decide
    ref = request.form.get("ref") or request.cookies.get(COOKIE)
    if request.method == "POST":
        if outcome is None:
            return _message(400, "No outcome", ["Post an outcome (outcome=qualified, terminated, ...)."])
        step = flow.finish(token, outcome, ref, base_url())
    else:
        step = flow.enter(token, list(request.args.items(multi=True)), ref, base_url())
        if outcome is not None and step.visit is not None and step.visit.open and step.redirect is None:
            step = flow.finish(token, outcome, step.visit.reference_id, base_url())
    return _answer(step, token)


def _answer(step: Step, token: str) -> Response:
    v = step.visit
    note(
        "survey_outcome" if request.method == "POST" else "survey_entry",
        v and v.panel_guid,
        v and v.member_code,
        v and v.quota_id,
    )
    g.journal_note = step.note
    if step.unknown:
        return _message(404, "Unknown invite", [f"No invite of this sandbox has the token '{token}'."])
    if step.redirect:
        return redirect(step.redirect, 302)
    if step.missing_end_page:
        return _message(
            200,
            "The visit has ended",
            [
                f"The panel has no '{step.missing_end_page}' end page, so the sandbox shows this page instead.",
                f"Reference {v.reference_id if v else '?'}.",
            ],
        )
    if v is None or not v.open:
        return _message(409, "Nothing to do", [step.note or "This visit has ended."])
    html = render_template(
        "survey.html",
        visit=v,
        survey_name=step.survey.name if step.survey else None,
        loi=step.survey.loi if step.survey else None,
        outcomes=list(OUTCOMES.values()),
        action=request.script_root + request.full_path,  # a workspace's pages post under its /w/{name}
    )
    resp = Response(html, 200, content_type="text/html; charset=utf-8")
    resp.set_cookie(COOKIE, v.reference_id, httponly=True, samesite="Lax", path=request.script_root + "/TrafficUI")
    return resp


def _message(status: int, title: str, lines: list[str]) -> Response:
    html = render_template("message.html", title=title, lines=lines)
    return Response(html, status, content_type="text/html; charset=utf-8")


def blueprint(flow: SurveyFlow) -> Blueprint:
    bp = Blueprint("landing", __name__)
    bind(bp, INVITE_PATH, survey_entry, flow, methods=["GET", "POST"])
    return bp
