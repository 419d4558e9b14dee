"""The partner's side of a run: its process, the hook that starts a cycle of its work (``POST /run``), and the
conformance adapter (respondents, credits, redirect checks, its own member records).

Every call has a timeout from the configuration, and a partner that is slow or fails is a finding with the time it
took, never the end of the run: the suite judges what the partner did, and says what it could not ask.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import requests

from . import http as suite_http
from .config import RunConfig
from .sandbox import stop_process


class PartnerStartError(RuntimeError):
    """The partner's command could not be started or exited at once (the run cannot judge anything)."""


@dataclass(slots=True, frozen=True)
class HookCall:
    """One call the suite made to the partner: what, how long it took, and what went wrong if anything did."""

    what: str
    seconds: float
    status: int | None
    error: str | None = None
    timeout: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


class Partner:
    def __init__(self, config: RunConfig, say: Any) -> None:
        self.config = config
        self.say = say
        # POST /run and a respondent's click start work: repeated only when the request never left
        self.once = suite_http.session(repeat_sent=False)
        # the adapter's reads (credits, records, redirect checks) may be repeated
        self.reads = suite_http.session(repeat_sent=True)
        self.process: subprocess.Popen[bytes] | None = None
        self.calls: list[HookCall] = []

    # --- the process ----------------------------------------------------------------------------------------
    def start(self, env: dict[str, str]) -> None:
        if not self.config.partner_cmd:
            return
        self.say(f"starting the partner: {self.config.partner_cmd}")
        try:
            self.process = subprocess.Popen(shlex.split(self.config.partner_cmd), env={**os.environ, **env})
        except (OSError, ValueError) as exc:
            raise PartnerStartError(f"the partner command could not be started ({exc})") from None
        wait_for = self.config.partner_url or (self.config.adapter_url if self.config.respondent else None)
        if not wait_for:
            return
        deadline = time.monotonic() + self.config.start_timeout
        while not self._reachable(wait_for):
            if self.process.poll() is not None:
                raise PartnerStartError(f"the partner command exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                self.calls.append(HookCall("start", self.config.start_timeout, None, "never answered"))
                self.say(f"the partner did not answer at {wait_for} within {self.config.start_timeout:g} s")
                return
            time.sleep(0.1)

    def _reachable(self, url: str) -> bool:
        try:
            requests.get(url, timeout=1)
        except requests.RequestException:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    # --- hooks ----------------------------------------------------------------------------------------------
    def trigger(self) -> HookCall | None:
        """POST the partner's cycle URL; a timeout or an error is recorded, and the run goes on."""
        if not self.config.partner_url:
            return None
        call, _ = self._call(self.once, "POST", self.config.partner_url, "POST /run", self.config.cycle_timeout)
        return call

    def respondent(self, member: str, quota: int | None = None) -> str | None:
        """The URL the partner sends ``member`` to (for ``quota`` when named), or None when it has none."""
        body: dict[str, Any] = {"MemberCode": member}
        if quota is not None:
            body["QuotaID"] = quota
        _, doc = self._call(
            self.once, "POST", self._adapter("respondent"), "POST respondent", self.config.adapter_timeout, json=body
        )
        url = doc.get("URL") if isinstance(doc, dict) else None
        return str(url) if url else None

    def credits(self, member: str) -> int | None:
        _, doc = self._call(self.reads, "GET", self._adapter(f"credits/{member}"), "GET credits", None)
        try:
            return int(doc["Credits"])
        except (TypeError, KeyError, ValueError):
            return None

    def redirect_valid(self, url: str) -> bool | None:
        _, doc = self._call(
            self.reads, "POST", self._adapter("redirect-check"), "POST redirect-check", None, json={"url": url}
        )
        valid = doc.get("Valid") if isinstance(doc, dict) else None
        return valid if isinstance(valid, bool) else None

    def member_record(self, member: str) -> dict[str, Any] | None:
        _, doc = self._call(self.reads, "GET", self._adapter(f"members/{member}"), "GET members", None, quiet=True)
        return doc if isinstance(doc, dict) and doc else None

    def _adapter(self, path: str) -> str:
        return f"{(self.config.adapter_url or '').rstrip('/')}/{path}"

    def _call(
        self,
        http: requests.Session,
        method: str,
        url: str,
        what: str,
        timeout: float | None,
        quiet: bool = False,
        **kw: Any,
    ) -> tuple[HookCall, Any]:
        limit = timeout or self.config.adapter_timeout
        started = time.monotonic()
        try:
            resp = http.request(method, url, timeout=limit, **kw)
        except requests.Timeout:
            call = HookCall(what, time.monotonic() - started, None, f"no answer within {limit:g} s", limit)
        except requests.RequestException as exc:
            call = HookCall(what, time.monotonic() - started, None, f"{exc.__class__.__name__}", limit)
        else:
            call = HookCall(what, time.monotonic() - started, resp.status_code, None, limit)
            if not quiet or resp.ok:
                self.calls.append(call)
            try:
                return call, resp.json() if resp.ok and resp.content else None
            except ValueError:
                return call, None
        self.calls.append(call)
        self.say(f"the partner's {what} at {url}: {call.error} after {call.seconds:.1f} s")
        return call, None
