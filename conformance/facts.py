"""What a run observed, gathered for the checks: the partner's requests (the sandbox journal), what the suite did
to the sandbox and when, the visits it played, and the notifications the sandbox sent the partner."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from .oracle import attribute
from .sandbox import SandboxClient, SandboxError

#: The suite's own requests carry this User-Agent, so the partner's are told apart in the journal.
USER_AGENT = "toluna-conformance"


@dataclass(slots=True, frozen=True)
class Request:
    """One journal entry: a request the partner sent to the sandbox and the sandbox's answer."""

    id: int
    at: datetime  # sandbox clock
    wall: datetime
    method: str
    path: str
    query: str
    route: str | None
    panel: str | None
    member: str | None
    quota: int | None
    status: int
    result_code: int | None
    headers: dict[str, str]
    body: str | None
    response: str | None
    note: str | None

    @classmethod
    def from_entry(cls, e: dict[str, Any]) -> Request:
        return cls(
            id=e["id"],
            at=datetime.fromisoformat(e["at"]),
            wall=datetime.fromisoformat(e["wall_at"]),
            method=e["method"],
            path=e["path"],
            query=e["query"],
            route=e["route"],
            panel=e["panel_guid"],
            member=e["member_code"],
            quota=e["quota_id"],
            status=e["status"],
            result_code=e["result_code"],
            headers=e["request_headers"],
            body=e["request_body"],
            response=e["response_body"],
            note=e["note"],
        )

    @property
    def params(self) -> dict[str, list[str]]:
        return {k.lower(): v for k, v in parse_qs(self.query, keep_blank_values=True).items()}

    def param(self, name: str) -> str | None:
        values = self.params.get(name.lower())
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        wanted = name.lower().replace("_", "-")
        return next((v for k, v in self.headers.items() if k.lower().replace("_", "-") == wanted), None)

    def describe(self) -> str:
        code = f" ResultCode {self.result_code}" if self.result_code is not None else ""
        query = f"?{self.query}" if self.query else ""
        return f"#{self.id} {self.method} {self.path}{query} -> {self.status}{code}"


@dataclass(slots=True, frozen=True)
class Action:
    """Something the suite made happen in the sandbox (a quota put on hold, a survey closed, ...), and when."""

    kind: str
    at: datetime  # wall clock
    details: dict[str, Any]
    notifications: tuple[int, ...] = ()


@dataclass(slots=True, frozen=True)
class PlayedVisit:
    """An invite the partner obtained, followed by the suite as the member, to the partner's end page."""

    member: str
    quota: int | None
    outcome: str
    invite_url: str
    end_page: str | None
    end_status: int | None  # the partner's end page answer; None when it could not be reached
    error: str | None = None


@dataclass(slots=True)
class Facts:
    panel: str
    api_key: str
    sandbox: SandboxClient
    requests: list[Request] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    visits: list[PlayedVisit] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    inventory: dict[str, Any] = field(default_factory=dict)  # GetQuotas as the run began
    adapter_url: str | None = None
    grace_seconds: float = 5.0  # how soon after a notification the partner must act on it
    refresh_seconds: float = 120.0  # an invite later than this after the last GetQuotas is from a stale list
    poll_burst: int = 5  # more GetQuotas calls than this within 10 s is hammering
    tracker_expectations: list[tuple[str, int]] = field(default_factory=list)  # (member, quota) of a next wave
    adapter: dict[str, Any] | None = None  # what the partner's adapter answered (credits, redirect checks)
    _explained: dict[tuple[str, int], dict[str, Any] | None] = field(default_factory=dict)
    _violations: list[tuple[InviteAttempt, str]] | None = None

    def explain(self, member: str, quota: int) -> dict[str, Any] | None:
        """The sandbox's decision and sampling tree for a member and a quota (asked once per pair)."""
        key = (member, quota)
        if key not in self._explained:
            try:
                self._explained[key] = self.sandbox.explain(member, quota, self.panel)
            except SandboxError:
                self._explained[key] = None
        return self._explained[key]

    def routes(self, *names: str) -> list[Request]:
        return [r for r in self.requests if r.route in names]

    @property
    def invites(self) -> list[InviteAttempt]:
        """Every invite the partner asked for (single and bulk), in order."""
        return invite_attempts(self.requests)

    def sampling_violations(self) -> list[tuple[InviteAttempt, str]]:
        """Every invite refused by the sampling rules (16, but not one-quota-per-survey), with the rule it breaks
        (see ``oracle.attribute``)."""
        if self._violations is None:
            refused = [
                a for a in self.invites if a.result_code == 16 and "one quota per survey" not in (a.request.note or "")
            ]
            trees = {
                (i, a.member, a.quota): (self.explain(a.member, a.quota) or {}).get("Sampling")
                for i, a in enumerate(refused)
            }
            rules = attribute(trees)
            self._violations = [(a, rules[(i, a.member, a.quota)]) for i, a in enumerate(refused)]
        return self._violations

    def quotas_moved_by_suite(self) -> set[int]:
        """Quotas the suite put on hold, or whose survey it closed, during the run."""
        by_survey: dict[int, list[int]] = {}
        for s in self.inventory.get("Surveys", []):
            by_survey.setdefault(s["SurveyID"], []).extend(q["QuotaID"] for q in s["Quotas"])
        moved: set[int] = set()
        for action in self.actions:
            if action.kind == "quota-status":
                moved.add(int(action.details["quota"]))
            elif action.kind == "survey-closed":
                moved.update(by_survey.get(int(action.details["survey"]), []))
        return moved

    def members_made_unroutable(self, before: datetime) -> set[str]:
        """Members the partner itself registered or updated as inactive or PII-regulated before ``before``."""
        out = set()
        for r in self.routes("member_add", "member_update"):
            if r.wall >= before or not r.body:
                continue
            try:
                body = json.loads(r.body)
            except ValueError:
                continue
            if isinstance(body, dict) and (body.get("IsActive") is False or body.get("IsPIIDataRegulated") is True):
                out.add(str(body.get("MemberCode")))
        return out

    def quota_survey(self) -> dict[int, dict[str, Any]]:
        return {q["QuotaID"]: s for s in self.inventory.get("Surveys", []) for q in s["Quotas"]}


@dataclass(slots=True, frozen=True)
class InviteAttempt:
    """One member-quota invite asked for: a GenerateInvite, or one quota of a bulk request."""

    member: str
    quota: int
    request: Request
    result_code: int  # 1: an invite was made
    url: str | None

    @property
    def ok(self) -> bool:
        return self.result_code == 1


def invite_attempts(requests: list[Request]) -> list[InviteAttempt]:
    """Every invite the partner asked for, in order, with the sandbox's answer to each."""
    out: list[InviteAttempt] = []
    for r in requests:
        if r.route == "invite" and r.member and r.quota is not None:
            url = _json(r.response).get("URL") if r.status == 200 else None
            out.append(InviteAttempt(r.member, r.quota, r, 1 if r.status == 200 else (r.result_code or 0), url))
        elif r.route == "invites" and r.member and r.status == 200:
            for item in _json(r.response).get("Invites", []):
                invite = item.get("Invite") or {}
                out.append(InviteAttempt(r.member, item["QuotaID"], r, item["ResultCode"], invite.get("URL")))
    return out


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
