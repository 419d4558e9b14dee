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
from simulator.domain.profiles import BASIC, category_questions
from simulator.domain.reference import Culture
from simulator.survey_flow import PROFILE_PATH

from .context import backend
from .journaling import note

bp = Blueprint("profile", __name__)


def _context() -> tuple[Any, str, int]:
    args = request.args
    panel = backend().member_panel(args.get("guid"))
    code = args.get("mc", "")
    note("profile_page", panel.guid, code)
    try:
        category = int(args.get("pt", BASIC))
    except ValueError:
        raise BadRequestError("pt is a category id.") from None
    return panel, code, category


@bp.get(PROFILE_PATH)
def profile_page() -> Response:
    panel, code, category = _context()
    member = backend().dashboard_member(panel, code)
    data = backend().store.inventory.snapshot().reference
    culture = data.culture(panel.culture) or Culture(0, panel.culture.lower(), panel.culture)
    questions = [] if category == BASIC else category_questions(data, culture, category)
    name = next((c["Name"] for c in data.lists.get("QuestionCategories", []) if c["CategoryID"] == category), "")
    html = render_template(
        "profile.html",
        member=member,
        questions=questions,
        basic=category == BASIC,
        title="Member profile" if category == BASIC else f"Your profile: {name}",
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


@bp.post(PROFILE_PATH)
def save_profile() -> Response:
    panel, code, category = _context()
    if request.form.get("action") == "cancel":
        return redirect(request.args.get("cancel") or "/", 302)
    try:
        backend().save_profile(panel, code, _answers(request.form, panel, category))
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
            else "/"
        )
    return redirect(back, 302)
