"""What a run observed, gathered for the checks: the partner's requests (the sandbox journal), what the suite did
to the sandbox and when, the visits it played, and the notifications the sandbox sent the partner."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from .http import USER_AGENT
from .oracle import attribute
from .sandbox import SandboxClient, SandboxError

__all__ = ["USER_AGENT", "Action", "Facts", "InviteAttempt", "PlayedVisit", "Request", "invite_attempts"]


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

    def body_json(self) -> dict[str, Any]:
        """The request's JSON object body ({} when it is not one)."""
        return _json(self.body)

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
    start_url: str | None = None  # where the member was sent: the partner's own link, or the invite URL itself
    error: str | None = None
    phase: int = 0  # the cycle in which it was played


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
    settings: dict[str, str] = field(default_factory=dict)  # the panel's settings during the run (Settings API)
    #: the partner's own record of each member it registered (adapter ``GET members/{code}``); None: not asked
    member_records: dict[str, Any] | None = None
    mapping: Any = None  # the partner's mapping file, parsed (``conformance.mapping``); None: none given
    phases: list[Phase] = field(default_factory=list)  # the cycles of the run, in order
    #: quotas whose invites the suite answered "not available in this interval" until it took them away, so that a
    #: partner that wanted them still wants them when told they are gone (quota -> when the answers stopped)
    shaped: dict[int, datetime] = field(default_factory=dict)
    coverage: dict[int, int] = field(default_factory=dict)  # quota -> the result code forced on its first invite
    probes: list[Probe] = field(default_factory=list)  # notifications crafted to grade the partner's receivers
    hooks: list[Any] = field(default_factory=list)  # the suite's calls to the partner (``partner.HookCall``)
    encryption_parameter: str = ""  # the panel's end-page encryption parameter name during the run
    encryption_on: bool = False  # standard encryption was on for the run
    crafted: list[dict[str, Any]] = field(default_factory=list)  # the probes' notifications, with their attempts
    #: what the partner credited the members of forged completions, asked once they were delivered (None: no answer)
    forged_credits: dict[str, int | None] = field(default_factory=dict)
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
                a
                for a in self.invites
                if a.result_code == 16 and not a.forced and "one quota per survey" not in (a.request.note or "")
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
class Phase:
    """One cycle of the partner's work: when it began and ended (wall clock) and what it is there to show."""

    number: int
    purpose: str
    started: datetime
    ended: datetime


@dataclass(slots=True, frozen=True)
class Probe:
    """A notification the suite crafted (out of order, tampered, malformed) and what it tests."""

    kind: str  # stale | tampered | unsigned | malformed
    notification_id: int
    endpoint: str
    about: dict[str, Any]


@dataclass(slots=True, frozen=True)
class InviteAttempt:
    """One member-quota invite asked for: a GenerateInvite, or one quota of a bulk request."""

    member: str
    quota: int
    request: Request
    result_code: int  # 1: an invite was made
    url: str | None
    forced: bool = False  # the answer came from a fault rule, not from Toluna's rules

    @property
    def ok(self) -> bool:
        return self.result_code == 1


def invite_attempts(requests: list[Request]) -> list[InviteAttempt]:
    """Every invite the partner asked for, in order, with the sandbox's answer to each."""
    out: list[InviteAttempt] = []
    for r in requests:
        note = r.note or ""
        if r.status == 403:  # a refused key says nothing about the member or the quota (INV-05 judges it)
            continue
        if r.route == "invite" and r.member and r.quota is not None:
            url = _json(r.response).get("URL") if r.status == 200 else None
            code = 1 if r.status == 200 else (r.result_code or 0)
            out.append(InviteAttempt(r.member, r.quota, r, code, url, note.startswith("fault rule")))
        elif r.route == "invites" and r.member and r.status == 200:
            forced = _forced_quotas(note)
            for item in _json(r.response).get("Invites", []):
                invite = item.get("Invite") or {}
                quota = item["QuotaID"]
                out.append(InviteAttempt(r.member, quota, r, item["ResultCode"], invite.get("URL"), quota in forced))
    return out


def in_turn(attempts: list[InviteAttempt]) -> list[InviteAttempt]:
    """One invite of each quota in turn, so that a cap on visits still reaches every quota."""
    by_quota: dict[int, list[InviteAttempt]] = {}
    for a in attempts:
        by_quota.setdefault(a.quota, []).append(a)
    out: list[InviteAttempt] = []
    while by_quota:
        for quota in list(by_quota):
            out.append(by_quota[quota].pop(0))
            if not by_quota[quota]:
                del by_quota[quota]
    return out


def partner_requests(entries: list[dict[str, Any]]) -> list[Request]:
    """The journal entries the partner made (not the suite's own calls), in the order they were sent: two workers'
    entries may be stored out of order."""
    made = [
        Request.from_entry(e)
        for e in entries
        if not (e["request_headers"].get("User-Agent") or "").startswith(USER_AGENT)
    ]
    return sorted(made, key=lambda r: r.wall)


def _forced_quotas(note: str) -> set[int]:
    """The quotas of a bulk request whose answers a fault rule forced (the journal's note names them)."""
    if not note.startswith("fault rule forced"):
        return set()
    return {int(q) for q in note[note.find("[") + 1 : note.rfind("]")].split(",") if q.strip().isdigit()}


def cache_expires(r: Request) -> datetime | None:
    """The CacheExpires a GetQuotas answer carried (the journal's note keeps it), as a UTC time."""
    note = r.note or ""
    if not note.startswith("CacheExpires "):
        return None
    text = note.split(" ", 1)[1].rstrip("Z")
    head, _, fraction = text.partition(".")
    try:
        return datetime.fromisoformat(f"{head}.{(fraction + '000000')[:6]}+00:00")
    except ValueError:
        return None


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
