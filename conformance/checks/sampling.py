"""Sampling: every invite the partner asks for is judged by the sandbox's decision chain; a refusal that a
partner following Toluna's sampling rules would not have met is a violation, with the explanation tree."""

from __future__ import annotations

from typing import Any

from ..facts import Facts, InviteAttempt
from ..model import Evidence, Severity
from ..oracle import AGE, POSTAL
from ..registry import Verdict, check

STEP = "Sampling"


def _evidence(f: Facts, a: InviteAttempt, why: str, tree: bool = False) -> Evidence:
    text = None
    if tree:
        explained = f.explain(a.member, a.quota)
        text = explained.get("Tree") if explained else None
    return Evidence(
        summary=why, journal_id=a.request.id, member=a.member, quota=a.quota, request=a.request.describe(), tree=text
    )


def _refused(f: Facts, codes: set[int]) -> list[InviteAttempt]:
    return [a for a in f.invites if a.result_code in codes and not a.forced]


def judged_invites(f: Facts) -> list[InviteAttempt]:
    """The invites Toluna's rules answered (not those the run forced, which the coverage matrix judges)."""
    return [a for a in f.invites if not a.forced]


def _features(quota: dict[str, Any]) -> set[str]:
    """The sampling rules a quota puts to the test (an invite to it judges them)."""
    layers = quota.get("Layers") or []
    out = {"sampling", "unanswered"}
    if len(layers) > 1:
        out.add("every_layer")
    for layer in layers:
        for sq in layer.get("SubQuotas") or []:
            questions = {qa["QuestionID"] for qa in sq.get("QuestionsAndAnswers") or []}
            if len(questions) > 1:
                out.add("and_across_questions")
            if AGE in questions:
                out.add("age")
            if POSTAL in questions:
                out.add("postal")
    return out


def _invites_to_surveys(f: Facts, which: Any) -> int:
    """How many judged invites went to quotas of the surveys ``which(survey)`` picks."""
    quotas = {q["QuotaID"] for s in f.inventory.get("Surveys", []) if which(s) for q in s["Quotas"]}
    return sum(1 for a in judged_invites(f) if a.quota in quotas)


def _relevant(f: Facts, rule: str) -> int:
    quotas = {q["QuotaID"]: q for s in f.inventory.get("Surveys", []) for q in s["Quotas"]}
    return sum(1 for a in judged_invites(f) if a.quota in quotas and rule in _features(quotas[a.quota]))


def _by_rule(f: Facts, rule: str) -> Verdict:
    problems = []
    for a, broken in f.sampling_violations():
        if broken == rule:
            explained = f.explain(a.member, a.quota)
            problems.append(
                Evidence(
                    summary=f"member {a.member} does not match quota {a.quota}",
                    journal_id=a.request.id,
                    member=a.member,
                    quota=a.quota,
                    request=a.request.describe(),
                    tree=explained.get("Tree") if explained else None,
                )
            )
    return Verdict(
        problems,
        judged=_relevant(f, rule),
        failed=f"{len(problems)} invite(s) for members who do not match",
        nothing=f"the partner asked for no invite to a quota that puts this rule ({rule}) to the test",
    )


SAMPLING_RULES = (
    ("SMP-01", "every_layer", "Every layer of a quota is matched", "A member must match every layer of the quota."),
    (
        "SMP-02",
        "and_across_questions",
        "AND across questions, OR within a question",
        "In a subquota every distinct QuestionID must match, through any of its listed answers.",
    ),
    (
        "SMP-03",
        "age",
        "Age computed on the day",
        "Age targets (1001538, brackets or AnswerValues ranges) apply to the member's age on the day of the invite.",
    ),
    (
        "SMP-04",
        "postal",
        "Postal codes by prefix",
        "Postal targets (1001042) match when the member's PostalCode starts with one of the listed values.",
    ),
    (
        "SMP-05",
        "unanswered",
        "Unanswered non-routable questions disqualify",
        "A member who has not answered a non-routable targeted question does not match (routable ones are asked "
        "in Toluna's prescreener and do not disqualify).",
    ),
    (
        "SMP-06",
        "sampling",
        "Other sampling mismatches",
        "A member may be sampled for a quota only when it matches the quota under Toluna's rules.",
    ),
)


def _register(check_id: str, rule: str, title: str, text: str) -> None:
    check(check_id, title, STEP, Severity.MUST, text)(lambda f: _by_rule(f, rule))


for _id, _rule, _title, _text in SAMPLING_RULES:
    _register(_id, _rule, _title, _text)


@check(
    "SMP-07",
    "One quota per survey per member",
    STEP,
    Severity.MUST,
    "A member is targeted for one quota per survey (SurveyID+WaveID) only.",
)
def one_quota(f: Facts) -> Verdict:
    problems = [
        _evidence(f, a, f"member {a.member} already holds an invite for another quota of this survey")
        for a in _refused(f, {16})
        if "one quota per survey" in (a.request.note or "")
    ]
    return Verdict(
        problems,
        judged=_invites_to_surveys(f, lambda s: len(s["Quotas"]) > 1),
        failed=f"{len(problems)} second quota(s) of a survey asked for",
        nothing="the partner asked for no invite to a survey with several quotas",
    )


@check(
    "SMP-08",
    "No invites for members Toluna cannot route",
    STEP,
    Severity.MUST,
    "Inactive, suspended, blocked, opted-out and PII-regulated members (and unknown ones) are never invited.",
)
def member_state(f: Facts) -> Verdict:
    """A first refusal of a member Toluna blocked or suspended on its side is how a partner learns of it; asking
    again after it, or for a member the partner itself made inactive or PII-regulated, is the violation."""
    names = {
        12: "unknown or PII-regulated",
        13: "not routable (opted out, or no birth date/gender)",
        14: "blocked",
        22: "inactive or suspended",
    }
    told: dict[str, int] = {}
    problems = []
    for a in f.invites:
        if a.member in told or a.member in f.members_made_unroutable(a.request.wall):
            why = names.get(told.get(a.member, 0), "inactive or PII-regulated by the partner's own request")
            problems.append(_evidence(f, a, f"member {a.member} is {why}"))
        elif a.result_code in names:
            told[a.member] = a.result_code
    last = max((r.wall for r in f.requests), default=None)
    moments = len(told) + (len(f.members_made_unroutable(last)) if last else 0)
    return Verdict(
        problems,
        judged=moments,
        passed=f"{moments} member(s) Toluna could not route, none invited after it was known",
        failed=f"{len(problems)} invite(s) for members Toluna cannot route",
        nothing="no member of the partner's turned out to be one Toluna cannot route",
    )


@check(
    "SMP-09",
    "SurveyWaveExclusions respected",
    STEP,
    Severity.MUST,
    "A member whose participation in an excluded survey/wave has one of the listed statuses is not invited.",
)
def exclusions(f: Facts) -> Verdict:
    problems = [_evidence(f, a, f"member {a.member} is excluded: {a.request.note}") for a in _refused(f, {30})]
    return Verdict(
        problems,
        judged=_invites_to_surveys(f, lambda s: s.get("SurveyWaveExclusions")),
        failed=f"{len(problems)} invite(s) against SurveyWaveExclusions",
        nothing="the partner asked for no invite to a survey with SurveyWaveExclusions",
    )


@check(
    "SMP-10",
    "No invites to quotas that are not live",
    STEP,
    Severity.MUST,
    "Only quotas GetQuotas lists (live, with completes remaining) are sampled; on hold, full or closed ones are not.",
)
def not_live(f: Facts) -> Verdict:
    """Quotas the suite itself put on hold or closed during the run are the Notifications step's to judge."""
    codes = {9: "on hold", 10: "closed or unknown", 27: "not available in this interval", 28: "full", 46: "full"}
    moved = f.quotas_moved_by_suite()
    listed = set(f.quota_survey())
    problems = [
        _evidence(f, a, f"quota {a.quota} is {codes[a.result_code]}")
        for a in _refused(f, set(codes))
        if a.quota not in moved and a.quota not in listed
    ]
    return Verdict(
        problems,
        judged=len(judged_invites(f)),
        failed=f"{len(problems)} invite(s) to quotas that were not live",
        nothing="the partner asked for no invite",
    )


@check(
    "SMP-11",
    "No own-sampled invites to recontact surveys",
    STEP,
    Severity.MUST,
    "Recontact quotas are offered only to the member codes Toluna lists for them.",
)
def recontact_only_listed(f: Facts) -> Verdict:
    problems = [
        _evidence(f, a, f"member {a.member} is not on quota {a.quota}'s recontact list") for a in _refused(f, {43})
    ]
    return Verdict(
        problems,
        judged=_invites_to_surveys(f, lambda s: s.get("IsSurveyRecontact")),
        failed=f"{len(problems)} recontact invite(s) for members Toluna did not list",
        nothing="the partner asked for no invite to a recontact quota",
    )
