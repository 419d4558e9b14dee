"""Toluna's profile pages (``/TrafficUI/MSCUI/Profilepage.aspx``): where GetNextProfileURL and the member profile
survey send a member. The page asks one category's questions (category 0: birth date, gender, postal code);
Save writes the answers to the member and goes to ``redirect``, Cancel goes to ``cancel``."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request

from simulator.domain.dashboard import PROFILE_SURVEY_ID
from simulator.domain.endpages import fill
from simulator.domain.errors import BadRequestError
from simulator.domain.model import Panel
from simulator.domain.profiles import BASIC
from simulator.domain.urls import PROFILE_PATH
from simulator.services.members import Members

from .context import bind
from .journaling import note


def _context(members: Members) -> tuple[Panel, str, int]:
    args = request.args
    panel = members.panel(args.get("guid"))
    code = args.get("mc", "")
    note("profile_page", panel.guid, code)
    try:
        category = int(args.get("pt", BASIC))
    except ValueError:
        raise BadRequestError("pt is a category id.") from None
    return panel, code, category


def profile_page(members: Members) -> Response:
    panel, code, category = _context(members)
    form = members.profile_form(panel, code, category)
    html = render_template(
        "profile.html",
        member=form.member,
        questions=form.questions,
        basic=form.basic,
        title=form.title,
        cancel=request.args.get("cancel"),
    )
    return Response(html, 200, content_type="text/html; charset=utf-8")


def _answers(form: Any, panel: Any, category: int) -> dict[str, Any]:
    """The form as a member API body: RegistrationAnswers (open-ended answers with their AnswerValue)."""
    doc: dict[str, Any] = {}
    answers = []
    if category == BASIC:
        born = form.get("BirthDate", "").strip()
        if born:
            parsed = date.fromisoformat(born) if "-" in born else None
            doc["BirthDate"] = parsed.strftime("%m/%d/%Y") if parsed else born
        if form.get("PostalCode", "").strip():
            doc["PostalCode"] = form["PostalCode"].strip()
        if form.get("gender"):
            answers.append({"QuestionID": 1001007, "Answers": [{"AnswerID": int(form["gender"])}]})
    for key in form:
        if key.startswith("q") and key[1:].isdigit():
            values = [v for v in form.getlist(key) if v.strip()]
            if not values:
                continue
            question = int(key[1:])
            if key + "_id" in form:  # open-ended: the question's answer id, the text as its value
                answers.append(
                    {
                        "QuestionID": question,
                        "Answers": [{"AnswerID": int(form[key + "_id"]), "AnswerValue": values[0]}],
                    }
                )
            else:
                answers.append({"QuestionID": question, "Answers": [{"AnswerID": int(v)} for v in values]})
    if answers:
        doc["RegistrationAnswers"] = answers
    return doc


def save_profile(members: Members) -> Response:
    panel, code, category = _context(members)
    if request.form.get("action") == "cancel":
        return redirect(request.args.get("cancel") or _home(), 302)
    try:
        members.save_profile(panel, code, _answers(request.form, panel, category))
    except ValueError:
        raise BadRequestError("A birth date is YYYY-MM-DD or MM/DD/YYYY.") from None
    back = request.args.get("redirect")
    if not back:  # the member profile survey ends on the partner's end page, as a survey does
        template = panel.settings.get("Qualified URL") or ""
        back = (
            fill(
                template,
                survey_id=PROFILE_SURVEY_ID,
                survey_name="MemberProfileSurvey",
                wave_id=0,
                member_code=code,
                custom=[],
            )
            if template
            else _home()
        )
    return redirect(back, 302)


def _home() -> str:
    """Where a member with nowhere else to go lands: this sandbox's (or workspace's) landing page."""
    return request.script_root + "/"


def blueprint(members: Members) -> Blueprint:
    bp = Blueprint("profile", __name__)
    bind(bp, PROFILE_PATH, profile_page, members)
    bind(bp, PROFILE_PATH, save_profile, members, methods=["POST"])
    return bp
