"""Console pages: find a member by its code, and one member's page: status, profile answers named from the
reference data, participations and visits, and why GenerateInvite would accept or refuse it for a quota (the
decision and the sampling tree, the question that failed in red)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from simulator.domain import questions as q
from simulator.domain.errors import SandboxError
from simulator.domain.model import Member, MemberStatus
from simulator.domain.reference import ReferenceData
from simulator.domain.sampling import QuestionCheck
from simulator.services import Services
from simulator.services.explain import Explain
from simulator.services.members import Members

from ..context import bind

Page = str | tuple[str, int]


class Names:
    """Question and answer names in one culture of the reference data; a name the data lacks falls back to the id.
    Age (1001538) is computed from the birth date: its answers are Toluna's fixed age brackets."""

    def __init__(self, data: ReferenceData, culture_id: int) -> None:
        self.data = data
        self.culture_id = culture_id

    def question(self, question_id: int) -> str:
        found = self.data.question(self.culture_id, question_id)
        if found is not None:
            return found.display or found.internal_name or f"Question {question_id}"
        return "Age" if question_id == q.AGE else f"Question {question_id}"

    def answer(self, question_id: int, answer_id: int) -> str:
        if question_id == q.AGE and answer_id in q.AGE_BRACKETS:
            low, high = q.AGE_BRACKETS[answer_id]
            return f"{low}+ years" if high >= 150 else f"{low}-{high} years"
        found = self.data.question(self.culture_id, question_id)
        answer = found.answer(answer_id) if found is not None else None
        if answer is not None:
            return answer.translation or answer.internal_name or f"Answer {answer_id}"
        return f"Answer {answer_id}"

    def answers(self, member: Member, question_id: int) -> list[str]:
        """The member's answers to a question, named (an open answer's text after them)."""
        named = [f"{self.answer(question_id, a)} ({a})" for a in sorted(member.answers.get(question_id, ()))]
        text = member.open_answers.get(question_id)
        return named + ([repr(text)] if text is not None else [])

    def member_has(self, member: Member, c: QuestionCheck) -> str:
        """What the member has for a question of the sampling tree, in words."""
        if c.question_id not in q.DERIVED and (c.question_id in member.answers or c.question_id in member.open_answers):
            return ", ".join(self.answers(member, c.question_id))
        return c.member_has if c.member_has is not None else "no answer"

    def wanted(self, c: QuestionCheck) -> list[str]:
        """What a subquota asks for a question: its answers named, then its values (ranges, prefixes, text)."""
        shown = 20
        values = [repr(v) for v in c.wanted_values[:shown]]
        if len(c.wanted_values) > shown:
            values.append(f"... {len(c.wanted_values)} values in all")
        return [f"{self.answer(c.question_id, a)} ({a})" for a in c.wanted_ids] + values


def members_search(members: Members) -> Page:
    """``?code=`` (and ``panel=`` with several panels): the panels holding a member with this code."""
    code = (request.args.get("code") or "").strip()
    panel = (request.args.get("panel") or "").strip().lower()
    panels, found = members.find(code, panel or None)
    page = render_template("console/members.html", code=code, panel=panel, panels=panels, found=found)
    return page if found or not code else (page, 404)


def _quota(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 10 else None


def member_page(members: Members, explainer: Explain, code: str) -> Page:
    """One member (``?panel=``: its panel, default the first); ``?quota=``: explain GenerateInvite for that quota."""
    panel = (request.args.get("panel") or "").strip().lower() or None
    try:
        record = members.record(panel, code)
    except SandboxError as e:
        return render_template("console/member.html", code=code, error=str(e)), e.status
    names = Names(record.reference, record.culture_id)
    answered = sorted({*record.member.answers, *record.member.open_answers})
    quota_text = (request.args.get("quota") or "").strip()
    quota = _quota(quota_text)
    explained, problem = None, None
    if quota_text and quota is None:
        problem = f"QuotaID {quota_text!r} is not a quota id: give a whole number (e.g. 4200001)."
    elif quota is not None:
        try:
            explained = explainer.explain(record.panel.guid, record.member.member_code, quota)
        except SandboxError as e:
            problem = str(e)
    return render_template(
        "console/member.html",
        code=code,
        error=None,
        record=record,
        member=record.member,
        status=MemberStatus(record.member.status).name,
        names=names,
        answered=answered,
        participation_statuses=q.PARTICIPATION_STATUSES,
        quota_text=quota_text,
        explained=explained,
        problem=problem,
    )


def register(bp: Blueprint, services: Services) -> None:
    bind(bp, "/console/members", members_search, services.members)
    bind(bp, "/console/members/<code>", member_page, services.members, services.explain)
