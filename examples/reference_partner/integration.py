"""The partner's integration: its members, what it has learned from Toluna, and one cycle of work (register
members, refresh the inventory, read recontact lists, ask for invites)."""

from __future__ import annotations

import calendar
import json
import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from .sampling import GENDER, Profile, quota_matches
from .toluna import Toluna

MEMBERS = Path(__file__).with_name("members.json")
GENDERS = {"female": 2000246, "male": 2000247}
#: Refusals that may clear later; any other is final for this member and quota.
TRANSIENT = {9, 17, 27, 36, 37, 39, 40, 45}
#: Refusals that say Toluna will not route this member at all.
UNROUTABLE = {12, 13, 14, 22}
#: Refusals that say the quota (or its survey) takes no one now: left alone until the inventory lists it again.
QUOTA_CLOSED = {5, 8, 9, 10, 15, 28, 29, 41, 42, 46, 47}


def relative_date(text: str, today: date) -> date:
    """``1988-03-03``, or relative to today: ``-29y-40d``."""
    parts = re.findall(r"([+-])(\d+)([ymd])", text)
    if not parts:
        return date.fromisoformat(text)
    delta = {"y": 0, "m": 0, "d": 0}
    for sign, number, unit in parts:
        delta[unit] += int(number) * (1 if sign == "+" else -1)
    months = today.year * 12 + today.month - 1 + delta["y"] * 12 + delta["m"]
    year, month = divmod(months, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day) + timedelta(days=delta["d"])


@dataclass
class Member:
    code: str
    birth: date
    gender: str
    postal: str
    answers: dict[int, set[int]]
    active: bool = True
    preexisting: bool = False
    status: str = "registered"
    history: dict[tuple[int, int], int] = field(default_factory=dict)  # (survey, wave) taken -> status id
    changes: dict[str, Any] = field(default_factory=dict)  # a profile change still to send (PUT)

    @property
    def profile(self) -> Profile:
        return Profile(self.birth, self.postal, {**self.answers, GENDER: {GENDERS[self.gender]}})

    def registration(self) -> dict[str, Any]:
        answers = [{"QuestionID": GENDER, "Answers": [{"AnswerID": GENDERS[self.gender]}]}]
        answers += [
            {"QuestionID": q, "Answers": [{"AnswerID": a} for a in sorted(ids)]} for q, ids in self.answers.items()
        ]
        return {
            "MemberCode": self.code,
            "BirthDate": self.birth.strftime("%m/%d/%Y"),
            "PostalCode": self.postal,
            "IsActive": self.active,
            "RegistrationAnswers": answers,
        }


def load_members(path: Path = MEMBERS, today: date | None = None) -> list[Member]:
    today = today or datetime.now(UTC).date()
    out = []
    for m in json.loads(path.read_text(encoding="utf-8")):
        out.append(
            Member(
                code=m["code"],
                birth=relative_date(m["birth"], today),
                gender=m["gender"],
                postal=m["postal"],
                answers={int(q): set(ids) for q, ids in m.get("answers", {}).items()},
                active=m.get("active", True),
                preexisting=m.get("preexisting", False),
                status=m.get("status", "registered"),
                history={(h["survey"], h["wave"]): h["status"] for h in m.get("history", [])},
                changes=m.get("changes", {}),
            )
        )
    return out


class Integration:
    def __init__(self, toluna: Toluna, members: list[Member], poll_seconds: float = 60, per_quota: int = 3) -> None:
        self.toluna, self.members = toluna, {m.code: m for m in members}
        self.poll_seconds, self.per_quota = poll_seconds, per_quota
        self.lock = threading.Lock()
        self.news: queue.SimpleQueue[tuple[str, dict[str, Any]]] = queue.SimpleQueue()  # received, not yet applied
        self.inventory: dict[str, Any] = {}
        self.polled_at: float | None = None
        self.expires: datetime | None = None  # the inventory's CacheExpires
        self.held: set[int] = set()  # quotas Toluna said are not live
        self.quota_news: dict[int, str] = {}  # quota -> UpdateDateTimeUTC of the last status applied
        self.closed: set[tuple[int, int]] = set()
        self.registered: set[str] = set()
        self.written: dict[str, float] = {}  # member -> when the partner last wrote it (monotonic seconds)
        self.unroutable: set[str] = set()
        self.final: set[tuple[str, int]] = set()  # member-quota pairs refused for good
        self.invited: dict[tuple[str, int, int], str] = {}  # (member, survey, wave) -> invite URL
        self.by_quota: dict[tuple[str, int], str] = {}  # (member, quota) -> invite URL
        self.links: dict[str, str] = {}  # the partner's own link tokens -> where they lead
        self.credits: dict[str, set[tuple[int, int]]] = {}
        self.recontact: dict[int, set[str]] = {}

    @property
    def forbidden(self) -> bool:
        """Toluna refused the API key: no External Sample call until the key is fixed."""
        return self.toluna.forbidden

    @contextmanager
    def busy(self) -> Iterator[None]:
        """The partner's state to itself: news received meanwhile is applied when it starts, between invites and
        when it ends."""
        with self.lock:
            self.apply_news()
            yield
            self.apply_news()
        self.take_news()  # what came in after the last look, while the lock was still held

    # --- one cycle ----------------------------------------------------------------------------------------
    def cycle(self) -> dict[str, int]:
        with self.busy():
            self.register()
            if self.forbidden:
                return {"members": len(self.registered), "invites": len(self.invited), "asked": 0}
            self.refresh()
            self.read_recontact_lists()
            asked = self.invite()
            return {"members": len(self.registered), "invites": len(self.invited), "asked": asked}

    def register(self) -> None:
        """New members by POST (v2), changes by PUT; a member is written at most once a second (Toluna's 1000 ms
        rule), so a change waits until a second has passed since the member's last write."""
        now = time.monotonic()
        for m in self.members.values():
            if m.preexisting:
                continue
            if m.code not in self.registered:
                answer = self.toluna.add_member(m.registration())
                if answer.status == 201:
                    self.registered.add(m.code)
                    self.written[m.code] = now
                elif answer.status == 409:  # Toluna has it already: what we meant to send goes by PUT
                    self.registered.add(m.code)
                    self.written[m.code] = now
                    m.changes = {**m.registration(), **m.changes}
            elif m.changes and now - self.written.get(m.code, 0) > 1.0:
                self.update(m, now)

    def update(self, m: Member, now: float) -> None:
        if self.toluna.update_member({"MemberCode": m.code, **m.changes}).status == 200:
            m.changes = {}
            self.written[m.code] = now

    def refresh(self) -> None:
        """GetQuotas when the copy held has expired: at its CacheExpires, and at most ``poll_seconds`` after it was
        read (Toluna advises about once a minute); notifications keep the list current in between."""
        fresh = self.polled_at is not None and time.monotonic() - self.polled_at < self.poll_seconds
        if fresh and (self.expires is None or datetime.now(UTC) < self.expires):
            return
        answer = self.toluna.quotas()
        if answer.status == 200:
            self.inventory, self.polled_at = answer.body, time.monotonic()
            self.expires = parse_time(str(answer.body.get("CacheExpires") or ""))
            self.held.clear()

    def read_recontact_lists(self) -> None:
        for survey in self.inventory.get("Surveys", []):
            if survey.get("IsSurveyRecontact"):
                for quota in survey["Quotas"]:
                    self.recontact[quota["QuotaID"]] = self.read_list(quota["QuotaID"])

    def read_list(self, quota: int) -> set[str]:
        """Every member code of a quota's recontact list: pages of 10,000, each after the last code of the one
        before, until Toluna says there are no more."""
        codes: set[str] = set()
        after = None
        while True:
            page = self.toluna.recontact_page(quota, after)
            if page.status != 200:
                return codes
            codes.update(page.body["MemberCodes"])
            if not page.body["HasAdditionalMembers"] or not page.body["MemberCodes"]:
                return codes
            after = page.body["MemberCodes"][-1]

    def invite(self) -> int:
        today = datetime.now(UTC).date()
        asked = 0
        for survey in self.inventory.get("Surveys", []):
            key = (survey["SurveyID"], survey["WaveID"])
            if key in self.closed:
                continue
            for quota in survey["Quotas"]:
                if quota["QuotaID"] in self.held:
                    continue
                budget = self.per_quota
                for m in self.members.values():
                    if budget == 0:
                        break
                    if self.eligible(m, survey, quota, today):
                        asked += 1
                        budget -= self.ask(m, survey, quota)
        return asked

    def eligible(self, m: Member, survey: dict[str, Any], quota: dict[str, Any], today: date) -> bool:
        key = (survey["SurveyID"], survey["WaveID"])
        if not m.active or m.status != "registered" or m.code in self.unroutable:
            return False
        if (m.code, *key) in self.invited or self.took(m, key) or (m.code, quota["QuotaID"]) in self.final:
            return False
        if survey.get("IsSurveyRecontact") and m.code not in self.recontact.get(quota["QuotaID"], set()):
            return False
        if self.excluded(m, survey):
            return False
        return quota_matches(m.profile, quota, today)

    @staticmethod
    def took(m: Member, survey_wave: tuple[int, int]) -> bool:
        """SurveyID+WaveID is the identity: a member who took a wave is not invited to it again."""
        return survey_wave in m.history

    @staticmethod
    def excluded(m: Member, survey: dict[str, Any]) -> bool:
        """SurveyWaveExclusions: a participation in the excluded survey (and wave, unless 0) with a listed status."""
        return any(
            s == x["SurveyID"] and x["WaveID"] in (0, w) and status in x["ParticipationStatusIDs"]
            for x in survey.get("SurveyWaveExclusions") or []
            for (s, w), status in m.history.items()
        )

    def ask(self, m: Member, survey: dict[str, Any], quota: dict[str, Any]) -> int:
        self.apply_news()  # a quota put on hold a moment ago is not asked for
        if self.forbidden or quota["QuotaID"] in self.held:
            return 0
        answer = self.toluna.invite(m.code, quota["QuotaID"])
        if answer.status == 200:
            self.invited[(m.code, survey["SurveyID"], survey["WaveID"])] = answer.body["URL"]
            self.by_quota[(m.code, quota["QuotaID"])] = answer.body["URL"]
            return 1
        code = answer.result_code
        if code in UNROUTABLE:
            self.unroutable.add(m.code)
        elif code in QUOTA_CLOSED:
            self.held.add(quota["QuotaID"])
        elif code is not None and code not in TRANSIENT:
            self.final.add((m.code, quota["QuotaID"]))
        return 0

    # --- a member's way to a survey ------------------------------------------------------------------------
    def respondent(self, member: str, quota: int | None = None) -> str | None:
        """The link this member is sent to (for ``quota`` when named): the invite obtained for it, if any. The
        partner invites in cycles; a member without an invite has no survey now."""
        with self.busy():
            found = [url for (code, q), url in self.by_quota.items() if code == member and quota in (None, q)]
            return self.link(found[-1]) if found else None

    def link(self, invite_url: str) -> str:
        """What the member is sent: Toluna's invite URL as it is."""
        return invite_url

    # --- what Toluna tells the partner --------------------------------------------------------------------
    def receive(self, kind: str, doc: dict[str, Any]) -> None:
        """A notification, answered at once whatever the partner is busy with (Toluna waits a few seconds at most):
        one without the fields of its kind raises KeyError, TypeError or ValueError; any other is queued and applied
        (``notified``) as soon as the state is free: now, or at the cycle's next invite, or when it ends."""
        subject(kind, doc)
        self.news.put((kind, doc))
        self.take_news()

    def take_news(self) -> None:
        """Apply the queued news if nothing else holds the state (whoever holds it applies it)."""
        while not self.news.empty() and self.lock.acquire(blocking=False):
            try:
                self.apply_news()
            finally:
                self.lock.release()

    def apply_news(self) -> None:
        """With the lock held: every notification received and not applied yet, in the order received."""
        while True:
            try:
                kind, doc = self.news.get_nowait()
            except queue.Empty:
                return
            self.notified(kind, doc)

    def notified(self, kind: str, doc: dict[str, Any]) -> None:
        """With the lock held. Completions are credited once per member and survey wave, however often they arrive;
        a quota status older than the last one applied for its quota is ignored (notifications can arrive out of
        order)."""
        about = subject(kind, doc)
        if kind == "quota":
            quota, when = about
            if when and self.quota_news.get(quota, "") > when:
                return
            self.quota_news[quota] = when
            (self.held.discard if _true(doc.get("IsLive")) else self.held.add)(quota)
        elif kind == "survey":
            self.closed.add(about)
        elif kind in ("complete", "terminate"):
            code, key = about
            member = self.members.get(code)
            if member is not None:
                quota_full = doc.get("Reason") == "QuotaFull"
                member.history[key] = 9 if kind == "complete" else 10 if quota_full else 3
            if kind == "complete":
                self.credits.setdefault(code, set()).add(key)

    def credits_of(self, member: str) -> int:
        with self.busy():
            return len(self.credits.get(member, set()))


def subject(kind: str, doc: dict[str, Any]) -> Any:
    """What a notification is about: (quota, its UpdateDateTimeUTC), (survey, wave), or (member, (survey, wave));
    KeyError, TypeError or ValueError when a field its kind needs is missing or no number."""
    if kind == "quota":
        return int(doc["QuotaID"]), str(doc.get("UpdateDateTimeUTC") or "")
    if kind == "survey":
        return int(doc["SurveyID"]), int(doc.get("WaveId") or doc.get("WaveID") or 0)
    if kind in ("complete", "terminate"):
        return str(doc["UniqueCode"]), (int(doc["SurveyId"]), int(doc.get("WaveId") or 0))
    return None


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def parse_time(text: str) -> datetime | None:
    """Toluna's CacheExpires (``2026-12-06T10:00:00.1234567Z``): seven decimals, which Python reads six of."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z?", text.strip())
    if not match:
        return None
    fraction = (match.group(2) or "0")[:6].ljust(6, "0")
    return datetime.fromisoformat(f"{match.group(1)}.{fraction}+00:00")
