"""Toluna's notification documents: field names, order, date formats and XML roots, one builder per kind.

Completion and termination (member status) follow Toluna's JSON and XML examples, with ``QuotaID`` for External
Sample partners and ``IsAutoRouted``/``OriginalSurveyID`` only for an auto-routed member; pre-start notifications
are terminations with ``IncidenceRate`` and, for panels with enhanced terminates, ``RejectionID``/``RejectionName``;
quota status and survey closed follow their pages. ``EncryptedValue`` is added to completions and terminations when
the panel has standard encryption.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from simulator.domain.events import QuotaStatus, SurveyClosed, VisitEnded
from simulator.domain.model import Panel

from .encryption import encrypt, notification_value

#: kind -> the XML root element of its document.
XML_ROOTS = {
    "complete": "confirmation",
    "terminate": "termination",
    "prestart": "termination",
    "quota": "quota",
    "survey": "survey",
    "reconciliation": "reconciliation",
}
_NAMESPACES = {
    "xmlns:xsd": "https://www.w3.org/2001/XMLSchema",
    "xmlns:xsi": "https://www.w3.org/2001/XMLSchema-instance",
}


def member_time(at: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC (completions, terminations, survey closed)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def quota_time(at: datetime) -> str:
    """``2018-10-22 19:58:42.99 +00:00``: hundredths of a second and the offset, as Toluna's example."""
    at = at.astimezone(UTC)
    return f"{at:%Y-%m-%d %H:%M:%S}.{at.microsecond // 10_000:02d} +00:00"


def member_status(e: VisitEnded, panel: Panel) -> dict[str, Any]:
    doc: dict[str, Any] = {"UniqueCode": e.member_code, "SurveyId": e.survey_id, "SurveyRef": e.survey_name or ""}
    if e.kind == "complete":
        doc["Revenue"] = e.revenue_cents
    else:
        doc["Reason"] = e.reason or "Terminated"
    doc["DateTime"] = member_time(e.at)
    doc["WaveId"] = e.wave_id
    if e.kind == "prestart" and e.incidence_rate is not None:
        doc["IncidenceRate"] = e.incidence_rate
    doc["QuotaID"] = e.quota_id
    doc["AdditionalData"] = e.additional_data
    if e.original_survey_id is not None:
        doc["IsAutoRouted"] = True
        doc["OriginalSurveyID"] = e.original_survey_id
    if e.kind == "prestart" and panel.enhanced_terminates and e.rejection is not None:
        doc["RejectionID"] = e.rejection.rejection_id
        doc["RejectionName"] = e.rejection.name
    if panel.encryption_algorithm and e.kind in ("complete", "terminate"):
        value = notification_value(e.survey_id, e.wave_id, e.member_code)
        doc["EncryptedValue"] = encrypt(panel.encryption_algorithm, value, panel.encryption_key)
    return doc


def quota_status(e: QuotaStatus) -> dict[str, Any]:
    return {
        "QuotaID": e.quota_id,
        "SurveyID": e.survey_id,
        "WaveID": e.wave_id,
        "IsLive": e.is_live,
        "UpdateDateTimeUTC": quota_time(e.at),
    }


def survey_closed(e: SurveyClosed) -> dict[str, Any]:
    return {
        "SurveyID": e.survey_id,
        "SurveyRef": e.survey_name or "",
        "Status": "Closed",
        "DateTime": member_time(e.at),
        "WaveId": e.wave_id,
    }


def reconciliation(
    e: VisitEnded, reconciliation_id: int, revenue_cents: int, completed_at: datetime, at: datetime
) -> dict[str, Any]:
    """A complete taken back: ``ReconciliationId`` says why, ``Revenue`` is what is deducted."""
    return {
        "SurveyId": e.survey_id,
        "SurveyRef": e.survey_name or "",
        "WaveId": e.wave_id,
        "QuotaId": e.quota_id,
        "UniqueCode": e.member_code,
        "IsAutoRouted": e.original_survey_id is not None,
        "OriginalSurveyId": e.original_survey_id,
        "ReconciliationId": reconciliation_id,
        "Revenue": revenue_cents,
        "OriginalCompleteDateTime": member_time(completed_at),
        "ReconciliationDateTime": member_time(at),
    }


def render(kind: str, doc: dict[str, Any], fmt: str) -> tuple[str, str]:
    """The body and its content type: JSON, or XML under the kind's root."""
    if fmt == "xml":
        root = ET.Element(XML_ROOTS[kind], _NAMESPACES)
        for key, value in doc.items():
            child = ET.SubElement(root, key)
            if value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
        return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode"), "application/xml; charset=utf-8"
    return json.dumps(doc, ensure_ascii=False), "application/json; charset=utf-8"
