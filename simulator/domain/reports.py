"""Toluna's reporting API, computed from the sandbox's own history: statuses, the 30-day rule, and each report's
document in Toluna's shape and names (``Name``/``Description`` as in Toluna's examples).

Statuses: a participation's report status is the one its visit ended with (Qualified, QuotaFull, Terminated,
FraudTerminated); a visit still open after ``ABANDON_AFTER`` is Abandoned; history loaded from a scenario shows its
status id's name. A visit's activity (the ActivityDetails report) is Success when the survey started, QuotaFull when
it ended so, Abandoned when it never ended, and the pre-start status (QuotaOnHold, SurveyTaken, ...) otherwise.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import questions as q

MAX_RANGE = timedelta(days=30)
ABANDON_AFTER = timedelta(hours=24)
_STATUS_NAMES = {q.STARTED: "Started", q.TERMINATED: "Terminated", q.QUALIFIED: "Qualified", q.QUOTA_FULL: "QuotaFull"}
#: Report ids of history rows that no visit made: stable across requests, distinct per row.
_HISTORY_IDS = uuid.UUID("5f0c8a51-3e0f-4d0e-9a8b-7c1d2e3f4a5b")


class ReportError(ValueError):
    """A request the reporting API refuses with 400 (the message is Toluna's)."""


@dataclass(slots=True, frozen=True)
class Row:
    """A participation as the reports see it, with its visit's facts when a visit made it."""

    row_id: int
    member_code: str
    survey_id: int
    survey_name: str | None
    wave_id: int
    status_id: int
    status: str | None
    started_at: datetime
    event_at: datetime
    reference_id: str | None
    additional_data: str

    def report_status(self, now: datetime) -> str:
        if self.status_id == q.STARTED and now - self.started_at > ABANDON_AFTER:
            return "Abandoned"
        return self.status or _STATUS_NAMES.get(self.status_id, "Started")

    @property
    def reference(self) -> str:
        return self.reference_id or str(uuid.uuid5(_HISTORY_IDS, str(self.row_id)))

    def activity(self) -> Activity:
        """A history row as a visit: the member started the survey, and ended it as the row says."""
        outcome = {q.STARTED: None, q.QUOTA_FULL: "quota_full"}.get(self.status_id, "ended")
        return Activity("Success", outcome, self.started_at, self.reference)


@dataclass(slots=True, frozen=True)
class Activity:
    """One visit for the ActivityDetails report."""

    activity: str
    outcome: str | None
    at: datetime
    reference_id: str

    def status(self, now: datetime) -> str:
        if self.activity != "Success":
            return self.activity
        if self.outcome == "quota_full":
            return "QuotaFull"
        if self.outcome is None and now - self.at > ABANDON_AFTER:
            return "Abandoned"
        return "Success"


def parse_time(text: str | None, name: str) -> datetime:
    """Toluna's ``YYYY-MM-DD HH:MM:SS`` (a date alone, or ISO-8601, accepted too), in UTC."""
    if not text or not text.strip():
        raise ReportError(f"{name} is required (format YYYY-MM-DD HH:MM:SS, UTC).")
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset that takes it out of years 1 to 9999 in UTC
        raise ReportError(f"The value '{text}' is not valid for {name}: use YYYY-MM-DD HH:MM:SS (UTC).") from None


def date_range(start_text: str | None, end_text: str | None) -> tuple[datetime, datetime]:
    start, end = parse_time(start_text, "StartDate"), parse_time(end_text, "EndDate")
    if start >= end:
        raise ReportError(f"{start_text} must precede {end_text}")
    if end - start > MAX_RANGE:
        raise ReportError("Search date range cannot exceed 30 days")
    return start, end


def created(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def search_time(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat()


def event_time(at: datetime, offset: bool = True) -> str:
    text = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return text + "+00:00" if offset else text


Span = tuple[datetime, datetime]


def _header(name: str, description: str, partner: str) -> dict[str, Any]:
    return {"Name": name, "Description": description, "PartnerGUID": partner}


def _range(now: datetime, start: datetime, end: datetime) -> dict[str, str]:
    return {"CreatedUTC": created(now), "StartSearchUTC": search_time(start), "EndSearchUTC": search_time(end)}


def survey_status(status: str, survey_name: str | None, survey_id: int, wave_id: int) -> dict[str, Any]:
    return {"Status": status, "SurveyName": survey_name, "SurveyID": survey_id, "WaveID": wave_id}


def survey_member_status(
    partner: str,
    survey_id: int,
    survey_name: str | None,
    wave_id: int | None,
    rows: list[Row],
    span: Span,
    now: datetime,
) -> dict[str, Any]:
    doc = _header("SurveyMemberStatusReport", "Shows Member responses to the requested Survey", partner)
    doc["SurveyID"] = survey_id
    if wave_id is not None:
        doc["WaveId"] = wave_id
    doc["SurveyName"] = survey_name
    doc.update(_range(now, *span))
    doc["Details"] = [
        {
            "MemberCode": r.member_code,
            "Status": r.report_status(now),
            "EventDate": event_time(r.event_at),
            "ReferenceID": r.reference,
        }
        for r in rows
    ]
    return doc


def member_survey_status(partner: str, member_code: str, rows: list[Row], span: Span, now: datetime) -> dict:
    doc = _header("MemberSurveyStatusReport", "Shows Member Responses to all Surveys within a data range", partner)
    doc["MemberCode"] = member_code
    doc.update(_range(now, *span))
    doc["Details"] = [
        {
            "SurveyID": r.survey_id,
            "Status": r.report_status(now),
            "EventDate": event_time(r.event_at),
            "ReferenceID": r.reference,
            "WaveId": r.wave_id,
        }
        for r in rows
    ]
    return doc


#: Every status the summary counts, in the order it lists them (statuses with no participation are left out).
SUMMARY_STATUSES = ("Started", "Abandoned", "Terminated", "FraudTerminated", "QuotaFull", "Qualified")


def panel_activity_summary(partner: str, rows: list[Row], span: Span, now: datetime) -> dict[str, Any]:
    doc = _header("SurveyTrackingSummary", "Shows Summary of Outcomes of all Surveys within a data range", partner)
    doc.update(_range(now, *span))
    counts: dict[str, int] = {}
    for r in rows:
        status = r.report_status(now)
        counts[status] = counts.get(status, 0) + 1
    doc["Summary"] = [{"Status": s, "StatusCount": counts[s]} for s in SUMMARY_STATUSES if s in counts]
    return doc


def panel_completes(partner: str, rows: list[Row], span: Span, now: datetime) -> dict[str, Any]:
    doc = _header("PanelCompletesReport", "Shows the list of completes for a panel in the provided date range", partner)
    doc.update(_range(now, *span))
    doc["CompletesSummary"] = [
        {
            "SurveyID": r.survey_id,
            "SurveyName": r.survey_name,
            "WaveID": r.wave_id,
            "MemberCode": r.member_code,
            "EventDate": event_time(r.event_at, offset=False),
            "AdditionalData": r.additional_data,
        }
        for r in rows
        if r.status_id == q.QUALIFIED
    ]
    return doc


def member_activity_details(
    partner: str,
    member_code: str,
    survey_id: int,
    survey_name: str | None,
    wave_id: int | None,
    visits: list[Activity],
    now: datetime,
) -> dict[str, Any]:
    doc = _header("MemberActivityDetailsReport", "Shows individual Member experience to the requested Survey", partner)
    doc.update({"MemberCode": member_code, "SurveyID": survey_id, "SurveyName": survey_name})
    if wave_id is not None:
        doc["WaveID"] = wave_id
    doc["CreatedUTC"] = created(now)
    doc["MemberResponse"] = [
        {"Status": v.status(now), "EventDate": event_time(v.at), "ReferenceID": v.reference_id} for v in visits
    ]
    return doc
