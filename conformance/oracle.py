"""Why an invite broke Toluna's sampling rules: the explanation tree of a refused invite, read against the usual
ways a partner's own sampling goes wrong.

The sandbox's ``explain`` gives, for a member and a quota, every layer, subquota and question with its outcome.
A partner that mis-implements one rule invites exactly the members that rule would have refused, so a refused
invite is explained by the rules whose relaxation would have let the member through (an unanswered non-routable
question counted as a match, age not computed on the day, postal codes not matched by prefix, questions ORed
instead of ANDed, layers after the first ignored). One refusal may be explained by several; a partner's refusals
taken together are explained by few: each is put on the rule that explains the most of them (greedily), which
names the one mistake a partner makes rather than every rule it happens to touch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

Key = TypeVar("Key", bound=Hashable)
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


def explaining(tree: dict[str, Any] | None) -> set[str]:
    """The rules whose relaxation alone would have let this member through."""
    if not tree or tree.get("Matched"):
        return set()
    return {rule for rule, relaxed in RELAXATIONS if relaxed(tree)}


def attribute(trees: dict[Key, dict[str, Any] | None]) -> dict[Key, str]:
    """Each refused invite's broken rule: greedily the rule explaining most of the partner's refusals (ties go to
    the order of ``RELAXATIONS``); ``sampling`` for one no single relaxation explains."""
    order = [rule for rule, _ in RELAXATIONS]
    remaining = {key: explaining(tree) for key, tree in trees.items()}
    out: dict[Key, str] = {}
    while True:
        counts = Counter(rule for rules in remaining.values() for rule in rules)
        if not counts:
            break
        best = max(counts, key=lambda rule: (counts[rule], -order.index(rule)))
        for key in [k for k, rules in remaining.items() if best in rules]:
            out[key] = best
            del remaining[key]
    out.update({key: "sampling" for key in remaining})
    return out
