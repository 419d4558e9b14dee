"""One conformance run: a sandbox up (started here or attached), the scenario loaded and pointed at the partner,
the partner's integration run in cycles, members played through the invites it obtained, notifications fired at
it, and then every selected check judged on what the sandbox saw."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import cycle
from typing import Any

import requests
import yaml

from simulator.domain.outcomes import OUTCOMES

from . import checks as _checks  # noqa: F401  (registers every check)
from .config import SCENARIO_PARTNER_BASE, RunConfig
from .facts import USER_AGENT, Action, Facts, PlayedVisit, Request, invite_attempts
from .model import Evidence, Report
from .registry import Verdict, judge, select
from .sandbox import LocalSandbox, SandboxClient, SandboxError

Progress = Callable[[str], None]
#: The end-page parameter holding the encrypted value during a run (Toluna's example's name).
ENC_PARAMETER = "encValue"


class RunError(RuntimeError):
    """A run that could not be carried out (not a partner failing a check): the message says what to fix."""


class Run:
    def __init__(self, config: RunConfig, progress: Progress | None = None) -> None:
        self.config = config
        self.say = progress or (lambda _message: None)
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self.local: LocalSandbox | None = None
        self.partner: subprocess.Popen[bytes] | None = None
        self.actions: list[Action] = []
        self.visits: list[PlayedVisit] = []
        self.played: set[str] = set()

    # --- the whole run --------------------------------------------------------------------------------------
    def execute(self) -> Report:
        started = _now()
        text = self._scenario_text()
        client = self._sandbox(text)
        try:
            facts = self._drive(client, yaml.safe_load(text) or {})
            self._stop_partner()
            return self._judge(facts, started, client.base_url)  # checks may ask the sandbox (explain)
        finally:
            self._stop_partner()
            if self.local is not None:
                self.local.stop()

    def _scenario_text(self) -> str:
        try:
            text = self.config.scenario.read_text(encoding="utf-8")
        except OSError as exc:
            raise RunError(f"cannot read the scenario {self.config.scenario} ({exc.strerror})") from None
        if self.config.partner_base:
            text = text.replace(SCENARIO_PARTNER_BASE, self.config.partner_base.rstrip("/"))
        return text

    def _sandbox(self, text: str) -> SandboxClient:
        if self.config.sandbox_url:
            client = SandboxClient(self.config.sandbox_url)
            self.say(f"attaching to the sandbox at {client.base_url}")
            client.load(text, self.config.scenario.name)
            return client
        self.say("starting a sandbox")
        try:
            self.local = LocalSandbox(text, self.config.scenario.name)
        except SandboxError as exc:
            raise RunError(str(exc)) from None
        return SandboxClient(self.local.url)

    # --- driving the partner --------------------------------------------------------------------------------
    def _drive(self, client: SandboxClient, doc: dict[str, Any]) -> Facts:
        shown = client.scenario()
        panel = shown["Panels"][0]
        guid, key = panel["PanelGUID"], panel["API_AUTH_KEY"]
        settings = {**self.config.endpoints, "Standard EncryptionResult Parameter Name": ENC_PARAMETER}
        encryption = {
            "encryption_algorithm": self.config.encryption_algorithm or None,
            "encryption_key": self.config.encryption_key or None,
        }
        client.change_panel(guid, {"settings": settings, "duplicate_completions": True, **encryption})
        env = self._environment(client.base_url, panel)
        mark = self._last_id(client)
        outbox_mark = client.call("GET", "outbox", params={"limit": 1})["LastID"]
        facts = Facts(
            panel=guid,
            api_key=key,
            sandbox=client,
            adapter_url=self.config.adapter_url,
            grace_seconds=self.config.grace_seconds,
            refresh_seconds=self.config.refresh_seconds,
            poll_burst=self.config.poll_burst,
        )
        facts.inventory = self._inventory(client.base_url, guid, key)
        facts.tracker_expectations = [
            (e["member"], e["quota"]) for e in (doc.get("conformance") or {}).get("next_wave", [])
        ]
        self._start_partner(env)
        for number in range(1, self.config.cycles + 1):
            self.say(f"partner cycle {number}")
            self._cycle(client, mark)
            self._play(client, mark)
            if number == 1 and self._notify(client, doc.get("conformance") or {}):
                # the partner is given the grace to act on what it was told before it works again
                client.call("POST", "outbox/wait", params={"timeout": 20})
                time.sleep(self.config.grace_seconds)
        client.call("POST", "outbox/wait", params={"timeout": 20})
        facts.requests = self._partner_requests(client, mark)
        facts.actions, facts.visits = self.actions, self.visits
        facts.notifications = self._notifications(client, outbox_mark)
        if self.config.adapter_url:
            facts.adapter = self._ask_adapter(self.config.adapter_url, facts)
        return facts

    def _environment(self, base_url: str, panel: dict[str, Any]) -> dict[str, str]:
        values = {
            "TOLUNA_SANDBOX_URL": base_url,
            "IP_ES_URL": base_url,
            "IP_CORE_URL": base_url,
            "IP_REF_DATA_URL": base_url,
            "TOLUNA_PANEL_GUID": panel["PanelGUID"],
            "TOLUNA_API_KEY": panel["API_AUTH_KEY"],
            "TOLUNA_PARTNER_AUTH_KEY": panel.get("PARTNER_AUTH_KEY") or "",
            "TOLUNA_ENCRYPTION_ALGORITHM": self.config.encryption_algorithm,
            "TOLUNA_ENCRYPTION_KEY": self.config.encryption_key,
            "TOLUNA_ENCRYPTION_PARAMETER": ENC_PARAMETER,
        }
        if self.config.env_file:
            self.config.env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
        self.say("the partner's settings: " + " ".join(f"{k}={v}" for k, v in values.items() if k.startswith("TOL")))
        return values

    def _start_partner(self, env: dict[str, str]) -> None:
        if not self.config.partner_cmd:
            return
        self.say(f"starting the partner: {self.config.partner_cmd}")
        self.partner = subprocess.Popen(shlex.split(self.config.partner_cmd), env={**os.environ, **env})
        if self.config.partner_url:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not self._reachable(self.config.partner_url):
                if self.partner.poll() is not None:
                    raise RunError(f"the partner command exited with {self.partner.returncode}")
                time.sleep(0.1)

    def _reachable(self, url: str) -> bool:
        try:
            self.http.get(url, timeout=1)
        except requests.RequestException:
            return False
        return True

    def _stop_partner(self) -> None:
        if self.partner is not None and self.partner.poll() is None:
            self.partner.terminate()
            try:
                self.partner.wait(10)
            except subprocess.TimeoutExpired:
                self.partner.kill()

    def _cycle(self, client: SandboxClient, mark: int) -> None:
        """Start one cycle of the partner's work (POST to its URL, if it has one) and wait until it goes quiet."""
        if self.config.partner_url:
            try:
                self.http.post(self.config.partner_url, timeout=self.config.cycle_timeout)
            except requests.RequestException as exc:
                raise RunError(f"the partner did not answer at {self.config.partner_url} ({exc})") from None
        seen, quiet_since = -1, time.monotonic()
        deadline = time.monotonic() + self.config.cycle_timeout
        while time.monotonic() < deadline:
            count = len(self._partner_requests(client, mark))
            if count != seen:
                seen, quiet_since = count, time.monotonic()
            elif time.monotonic() - quiet_since >= self.config.quiet_seconds:
                return
            time.sleep(0.2)

    # --- playing members ------------------------------------------------------------------------------------
    def _play(self, client: SandboxClient, mark: int) -> None:
        """Follow every new invite URL the partner obtained, as the member, to the partner's end page; outcomes
        take turns so that every end page is visited."""
        outcomes = cycle(OUTCOMES)
        for _ in range(len(self.visits)):
            next(outcomes)
        for attempt in invite_attempts(self._partner_requests(client, mark)):
            if not attempt.url or attempt.url in self.played:
                continue
            self.played.add(attempt.url)
            self.visits.append(self._visit(attempt.member, attempt.quota, attempt.url, next(outcomes)))
        self.say(f"{len(self.visits)} member visit(s) played")

    def _visit(self, member: str, quota: int, url: str, outcome: str) -> PlayedVisit:
        try:
            resp = self.http.get(url, params={"outcome": outcome}, allow_redirects=False, timeout=30)
            hops = 0
            while resp.status_code == 302 and "/TrafficUI/MSCUI/Page.aspx" in resp.headers["Location"] and hops < 3:
                resp = self.http.get(
                    resp.headers["Location"], params={"outcome": outcome}, allow_redirects=False, timeout=30
                )
                hops += 1
            if resp.status_code != 302:
                return PlayedVisit(member, quota, outcome, url, None, None, f"the sandbox answered {resp.status_code}")
            end = resp.headers["Location"]
            page = self.http.get(end, allow_redirects=False, timeout=10)
            return PlayedVisit(member, quota, outcome, url, end, page.status_code)
        except requests.RequestException as exc:
            return PlayedVisit(member, quota, outcome, url, locals().get("end"), None, exc.__class__.__name__)

    # --- notifications --------------------------------------------------------------------------------------
    def _notify(self, client: SandboxClient, plan: dict[str, Any]) -> bool:
        """Between cycles, as Toluna would: one of the partner's quotas goes on hold, a quota of a survey the partner
        does not see goes on hold too (quota notifications go to every panel of the culture), a survey closes."""
        events: list[tuple[str, dict[str, Any]]] = []
        if plan.get("hold_quota"):
            events.append(("quota-status", {"quota": plan["hold_quota"], "live": False}))
        if plan.get("foreign_quota"):
            events.append(("quota-status", {"quota": plan["foreign_quota"], "live": False}))
        if plan.get("close_survey"):
            events.append(("survey-closed", {"survey": plan["close_survey"]}))
        for kind, body in events:
            self._fire(client, kind, body)
        if plan.get("xml_quota"):  # a live quota of the partner's, said again in XML, as Toluna sends when so set
            guid = client.scenario()["Panels"][0]["PanelGUID"]
            client.change_panel(guid, {"notification_format": "xml"})
            self._fire(client, "quota-status", {"quota": plan["xml_quota"], "live": True}, "xml")
            client.change_panel(guid, {"notification_format": "json"})
        return bool(events or plan.get("xml_quota"))

    def _fire(self, client: SandboxClient, kind: str, body: dict[str, Any], fmt: str = "json") -> None:
        try:
            answer = client.event(kind, body)
        except SandboxError as exc:
            self.say(f"could not fire {kind}: {exc}")
            return
        self.actions.append(Action(kind, _now_dt(), {**body, "format": fmt}, tuple(answer.get("Notifications", []))))
        self.say(f"fired {kind} {body} ({fmt})")

    @staticmethod
    def _notifications(client: SandboxClient, after: int) -> list[dict[str, Any]]:
        """Every notification sent during the run, with its delivery attempts."""
        listed = client.call("GET", "outbox", params={"after": after, "limit": 10_000}).get("Notifications", [])
        return [client.call("GET", f"outbox/{n['ID']}") for n in listed]

    def _ask_adapter(self, url: str, facts: Facts) -> dict[str, Any]:
        """What only the partner knows: completions credited per member, and whether it accepts a genuine and a
        tampered encrypted end-page URL."""
        base = url.rstrip("/")
        credits = {}
        for member in sorted({v.member for v in self.visits if v.outcome == "qualified" and v.end_status}):
            try:
                credits[member] = int(self.http.get(f"{base}/credits/{member}", timeout=10).json()["Credits"])
            except (requests.RequestException, ValueError, KeyError):
                credits[member] = -1
        checks = []
        signed = next((v.end_page for v in self.visits if v.end_page and f"&{ENC_PARAMETER}=" in v.end_page), None)
        if signed:
            tampered = signed[:-1] + ("0" if signed[-1] != "0" else "1")
            for page, genuine in ((signed, True), (tampered, False)):
                try:
                    valid = bool(
                        self.http.post(f"{base}/redirect-check", json={"url": page}, timeout=10).json()["Valid"]
                    )
                except (requests.RequestException, ValueError, KeyError):
                    valid = None
                checks.append({"url": page, "genuine": genuine, "valid": valid})
        return {"credits": credits, "redirects": checks}

    # --- what the partner sent ------------------------------------------------------------------------------
    def _inventory(self, base_url: str, guid: str, key: str) -> dict[str, Any]:
        resp = self.http.get(
            f"{base_url}/IPExternalSamplingService/ExternalSample/{guid}/Quotas",
            headers={"API_AUTH_KEY": key},
            timeout=30,
        )
        return resp.json() if resp.ok else {}

    @staticmethod
    def _last_id(client: SandboxClient) -> int:
        entries = client.journal()
        return entries[-1]["id"] if entries else 0

    @staticmethod
    def _partner_requests(client: SandboxClient, mark: int) -> list[Request]:
        entries = client.journal(after=mark if mark >= 0 else None)
        requests_ = [
            Request.from_entry(e)
            for e in entries
            if not (e["request_headers"].get("User-Agent") or "").startswith(USER_AGENT)
        ]
        return sorted(requests_, key=lambda r: r.wall)  # two workers' entries may be stored out of order

    def _sandbox_version(self, url: str) -> str:
        try:
            return str(self.http.get(f"{url}/_sandbox/health", timeout=5).json().get("Version", "?"))
        except (requests.RequestException, ValueError):
            return "?"

    # --- judging --------------------------------------------------------------------------------------------
    def _judge(self, facts: Facts, started: str, url: str) -> Report:
        report = Report(
            scenario=self.config.scenario.name,
            sandbox_url=url,
            sandbox_version=self._sandbox_version(url),
            started=started,
            finished="",
            partner=self.config.partner_cmd or self.config.partner_url or "(polls on its own)",
        )
        for info, fn in select(self.config.include, self.config.exclude):
            try:
                verdict = fn(facts)
            except Exception as exc:  # a broken check is reported, and the others still run
                verdict = Verdict([Evidence(summary=f"the check crashed: {exc!r}")], failed="the check crashed")
            report.results.append(judge(info, verdict))
        report.finished = _now()
        return report


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _now_dt() -> datetime:
    return datetime.now(UTC)
