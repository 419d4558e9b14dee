"""Events the operator makes happen now and Toluna would announce: a member's complete, terminate or pre-start
rejection, a quota live or on hold, a survey closed, a complete taken back, or a notification composed by hand."""

from __future__ import annotations

from typing import Any

from simulator.domain.errors import BadRequestError
from simulator.domain.events import QuotaStatus, Reconciliation, SurveyClosed, VisitEnded
from simulator.domain.outcomes import BY_REASON, OUTCOMES, REJECTIONS, pre_start_named
from simulator.store import Store

from .access import Access
from .notifications import Notifications
from .survey_flow import Step, SurveyFlow
from .world import World


class Triggers:
    def __init__(
        self, store: Store, access: Access, world: World, flow: SurveyFlow, notifications: Notifications
    ) -> None:
        self.store = store
        self.access = access
        self.world = world
        self.flow = flow
        self.notifications = notifications

    def visit(self, kind: str, body: dict[str, Any], base_url: str) -> Step:
        """complete / terminate / prestart for a member and a quota, now."""
        panel = self.access.panel_or_first(body.get("panel"))
        member, quota = str(body["member"]), int(body["quota"])
        if kind == "prestart":
            pre = pre_start_named(str(body.get("rejection") or "QuotaOnHold"))
            if pre is None:
                raise BadRequestError(
                    f"Unknown rejection {body.get('rejection')!r}: use one of {', '.join(REJECTIONS)}."
                )
            return self.flow.force_pre_start(panel, member, quota, pre, base_url)
        outcome = "qualified" if kind == "complete" else str(body.get("outcome") or "")
        if kind == "terminate" and not outcome:
            reason = str(body.get("reason") or "Terminated")
            if reason not in BY_REASON:
                raise BadRequestError(f"Unknown reason {reason!r}: use one of {', '.join(BY_REASON)}.")
            outcome = BY_REASON[reason]
        if outcome not in OUTCOMES:
            raise BadRequestError(f"Unknown outcome {outcome!r}: use one of {', '.join(OUTCOMES)}.")
        return self.flow.force(panel, member, quota, outcome, base_url)

    def quota_status(self, quota_id: int, live: bool) -> list[int]:
        """Put the quota live or on hold and tell every panel of its culture, even when it already was."""
        _, sent = self.world.change_quota(quota_id, {"live": live})
        if sent:
            return sent
        survey, _ = self.store.inventory.snapshot().quota(quota_id) or (None, None)
        assert survey is not None
        event = QuotaStatus(survey.culture, quota_id, survey.survey_id, survey.wave_id, live, self.store.now())
        return self.notifications.send([event])

    def survey_closed(self, survey_id: int, wave_id: int | None) -> list[int]:
        body: dict[str, Any] = {"status": "closed", **({"WaveID": wave_id} if wave_id is not None else {})}
        surveys, sent = self.world.change_survey(survey_id, body)
        if not sent:  # already closed: say it again
            now = self.store.now()
            sent = self.notifications.send(
                [SurveyClosed(s.culture, s.survey_id, s.name, s.wave_id, now) for s in surveys]
            )
        return sent

    def reconciliation(self, body: dict[str, Any]) -> list[int]:
        """Take back a member's complete on a quota (Toluna's quality checks): a reconciliation notification."""
        panel = self.access.panel_or_first(body.get("panel"))
        member, quota = str(body["member"]), int(body["quota"])
        visit = next(
            (
                v
                for v in reversed(self.store.visits.for_member(panel.guid, member))
                if v.quota_id == quota and v.outcome == "qualified"
            ),
            None,
        )
        found = self.store.members.invite(visit.token) if visit else None
        if visit is None or found is None or visit.finished_at is None:
            raise BadRequestError(f"Member {member} has no complete on quota {quota} to reconcile.")
        survey = self.store.inventory.snapshot().survey(visit.survey_id, visit.wave_id)
        complete = VisitEnded(
            kind="complete",
            panel_guid=panel.guid,
            member_code=member,
            survey_id=visit.survey_id,
            survey_name=survey.name if survey else None,
            wave_id=visit.wave_id,
            quota_id=quota,
            at=visit.finished_at,
            revenue_cents=round(found[0].partner_amount * 100),
            original_survey_id=visit.original_survey_id,
        )
        event = Reconciliation(complete, int(body.get("reason", 1)), visit.finished_at, self.store.now())
        return self.notifications.send([event])

    def crafted(self, body: dict[str, Any]) -> int:
        """A notification composed by the operator, for the panel named (or the first)."""
        return self.notifications.craft(self.access.panel_or_first(body.get("panel")), body)
