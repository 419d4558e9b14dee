"""The member's side of a survey: an invite URL clicked, the survey page, an outcome, the partner's end page.

Toluna checks a click again before the survey starts (the quota may have gone on hold since the invite was made,
the member may have reached the day's limit, ...): the sandbox runs GenerateInvite's whole decision chain again at
click time and turns a refusal into Toluna's pre-start rejection. Each step is one write transaction holding what
it records (visit, participation, quota counters) and the notifications it calls for, so a crash can never leave
a complete counted without its notification or the other way round.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from simulator.domain import changes
from simulator.domain.decisions import decide
from simulator.domain.endpages import custom_parameters, fill
from simulator.domain.events import Event, VisitEnded
from simulator.domain.events import changes as survey_changes
from simulator.domain.model import Invite, Member, Panel, Survey, Visit, new_invite
from simulator.domain.outcome_rules import AUTO, choose
from simulator.domain.outcomes import LINK_USED, OUTCOMES, REJECTIONS, RESTART, Outcome, PreStart, pre_start
from simulator.domain.sampling import check_quota
from simulator.domain.urls import invite_url
from simulator.notify.encryption import sign_redirect
from simulator.store import Store, Transaction

from .eligibility import Eligibility
from .notifications import Notifications

#: Outcomes after which an opted-in panel's member is routed to another survey instead of the end page.
ROUTED_OUTCOMES = frozenset({"terminated", "not_qualified", "quota_full"})

#: With a panel's ``duplicate_completions``, how long after the first the member's refresh sends the copy.
REFRESH_SECONDS = 1.0


@dataclass(slots=True)
class Step:
    """What the invite URL answers: the survey page of an open visit, or a redirect (an end page, or another
    survey for an auto-routed member). ``unknown``: no invite has this token."""

    visit: Visit | None = None
    survey: Survey | None = None
    redirect: str | None = None
    note: str = ""
    unknown: bool = False
    missing_end_page: str | None = None  # the panel has no URL for this end page: the sandbox shows its own
    notifications: list[int] = field(default_factory=list)  # outbox ids of what this step told the partner


class SurveyFlow:
    def __init__(self, store: Store, eligibility: Eligibility, notifications: Notifications) -> None:
        self.store = store
        self.eligibility = eligibility
        self.notify = notifications.queue

    # --- a click ------------------------------------------------------------------------------------------
    def resolve(self, token: str, outcome_key: str) -> str:
        """``auto`` becomes the outcome the scenario's outcome rules give the invite's member and quota."""
        found = self.store.members.invite(token) if outcome_key == AUTO else None
        if found is None:
            return outcome_key
        invite = found[0]
        rules = self.store.inventory.snapshot().outcome_rules
        return choose(rules, invite.member_code, invite.survey_id, invite.quota_id)

    def enter(self, token: str, params: list[tuple[str, str]], ref: str | None, base_url: str) -> Step:
        found = self.store.members.invite(token)
        if found is None:
            return Step(unknown=True, note="no invite has this token")
        invite, used = found
        custom = custom_parameters(params)
        visit = self.store.visits.started(token)
        survey = self._survey(invite)
        if visit is not None and visit.open:
            if ref == visit.reference_id:
                return Step(visit, survey, note="the open visit resumed")
            return self._refuse(invite, RESTART, custom, base_url, "the link was clicked again mid-survey")
        if used or visit is not None:
            return self._refuse(invite, LINK_USED, custom, base_url, "the link was used already")
        panel = self.store.inventory.snapshot().panels.get(invite.panel_guid)
        if panel is None:
            return Step(unknown=True, note="the invite's panel is gone")
        request = self.eligibility.request(panel, invite.member_code, invite.quota_id)
        decision = decide(request)
        if not decision.ok:
            return self._refuse(invite, pre_start(decision.code), custom, base_url, decision.reason)
        assert request.member is not None
        visit = self._visit(invite, request.now, "Success", custom)
        with self.store.transaction() as tx:
            self.store.visits.record(tx, visit, request.member.account_group)
        return Step(visit, survey, note="the survey started")

    def _refuse(self, invite: Invite, pre: PreStart, custom: list[tuple[str, str]], base_url: str, why: str) -> Step:
        """A pre-start rejection: the end page with its rejection id and a pre-start notification, or, for an
        auto-routing panel, another survey."""
        snap = self.store.inventory.snapshot()
        panel = snap.panels.get(invite.panel_guid)
        survey = self._survey(invite)
        now = self.store.now()
        visit = self._visit(invite, now, pre.activity, custom)
        visit.rejection_id = pre.rejection.rejection_id
        routed = self._route(panel, invite, custom, base_url, now) if panel and panel.auto_routing else None
        with self.store.transaction() as tx:
            if routed is not None:
                visit.outcome, visit.finished_at, visit.end_page = "auto_routed", now, routed
                self.store.visits.record(tx, visit)
                return Step(visit, survey, redirect=routed, note=f"{why}; auto-routed")
            step = self._end(panel, invite, survey, pre.outcome, custom, pre.rejection.rejection_id)
            visit.outcome, visit.finished_at, visit.end_page = pre.outcome.key, now, step.redirect
            self.store.visits.record(tx, visit)
            step.notifications = self.notify(
                tx, [self._status(invite, survey, "prestart", now, custom, pre.outcome, pre)]
            )
        step.visit, step.note = visit, f"pre-start rejection {pre.rejection.name}: {why}"
        return step

    def force(self, panel: Panel, member_code: str, quota_id: int, outcome: str, base_url: str = "") -> Step:
        """An operator's event (timeline, ``trigger``): the member ends a visit to the quota with ``outcome`` now,
        through the member's open visit or invite when there is one, else a new invite; the decision chain is not
        asked (the operator says it happened), the quota counters and notifications are as for a real visit."""
        invite, member, failed = self._operator_invite(panel, member_code, quota_id)
        if invite is None or member is None:
            return failed
        visit = self.store.visits.started(invite.token)
        if visit is None or not visit.open:
            visit = self._visit(invite, self.store.now(), "Success", [])
            with self.store.transaction() as tx:
                self.store.visits.record(tx, visit, member.account_group)
        return self.finish(invite.token, outcome, visit.reference_id, base_url)

    def force_pre_start(self, panel: Panel, member_code: str, quota_id: int, pre: PreStart, base_url: str = "") -> Step:
        """An operator's pre-start rejection: the member's click on an invite to the quota is refused with ``pre``."""
        invite, _, failed = self._operator_invite(panel, member_code, quota_id)
        if invite is None:
            return failed
        return self._refuse(invite, pre, [], base_url, "triggered by the operator")

    def _operator_invite(
        self, panel: Panel, member_code: str, quota_id: int
    ) -> tuple[Invite | None, Member | None, Step]:
        """The member's unused invite to the quota, else a new one."""
        member = self.store.members.get(panel.guid, member_code)
        found = self.store.inventory.snapshot().quota(quota_id)
        if member is None or found is None:
            return None, None, Step(note=f"no member {member_code} or no quota {quota_id}")
        survey = found[0]
        held = next(
            (i for i in self.store.members.open_invites(panel.guid, member_code) if i.quota_id == quota_id), None
        )
        invite = held or self.store.members.claim_invite(
            new_invite(panel.guid, member_code, survey, quota_id, self.store.now())
        )
        if invite is None:
            note = f"member {member_code} holds an invite to another quota of survey {survey.survey_id}"
            return None, member, Step(note=note)
        return invite, member, Step()

    # --- an outcome ---------------------------------------------------------------------------------------
    def finish(self, token: str, outcome_key: str, ref: str | None, base_url: str) -> Step:
        visit = self.store.visits.get(ref) if ref else None
        found = self.store.members.invite(token)
        if visit is None or found is None or not visit.open or visit.token != token:
            return Step(visit, note="no open visit for this link and session")
        outcome = OUTCOMES[outcome_key]  # known here: only an unknown token leaves ``auto`` unresolved
        invite = found[0]
        snap = self.store.inventory.snapshot()
        panel = snap.panels.get(invite.panel_guid)
        member = self.store.members.get(invite.panel_guid, invite.member_code)
        custom = custom_parameters(parse_qsl(visit.additional_data, keep_blank_values=True))
        now = self.store.now()
        routed = None
        if panel is not None and panel.auto_routing and outcome.key in ROUTED_OUTCOMES:
            routed = self._route(panel, invite, custom, base_url, now)
        with self.store.transaction() as tx:
            events: list[Event] = []
            survey = self._survey(invite)
            if outcome.qualified and not self._count_complete(tx, invite, member, now, events):
                outcome = OUTCOMES["quota_full"]  # the last complete went to someone else
            if routed is not None:
                step = Step(visit, survey, redirect=routed, note=f"{outcome.label}; auto-routed")
            else:
                step = self._end(panel, invite, survey, outcome, custom, self._rejection_id(outcome))
                kind = "complete" if outcome.qualified else "terminate"
                events.insert(0, self._status(invite, survey, kind, now, custom, outcome, None))
            ended = outcome.key if routed is None else "auto_routed"
            if not self.store.visits.finish(
                tx, visit.reference_id, ended, outcome.status_id, outcome.report_status, now, step.redirect or ""
            ):
                return Step(visit, survey, note="the visit was finished already")
            step.notifications = self.notify(tx, events)
            if routed is None and outcome.qualified and panel is not None and panel.duplicate_completions:
                # the member refreshes the end page a moment later: the same completion again
                step.notifications += self.notify(tx, events[:1], REFRESH_SECONDS)
        step.visit, step.note = visit, step.note or f"outcome {outcome.label}"
        return step

    def _count_complete(
        self, tx: Transaction, invite: Invite, member: Member | None, now: datetime, events: list[Event]
    ) -> bool:
        """Count the complete in the quota's counters, inside the caller's transaction; False when no room is
        left for this member (parallel completes never overshoot: the write lock orders them)."""
        room = [False]

        def count(s: Survey) -> None:
            quota = s.quota(invite.quota_id)
            if quota is not None and member is not None:
                room[0] = changes.count_complete(s, invite.quota_id, check_quota(member, quota, now.date()))

        try:
            before, after = self.store.inventory.update_survey(invite.survey_id, invite.wave_id, count, tx)
        except KeyError:
            return False
        events.extend(survey_changes(before, after, now))
        return room[0]

    # --- shared steps -------------------------------------------------------------------------------------
    def _route(
        self, panel: Panel, invite: Invite, custom: list[tuple[str, str]], base_url: str, now: datetime
    ) -> str | None:
        """Auto-routing: an invite to the first other survey the member may take, or None."""
        taken = frozenset({invite.survey_id, *([invite.original_survey_id] if invite.original_survey_id else [])})
        choices = self.eligibility.eligible(panel, invite.member_code, skip_surveys=taken)
        if not choices:
            return None
        survey, quota = choices[0]
        routed = new_invite(
            panel.guid, invite.member_code, survey, quota.quota_id, now, invite.original_survey_id or invite.survey_id
        )
        held = self.store.members.claim_invite(routed)
        return invite_url(base_url, held.token, custom) if held is not None else None

    def _end(
        self,
        panel: Panel | None,
        invite: Invite,
        survey: Survey | None,
        outcome: Outcome,
        custom: list[tuple[str, str]],
        rejection_id: int | None,
    ) -> Step:
        template = (panel.settings.get(outcome.end_page.value) if panel else None) or ""
        if not template.strip():
            return Step(survey=survey, missing_end_page=outcome.end_page.value)
        url = fill(
            template,
            survey_id=invite.survey_id,
            survey_name=survey.name if survey else None,
            wave_id=invite.wave_id,
            member_code=invite.member_code,
            custom=custom,
            rejection_id=rejection_id if panel and panel.enhanced_terminates and not outcome.qualified else None,
        )
        if panel and panel.encryption_algorithm:
            parameter = (panel.settings.get("Standard EncryptionResult Parameter Name") or "").strip() or "encValue"
            url = sign_redirect(url, panel.encryption_algorithm, panel.encryption_key, parameter)
        return Step(survey=survey, redirect=url)

    @staticmethod
    def _rejection_id(outcome: Outcome) -> int | None:
        return REJECTIONS[outcome.rejection].rejection_id if outcome.rejection else None

    def _status(
        self,
        invite: Invite,
        survey: Survey | None,
        kind: str,
        at: datetime,
        custom: list[tuple[str, str]],
        outcome: Outcome,
        pre: PreStart | None,
    ) -> VisitEnded:
        return VisitEnded(
            kind=kind,
            panel_guid=invite.panel_guid,
            member_code=invite.member_code,
            survey_id=invite.survey_id,
            survey_name=survey.name if survey else None,
            wave_id=invite.wave_id,
            quota_id=invite.quota_id,
            at=at,
            revenue_cents=round(invite.partner_amount * 100) if kind == "complete" else 0,
            reason=outcome.reason,
            rejection=pre.rejection if pre else None,
            incidence_rate=survey.ir if survey and pre else None,
            additional_data=urlencode(custom),
            original_survey_id=invite.original_survey_id,
        )

    def _survey(self, invite: Invite) -> Survey | None:
        return self.store.inventory.snapshot().survey(invite.survey_id, invite.wave_id)

    @staticmethod
    def _visit(invite: Invite, at: datetime, activity: str, custom: list[tuple[str, str]]) -> Visit:
        return Visit(
            reference_id=str(uuid.uuid4()),
            token=invite.token,
            panel_guid=invite.panel_guid,
            member_code=invite.member_code,
            survey_id=invite.survey_id,
            wave_id=invite.wave_id,
            quota_id=invite.quota_id,
            at=at,
            activity=activity,
            additional_data=urlencode(custom),
            original_survey_id=invite.original_survey_id,
        )
