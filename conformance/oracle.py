"""Why an invite broke Toluna's sampling rules: the explanation tree of a refused invite, read against the usual
ways a partner's own sampling goes wrong.

The sandbox's ``explain`` gives, for a member and a quota, every layer, subquota and question with its outcome.
A partner that mis-implements one rule invites exactly the members that rule would have refused; so the violation
is the first rule whose relaxation would have let this member through (an unanswered non-routable question
counted as a match, age not computed on the day, postal codes not matched by prefix, questions ORed instead of
ANDed, layers after the first ignored).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

AGE, POSTAL = 1001538, 1001042
Question = dict[str, Any]


def _passes(q: Question) -> bool:
    return q["Outcome"] in ("match", "unanswered-routable")


def _matched(tree: dict[str, Any], ok: Callable[[Question], bool], any_question: bool = False) -> bool:
    """Whether every layer has a subquota that passes when questions pass by ``ok`` (ANDed, or ORed)."""
    for layer in tree["Layers"]:
        subs = layer["SubQuotas"]
        if not any(
            (any if any_question else all)(ok(q) for q in sq["Questions"]) or not sq["Questions"] for sq in subs
        ):
            return False
    return True


#: (rule key, relaxation): the first relaxation under which the member passes names the rule the partner broke.
RELAXATIONS: tuple[tuple[str, Callable[[dict[str, Any]], bool]], ...] = (
    ("unanswered", lambda t: _matched(t, lambda q: _passes(q) or q["Outcome"] == "unanswered")),
    ("age", lambda t: _matched(t, lambda q: _passes(q) or q["QuestionID"] == AGE)),
    ("postal", lambda t: _matched(t, lambda q: _passes(q) or q["QuestionID"] == POSTAL)),
    ("and_across_questions", lambda t: _matched(t, _passes, any_question=True)),
    ("every_layer", lambda t: _matched({"Layers": t["Layers"][:1]}, _passes)),
)


def broken_rule(tree: dict[str, Any] | None) -> str:
    """The rule a refused invite breaks: one of the keys above, or ``sampling`` when none explains it alone."""
    if not tree or tree.get("Matched"):
        return "sampling"
    return next((rule for rule, relaxed in RELAXATIONS if relaxed(tree)), "sampling")
