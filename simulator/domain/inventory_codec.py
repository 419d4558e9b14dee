"""Toluna's GetQuotas wire shape <-> the domain model.

Key order follows Toluna's real bodies (``QuestionsAndAnswers`` before ``SubQuotaID``; ``IsTqsSurvey`` after
``Quotas``), so a served body reads like Toluna's byte for byte up to formatting. Keys Toluna may add later are
kept in ``extra`` and served back, so a captured body round-trips.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from .model import Layer, Quota, QuotaState, SubQuota, Survey, SurveyState, Target, WaveExclusion

_SURVEY_KEYS = {
    "SurveyID",
    "SurveyName",
    "SurveyTopic",
    "WaveID",
    "LOI",
    "IR",
    "StudyTypeID",
    "ScheduledCompletionDate",
    "Price",
    "DeviceTypeIDs",
    "IsSurveyRecontact",
    "CompletesRequired",
    "EstimatedCompletesRemaining",
    "Quotas",
    "IsTqsSurvey",
    "SurveyWaveExclusions",
}
_QUOTA_KEYS = {"QuotaID", "CompletesRequired", "EstimatedCompletesRemaining", "Layers"}


def target_from_wire(d: dict[str, Any]) -> Target:
    return Target(
        question_id=int(d["QuestionID"]),
        answer_ids=tuple(int(a) for a in d.get("AnswerIDs") or ()),
        answer_values=tuple(str(v) for v in d.get("AnswerValues") or ()),
        is_routable=bool(d.get("IsRoutable", False)),
    )


def target_to_wire(t: Target) -> dict[str, Any]:
    return {
        "QuestionID": t.question_id,
        "AnswerIDs": list(t.answer_ids),
        "AnswerValues": list(t.answer_values),
        "IsRoutable": t.is_routable,
    }


def quota_from_wire(d: dict[str, Any], state: QuotaState | None = None) -> Quota:
    layers = [
        Layer(
            layer_id=int(layer["LayerID"]),
            subquotas=[
                SubQuota(
                    subquota_id=int(sq["SubQuotaID"]),
                    current_completes=int(sq.get("CurrentCompletes", 0)),
                    max_target_completes=int(sq["MaxTargetCompletes"]),
                    targets=tuple(target_from_wire(t) for t in sq.get("QuestionsAndAnswers") or ()),
                )
                for sq in layer.get("SubQuotas") or ()
            ],
        )
        for layer in d.get("Layers") or ()
    ]
    return Quota(
        quota_id=int(d["QuotaID"]),
        completes_required=int(d["CompletesRequired"]),
        estimated_completes_remaining=int(d["EstimatedCompletesRemaining"]),
        layers=layers,
        state=state or QuotaState(),
        extra={k: v for k, v in d.items() if k not in _QUOTA_KEYS},
    )


def quota_to_wire(q: Quota, include_routables: bool = True) -> dict[str, Any]:
    def keep(t: Target) -> bool:
        return include_routables or not t.is_routable

    body: dict[str, Any] = {
        "QuotaID": q.quota_id,
        "CompletesRequired": q.completes_required,
        "EstimatedCompletesRemaining": q.estimated_completes_remaining,
        "Layers": [
            {
                "LayerID": layer.layer_id,
                "SubQuotas": [
                    {
                        "QuestionsAndAnswers": [target_to_wire(t) for t in sq.targets if keep(t)],
                        "SubQuotaID": sq.subquota_id,
                        "CurrentCompletes": sq.current_completes,
                        "MaxTargetCompletes": sq.max_target_completes,
                    }
                    for sq in layer.subquotas
                ],
            }
            for layer in q.layers
        ],
    }
    body.update(q.extra)
    return body


def survey_from_wire(
    d: dict[str, Any],
    culture: str,
    state: SurveyState | None = None,
    quota_states: dict[int, QuotaState] | None = None,
) -> Survey:
    price = d.get("Price") or {}
    quota_states = quota_states or {}
    return Survey(
        survey_id=int(d["SurveyID"]),
        wave_id=int(d["WaveID"]),
        culture=culture,
        name=d.get("SurveyName"),
        topic=d.get("SurveyTopic"),
        loi=int(d["LOI"]),
        ir=int(d["IR"]),
        study_type_id=int(d.get("StudyTypeID", 0)),
        scheduled_completion_date=d.get("ScheduledCompletionDate"),
        price_amount=float(price.get("Amount", 0.0)),
        currency_id=int(price.get("CurrencyID", 1)),
        device_type_ids=tuple(int(x) for x in d.get("DeviceTypeIDs") or ()),
        is_recontact=bool(d.get("IsSurveyRecontact", False)),
        is_tqs=d.get("IsTqsSurvey"),
        completes_required=int(d["CompletesRequired"]),
        estimated_completes_remaining=int(d["EstimatedCompletesRemaining"]),
        quotas=[quota_from_wire(q, quota_states.get(int(q["QuotaID"]))) for q in d.get("Quotas") or ()],
        exclusions=tuple(
            WaveExclusion(
                survey_id=int(x["SurveyID"]),
                wave_id=int(x.get("WaveID") or 0),
                participation_status_ids=tuple(int(s) for s in x.get("ParticipationStatusIDs") or ()),
            )
            for x in d.get("SurveyWaveExclusions") or ()
        ),
        state=state or SurveyState(),
        extra={k: v for k, v in d.items() if k not in _SURVEY_KEYS},
    )


def survey_to_wire(s: Survey, quotas: list[Quota] | None = None, include_routables: bool = True) -> dict[str, Any]:
    """Toluna's survey object; ``quotas`` narrows the quotas listed (GetQuotas lists only open ones)."""
    body: dict[str, Any] = {"SurveyID": s.survey_id}
    if s.name is not None:
        body["SurveyName"] = s.name
    if s.topic is not None:
        body["SurveyTopic"] = s.topic
    body.update(
        {
            "WaveID": s.wave_id,
            "LOI": s.loi,
            "IR": s.ir,
            "StudyTypeID": s.study_type_id,
            "ScheduledCompletionDate": s.scheduled_completion_date,
            "Price": {"Amount": s.price_amount, "CurrencyID": s.currency_id},
            "DeviceTypeIDs": list(s.device_type_ids),
            "IsSurveyRecontact": s.is_recontact,
            "CompletesRequired": s.completes_required,
            "EstimatedCompletesRemaining": s.estimated_completes_remaining,
            "Quotas": [quota_to_wire(q, include_routables) for q in (s.quotas if quotas is None else quotas)],
        }
    )
    if s.is_tqs is not None:
        body["IsTqsSurvey"] = s.is_tqs
    body["SurveyWaveExclusions"] = [
        {"SurveyID": x.survey_id, "WaveID": x.wave_id, "ParticipationStatusIDs": list(x.participation_status_ids)}
        for x in s.exclusions
    ]
    body.update(s.extra)
    return body


def state_to_dict(state: SurveyState | QuotaState) -> dict[str, Any]:
    """Only the fields that differ from the defaults: stored documents and scenario files stay short."""
    default = type(state)()
    out = {}
    for k, v in asdict(state).items():
        if v != getattr(default, k):
            out[k] = [target_to_wire(t) for t in state.hidden_targets] if k == "hidden_targets" else v
    return out


def survey_state_from_dict(d: dict[str, Any] | None) -> SurveyState:
    d = dict(d or {})
    if "hidden_targets" in d:
        d["hidden_targets"] = tuple(target_from_wire(t) for t in d["hidden_targets"])
    known = {f.name for f in fields(SurveyState)}
    return SurveyState(**{k: v for k, v in d.items() if k in known})


def quota_state_from_dict(d: dict[str, Any] | None) -> QuotaState:
    known = {f.name for f in fields(QuotaState)}
    return QuotaState(**{k: v for k, v in (d or {}).items() if k in known})
