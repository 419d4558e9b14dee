"""World control: the operator (or a scenario's timeline) changing Toluna's side of the world: the scenario loaded,
quota, survey and panel states, fault rules, participation history, reference data. A change that Toluna would
announce queues its notifications in the same unit of work."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.domain import changes
from simulator.domain import questions as qid
from simulator.domain.clock import parse_instant
from simulator.domain.errors import BadRequestError, NotFoundError
from simulator.domain.events import changes as survey_changes
from simulator.domain.faults import FaultRule
from simulator.domain.model import Panel, Participation, Quota, Survey
from simulator.domain.reference import culture_for, import_body, targets_of
from simulator.scenario.loader import load_text
from simulator.scenario.model import Scenario
from simulator.store import Store

from .access import Access
from .notifications import Notifications

#: How much of a refused value a 400 quotes back.
QUOTE = 300

_PARTICIPATION_STATUS = {
    "started": qid.STARTED,
    "terminated": qid.TERMINATED,
    "qualified": qid.QUALIFIED,
    "quota_full": qid.QUOTA_FULL,
}


def key_hint(key: str) -> str:
    """Enough of an API key to tell keys apart, never the key: its first and last 4 characters (only the first 2
    of a key shorter than 12)."""
    return f"{key[:4]}…{key[-4:]}" if len(key) >= 12 else f"{key[:2]}…"


def _survey_view(s: Survey) -> dict[str, Any]:
    """One survey wave as the overview shows it: its state (``open``, ``closed``, ``deleted``) and each quota's
    counters, live or on hold."""
    return {
        "SurveyID": s.survey_id,
        "WaveID": s.wave_id,
        "Name": s.name,
        "Status": s.state.status,
        "CompletesRequired": s.completes_required,
        "EstimatedCompletesRemaining": s.estimated_completes_remaining,
        "Quotas": [
            {
                "QuotaID": q.quota_id,
                "Live": q.state.live,
                "CompletesRequired": q.completes_required,
                "EstimatedCompletesRemaining": q.estimated_completes_remaining,
                "SubQuotas": [
                    {
                        "SubQuotaID": sq.subquota_id,
                        "CurrentCompletes": sq.current_completes,
                        "MaxTargetCompletes": sq.max_target_completes,
                    }
                    for layer in q.layers
                    for sq in layer.subquotas
                ],
            }
            for q in s.quotas
        ],
    }


class World:
    def __init__(self, store: Store, access: Access, notifications: Notifications) -> None:
        self.store = store
        self.access = access
        self.notifications = notifications

    # --- the scenario ---------------------------------------------------------------------------------------
    def load(self, text: str | bytes, file: str, base_dir: Path) -> Scenario:
        """A posted scenario replaces the whole state (a bad one changes nothing)."""
        scenario = load_text(text, file, base_dir)
        self.store.load(scenario)
        return scenario

    def start(self, scenario: Scenario | None, reset: bool) -> str | None:
        """A server starting on its database: ``scenario`` loaded when it differs from the one stored (or when
        ``reset``), else the stored state resumed. What became of the state, or None when there is none at all."""
        if scenario is not None:
            if reset or self.store.meta.get("scenario_digest") != scenario.digest:
                self.store.load(scenario, clear_journal=reset)
                carried = self.store.outbox.carried_over()
                return "loaded" + (f" ({carried} pending notification(s) kept, still to deliver)" if carried else "")
            return "resumed (same scenario, state kept; --reset starts over)"
        return None if self.store.meta.get("scenario_digest") is None else "resumed"

    def reset(self) -> Scenario:
        """Reload the current scenario from scratch and clear the journal."""
        source, text = self.store.meta.get("scenario_source"), self.store.meta.get("scenario_text")
        if not text:
            raise BadRequestError("No scenario has been loaded yet.")
        base = Path(source).parent if source and not source.startswith("<") else Path(".")
        scenario = load_text(text, source or "<scenario>", base)
        self.store.load(scenario, clear_journal=True)
        return scenario

    def describe(self, base_url: str) -> dict[str, Any]:
        """The scenario loaded and its panels, as the operator sees them (keys included)."""
        snap = self.store.inventory.snapshot()
        panels = [
            {
                "PanelGUID": p.guid,
                "Name": p.name,
                "Culture": p.culture,
                "CountryID": p.country_id,
                "API_AUTH_KEY": p.api_key,
                "PARTNER_AUTH_KEY": p.reference_data_key or None,
                "EsEnabled": p.es_enabled,
                "Members": self.store.members.count(p.guid),
                "Surveys": len(snap.surveys_for(p.culture)),
            }
            for p in snap.panels.values()
        ]
        meta = self.store.meta
        return {
            "Name": meta.get("scenario_name"),
            "Source": meta.get("scenario_source"),
            "BaseURL": base_url,
            "Clock": meta.clock().to_dict(),
            "Panels": panels,
        }

    def overview(self) -> dict[str, Any]:
        """The console's overview: the scenario, the clock, the panels (a hint of each key, never the key), and
        each of their cultures' survey waves with their state and their quotas' counters."""
        snap = self.store.inventory.snapshot()
        panels = list(snap.panels.values())
        return {
            "Name": self.store.meta.get("scenario_name"),
            "Clock": snap.clock.to_dict(),
            "Panels": [
                {"GUID": p.guid, "Name": p.name, "Culture": p.culture, "KeyHint": key_hint(p.api_key)} for p in panels
            ],
            "Cultures": [
                {"Culture": c, "Surveys": [_survey_view(s) for s in snap.surveys_for(c)]}
                for c in dict.fromkeys(p.culture for p in panels)
            ],
        }

    # --- states ---------------------------------------------------------------------------------------------
    def change_quota(self, quota_id: int, body: dict[str, Any]) -> tuple[Quota, list[int]]:
        """The quota after the change, and the notifications the change queued."""
        key = self.store.inventory.survey_of_quota(quota_id)
        if key is None:
            raise NotFoundError(f"No quota {quota_id}.")
        survey, sent = self._change(*key, lambda s: changes.change_quota(s.quota(quota_id), body))
        quota = survey.quota(quota_id)
        assert quota is not None
        return quota, sent

    def change_survey(self, survey_id: int, body: dict[str, Any]) -> tuple[list[Survey], list[int]]:
        """Every wave of the survey, or only ``WaveID`` when the body names one; and the notifications queued."""
        waves = [int(body["WaveID"])] if "WaveID" in body else self.store.inventory.waves(survey_id)
        try:
            if not waves:
                raise KeyError(survey_id)
            done = [self._change(survey_id, w, lambda s: changes.change_survey(s, body)) for w in waves]
        except KeyError:
            raise NotFoundError(f"No survey {survey_id} wave {waves}.") from None
        return [s for s, _ in done], [i for _, sent in done for i in sent]

    def _change(self, survey_id: int, wave_id: int, change: Callable[[Survey], None]) -> tuple[Survey, list[int]]:
        """One survey wave changed, with the quota-status and survey-closed notifications the change calls for,
        in one unit of work."""
        with self.store.transaction() as tx:
            before, after = self.store.inventory.update_survey(survey_id, wave_id, change, tx)
            sent = self.notifications.queue(tx, survey_changes(before, after, self.store.now()))
        return after, sent

    def change_panel(self, guid: str, body: dict[str, Any]) -> Panel:
        try:
            return self.store.inventory.update_panel(guid.lower(), lambda p: changes.change_panel(p, body))
        except KeyError:
            raise NotFoundError(f"No panel {guid}.") from None

    # --- fault rules ----------------------------------------------------------------------------------------
    def faults(self) -> list[tuple[int, FaultRule]]:
        return self.store.meta.faults()

    def add_fault(self, rule: FaultRule) -> int:
        return self.store.meta.add_fault(rule)

    def remove_fault(self, fault_id: int) -> None:
        if not self.store.meta.remove_fault(fault_id):
            raise NotFoundError(f"No fault rule {fault_id}.")

    def clear_faults(self) -> None:
        self.store.meta.clear_faults()

    # --- history and reference data -------------------------------------------------------------------------
    def add_participation(self, body: dict[str, Any]) -> datetime:
        """Record history by hand (what the survey flow records when members take surveys); when it happened."""
        panel = (body.get("panel") or self.access.default_panel()).lower()
        member = self.store.members.get(panel, str(body.get("member", "")))
        if member is None:
            raise NotFoundError(f"No member {body.get('member')} in panel {panel}.")
        wave = int(body["wave"]) if body.get("wave") else None
        survey = self.store.inventory.snapshot().survey(int(body.get("survey", 0)), wave)
        status = _PARTICIPATION_STATUS.get(body.get("status"), body.get("status"))
        if survey is None or status not in qid.PARTICIPATION_STATUSES:
            raise BadRequestError("Give an inventory survey= and status= (1, 3, 9, 10 or their names).")
        try:
            at = parse_instant(body["at"]) if body.get("at") else self.store.now()
        except ValueError:
            raise BadRequestError(
                f"at: {str(body['at'])[:QUOTE]!r} is not a time. Fix: write e.g. 2026-01-15T12:00:00Z"
            ) from None
        p = Participation(panel, member.member_code, survey.survey_id, survey.wave_id, status, at, body.get("quota"))
        with self.store.transaction() as tx:
            self.store.members.add_participations(tx, [(p, member.account_group)])
        return at

    def import_reference(self, body: list[Any]) -> tuple[int, int]:
        """A QuestionsAndAnswersData body replaces the questions of the cultures it covers; what the inventory
        targets is learned again on top. How many questions came, and how many were learned."""
        snap = self.store.inventory.snapshot()
        data = copy.deepcopy(snap.reference)
        try:
            count = import_body(data, body)
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRequestError(f"Not a list of Toluna questions: {exc!r}") from None
        learned = 0
        for culture in {p.culture for p in snap.panels.values()}:
            known = culture_for(data, culture)
            learned += data.learn(known.culture_id, targets_of(list(snap.surveys_for(culture))))
        self.store.inventory.replace_reference(data)
        return count, learned
