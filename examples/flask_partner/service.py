"""The panel's work: upkeep (members written, inventory and recontact lists current) and, when a member asks for a
survey, choosing one quota for them and asking Toluna for the invite.

The panel asks Toluna only for quotas its own sampling says the member matches, and remembers every refusal by
what it is about: a member-level refusal stops the member, a quota-level one stops the quota until GetQuotas lists
it again, a temporary one backs off, and any other is final for that member and quota. Toluna counts every
invite request, so a refusal is never simply asked again.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import Config
from .inventory import Inventory
from .members import Mapping, toluna_answers
from .registration import Registrar
from .sampling import Profile, excluded, key, quota_matches
from .store import Invite, MemberRow, Store
from .timefmt import utc_today
from .toluna_client import Answer, Halted, TolunaClient

log = logging.getLogger("flask_partner.service")

ENCRYPTION_PARAMETER_SETTING = "Standard EncryptionResult Parameter Name"
#: Refusals that may clear by themselves: asked again later, after a growing pause.
TRANSIENT = frozenset({17, 27, 36, 37, 39, 40, 45})
#: Refusals about the member: it is not invited again.
MEMBER_LEVEL = frozenset({12, 13, 14, 22})
#: Refusals about the quota: not asked again until a GetQuotas read lists it again.
QUOTA_LEVEL = frozenset({9, 10, 28, 41, 42, 46, 47})
DAILY_LIMIT, WEEKLY_LIMIT = 39, 40
TERMINATED = 3
#: How many quotas one request for a survey may try before the member is told there is none.
TRIES_PER_REQUEST = 3
BACKOFF_FIRST, BACKOFF_MOST = 30.0, 1800.0
#: The Settings API is asked again for an empty encryption parameter at most this often.
SETTINGS_RETRY = 5.0


class UnknownMember(LookupError):
    """A member code the panel does not have."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A quota the member may be sent to, with what decides the order in which quotas are tried."""

    survey: int
    wave: int
    quota: int
    price: float = 0.0
    loi: float = 0.0
    ir: float = 0.0
    named: bool = False  # a recontact quota that lists this member
    continuing: bool = False  # a later wave of a tracker the member took part in

    def rank(self) -> tuple[object, ...]:
        """Surveys that want this member in particular first (Toluna listed it for a recontact, or it is in a
        tracker's panel), then the best price, then the likeliest to complete (higher incidence, shorter)."""
        return (not self.named, not self.continuing, -self.price, -self.ir, self.loi, self.survey, self.quota)


class Panel:
    def __init__(
        self,
        config: Config,
        store: Store,
        client: TolunaClient,
        mapping: Mapping,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config, self.store, self.client, self.mapping = config, store, client, mapping
        self._clock = clock
        self.registrar = Registrar(config, store, client, mapping, clock=clock)
        self.inventory = Inventory(store, client, clock=clock)
        self._upkeep_lock = threading.Lock()
        self._member_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._member_locks_guard = threading.Lock()
        self._settings_lock = threading.RLock()
        self._settings_asked: float | None = None

    # --- settings -------------------------------------------------------------------------------------------------
    def read_settings(self) -> bool:
        """The panel's settings as Toluna holds them (end pages, notification URLs, the encryption parameter)."""
        with self._settings_lock:
            self._settings_asked = self._clock()
            try:
                answer = self.client.settings()
            except Halted:
                return False
            if answer.status != 200 or not isinstance(answer.body, list):
                log.warning("Settings API: HTTP %s %s", answer.status, answer.message)
                return False
            values = {
                str(key(item, "Name")): str(key(item, "Value") or "")
                for item in answer.body
                if isinstance(item, dict) and key(item, "Name")
            }
            self.store.save_settings(values)
            return True

    def ensure_settings(self) -> None:
        """Settings read once; read again (at most every few seconds) only while the encryption parameter, which
        end pages need, is still empty."""
        with self._settings_lock:
            if (self.store.setting(ENCRYPTION_PARAMETER_SETTING) or "").strip():
                return
            if self._settings_asked is not None and self._clock() - self._settings_asked < SETTINGS_RETRY:
                return
            self.read_settings()

    def encryption_parameter(self) -> str:
        """The end-page parameter that carries Toluna's encrypted value: from the Settings API, else the operator's
        TOLUNA_ENCRYPTION_PARAMETER."""
        self.ensure_settings()
        value = (self.store.setting(ENCRYPTION_PARAMETER_SETTING) or "").strip()
        return value or self.config.encryption_parameter

    # --- upkeep ---------------------------------------------------------------------------------------------------
    def upkeep(self) -> dict[str, Any]:
        """Background work, no invites: members written (and their profile changes), the inventory read if the
        copy expired, recontact lists paged for the recontact quotas it lists."""
        with self._upkeep_lock:
            try:
                self.ensure_settings()
                report = self.registrar.register_all()
                self.registrar.send_profile_updates(report)
                surveys = self.inventory.surveys()
            except Halted as exc:
                return {"ok": False, "error": str(exc)}
            return {
                "ok": True,
                "added": report.added,
                "updated": report.updated,
                "refused": report.refused,
                "surveys": len(surveys),
            }

    # --- a member asks for a survey ---------------------------------------------------------------------------
    def _member_lock(self, code: str) -> threading.Lock:
        with self._member_locks_guard:
            return self._member_locks[code]

    def respondent(self, code: str, quota: int | None = None) -> Invite | None:
        """One invite for the member (to ``quota`` when given and the member is eligible for it), or None."""
        with self._member_lock(code):
            row = self.store.member(code)
            if row is None:
                raise UnknownMember(code)
            if not self._routable(row):
                return None
            try:
                if not self.registrar.ensure(code):
                    return None
                candidates = self.candidates(row, self.inventory.surveys())
                if quota is not None:
                    candidates = [c for c in candidates if c.quota == quota]
                for candidate in candidates[:TRIES_PER_REQUEST]:
                    invite, go_on = self._ask(code, candidate)
                    if invite is not None or not go_on:
                        return invite
            except Halted:
                return None
            return None

    def _routable(self, row: MemberRow) -> bool:
        if not row.panelist.invitable or row.stopped_code is not None:
            return False
        return row.paused_until is None or row.paused_until <= self._clock()

    def candidates(self, row: MemberRow, surveys: list[dict[str, Any]]) -> list[Candidate]:
        """Every quota the member may be invited to now, in the order they are tried (``Candidate.rank``): open waves
        it has not taken, not excluded by its history, not held, not refused, on the recontact list where the survey
        is a recontact, and matched."""
        member = row.panelist
        today = utc_today()
        profile = Profile(
            answers={q: frozenset(a) for q, a in toluna_answers(member, self.mapping).items()},
            birth_date=member.dob,
            postal_code=member.zip or None,
        )
        history = self.store.history(member.id)
        taken = {(s, w) for s, w, _ in history} | self.store.invited_waves(member.id)
        terminated = {s for s, _, status in history if status == TERMINATED}
        took_part = {s for s, _, _ in history}
        closed = self.store.closed_waves()
        unavailable = self.store.held_quotas() | self.store.blocked_quotas()
        refused = self.store.blocked_pairs(member.id, self._clock())
        out = []
        for survey in surveys:
            sid, wid = int(key(survey, "SurveyID")), int(key(survey, "WaveID") or 0)
            if (sid, wid) in closed or (sid, 0) in closed or (sid, wid) in taken:
                continue
            if key(survey, "IsTqsSurvey", False) and sid in terminated:
                continue
            if excluded(key(survey, "SurveyWaveExclusions") or [], history):
                continue
            recontact = bool(key(survey, "IsSurveyRecontact", False))
            price = float(key(key(survey, "Price") or {}, "Amount") or 0)
            loi, ir = float(key(survey, "LOI") or 0), float(key(survey, "IR") or 0)
            continuing = sid in took_part
            for quota in key(survey, "Quotas") or []:
                qid = int(key(quota, "QuotaID"))
                if qid in unavailable or qid in refused:
                    continue
                if recontact and not self.store.on_recontact_list(qid, member.id):
                    continue
                if quota_matches(profile, quota, today):
                    out.append(Candidate(sid, wid, qid, price, loi, ir, recontact, continuing))
        out.sort(key=Candidate.rank)
        return out

    def _ask(self, code: str, c: Candidate) -> tuple[Invite | None, bool]:
        """GenerateInvite for one quota; (the invite or None, whether another quota may be tried for the member)."""
        answer = self.client.invite(code, c.quota)
        if answer.status == 200 and isinstance(answer.body, dict) and key(answer.body, "URL"):
            invite = Invite(
                token=secrets.token_urlsafe(18),
                rid=secrets.token_hex(10),
                member=code,
                survey=int(key(answer.body, "SurveyId") or c.survey),
                wave=int(key(answer.body, "WaveID") or c.wave),
                quota=int(key(answer.body, "QuotaID") or c.quota),
                url=str(key(answer.body, "URL")),
            )
            self.store.add_invite(invite)
            return invite, False
        return None, self._refused(code, c.quota, answer)

    def _refused(self, code: str, quota: int, answer: Answer) -> bool:
        """Remember a refusal by what it is about; True when the member may still be offered another quota."""
        result = answer.result_code
        now = self._clock()
        log.info("invite %s/%s refused: HTTP %s ResultCode %s", code, quota, answer.status, result)
        if result in MEMBER_LEVEL:
            self.store.stop_member(code, result)
            return False
        if result in QUOTA_LEVEL:
            self.store.block_quota(quota, result)
            return True
        if result in (DAILY_LIMIT, WEEKLY_LIMIT):
            self.store.pause_member(code, _limit_end(result, now))
            return False
        if result in TRANSIENT or result is None:  # a temporary refusal, or no answer Toluna could give
            tries = self.store.pair_tries(code, quota) + 1
            self.store.block_pair(code, quota, result or answer.status, now + _backoff(tries))
            return True
        self.store.block_pair(code, quota, result, None)
        return True


def _backoff(tries: int) -> float:
    return min(BACKOFF_FIRST * 2 ** (tries - 1), BACKOFF_MOST)


def _limit_end(result: int, now: float) -> float:
    """A daily limit lasts to the next UTC midnight; a weekly one is looked at again a day later."""
    at = datetime.fromtimestamp(now, UTC)
    if result == DAILY_LIMIT:
        return datetime.combine(at.date() + timedelta(days=1), datetime.min.time(), UTC).timestamp()
    return now + 86_400
