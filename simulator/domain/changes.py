"""Operator changes to quotas and surveys (the control API's, later the timeline's), as pure edits of the model.

Bodies use the sandbox's state field names plus Toluna's counter names, already validated by ``control.json``.
"""

from __future__ import annotations

from typing import Any

from .inventory_codec import quota_state_from_dict, state_to_dict, survey_state_from_dict
from .model import Quota, QuotaState, Survey, SurveyState

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
