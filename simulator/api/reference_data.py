"""Reference data (``/IPUtilityService/ReferenceData/...``), opened by the ``PARTNER_AUTH_KEY`` header."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from simulator.domain.errors import BadRequestError, ForbiddenError
from simulator.domain.outcomes import REJECTIONS
from simulator.domain.reference import FROM_PROFILE, ReferenceData, question_to_wire, select

from .context import backend
from .errors import json_response
from .journaling import note
from .limits import json_body

bp = Blueprint("reference_data", __name__, url_prefix="/IPUtilityService/ReferenceData")
MAX_CULTURES = 5


@bp.before_request
def partner_key() -> None:
    note("reference_" + (request.endpoint or "").rsplit(".", 1)[-1])
    key = request.headers.get("PARTNER_AUTH_KEY")
    panels = backend().store.inventory.snapshot().panels.values()
    if not key or not any(p.reference_data_key and p.reference_data_key == key for p in panels):
        raise ForbiddenError("Forbidden: invalid PARTNER_AUTH_KEY.")


def _data() -> ReferenceData:
    return backend().store.inventory.snapshot().reference


@bp.get("/Cultures")
def cultures() -> Response:
    return json_response(
        [{"CultureID": c.culture_id, "Name": c.name, "Description": c.description} for c in _data().cultures]
    )


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise BadRequestError(f"The value '{value}' is not valid for {name}: use true or false.")


def _ids(body: dict[str, Any], name: str) -> list[int]:
    value = body.get(name) or []
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise BadRequestError(f"{name} must be a list of whole numbers.")
    return value


def _since(body: dict[str, Any]) -> datetime | None:
    text = body.get("LastUpdateDate")
    if text in (None, ""):
        return None
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise BadRequestError(f"The value '{text}' is not valid for LastUpdateDate: use YYYY-MM-DDTHH:MM:SS.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@bp.post("/QuestionsAndAnswersData")
def questions_and_answers() -> Response:
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequestError("Send a JSON body with CultureIDs (at most 5) and the optional filters.")
    cultures = _ids(body, "CultureIDs")
    if not cultures:
        raise BadRequestError("CultureIDs is required: give 1 to 5 CultureIDs.")
    if len(cultures) > MAX_CULTURES:
        raise BadRequestError(f"At most {MAX_CULTURES} CultureIDs per request; got {len(cultures)}.")
    found = select(
        _data(),
        cultures,
        _ids(body, "CategoryIDs"),
        _since(body),
        _flag(body, "IncludeComputed"),
        _flag(body, "IncludeRoutables"),
        _flag(body, "IncludeDemographics"),
    )
    return json_response([question_to_wire(q) for q in found])


@bp.get("/QuestionAndAnswersData/<int:question_id>/<int:culture_id>")
def question_data(question_id: int, culture_id: int) -> Response:
    """One question as a one-item list; an empty 200 for a computed question (as Toluna documents it), an empty
    list for one the culture does not have."""
    q = _data().question(culture_id, question_id)
    if q is not None and q.computed:
        return Response(b"", 200, content_type="application/json; charset=utf-8")
    return json_response([question_to_wire(q)] if q is not None and q.question_id not in FROM_PROFILE else [])


@bp.get("/DeviceTypes")
def device_types() -> Response:
    return json_response(_data().lists.get("DeviceTypes", []))


@bp.get("/StudyTypes")
def study_types() -> Response:
    return json_response(_data().lists.get("StudyTypes", []))


@bp.get("/Currencies")
def currencies() -> Response:
    return json_response(_data().lists.get("Currencies", []))


@bp.get("/QuestionCategories")
def question_categories() -> Response:
    return json_response(_data().lists.get("QuestionCategories", []))


@bp.get("/Rejectiontypes")
@bp.get("/RejectionTypes")
def rejection_types() -> Response:
    return json_response(
        [
            {
                "RespondentRejectionTypeID": r.rejection_id,
                "PartnerRejectionName": r.name,
                "PartnerRejectionDescription": r.description,
            }
            for r in sorted(REJECTIONS.values(), key=lambda r: r.rejection_id)
        ]
    )
