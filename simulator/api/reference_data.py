"""Reference data (``/IPUtilityService/ReferenceData/...``), opened by the ``PARTNER_AUTH_KEY`` header."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from flask import Blueprint, Response, g, request

from simulator.domain.errors import BadRequestError
from simulator.domain.outcomes import REJECTIONS
from simulator.domain.reference import FROM_PROFILE, ReferenceData, question_to_wire, select
from simulator.services.access import Access

from .context import bind
from .errors import json_response
from .journaling import note
from .limits import json_body

MAX_CULTURES = 5


def partner_key(access: Access) -> None:
    """Every route: noted in the journal, then opened by a ``PARTNER_AUTH_KEY`` (the reference data it opens is
    kept for the view)."""
    note("reference_" + (request.endpoint or "").rsplit(".", 1)[-1])
    g.reference_data = access.reference_data(request.headers.get("PARTNER_AUTH_KEY"))


def _data() -> ReferenceData:
    return g.reference_data


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


def question_data(question_id: int, culture_id: int) -> Response:
    """One question as a one-item list; an empty 200 for a computed question (as Toluna documents it), an empty
    list for one the culture does not have."""
    q = _data().question(culture_id, question_id)
    if q is not None and q.computed:
        return Response(b"", 200, content_type="application/json; charset=utf-8")
    return json_response([question_to_wire(q)] if q is not None and q.question_id not in FROM_PROFILE else [])


def device_types() -> Response:
    return json_response(_data().lists.get("DeviceTypes", []))


def study_types() -> Response:
    return json_response(_data().lists.get("StudyTypes", []))


def currencies() -> Response:
    return json_response(_data().lists.get("Currencies", []))


def question_categories() -> Response:
    return json_response(_data().lists.get("QuestionCategories", []))


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


def blueprint(access: Access) -> Blueprint:
    bp = Blueprint("reference_data", __name__, url_prefix="/IPUtilityService/ReferenceData")
    bp.before_request(partial(partner_key, access))
    bind(bp, "/Cultures", cultures)
    bind(bp, "/QuestionsAndAnswersData", questions_and_answers, methods=["POST"])
    bind(bp, "/QuestionAndAnswersData/<int:question_id>/<int:culture_id>", question_data)
    bind(bp, "/DeviceTypes", device_types)
    bind(bp, "/StudyTypes", study_types)
    bind(bp, "/Currencies", currencies)
    bind(bp, "/QuestionCategories", question_categories)
    bind(bp, "/Rejectiontypes", rejection_types)
    bind(bp, "/RejectionTypes", rejection_types)
    return bp
