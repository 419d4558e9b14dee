"""The sandbox's operations, between the HTTP layer and the domain: gather state from the store, let the
domain decide, record what changed. One instance per process, kept in ``app.extensions``."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulator.domain import changes, dashboard, registration
from simulator.domain.codes import ResultCode
from simulator.domain.decisions import Decision, History, InviteRequest, decide
from simulator.domain.errors import (
    BadRequestError,
    ConflictError,
    EsResultError,
    ForbiddenError,
    NotFoundError,
    SandboxError,
)
from simulator.domain.events import Event, QuotaStatus, Reconciliation, SurveyClosed, VisitEnded
from simulator.domain.events import changes as survey_changes
from simulator.domain.faults import FaultRule
from simulator.domain.inventory_codec import quota_to_wire, survey_to_wire
from simulator.domain.listing import listed_quotas, survey_visible
from simulator.domain.member_answers import answered as placeable
from simulator.domain.model import Invite, Member, MemberStatus, Panel, Quota, Survey
from simulator.domain.outcomes import BY_REASON, OUTCOMES, REJECTIONS, pre_start_named
from simulator.domain.profiles import next_profile
from simulator.domain.reference import Culture
from simulator.domain.sampling import QuotaCheck, check_quota
from simulator.domain.settings import settings_list
from simulator.domain.timeline import Entry as TimelineEntry
from simulator.notify import payloads
from simulator.notify.dispatcher import Dispatcher
from simulator.notify.routing import ENDPOINT_SETTINGS, endpoint_headers, outgoing
from simulator.store import Store
from simulator.store.outbox import Outgoing
from simulator.survey_flow import Step, SurveyFlow, invite_url, profile_url

RECONTACT_DEFAULT_PAGE = 10_000
RECONTACT_MAX_PAGE = 10_000
CACHE_SECONDS = 60


def toluna_time(at: datetime) -> str:
    """Toluna's CacheExpires style in its real GetQuotas bodies: ISO-8601, microseconds, ``Z``."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(slots=True)
class InviteOutcome:
    decision: Decision
    invite: Invite | None
    survey: Survey | None
    quota: Quota | None


class Backend:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._quotas_cache: dict[tuple[int, str, bool], bytes] = {}
        self.flow = SurveyFlow(self, self.notify)
        self.dispatcher: Dispatcher | None = None

    def notify(self, conn: sqlite3.Connection, events: list[Event], delay: float = 0.0) -> list[int]:
        """Queue the notifications ``events`` call for (due ``delay`` seconds from now), inside the caller's
        transaction; their outbox ids. This process's dispatcher is woken once the transaction commits."""
        items = outgoing(events, self.store.inventory.snapshot().panels.values())
        ids = self.store.outbox.queue(conn, items, delay)
        if ids and self.dispatcher is not None:
            self.store.db.after_commit(self.dispatcher.wake.set)
        return ids

    def start_dispatcher(self, concurrency: int = 8) -> Dispatcher:
        if self.dispatcher is None:
            self.dispatcher = Dispatcher(self.store.outbox, concurrency).start()
        return self.dispatcher

    # --- identity -------------------------------------------------------------------------------------
    def authorize(self, panel_guid: str, api_key: str | None) -> Panel:
        """API_AUTH_KEY opens only its own panels: a wrong key is 403, an unknown panel 400/3."""
        snap = self.store.inventory.snapshot()
        if not panel_guid.strip():
            raise EsResultError(ResultCode.NO_PANEL_GUID)
        if not api_key or not any(p.api_key == api_key for p in snap.panels.values()):
            raise ForbiddenError("Forbidden: invalid API_AUTH_KEY.")
        panel = snap.panels.get(panel_guid.strip().lower())
        if panel is None:
            raise EsResultError(ResultCode.PANEL_DOES_NOT_EXIST)
        if panel.api_key != api_key:
            raise ForbiddenError("Forbidden: this API_AUTH_KEY does not open this panel.")
        return panel

    @staticmethod
    def require_es(panel: Panel) -> None:
        if not panel.es_enabled:
            raise EsResultError(ResultCode.PANEL_NOT_ES_ENABLED)

    def faults_for(self, route: str, panel: str | None, member: str | None, quota: int | None) -> FaultRule | None:
        """The first fault rule that applies, with one of its shots used (counted rules run out)."""
        for fault_id, rule in self.store.inventory.snapshot().faults:
            if rule.applies(route, panel, member, quota) and self.store.meta.consume_fault(fault_id):
                return rule
        return None

    # --- GetQuotas ------------------------------------------------------------------------------------
    def quotas_parts(self, panel: Panel, include_routables: bool) -> tuple[bytes, bytes]:
        """The GetQuotas body in two parts: the survey list, cached per inventory version, and the tail with the
        CountryID and the per-request CacheExpires (two parts, so a request copies no quarter-megabyte)."""
        snap = self.store.inventory.snapshot()
        key = (snap.version, panel.guid, include_routables)
        head = self._quotas_cache.get(key)
        if head is None:
            recontact = self.store.recontact.quotas_with_members(panel.guid)
            listed = []
            for s in snap.surveys_for(panel.culture):
                quotas = listed_quotas(panel, s, recontact)
                if quotas:
                    listed.append(survey_to_wire(s, quotas, include_routables))
            head = b'{"Surveys":' + json.dumps(listed, separators=(",", ":"), ensure_ascii=False).encode()
            self._quotas_cache = {k: v for k, v in self._quotas_cache.items() if k[0] == snap.version}
            self._quotas_cache[key] = head
        tail = f',"CountryID":{panel.country_id},"CacheExpires":"{self._cache_expires(panel)}"}}'
        return head, tail.encode()

    def _cache_expires(self, panel: Panel) -> str:
        seconds = CACHE_SECONDS if panel.cache_seconds is None else panel.cache_seconds
        return toluna_time(self.store.now() + timedelta(seconds=seconds))

    # --- QuotaStatus ----------------------------------------------------------------------------------
    def quota_status(self, panel: Panel, quota_id: int) -> dict[str, Any]:
        survey, quota = self._quota(panel, quota_id)
        if survey.state.status != "open":
            raise EsResultError(ResultCode.NO_QUOTA_ID, f"survey {survey.survey_id} is {survey.state.status}")
        if not survey_visible(panel, survey) or not quota.state.es_enabled:
            raise EsResultError(ResultCode.SURVEY_NOT_AVAILABLE_FOR_PARTNER)
        wire = quota_to_wire(quota)
        return {
            "QuotaID": wire["QuotaID"],
            "CountryID": panel.country_id,
            "CompletesRequired": wire["CompletesRequired"],
            "EstimatedCompletesRemaining": wire["EstimatedCompletesRemaining"],
            "Layers": wire["Layers"],
            "CacheExpires": self._cache_expires(panel),
        }

    def _quota(self, panel: Panel, quota_id: int) -> tuple[Survey, Quota]:
        found = self.store.inventory.snapshot().quota(quota_id)
        if found is None or found[0].culture != panel.culture:
            raise EsResultError(ResultCode.NO_QUOTA_ID, f"no quota {quota_id} in {panel.culture}")
        return found

    # --- Recontact ------------------------------------------------------------------------------------
    def recontact_page(self, panel: Panel, quota_id: int, max_results: int, after: str | None) -> dict[str, Any]:
        survey, _ = self._quota(panel, quota_id)
        if survey.state.status == "deleted":
            raise EsResultError(ResultCode.SURVEY_DOES_NOT_EXIST)
        if survey.state.status != "open":
            raise EsResultError(ResultCode.NO_QUOTA_ID, f"survey {survey.survey_id} is {survey.state.status}")
        if not survey.is_recontact:
            raise EsResultError(ResultCode.SURVEY_NOT_FOR_RECONTACT)
        codes, more = self.store.recontact.page(panel.guid, quota_id, after, max_results)
        return {"MaxResults": len(codes), "HasAdditionalMembers": more, "MemberCodes": codes}

    # --- GenerateInvite -------------------------------------------------------------------------------
    def invite_request(self, panel: Panel, member_code: str, quota_id: int) -> InviteRequest:
        """Everything the decision chain needs, read from the store in a handful of indexed queries."""
        found = self.store.inventory.snapshot().quota(quota_id)
        survey, quota = found if found and found[0].culture == panel.culture else (None, None)
        member = self.store.members.get(panel.guid, member_code)
        history = History()
        if member is not None and survey is not None:
            history = self.store.members.history(member, survey.survey_id, survey.wave_id)
            if survey.is_recontact:
                history.recontact_listed = self.store.recontact.listed(panel.guid, quota_id, member_code)
        return InviteRequest(panel, member, quota, survey, self.store.now(), history)

    def generate_invite(self, panel: Panel, member_code: str, quota_id: int) -> InviteOutcome:
        r = self.invite_request(panel, member_code, quota_id)
        survey, quota = r.survey, r.quota
        decision = decide(r)
        if not decision.ok:
            return InviteOutcome(decision, None, survey, quota)
        assert survey is not None and quota is not None
        held = next((i for i in r.history.open_invites if i.quota_id == quota_id), None)
        if held is not None:  # a repeated request: the same invite, no write
            return InviteOutcome(decision, held, survey, quota)
        fresh = Invite(
            secrets.token_urlsafe(18),
            panel.guid,
            member_code,
            survey.survey_id,
            survey.wave_id,
            quota_id,
            r.now,
            partner_amount=survey.price_amount,
        )
        invite = self.store.members.claim_invite(fresh)
        if invite is None:  # another request took a quota of this survey for the member first
            decision = Decision(ResultCode.MEMBER_DOES_NOT_MATCH_QUOTA, "one quota per survey: claimed in parallel")
        return InviteOutcome(decision, invite, survey, quota)

    @staticmethod
    def invite_body(outcome: InviteOutcome, panel: Panel, base_url: str, bulk: bool = False) -> dict[str, Any]:
        s, inv = outcome.survey, outcome.invite
        assert s is not None and inv is not None
        partner = inv.partner_amount
        body = {
            "SurveyID" if bulk else "SurveyId": s.survey_id,
            "WaveID": s.wave_id,
            "QuotaID": inv.quota_id,
            "MemberAmount": round(partner * panel.member_amount_share, 2),
            "PartnerAmount": partner,
            "URL": invite_url(base_url, inv.token),
            "LOI": s.state.invite_loi if s.state.invite_loi is not None else s.loi,
            "IR": s.state.invite_ir if s.state.invite_ir is not None else s.ir,
        }
        if bulk:  # the bulk page lists URL, LOI, IR before the amounts
            order = ("SurveyID", "WaveID", "QuotaID", "URL", "LOI", "IR", "MemberAmount", "PartnerAmount")
            body = {k: body[k] for k in order}
        return body

    def eligible(
        self, panel: Panel, member_code: str, skip_surveys: frozenset[int] = frozenset()
    ) -> list[tuple[Survey, Quota]]:
        """The surveys the member may take now, in inventory order, each with the first of its listed quotas the
        whole decision chain lets through (what GetSurveys offers and where auto-routing sends a member)."""
        snap = self.store.inventory.snapshot()
        member = self.store.members.get(panel.guid, member_code)
        if member is None:
            return []
        base = self.store.members.member_history(member)
        counts = self.store.members.survey_counts(panel.guid)
        recontact = self.store.recontact.quotas_with_members(panel.guid)
        now = self.store.now()
        out = []
        for s in snap.surveys_for(panel.culture):
            if s.survey_id in skip_surveys:
                continue
            starts, es_completes, partner_completes = counts.get((s.survey_id, s.wave_id), (0, 0, 0))
            for quota in listed_quotas(panel, s, recontact):
                history = History(
                    base.participations,
                    base.group_participations,
                    base.open_invites,
                    s.is_recontact and self.store.recontact.listed(panel.guid, quota.quota_id, member_code),
                    starts,
                    es_completes,
                    partner_completes,
                )
                if decide(InviteRequest(panel, member, quota, s, now, history)).ok:
                    out.append((s, quota))
                    break
        return out

    # --- Member management v2 -----------------------------------------------------------------------------
    def member_panel(self, guid: str | None) -> Panel:
        panel = self.store.inventory.snapshot().panels.get((guid or "").strip().lower())
        if panel is None:
            raise BadRequestError(f"Invalid PartnerGUID {guid}.")
        return panel

    def save_member(self, doc: Any, update: bool) -> Member:
        """POST (``update`` False) or PUT a member: Toluna's checks, then one write under the 1000 ms rule."""
        try:
            body = registration.parse(doc)
        except registration.RegistrationError as e:
            raise BadRequestError(str(e)) from None
        panel = self.member_panel(body.partner_guid)
        code = body.member_code
        missing = f"No member found with member code {code} and partner Guid {panel.guid}"
        exists = (
            f"An IP Member for MemberCode {code} and PartnerGUID {panel.guid} already exists. "
            "To update a Member, please use the PUT verb."
        )
        existing = self.store.members.get(panel.guid, code)
        if existing is not None and not update:
            raise ConflictError(exists)
        if update and (existing is None or existing.status is MemberStatus.PII_DATA_REGULATED):
            raise NotFoundError(missing)
        if existing is not None and existing.status is MemberStatus.BLOCKED_FOR_ABUSE:
            raise BadRequestError(f"The member with member code {code} is blocked.")
        snap = self.store.inventory.snapshot()
        culture = snap.reference.culture(panel.culture) or Culture(0, panel.culture.lower(), panel.culture)
        try:
            registration.check(body, snap.reference, culture, self.store.now().date(), update, panel.minimum_age)
        except registration.RegistrationError as e:
            raise BadRequestError(str(e)) from None
        member = registration.apply(body, existing, snap.postal_areas)
        outcome = self.store.members.write(member, create=not update, wall=time.time())
        if outcome == "exists":
            raise ConflictError(exists)
        if outcome == "missing":
            raise NotFoundError(missing)
        if outcome == "too_soon":
            raise ConflictError(
                f"Duplicate request: member code {code} and partner Guid {panel.guid} were written less than 1000 ms "
                "ago. Write the same member at most once a second."
            )
        return member

    def member_view(self, guid: str | None, code: str | None) -> dict[str, Any]:
        """GET Respondent: the member, or Toluna's 400 for one it does not know (PII-regulated included)."""
        panel = self.member_panel(guid)
        member = self.store.members.get(panel.guid, code or "")
        if member is None or member.status is MemberStatus.PII_DATA_REGULATED:
            raise BadRequestError(f"No member found with member code {code} and partner Guid {panel.guid}")
        if member.status is MemberStatus.BLOCKED_FOR_ABUSE:
            raise BadRequestError(f"The member with member code {code} is blocked.")
        return registration.to_wire(member)

    # --- Dashboard ----------------------------------------------------------------------------------------
    def dashboard_member(self, panel: Panel, member_code: str) -> Member:
        """The member the dashboard routes are about; unknown, PII-regulated and blocked members are 400s."""
        member = self.store.members.get(panel.guid, member_code)
        if member is None or member.status is MemberStatus.PII_DATA_REGULATED:
            raise BadRequestError(f"No member found with member code {member_code} and partner Guid {panel.guid}")
        if member.status is MemberStatus.BLOCKED_FOR_ABUSE:
            raise BadRequestError(f"The member with member code {member_code} is blocked.")
        return member

    def dashboard_surveys(
        self, panel: Panel, member_code: str, request: dashboard.SurveysRequest, base_url: str
    ) -> list[dict[str, Any]]:
        """GetSurveys: the surveys Toluna offers this member now, each with the member's own invite URL."""
        member = self.dashboard_member(panel, member_code)
        if not placeable(member):
            return [dashboard.profile_entry(profile_url(base_url, panel.guid, member_code))]
        out = []
        now = self.store.now()
        for s, quota in dashboard.choose(self.eligible(panel, member_code), request, panel):
            fresh = Invite(
                secrets.token_urlsafe(18),
                panel.guid,
                member_code,
                s.survey_id,
                s.wave_id,
                quota.quota_id,
                now,
                partner_amount=s.price_amount,
            )
            invite = self.store.members.claim_invite(fresh)
            if invite is None:  # the member holds an invite to another quota of this survey
                continue
            amount = invite.partner_amount
            url = invite_url(base_url, invite.token)
            out.append(dashboard.survey_entry(s, url, round(amount * panel.member_amount_share, 2), amount))
        return out

    def next_profile_url(self, panel: Panel, member_code: str, back: str, cancel: str, base_url: str) -> str:
        """GetNextProfileURL: the member's next unfilled profile, or a 404 when the profile is complete."""
        member = self.dashboard_member(panel, member_code)
        data = self.store.inventory.snapshot().reference
        culture = data.culture(panel.culture) or Culture(0, panel.culture.lower(), panel.culture)
        category = next_profile(member, data, culture)
        if category is None:
            raise NotFoundError(f"The profile of member {member_code} is complete: no profile survey to offer.")
        return profile_url(base_url, panel.guid, member_code, back, cancel, category)

    def save_profile(self, panel: Panel, member_code: str, doc: dict[str, Any]) -> Member:
        """A profile page's answers (a RegistrationAnswers-shaped document), written by Toluna's side: no 1000 ms
        rule (the partner is not writing)."""
        member = self.dashboard_member(panel, member_code)
        try:
            body = registration.parse({"PartnerGUID": panel.guid, "MemberCode": member_code, **doc})
            snap = self.store.inventory.snapshot()
            culture = snap.reference.culture(panel.culture) or Culture(0, panel.culture.lower(), panel.culture)
            registration.check(body, snap.reference, culture, self.store.now().date(), True, panel.minimum_age)
        except registration.RegistrationError as e:
            raise BadRequestError(str(e)) from None
        saved = registration.apply(body, member, snap.postal_areas)
        self.store.members.put(saved)
        return saved

    def register_and_get_surveys(self, doc: Any, base_url: str) -> tuple[Panel, str, list[dict[str, Any]]]:
        """RegisterMemberAndGetSurveys: the member added when new (an existing one is left as it is), then
        GetSurveys for it."""
        if not isinstance(doc, dict) or not isinstance(doc.get("NewIPMemberInfo"), dict):
            raise BadRequestError("Send {NewIPMemberInfo: {...}, SurveysRequest: {NumberOfSurveys, DeviceTypeIDs}}.")
        info, wanted = doc["NewIPMemberInfo"], doc.get("SurveysRequest") or {}
        if not isinstance(wanted, dict):
            raise BadRequestError("SurveysRequest must be {NumberOfSurveys, DeviceTypeIDs}.")
        panel = self.member_panel(info.get("PartnerGUID"))
        code = str(info.get("MemberCode") or "").strip()
        if not code:
            raise BadRequestError("NewIPMemberInfo.MemberCode is required.")
        if self.store.members.get(panel.guid, code) is None:
            self.save_member(info, update=False)
        devices = wanted.get("DeviceTypeIDs") or []
        try:
            request = dashboard.SurveysRequest.parse(
                None if wanted.get("NumberOfSurveys") is None else str(wanted["NumberOfSurveys"]),
                [str(d) for d in (devices if isinstance(devices, list) else [devices])],
                None,
            )
        except dashboard.DashboardRequestError as e:
            raise BadRequestError(str(e)) from None
        return panel, code, self.dashboard_surveys(panel, code, request, base_url)

    # --- Operator changes (control API) ---------------------------------------------------------------
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
        in one transaction."""
        with self.store.db.write() as conn:
            before, after = self.store.inventory.update_survey(survey_id, wave_id, change, conn)
            sent = self.notify(conn, survey_changes(before, after, self.store.now()))
        return after, sent

    def change_panel(self, guid: str, body: dict[str, Any]) -> Panel:
        try:
            return self.store.inventory.update_panel(guid.lower(), lambda p: changes.change_panel(p, body))
        except KeyError:
            raise NotFoundError(f"No panel {guid}.") from None

    # --- Triggers (the control API's events, ``toluna-sandbox trigger``) ------------------------------------
    def trigger_visit(self, kind: str, body: dict[str, Any], base_url: str) -> Step:
        """complete / terminate / prestart for a member and a quota, now."""
        panel = self._panel_or_first(body.get("panel"))
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

    def trigger_quota_status(self, quota_id: int, live: bool) -> list[int]:
        """Put the quota live or on hold and tell every panel of its culture, even when it already was."""
        _, sent = self.change_quota(quota_id, {"live": live})
        if sent:
            return sent
        survey, _ = self.store.inventory.snapshot().quota(quota_id) or (None, None)
        assert survey is not None
        event = QuotaStatus(survey.culture, quota_id, survey.survey_id, survey.wave_id, live, self.store.now())
        with self.store.db.write() as conn:
            return self.notify(conn, [event])

    def trigger_survey_closed(self, survey_id: int, wave_id: int | None) -> list[int]:
        body: dict[str, Any] = {"status": "closed", **({"WaveID": wave_id} if wave_id is not None else {})}
        surveys, sent = self.change_survey(survey_id, body)
        if not sent:  # already closed: say it again
            now = self.store.now()
            events = [SurveyClosed(s.culture, s.survey_id, s.name, s.wave_id, now) for s in surveys]
            with self.store.db.write() as conn:
                sent = self.notify(conn, events)
        return sent

    def trigger_reconciliation(self, body: dict[str, Any]) -> list[int]:
        """Take back a member's complete on a quota (Toluna's quality checks): a reconciliation notification."""
        panel = self._panel_or_first(body.get("panel"))
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
        with self.store.db.write() as conn:
            return self.notify(conn, [event])

    def queue_crafted(self, body: dict[str, Any]) -> int:
        """A notification composed by the caller (a stale quota status, a tampered or malformed completion), sent
        to the panel's endpoint for its kind with the endpoint's headers, like any other."""
        panel = self._panel_or_first(body.get("panel"))
        kind = str(body["kind"])
        endpoint = panel.reconciliation_url if kind == "reconciliation" else panel.settings.get(ENDPOINT_SETTINGS[kind])
        url = (body.get("url") or endpoint or "").strip()
        if not url:
            raise BadRequestError(f"The panel has no endpoint for {kind} notifications: name a url.")
        fmt = str(body.get("format") or panel.notification_format)
        if "doc" in body:
            text, content_type = payloads.render(kind, body["doc"], fmt)
        else:
            text = str(body["body"])
            content_type = "application/xml; charset=utf-8" if fmt == "xml" else "application/json; charset=utf-8"
        item = Outgoing(
            kind=kind,
            panel_guid=panel.guid,
            url=url,
            format=fmt,
            content_type=content_type,
            body=text,
            headers={**endpoint_headers(panel, kind), **(body.get("headers") or {})},
            subject={**(body.get("subject") or {}), "crafted": True},
            max_attempts=int(body.get("attempts") or 1),
            retry_seconds=panel.notification_retry_seconds,
            timeout=panel.notification_timeout,
        )
        with self.store.db.write() as conn:
            (notification_id,) = self.store.outbox.queue(conn, [item])
        if self.dispatcher is not None:
            self.dispatcher.wake.set()
        return notification_id

    def _panel_or_first(self, guid: str | None) -> Panel:
        panels = self.store.inventory.snapshot().panels
        panel = panels.get((guid or "").lower()) if guid else next(iter(panels.values()), None)
        if panel is None:
            raise NotFoundError(f"No panel {guid or ''} in this sandbox.")
        return panel

    # --- Timeline ------------------------------------------------------------------------------------------
    def run_timeline(self, base_url: str = "") -> list[dict[str, Any]]:
        """Fire every timeline entry due on the sandbox clock, each once (whichever worker claims it)."""
        now = self.store.now()
        fired = []
        for entry_id, entry in self.store.timeline.due(now):
            if not self.store.timeline.claim(entry_id, now):
                continue
            try:
                result = self._fire(entry, base_url)
            except SandboxError as e:
                result = f"failed: {e}"
            self.store.timeline.record(entry_id, result)
            fired.append({"ID": entry_id, **entry.to_dict(), "Result": result})
        return fired

    def _fire(self, entry: TimelineEntry, base_url: str) -> str:
        if entry.kind == "quota" and entry.quota_id is not None:
            self.change_quota(entry.quota_id, entry.change)
        elif entry.kind == "survey" and entry.survey_id is not None:
            self.change_survey(entry.survey_id, entry.change)
        else:
            panel = self.store.inventory.snapshot().panels.get(entry.panel_guid or "")
            if panel is None or entry.member_code is None or entry.quota_id is None or entry.outcome is None:
                return "failed: the entry's panel is gone"
            step = self.flow.force(panel, entry.member_code, entry.quota_id, entry.outcome, base_url)
            return f"{entry.describe()}; {step.note}" + (f"; end page {step.redirect}" if step.redirect else "")
        return entry.describe()

    # --- Settings / explain ---------------------------------------------------------------------------
    @staticmethod
    def settings(panel: Panel) -> list[dict[str, str | None]]:
        return settings_list(panel)

    def explain(self, panel_guid: str, member_code: str, quota_id: int) -> tuple[Decision, QuotaCheck | None]:
        """The decision GenerateInvite would take now, and the sampling tree even when an earlier gate fired."""
        snap = self.store.inventory.snapshot()
        panel = snap.panels.get(panel_guid.lower())
        if panel is None:
            raise EsResultError(ResultCode.PANEL_DOES_NOT_EXIST)
        r = self.invite_request(panel, member_code, quota_id)
        decision = decide(r)
        check = decision.check
        if check is None and r.member is not None and r.quota is not None:
            check = check_quota(r.member, r.quota, r.now.date())
        return decision, check
