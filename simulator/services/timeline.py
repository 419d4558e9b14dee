"""The sandbox clock and the scenario's timeline: entries fire when the clock reaches them (moved by the operator,
or by time passing), each once, whichever process claims it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulator.domain.clock import ClockRangeError, ClockSetting
from simulator.domain.errors import BadRequestError, SandboxError
from simulator.domain.timeline import Entry
from simulator.store import Store

from .survey_flow import SurveyFlow
from .world import World


class Timeline:
    def __init__(self, store: Store, world: World, flow: SurveyFlow) -> None:
        self.store = store
        self.world = world
        self.flow = flow

    def clock(self) -> ClockSetting:
        return self.store.meta.clock()

    def set_clock(self, instant: datetime, frozen: bool, base_url: str) -> tuple[ClockSetting, list[dict[str, Any]]]:
        """The clock set to ``instant``, and what fell due on the way."""
        try:
            setting = self.clock().set_to(instant, frozen=frozen).checked()
        except ClockRangeError as e:
            raise BadRequestError(str(e)) from None
        self.store.meta.set_clock(setting)
        return setting, self.run(base_url)

    def advance_clock(self, seconds: float, base_url: str) -> tuple[ClockSetting, list[dict[str, Any]]]:
        """The clock moved on by ``seconds``, and what fell due on the way."""
        try:
            setting = self.clock().advance(seconds)
        except ClockRangeError as e:
            raise BadRequestError(str(e)) from None
        self.store.meta.set_clock(setting)
        return setting, self.run(base_url)

    def entries(self) -> list[dict[str, object]]:
        return self.store.timeline.all()

    def run(self, base_url: str = "") -> list[dict[str, Any]]:
        """Fire every timeline entry due on the sandbox clock, each once (whichever worker claims it)."""
        now = self.store.now()
        fired = []
        for entry_id, entry in self.store.timeline.due(now):
            if self.store.timeline.claim(entry_id, entry) is None:
                continue
            try:
                result = self._fire(entry, base_url)
            except SandboxError as e:
                result = f"failed: {e}"
            self.store.timeline.record(entry_id, result)
            fired.append({"ID": entry_id, **entry.to_dict(), "Result": result})
        return fired

    def _fire(self, entry: Entry, base_url: str) -> str:
        if entry.kind == "quota" and entry.quota_id is not None:
            self.world.change_quota(entry.quota_id, entry.change)
        elif entry.kind == "survey" and entry.survey_id is not None:
            self.world.change_survey(entry.survey_id, entry.change)
        else:
            panel = self.store.inventory.snapshot().panels.get(entry.panel_guid or "")
            if panel is None or entry.member_code is None or entry.quota_id is None or entry.outcome is None:
                return "failed: the entry's panel is gone"
            step = self.flow.force(panel, entry.member_code, entry.quota_id, entry.outcome, base_url)
            return f"{entry.describe()}; {step.note}" + (f"; end page {step.redirect}" if step.redirect else "")
        return entry.describe()
