"""The partner's client for Toluna's APIs (External Sample and member management), configured like a real
integration: base URLs, the panel GUID and the API key from the environment."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

V2 = "application/json;version=2.0"


@dataclass(slots=True)
class Answer:
    status: int
    body: Any

    @property
    def result_code(self) -> int | None:
        return self.body.get("ResultCode") if isinstance(self.body, dict) else None


class Toluna:
    def __init__(self, es_url: str, core_url: str, panel: str, key: str) -> None:
        self.es = f"{es_url.rstrip('/')}/IPExternalSamplingService/ExternalSample/{panel}"
        self.core = f"{core_url.rstrip('/')}/IntegratedPanelService/api"
        self.panel, self.key = panel, key
        self.forbidden = False  # Toluna refused the key: no External Sample call until it is fixed (a restart)
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "reference-partner"
        # reads repeated when a kept connection turns out closed (never a write: it might have been carried out)
        retry = Retry(total=3, connect=3, read=0, status=0, backoff_factor=0.1, allowed_methods={"GET"})
        self.http.mount("http://", HTTPAdapter(max_retries=retry))

    @classmethod
    def from_env(cls) -> Toluna:
        base = os.environ.get("TOLUNA_SANDBOX_URL", "http://127.0.0.1:8080")
        return cls(
            os.environ.get("IP_ES_URL", base),
            os.environ.get("IP_CORE_URL", base),
            os.environ["TOLUNA_PANEL_GUID"],
            os.environ["TOLUNA_API_KEY"],
        )

    def _call(self, method: str, url: str, **kw: Any) -> Answer:
        resp = self.http.request(method, url, timeout=30, **kw)
        try:
            body = resp.json() if resp.content else None
        except ValueError:
            body = resp.text
        return Answer(resp.status_code, body)

    def _es(self, method: str, path: str, **kw: Any) -> Answer:
        if self.forbidden:
            return Answer(403, None)
        answer = self._call(method, f"{self.es}/{path}", headers={"API_AUTH_KEY": self.key}, **kw)
        self.forbidden = answer.status == 403
        return answer

    # --- External Sample ----------------------------------------------------------------------------------
    def quotas(self) -> Answer:
        return self._es("GET", "Quotas")

    def invite(self, member: str, quota: int, retries: int = 3) -> Answer:
        """GenerateInvite; TECHNICAL_ERROR and 5xx are retried with backoff (0.2, 0.4, 0.8 s)."""
        answer = self._es("GET", f"{member}/Invite/{quota}")
        for attempt in range(retries):
            if answer.status < 500 and answer.result_code != 36:
                break
            time.sleep(0.2 * 2**attempt)
            answer = self._es("GET", f"{member}/Invite/{quota}")
        return answer

    def recontact_page(self, quota: int, after: str | None, size: int = 10_000) -> Answer:
        params: dict[str, Any] = {"maxResults": size}
        if after is not None:
            params["lastMemberCodeReceived"] = after
        return self._es("GET", f"Recontact/{quota}/MemberCodes", params=params)

    # --- member management v2 ------------------------------------------------------------------------------
    def add_member(self, body: dict[str, Any]) -> Answer:
        return self._call(
            "POST", f"{self.core}/Respondent", json={"PartnerGUID": self.panel, **body}, headers={"Accept": V2}
        )

    def update_member(self, body: dict[str, Any]) -> Answer:
        return self._call(
            "PUT", f"{self.core}/Respondent", json={"PartnerGUID": self.panel, **body}, headers={"Accept": V2}
        )
