"""One conformance run: a sandbox up (started here or attached), the scenario loaded and pointed at the partner,
the partner's integration run in cycles, members played through the links it gives them, notifications and probes
sent to it, and then every selected check judged on what the sandbox saw.

The cycles, each with a purpose:

1. *start*: the inventory is served with a short CacheExpires; quotas that will be taken away answer a code a
   partner may retry, and one quota per coverage code answers its first invite with that code;
2. *inventory expired*: the partner must read GetQuotas again before it invites (its CacheExpires has passed); the
   inventory it reads now is served with a long CacheExpires;
3. *after the notifications*: quotas were taken away (hold, survey closed, a stale IsLive=true after an IsLive=false)
   and probes tested the receivers; the partner's inventory is still fresh, so only the notifications can have
   told it — an invite to those quotas now is a partner that did not listen.

A run that cannot go on (the sandbox stops answering, the partner's command dies) still judges what it saw and
writes its reports, with the error in them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import cycle
from typing import Any

import requests
import yaml

from simulator.api.admin import ENV as ADMIN_TOKEN_ENV
from simulator.api.admin import token_headers
from simulator.domain.outcomes import OUTCOMES

from . import __version__
from . import checks as _checks  # noqa: F401  (registers every check)
from . import http as suite_http
from .config import SCENARIO_PARTNER_BASE, RunConfig
from .facts import Facts, Phase, PlayedVisit, Request, cache_expires, in_turn, invite_attempts, partner_requests
from .model import Evidence, Report, Result, Status
from .partner import Partner, PartnerStartError
from .registry import Verdict, excluded, judge, select
from .sandbox import LocalSandbox, SandboxClient, SandboxError
from .secrets import Masker, header_values
from .visits import Player
from .world import World

Progress = Callable[[str], None]
ENCRYPTION_SETTING = "Standard EncryptionResult Parameter Name"
DEFAULT_PARAMETER = "encValue"
LONG_CACHE_SECONDS = 600.0
PURPOSES = ("start", "inventory expired", "after the notifications")


class RunError(RuntimeError):
    """A run that could not start (not a partner failing a check): the message says what to fix."""


class Run:
    def __init__(self, config: RunConfig, progress: Progress | None = None) -> None:
        self.config = config
        self.masker = Masker([config.encryption_key, *header_values(config.notification_headers)])
        shown = progress or (lambda _message: None)
        self.say: Progress = lambda message: shown(self.masker(message))
        self.http = suite_http.session(repeat_sent=True)
        self.local: LocalSandbox | None = None
        self.partner = Partner(config, self.say)
        self.played: set[str] = set()
        self.visits: list[PlayedVisit] = []
        self.phase = 0
        self.outcomes = cycle(OUTCOMES)

    # --- the whole run --------------------------------------------------------------------------------------
    def execute(self) -> Report:
        started = _now()
        text = self._scenario_text()
        mapping = self._mapping()
        client = self._sandbox(text)
        facts = Facts(panel="", api_key="", sandbox=client, mapping=mapping)
        aborted = None
        try:
            self._drive(client, yaml.safe_load(text) or {}, facts)
        except (SandboxError, PartnerStartError) as exc:
            aborted = str(exc)
            self.say(f"the run stopped: {aborted}")
            self._gather(client, facts)
        finally:
            self.partner.stop()
        try:
            return self._judge(facts, started, client.base_url, aborted)  # checks may ask the sandbox (explain)
        finally:
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

    def _mapping(self) -> Any:
        if not self.config.mapping:
            return None
        from .mapping import MappingError, load_mapping

        try:
            return load_mapping(self.config.mapping)
        except MappingError as exc:
            raise RunError(str(exc)) from None

    def _sandbox(self, text: str) -> SandboxClient:
        try:
            if self.config.sandbox_url:
                self.masker.add(self._admin_token())
                client = SandboxClient(self.config.sandbox_url, admin_token=self._admin_token())
                self.say(f"attaching to the sandbox at {client.base_url}")
                client.load(text, self.config.scenario.name)
                return client
            self.say("starting a sandbox")
            self.local = LocalSandbox(text, self.config.scenario.name)
        except SandboxError as exc:
            raise RunError(str(exc)) from None
        return SandboxClient(self.local.url)

    # --- driving the partner --------------------------------------------------------------------------------
    def _drive(self, client: SandboxClient, doc: dict[str, Any], facts: Facts) -> None:
        self._configure(client, facts)
        self.mark = client.last_journal_id()
        self.outbox_mark = client.call("GET", "outbox", params={"limit": 1})["LastID"]
        facts.inventory = self._inventory(client.base_url, facts.panel, facts.api_key)
        plan = doc.get("conformance") or {}
        facts.tracker_expectations = [(e["member"], e["quota"]) for e in plan.get("next_wave", [])]
        self.scenario_members = [str(m["code"]) for m in doc.get("members", []) if m.get("code")]
        world = World(client, plan, facts, self.say)
        world.prepare()
        self.player = Player(client, timeout=self.config.cycle_timeout)
        self.partner.start(self._environment(client.base_url, facts))
        for number in range(1, self.config.cycles + 1):
            purpose = PURPOSES[min(number, len(PURPOSES)) - 1]
            if number == 2:
                self._let_inventory_expire(client, facts)
            if number == 3:
                queued = world.take_away(self._members(client))
                client.call("POST", "outbox/wait", params={"ids": ",".join(map(str, queued)), "timeout": 20})
                time.sleep(self.config.grace_seconds)  # the partner's time to act on what it was told
                self._credits_after_forgeries(facts)
            self._cycle(client, facts, number, purpose, world)
        self._refuse_the_key(client, facts, world)
        client.call("POST", "outbox/wait", params={"timeout": 20})
        self._gather(client, facts)
        if self.config.adapter_url:
            self._ask_adapter(facts)

    def _configure(self, client: SandboxClient, facts: Facts) -> None:
        """The panel as the run needs it: the partner's endpoints and settings, its notification headers, standard
        encryption, repeated completions and a short CacheExpires."""
        panel = client.scenario()["Panels"][0]
        facts.panel, facts.api_key = panel["PanelGUID"], panel["API_AUTH_KEY"]
        self.masker.add(panel["API_AUTH_KEY"], panel.get("PARTNER_AUTH_KEY"), panel.get("ReferenceDataKey"))
        settings = {**self.config.settings, **self.config.endpoints}
        change: dict[str, Any] = {
            "duplicate_completions": True,
            "encryption_algorithm": self.config.encryption_algorithm or None,
            "encryption_key": self.config.encryption_key or None,
            "cache_seconds": self.config.cache_seconds,
            # a refused notification is retried soon and given up early: the checks judge the first attempt
            "notification_attempts": 3,
            "notification_retry_seconds": 0.5,
        }
        if settings:
            change["settings"] = settings
        if self.config.notification_headers:
            change["notification_headers"] = self.config.notification_headers
        answer = client.change_panel(facts.panel, change)["Panel"]
        if not (answer.get("settings") or {}).get(ENCRYPTION_SETTING):  # the scenario's, or Toluna's example's
            answer = client.change_panel(facts.panel, {"settings": {ENCRYPTION_SETTING: DEFAULT_PARAMETER}})["Panel"]
        facts.settings = {k: v for k, v in (answer.get("settings") or {}).items() if v}
        facts.encryption_parameter = facts.settings.get(ENCRYPTION_SETTING) or DEFAULT_PARAMETER
        facts.encryption_on = bool(self.config.encryption_algorithm)
        facts.adapter_url = self.config.adapter_url
        facts.grace_seconds = self.config.grace_seconds
        facts.refresh_seconds = self.config.refresh_seconds
        facts.poll_burst = self.config.poll_burst

    def _environment(self, base_url: str, facts: Facts) -> dict[str, str]:
        panel = facts.sandbox.scenario()["Panels"][0]
        values = {
            "TOLUNA_SANDBOX_URL": base_url,
            "IP_ES_URL": base_url,
            "IP_CORE_URL": base_url,
            "IP_REF_DATA_URL": base_url,
            "TOLUNA_PANEL_GUID": facts.panel,
            "TOLUNA_API_KEY": facts.api_key,
            "TOLUNA_PARTNER_AUTH_KEY": panel.get("PARTNER_AUTH_KEY") or "",
            "TOLUNA_ENCRYPTION_ALGORITHM": self.config.encryption_algorithm,
            "TOLUNA_ENCRYPTION_KEY": self.config.encryption_key,
            "TOLUNA_ENCRYPTION_PARAMETER": facts.encryption_parameter,
        }
        if self.config.env_file:
            self.config.env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
        self.say("the partner's settings: " + " ".join(f"{k}={v}" for k, v in values.items() if k.startswith("TOL")))
        return values

    def _let_inventory_expire(self, client: SandboxClient, facts: Facts) -> None:
        """From now on the inventory is served with a long CacheExpires; the one the partner holds expires first.
        A partner still at its first cycle's work (a slow one) finishes it before the second cycle begins."""
        self._wait_quiet(client)
        client.change_panel(facts.panel, {"cache_seconds": LONG_CACHE_SECONDS})
        reads = [r for r in self._partner_requests(client) if r.route == "quotas" and r.status == 200]
        expires = cache_expires(reads[-1]) if reads else None
        if expires is not None:  # a partner may keep its copy a grace past CacheExpires (INV-06)
            wait = (expires - datetime.now(UTC)).total_seconds() + self.config.grace_seconds + 0.2
            time.sleep(min(max(wait, 0.0), self.config.cache_seconds + self.config.grace_seconds + 1))

    def _cycle(self, client: SandboxClient, facts: Facts, number: int, purpose: str, world: World) -> None:
        self.say(f"partner cycle {number} ({purpose})")
        self.phase = number
        started = datetime.now(UTC)
        call = self.partner.trigger()
        if call is not None and not call.ok:
            self.say(f"POST /run: {call.error or call.status} after {call.seconds:.1f} s")
        self._wait_quiet(client)
        self._play_new_invites(client)
        if self.config.respondent:
            self._ask_respondents(client, facts, number, world)
            self._wait_quiet(client)
            self._play_new_invites(client)
        facts.phases.append(Phase(number, purpose, started, datetime.now(UTC)))

    def _credits_after_forgeries(self, facts: Facts) -> None:
        """What the partner credited the members named by forged completions (none completed anything)."""
        if not self.config.adapter_url:
            return
        for probe in facts.probes:
            if probe.kind in ("tampered", "unsigned"):
                facts.forged_credits[str(probe.about["member"])] = self.partner.credits(str(probe.about["member"]))

    def _refuse_the_key(self, client: SandboxClient, facts: Facts, world: World) -> None:
        """A last cycle in which Toluna answers every External Sample call with 403, as when a key is revoked: the
        moment where a partner that loops on a refused key shows it (INV-05)."""
        fault = client.call("POST", "faults", json={"route": "any", "panel_guid": facts.panel, "http_status": 403})
        try:
            self._cycle(client, facts, self.config.cycles + 1, "key refused", world)
        finally:
            client.call("DELETE", f"faults/{fault['ID']}")

    def _wait_quiet(self, client: SandboxClient) -> None:
        """Until the partner has sent nothing for ``quiet_seconds`` (at most ``cycle_max_seconds``)."""
        seen, quiet_since = -1, time.monotonic()
        deadline = time.monotonic() + self.config.cycle_max_seconds
        while time.monotonic() < deadline:
            count = client.call("GET", "journal/count", params={"after": self.mark})["Count"]
            if count != seen:
                seen, quiet_since = count, time.monotonic()
            elif time.monotonic() - quiet_since >= self.config.quiet_seconds:
                return
            time.sleep(0.2)

    # --- playing members ------------------------------------------------------------------------------------
    def _members(self, client: SandboxClient) -> list[str]:
        """The partner's members: those it registered during the run, and those the scenario says Toluna knew."""
        written = [
            r.member for r in self._partner_requests(client) if r.route in ("member_add", "member_update") and r.member
        ]
        return list(dict.fromkeys([*written, *self.scenario_members]))

    def _ask_respondents(self, client: SandboxClient, facts: Facts, number: int, world: World) -> None:
        """A respondent-driven partner: every member asks for a survey once a cycle; the quotas the run is about
        (coverage, and those taken away later) are asked for by name for members who match them."""
        members = self._members(client)
        served = {v.member for v in self.visits if v.phase == number}
        for member in members:
            if member not in served:
                self._follow(member, None, self.partner.respondent(member))
        targeted = list(facts.quota_survey()) if number == 1 else []  # every quota once: each rule gets a moment
        targeted += world.taken_away_later()
        asked: dict[str, int] = {}  # spread the named asks over the members
        for quota in dict.fromkeys(targeted):
            eligible = [m for m in members if (facts.explain(m, quota) or {}).get("ResultCode") == 1]
            for member in sorted(eligible, key=lambda m: asked.get(m, 0))[:3]:
                asked[member] = asked.get(member, 0) + 1
                url = self.partner.respondent(member, quota)
                self._follow(member, quota, url)
                if url:
                    break

    def _follow(self, member: str, quota: int | None, url: str | None) -> None:
        if url:
            visit = self.player.play(member, quota, url, next(self.outcomes), self.phase)
            self.played.add(visit.invite_url)
            self.visits.append(visit)

    def _play_new_invites(self, client: SandboxClient) -> None:
        """Invites the partner obtained and no member has followed yet, outcomes in turn so that every end page is
        visited; through the partner's own link when its adapter gives one. At most ``visits_per_cycle`` a cycle,
        taken a quota at a time in turn: the others stay unused, as invites members never click."""
        fresh = [a for a in invite_attempts(self._partner_requests(client)) if a.url and a.url not in self.played]
        room = self.config.visits_per_cycle - sum(1 for v in self.visits if v.phase == self.phase)
        for attempt in in_turn(fresh)[: max(room, 0)]:
            start = self.partner.respondent(attempt.member, attempt.quota) if self.config.respondent else None
            outcome = next(self.outcomes)
            self.visits.append(
                self.player.play(attempt.member, attempt.quota, start or attempt.url, outcome, self.phase)
            )
        self.played.update(a.url for a in fresh if a.url)
        self.say(f"{len(self.visits)} member visit(s) played")

    # --- what the partner did -------------------------------------------------------------------------------
    def _gather(self, client: SandboxClient, facts: Facts) -> None:
        """Everything the checks judge; what could not be read stays as it was (a run that stopped early)."""
        facts.visits = self.visits
        facts.hooks = self.partner.calls
        try:
            facts.requests = self._partner_requests(client)
            listed = client.call("GET", "outbox", params={"after": self.outbox_mark, "limit": 10_000})
        except (SandboxError, AttributeError):
            return
        every = [client.call("GET", f"outbox/{n['ID']}") for n in listed.get("Notifications", [])]
        facts.notifications = [n for n in every if not (n.get("About") or {}).get("crafted")]
        facts.crafted = [n for n in every if (n.get("About") or {}).get("crafted")]

    def _ask_adapter(self, facts: Facts) -> None:
        """What only the partner knows: completions credited per member, whether it accepts a genuine and a
        tampered encrypted end-page URL, and its own record of each member it registered."""
        completed = {v.member for v in self.visits if v.outcome == "qualified" and v.end_status}
        credits = {m: self.partner.credits(m) for m in sorted(completed)}
        checks = []
        marker = f"&{facts.encryption_parameter}="
        signed = next((v.end_page for v in self.visits if v.end_page and marker in v.end_page), None)
        if signed:
            tampered = signed[:-1] + ("0" if signed[-1] != "0" else "1")
            for page, genuine in ((signed, True), (tampered, False)):
                checks.append({"url": page, "genuine": genuine, "valid": self.partner.redirect_valid(page)})
        facts.adapter = {"credits": {m: -1 if c is None else c for m, c in credits.items()}, "redirects": checks}
        written = {r.member for r in facts.routes("member_add", "member_update") if r.member}
        records = {m: self.partner.member_record(m) for m in sorted(written)}
        facts.member_records = {m: r for m, r in records.items() if r is not None} or None

    def _inventory(self, base_url: str, guid: str, key: str) -> dict[str, Any]:
        resp = self.http.get(
            f"{base_url}/IPExternalSamplingService/ExternalSample/{guid}/Quotas",
            headers={"API_AUTH_KEY": key},
            timeout=30,
        )
        return resp.json() if resp.ok else {}

    def _partner_requests(self, client: SandboxClient) -> list[Request]:
        return partner_requests(client.journal(after=self.mark))

    def _admin_token(self) -> str | None:
        """The attached sandbox's admin token: the configuration's, else the environment's."""
        return self.config.admin_token or os.environ.get(ADMIN_TOKEN_ENV)

    def _sandbox_version(self, url: str) -> str:
        try:
            answer = self.http.get(f"{url}/_sandbox/health", headers=token_headers(self._admin_token()), timeout=5)
            return str(answer.json().get("Version", "?"))
        except (requests.RequestException, ValueError):
            return "?"

    # --- judging --------------------------------------------------------------------------------------------
    def _judge(self, facts: Facts, started: str, url: str, aborted: str | None) -> Report:
        report = Report(
            scenario=self.config.scenario.name,
            sandbox_url=url,
            sandbox_version=self._sandbox_version(url),
            suite_version=__version__,
            started=started,
            finished="",
            partner=self.config.partner_cmd or self.config.partner_url or "(polls on its own)",
            aborted=aborted,
        )
        for info, fn in select(self.config.include, self.config.exclude):
            try:
                verdict = fn(facts)
            except Exception as exc:  # a broken check is reported, and the others still run
                verdict = Verdict([Evidence(summary=f"the check crashed: {exc!r}")], failed="the check crashed")
            report.results.append(judge(info, verdict))
        for info in excluded(self.config.include, self.config.exclude):
            report.results.append(Result(check=info, status=Status.SKIP, message="left out by the configuration"))
        from .coverage import matrix
        from .receivers import grades

        report.coverage = matrix(facts)
        report.receivers = grades(facts, report)
        report.finished = _now()
        return report.masked(self.masker)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
