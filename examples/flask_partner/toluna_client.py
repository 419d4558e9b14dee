"""Toluna's partner API as the panel calls it: settings, GetQuotas, GenerateInvite, recontact lists, members v2.

Two rules live here because every call must follow them: a 403 means the key is wrong, so the client stops calling
Toluna altogether until the panel is restarted with a fixed key (retrying would only hammer Toluna with a bad key);
and reads that fail for a technical reason (HTTP 5xx, TECHNICAL_ERROR 36, a dropped connection) are retried at most
three times, 0.25 s, 0.5 s and 1 s apart, never in a storm.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from .config import Config

log = logging.getLogger("flask_partner.toluna")

RETRY_DELAYS = (0.25, 0.5, 1.0)
MEMBER_HEADERS = {"Accept": "application/json;version=2.0", "Content-Type": "application/json"}
TECHNICAL_ERROR = 36


class Halted(RuntimeError):
    """Toluna answered 403: no call is made any more until the panel is restarted with a valid key."""


@dataclass(frozen=True, slots=True)
class Answer:
    """Toluna's answer: the HTTP status, the JSON body (or None) and, for a refusal, its ResultCode."""

    status: int
    body: Any
    text: str

    @property
    def result_code(self) -> int | None:
        if isinstance(self.body, dict):
            for name, value in self.body.items():
                if name.lower() == "resultcode" and isinstance(value, int):
                    return value
        return None

    @property
    def message(self) -> str:
        if isinstance(self.body, dict):
            return str(self.body.get("Message") or self.body.get("Result") or self.text[:300])
        return self.text[:300]


#: A failed connection: no status from Toluna (the caller treats it like a 5xx).
NO_ANSWER = Answer(0, None, "")


class TolunaClient:
    def __init__(self, config: Config, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self.halted_reason: str | None = None

    # --- plumbing -------------------------------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = "flask-partner/1.0"
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    @property
    def halted(self) -> bool:
        return self.halted_reason is not None

    def _send(self, method: str, url: str, **kw: Any) -> Answer:
        if self.halted_reason is not None:
            raise Halted(self.halted_reason)
        try:
            resp = self._session().request(method, url, timeout=(5, 30), **kw)
        except requests.RequestException as exc:
            log.warning("%s %s failed: %s", method, url, exc.__class__.__name__)
            return NO_ANSWER
        try:
            body = resp.json() if resp.content else None
        except ValueError:
            body = None
        answer = Answer(resp.status_code, body, resp.text)
        if resp.status_code == 403:
            self.halted_reason = f"{method} {url} answered 403 ({answer.message}): fix the API key and restart"
            log.error("Toluna refused the panel's key; no more calls until restart. %s", self.halted_reason)
            raise Halted(self.halted_reason)
        return answer

    def _retried(self, method: str, url: str, **kw: Any) -> Answer:
        """A call retried after a technical failure, at most three times with growing pauses."""
        answer = self._send(method, url, **kw)
        for delay in RETRY_DELAYS:
            if not _technical(answer):
                break
            self._sleep(delay)
            answer = self._send(method, url, **kw)
        return answer

    def _es(self, path: str) -> str:
        return f"{self.config.es_url}/IPExternalSamplingService/ExternalSample/{self.config.panel_guid}/{path}"

    def _es_headers(self) -> dict[str, str]:
        return {"API_AUTH_KEY": self.config.api_key, "Accept": "application/json"}

    # --- the routes -----------------------------------------------------------------------------------------------
    def settings(self) -> Answer:
        return self._retried(
            "GET",
            f"{self.config.core_url}/IntegratedPanelService/api/Settings",
            params={"partnerGUID": self.config.panel_guid},
            headers=self._es_headers(),
        )

    def quotas(self) -> Answer:
        return self._retried("GET", self._es("Quotas"), headers=self._es_headers())

    def invite(self, member: str, quota: int) -> Answer:
        return self._retried("GET", self._es(f"{member}/Invite/{quota}"), headers=self._es_headers())

    def recontact_page(self, quota: int, after: str | None, page: int = 10_000) -> Answer:
        params: dict[str, Any] = {"maxResults": page}
        if after is not None:
            params["lastMemberCodeReceived"] = after
        return self._retried(
            "GET", self._es(f"Recontact/{quota}/MemberCodes"), params=params, headers=self._es_headers()
        )

    def add_member(self, body: dict[str, Any]) -> Answer:
        """POST: not retried here (a second write within 1000 ms is refused; the caller spaces its writes)."""
        return self._send("POST", self._member_url(), json=body, headers=MEMBER_HEADERS)

    def update_member(self, body: dict[str, Any]) -> Answer:
        return self._send("PUT", self._member_url(), json=body, headers=MEMBER_HEADERS)

    def _member_url(self) -> str:
        return f"{self.config.core_url}/IntegratedPanelService/api/Respondent"


def _technical(answer: Answer) -> bool:
    return answer.status == 0 or answer.status >= 500 or answer.result_code == TECHNICAL_ERROR
