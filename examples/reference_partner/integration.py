"""The partner's integration: its members, what it has learned from Toluna, and one cycle of work (register
members, refresh the inventory, read recontact lists, ask for invites)."""

from __future__ import annotations

import calendar
import json
import re
import threading
import time
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
        self.inventory: dict[str, Any] = {}
        self.polled_at: float | None = None
        self.held: set[int] = set()  # quotas Toluna said are not live
        self.closed: set[tuple[int, int]] = set()
        self.registered: set[str] = set()
        self.written: dict[str, float] = {}  # member -> when the partner last wrote it (monotonic seconds)
        self.unroutable: set[str] = set()
        self.final: set[tuple[str, int]] = set()  # member-quota pairs refused for good
        self.invited: dict[tuple[str, int, int], str] = {}  # (member, survey, wave) -> invite URL
        self.credits: dict[str, set[tuple[int, int]]] = {}
        self.recontact: dict[int, set[str]] = {}

    # --- one cycle ----------------------------------------------------------------------------------------
    def cycle(self) -> dict[str, int]:
        with self.lock:
            self.register()
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
                if answer.status in (201, 409):  # 409: Toluna has it already (a previous run)
                    self.registered.add(m.code)
                    self.written[m.code] = now
            elif m.changes and now - self.written.get(m.code, 0) > 1.0:
                self.update(m, now)

    def update(self, m: Member, now: float) -> None:
        if self.toluna.update_member({"MemberCode": m.code, **m.changes}).status == 200:
            m.changes = {}
            self.written[m.code] = now

    def refresh(self) -> None:
        """GetQuotas at most once per ``poll_seconds`` (Toluna advises about once a minute); notifications keep
        the list current in between."""
        if self.polled_at is not None and time.monotonic() - self.polled_at < self.poll_seconds:
            return
        answer = self.toluna.quotas()
        if answer.status == 200:
            self.inventory, self.polled_at = answer.body, time.monotonic()
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
        answer = self.toluna.invite(m.code, quota["QuotaID"])
        if answer.status == 200:
            self.invited[(m.code, survey["SurveyID"], survey["WaveID"])] = answer.body["URL"]
            return 1
        code = answer.result_code
        if code in UNROUTABLE:
            self.unroutable.add(m.code)
        elif code not in TRANSIENT:
            self.final.add((m.code, quota["QuotaID"]))
        return 0

    # --- what Toluna tells the partner --------------------------------------------------------------------
    def notified(self, kind: str, doc: dict[str, Any]) -> None:
        """Completions are credited once per member and survey wave, however often they arrive."""
        with self.lock:
            if kind == "quota":
                (self.held.discard if _true(doc.get("IsLive")) else self.held.add)(int(doc["QuotaID"]))
            elif kind == "survey":
                self.closed.add((int(doc["SurveyID"]), int(doc.get("WaveId") or doc.get("WaveID") or 0)))
            elif kind in ("complete", "terminate"):
                key = (int(doc["SurveyId"]), int(doc.get("WaveId") or 0))
                member = self.members.get(str(doc["UniqueCode"]))
                if member is not None:
                    quota_full = doc.get("Reason") == "QuotaFull"
                    member.history[key] = 9 if kind == "complete" else 10 if quota_full else 3
                if kind == "complete":
                    self.credits.setdefault(str(doc["UniqueCode"]), set()).add(key)


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
