"""Toluna's reporting API, answered from the sandbox's own history (participations, visits). The partner is named
by ``SamplePartnerGuid``; an unknown one is a 400 as at Toluna."""

from __future__ import annotations

from typing import Any

from simulator.domain import reports as r
from simulator.domain.errors import BadRequestError, NotFoundError
from simulator.domain.events import quota_is_live
from simulator.domain.model import Panel, Survey
from simulator.store import Store

from .access import Access

Doc = dict[str, Any]


class Reports:
    def __init__(self, store: Store, access: Access) -> None:
        self.store = store
        self.access = access

    def _partner(self, guid: str | None) -> Panel:
        return self.access.partner(guid, "the PartnerGUID")

    @staticmethod
    def _span(start: str | None, end: str | None) -> r.Span:
        try:
            return r.date_range(start, end)
        except r.ReportError as e:
            raise BadRequestError(str(e)) from None

    def _waves(self, panel: Panel, name: str, wave: str | None) -> list[Survey]:
        """The survey waves of the panel's culture with this name (``wave`` narrows them), or a 404."""
        surveys = [s for s in self.store.inventory.snapshot().surveys_for(panel.culture) if s.name == name]
        if wave is not None:
            surveys = [s for s in surveys if str(s.wave_id) == wave.strip()]
        surveys = [s for s in surveys if s.state.status != "deleted"]
        if not surveys:
            raise NotFoundError(f"Could not find a Survey for {name}")
        return surveys

    def _names(self, survey_id: int, wave_id: int) -> str | None:
        s = self.store.inventory.snapshot().survey(survey_id, wave_id)
        return s.name if s else None

    def _rows(self, panel: Panel, span: r.Span, **narrow: Any) -> list[r.Row]:
        rows = self.store.reports.rows(panel.guid, self._names, **narrow)
        return [row for row in rows if span[0] <= row.event_at <= span[1]]

    @staticmethod
    def _status(s: Survey) -> Doc:
        if s.state.status == "closed":
            status = "CLOSED"
        else:
            status = "LIVE" if any(quota_is_live(s, q) for q in s.quotas) else "ONHOLD"
        return r.survey_status(status, s.name, s.survey_id, s.wave_id)

    def status_by_id(self, guid: str | None, survey_id: str) -> Doc:
        panel = self._partner(guid)
        found = [
            s
            for s in self.store.inventory.snapshot().surveys_for(panel.culture)
            if str(s.survey_id) == survey_id.strip()
        ]
        found = [s for s in found if s.state.status != "deleted"]
        if not found:
            raise NotFoundError(f"Could not find a Survey for {survey_id}")
        return self._status(found[-1])  # a tracker's current wave

    def status_by_name(self, guid: str | None, name: str, wave: str | None) -> Doc:
        return self._status(self._waves(self._partner(guid), name, wave)[-1])

    def survey_member_status(
        self, guid: str | None, name: str, wave: str | None, start: str | None, end: str | None
    ) -> Doc:
        panel = self._partner(guid)
        span = self._span(start, end)
        surveys = self._waves(panel, name, wave)
        rows = self._rows(panel, span, waves={(s.survey_id, s.wave_id) for s in surveys})
        named = surveys[-1].wave_id if wave is not None else None
        return r.survey_member_status(panel.guid, surveys[-1].survey_id, name, named, rows, span, self.store.now())

    def member_survey_status(self, guid: str | None, member: str, start: str | None, end: str | None) -> Doc:
        panel = self._partner(guid)
        span = self._span(start, end)
        rows = self._rows(panel, span, member_code=member)
        return r.member_survey_status(panel.guid, member, rows, span, self.store.now())

    def panel_activity_summary(self, guid: str | None, start: str | None, end: str | None) -> Doc:
        panel = self._partner(guid)
        span = self._span(start, end)
        return r.panel_activity_summary(panel.guid, self._rows(panel, span), span, self.store.now())

    def panel_completes(self, guid: str | None, start: str | None, end: str | None) -> Doc:
        panel = self._partner(guid)
        span = self._span(start, end)
        return r.panel_completes(panel.guid, self._rows(panel, span), span, self.store.now())

    def activity_details(self, guid: str | None, member: str, name: str, wave: str | None) -> Doc:
        panel = self._partner(guid)
        surveys = self._waves(panel, name, wave)
        waves = {(s.survey_id, s.wave_id) for s in surveys}
        visits = self.store.reports.activities(panel.guid, member, waves)
        history = [  # participations a scenario loaded: the member started those surveys, no visit recorded it
            row.activity()
            for row in self.store.reports.rows(panel.guid, self._names, member_code=member, waves=waves)
            if row.reference_id is None
        ]
        visits = sorted(history + visits, key=lambda v: v.at)
        named = surveys[-1].wave_id if wave is not None else None
        return r.member_activity_details(
            panel.guid, member, surveys[-1].survey_id, name, named, visits, self.store.now()
        )
