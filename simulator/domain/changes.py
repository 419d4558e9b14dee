"""Changes to quotas and surveys as pure edits of the model: the operator's (control API, timeline) and the
survey flow's (a qualified complete).

Bodies use the sandbox's state field names plus Toluna's counter names, already validated by ``control.json``.
"""

from __future__ import annotations

from typing import Any

from .inventory_codec import quota_state_from_dict, state_to_dict, survey_state_from_dict
from .model import Panel, Quota, QuotaState, Survey, SurveyState
from .sampling import QuotaCheck

_QUOTA_COUNTS = {
    "CompletesRequired": "completes_required",
    "EstimatedCompletesRemaining": "estimated_completes_remaining",
}


def change_quota(q: Quota, body: dict[str, Any]) -> None:
    """State flags (``live``, ...), counters, and ``SubQuotas: {SubQuotaID: CurrentCompletes}``."""
    state = {k: v for k, v in body.items() if k in QuotaState.__slots__}
    q.state = quota_state_from_dict({**state_to_dict(q.state), **state})
    for wire, attr in _QUOTA_COUNTS.items():
        if wire in body:
            setattr(q, attr, int(body[wire]))
    completes = {int(k): int(v) for k, v in (body.get("SubQuotas") or {}).items()}
    for layer in q.layers:
        for sq in layer.subquotas:
            if sq.subquota_id in completes:
                sq.current_completes = completes[sq.subquota_id]


def change_survey(s: Survey, body: dict[str, Any]) -> None:
    """SurveyState fields (``status``, ``es_enabled``, ...) and ``EstimatedCompletesRemaining``."""
    state = {k: v for k, v in body.items() if k in SurveyState.__slots__}
    s.state = survey_state_from_dict({**state_to_dict(s.state), **state})
    if "EstimatedCompletesRemaining" in body:
        s.estimated_completes_remaining = int(body["EstimatedCompletesRemaining"])


def count_complete(s: Survey, quota_id: int, check: QuotaCheck) -> bool:
    """A qualified complete: each layer's first matching subquota with room counts it, and the quota and the
    survey need one fewer. False, and nothing changed, when there is no room left for this member."""
    q = s.quota(quota_id)
    if q is None or q.is_full or s.estimated_completes_remaining <= 0:
        return False
    credited = []
    for layer, layer_check in zip(q.layers, check.layers, strict=True):
        room = {c.subquota_id for c in layer_check.subquotas if c.matched and not c.full}
        sq = next((sq for sq in layer.subquotas if sq.subquota_id in room and not sq.is_full), None)
        if sq is None:
            return False
        credited.append(sq)
    for sq in credited:
        sq.current_completes += 1
    q.estimated_completes_remaining -= 1
    s.estimated_completes_remaining -= 1
    return True


_PANEL_TUPLES = ("excluded_study_types", "excluded_customers")


def change_panel(p: Panel, body: dict[str, Any]) -> None:
    """Panel fields as a scenario names them; ``settings`` merge into the panel's (a null value clears one)."""
    for key, value in body.items():
        if key == "settings":
            p.settings = {**p.settings, **value}
        else:
            setattr(p, key, tuple(value) if key in _PANEL_TUPLES else value)
