"""The build sections for what the sandbox does on its own while it runs: injected faults, the timeline of
scheduled changes and outcomes, and the outcome rules that decide how a visit ends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulator.domain.clock import ClockSetting, parse_instant
from simulator.domain.codes import ResultCode
from simulator.domain.faults import FaultRule
from simulator.domain.model import Member
from simulator.domain.outcome_rules import OutcomeRule
from simulator.domain.outcomes import OUTCOMES
from simulator.domain.timeline import Entry as TimelineEntry
from simulator.schemas import validator

from .build_context import BAD_TIME, BuildContext
from .errors import schema_problems


class ScriptSections(BuildContext):
    """Faults, timeline entries and outcome rules."""

    def _faults(self) -> list[FaultRule]:
        out = []
        for i, f in enumerate(self.d.get("faults", [])):
            path = f"faults[{i}]"
            code = f.get("result_code")
            if code is not None and code not in ResultCode._value2member_map_:
                self.fail(
                    f"{path}.result_code",
                    f"{code} is not a Toluna ES result code",
                    "use a code from 3 to 47 listed in the README",
                )
                continue
            if code is None and not f.get("http_status") and not f.get("latency_ms") and not f.get("drop_connection"):
                self.fail(path, "the rule does nothing", "add result_code, http_status, latency_ms or drop_connection")
                continue
            panel = self._panel_ref(f["panel"], f"{path}.panel") if f.get("panel") else None
            if f.get("panel") and panel is None:
                continue
            out.append(
                FaultRule.from_dict(
                    {**f, "panel_guid": panel, "member_code": f.get("member"), "quota_id": f.get("quota")}
                )
            )
        return out

    def _timeline(self, members: list[Member], clock: ClockSetting | None) -> list[TimelineEntry]:
        now = (clock or ClockSetting()).now()
        known = {(m.panel_guid, m.member_code) for m in members}
        out = []
        for i, t in enumerate(self.d.get("timeline", [])):
            entry = self._timeline_entry(t, f"timeline[{i}]", now, known)
            if entry is None:
                continue
            if entry.quota_id is not None and entry.quota_id not in self.quota_survey:
                self.fail(f"timeline[{i}].quota", f"no quota {entry.quota_id} in the inventory", "fix the QuotaID")
            elif entry.survey_id is not None and entry.survey_id not in set(self.quota_survey.values()):
                self.fail(f"timeline[{i}].survey", f"no survey {entry.survey_id} in the inventory", "fix the SurveyID")
            else:
                out.append(entry)
        return sorted(out, key=lambda e: e.at)

    def _timeline_entry(
        self, t: dict[str, Any], path: str, now: datetime, known: set[tuple[str, str]]
    ) -> TimelineEntry | None:
        try:
            at = parse_instant(t["at"], now)
        except BAD_TIME:
            self.fail(f"{path}.at", f"{t['at']!r} is not a time", "write ISO-8601 or +10m, +2h, +1d")
            return None
        shape = ("member" in t, "quota" in t, "survey" in t, "change" in t, "outcome" in t)
        if shape == (True, True, False, False, True):
            panel = self._panel_ref(t.get("panel"), f"{path}.panel")
            if panel is None:
                return None
            if (panel, t["member"]) not in known:
                self.fail(f"{path}.member", f"no member {t['member']} in panel {panel}", "declare it")
                return None
            if t["outcome"] not in OUTCOMES:
                self.fail(f"{path}.outcome", f"{t['outcome']!r} is not an outcome", f"use one of {', '.join(OUTCOMES)}")
                return None
            return TimelineEntry(
                at, quota_id=t["quota"], member_code=t["member"], panel_guid=panel, outcome=t["outcome"]
            )
        if shape in ((False, True, False, True, False), (False, False, True, True, False)):
            kind = "QuotaChange" if "quota" in t else "SurveyChange"
            wrong = schema_problems(self.file, list(validator("control", kind).iter_errors(t["change"])))
            for p in wrong:
                self.fail(f"{path}.change" + (f".{p.path}" if p.path else ""), p.problem, p.fix)
            if wrong:
                return None
            return TimelineEntry(at, quota_id=t.get("quota"), survey_id=t.get("survey"), change=t["change"])
        self.fail(
            path,
            "a timeline entry needs one shape",
            "give 'quota' + 'change', 'survey' + 'change', or 'member' + 'quota' + 'outcome'",
        )
        return None

    def _outcome_rules(self) -> list[OutcomeRule]:
        out = []
        for i, r in enumerate(self.d.get("outcome_rules", [])):
            path = f"outcome_rules[{i}]"
            unknown = [key for key in r["outcomes"] if key not in OUTCOMES]
            for key in unknown:
                self.fail(f"{path}.outcomes.{key}", f"{key!r} is not an outcome", f"use {', '.join(OUTCOMES)}")
            if r.get("quota") is not None and r["quota"] not in self.quota_survey:
                self.fail(f"{path}.quota", f"no quota {r['quota']} in the inventory", "fix the QuotaID")
                continue
            if r.get("survey") is not None and r["survey"] not in set(self.quota_survey.values()):
                self.fail(f"{path}.survey", f"no survey {r['survey']} in the inventory", "fix the SurveyID")
                continue
            weights = tuple((k, float(w)) for k, w in r["outcomes"].items() if w > 0)
            if not weights:
                self.fail(f"{path}.outcomes", "every weight is 0", "give at least one outcome a weight above 0")
                continue
            if not unknown:
                out.append(OutcomeRule(weights, int(r.get("seed", 0)), r.get("quota"), r.get("survey")))
        return out
