"""What the suite does to the sandbox during a run so that every rule has a moment where a partner could break it,
whatever the partner's strategy:

- quotas that will be taken away (a hold, a survey closed) answer "not available in this interval" (27, a code a
  partner may retry) until they are taken away: a partner that wanted them still wants them when it is told they
  are gone, so ignoring the notification shows as an invite in the next cycle;
- one quota per result code of the coverage plan answers its first invite with that code;
- between the cycles: the quotas are taken away, a stale IsLive=true follows a quota's IsLive=false, and crafted
  notifications (tampered, unsigned, malformed) test the partner's receivers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .facts import Action, Facts, Probe
from .sandbox import SandboxClient, SandboxError

#: The refusal a quota that will be taken away answers until then: Toluna's "quota not available in this interval".
HELD_BACK = 27
#: Where each kind of notification goes (the panel's setting) and the malformed body it is tested with.
ENDPOINTS = {
    "complete": "Completion Notification URL",
    "terminate": "Terminate Notification URL",
    "quota": "Quota Notification URL",
    "survey": "Survey Notification URL",
}
MALFORMED = '{"UniqueCode": "'  # a body cut short, as a broken proxy might deliver it


class World:
    def __init__(self, client: SandboxClient, plan: dict[str, Any], facts: Facts, say: Callable[[str], None]) -> None:
        self.client, self.plan, self.facts, self.say = client, plan, facts, say
        self.held_back: list[int] = []  # fault rules to remove when the quotas are taken away

    # --- before the partner starts --------------------------------------------------------------------------
    def taken_away_later(self) -> list[int]:
        """The quotas that will be taken away between the cycles (a hold, a closed survey, the stale probe)."""
        quotas = [int(q) for q in (self.plan.get("hold_quota"), self.plan.get("stale_quota")) if q]
        closing = self.plan.get("close_survey")
        if closing:
            quotas += [q for q, s in self.facts.quota_survey().items() if s["SurveyID"] == int(closing)]
        return quotas

    def prepare(self) -> None:
        for quota in self.taken_away_later():
            rule = {"route": "invite", "quota_id": quota, "result_code": HELD_BACK}
            self.held_back.append(self.client.call("POST", "faults", json=rule)["ID"])
        for quota, code in (self.plan.get("coverage") or {}).items():
            rule = {"route": "invite", "quota_id": int(quota), "result_code": int(code), "times": 1}
            self.client.call("POST", "faults", json=rule)
            self.facts.coverage[int(quota)] = int(code)

    # --- between the cycles ---------------------------------------------------------------------------------
    def take_away(self, members: list[str]) -> list[int]:
        """The quotas go, the probes are sent; the ids of every notification this queued. ``members`` are the
        partner's (a forged completion names one who has completed nothing)."""
        for fault in self.held_back:
            self.client.call("DELETE", f"faults/{fault}")
        now = datetime.now(UTC)
        for quota in self.taken_away_later():
            self.facts.shaped[quota] = now
        queued = self._malformed()  # first, so that genuine notifications follow them to every endpoint
        if self.plan.get("hold_quota"):
            queued += self._fire("quota-status", {"quota": self.plan["hold_quota"], "live": False})
        if self.plan.get("foreign_quota"):
            queued += self._fire("quota-status", {"quota": self.plan["foreign_quota"], "live": False})
        if self.plan.get("close_survey"):
            queued += self._fire("survey-closed", {"survey": self.plan["close_survey"]})
        if self.plan.get("xml_quota"):  # a live quota of the partner's, said again in XML, as Toluna sends when so set
            self.client.change_panel(self.facts.panel, {"notification_format": "xml"})
            queued += self._fire("quota-status", {"quota": self.plan["xml_quota"], "live": True}, "xml")
            self.client.change_panel(self.facts.panel, {"notification_format": "json"})
        queued += self._stale()
        queued += self._tampered(members)
        return queued

    def _fire(self, kind: str, body: dict[str, Any], fmt: str = "json") -> list[int]:
        try:
            answer = self.client.event(kind, body)
        except SandboxError as exc:
            self.say(f"could not fire {kind}: {exc}")
            return []
        ids = tuple(answer.get("Notifications", []))
        self.facts.actions.append(Action(kind, datetime.now(UTC), {**body, "format": fmt}, ids))
        self.say(f"fired {kind} {body} ({fmt})")
        return list(ids)

    def _craft(self, kind: str, probe: str, about: dict[str, Any], **body: Any) -> list[int]:
        url = self.facts.settings.get(ENDPOINTS[kind])
        if not url:
            return []
        answer = self.client.call("POST", "outbox", json={"kind": kind, "subject": {"probe": probe, **about}, **body})
        self.facts.probes.append(Probe(probe, int(answer["ID"]), url, about))
        return [int(answer["ID"])]

    def _malformed(self) -> list[int]:
        out: list[int] = []
        for kind in ENDPOINTS:
            out += self._craft(kind, "malformed", {"kind": kind}, body=MALFORMED, format="json")
        return out

    def _stale(self) -> list[int]:
        """The stale quota's genuine IsLive=false, delivered; then an IsLive=true dated a minute before it."""
        quota = self.plan.get("stale_quota")
        if not quota:
            return []
        ids = self._fire("quota-status", {"quota": quota, "live": False})
        if not ids:
            return []
        self.client.call("POST", "outbox/wait", params={"ids": ",".join(map(str, ids)), "timeout": 20})
        genuine = json.loads(self.client.call("GET", f"outbox/{ids[0]}")["Body"])
        stale = {**genuine, "IsLive": True, "UpdateDateTimeUTC": _earlier(str(genuine["UpdateDateTimeUTC"]))}
        return ids + self._craft("quota", "stale", {"quota": int(quota)}, doc=stale, format="json")

    def _tampered(self, members: list[str]) -> list[int]:
        """Completions of a member who completed nothing, once with a genuine completion's EncryptedValue (which
        then does not match) and once with none: a partner that checks the value credits neither."""
        if not self.facts.encryption_on:
            return []
        listed = self.client.call("GET", "outbox", params={"kind": "complete", "limit": 10_000})["Notifications"]
        completed = {(n.get("About") or {}).get("member") for n in listed}
        template = next((n for n in listed if n.get("Format") == "json" and not n["About"].get("crafted")), None)
        member = next((m for m in members if m not in completed), None)
        if template is None or member is None:
            self.say("no completion to forge from, or no member without one: NOT-07 has nothing to judge")
            return []
        doc = json.loads(self.client.call("GET", f"outbox/{template['ID']}")["Body"])
        out: list[int] = []
        for probe in ("tampered", "unsigned"):
            forged = {**doc, "UniqueCode": member}
            if probe == "unsigned":
                forged.pop("EncryptedValue", None)
            about = {"member": member, "survey": doc["SurveyId"], "wave": doc["WaveId"]}
            out += self._craft("complete", probe, about, doc=forged, format="json")
        return out


def _earlier(text: str) -> str:
    """Toluna's UpdateDateTimeUTC (``2018-10-22 19:58:42.99 +00:00``) a minute earlier, in the same style."""
    head, _, zone = text.rpartition(" ")
    try:
        when = datetime.strptime(head, "%Y-%m-%d %H:%M:%S.%f")
    except ValueError:
        when = datetime.strptime(head, "%Y-%m-%d %H:%M:%S")
    earlier = when - timedelta(minutes=1)
    return f"{earlier:%Y-%m-%d %H:%M:%S}.{earlier.microsecond // 10_000:02d} {zone}"
