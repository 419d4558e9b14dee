"""The build sections for who takes part: panels, postal areas, members (declared and generated),
their past participations and recontact lists. Each checks the references a schema cannot."""

from __future__ import annotations

from datetime import date
from typing import Any

from simulator.domain import questions as qid
from simulator.domain.clock import ClockSetting, parse_date, parse_instant
from simulator.domain.cultures import country_id
from simulator.domain.geography import PostalArea, derive
from simulator.domain.model import Member, MemberStatus, Panel, Participation, Survey
from simulator.domain.settings import unknown_setting

from .build_context import BAD_TIME, BuildContext
from .model import RecontactList
from .population import generate_members

_STATUS_NAMES = {
    "started": qid.STARTED,
    "terminated": qid.TERMINATED,
    "qualified": qid.QUALIFIED,
    "quota_full": qid.QUOTA_FULL,
}


class PeopleSections(BuildContext):
    """Panels, postal areas, members, participations and recontact lists."""

    def _panels(self) -> list[Panel]:
        out, seen = [], set()
        for i, p in enumerate(self.d["panels"]):
            guid = p["guid"].lower()
            if guid in seen:
                self.fail(f"panels[{i}].guid", f"panel {guid} is declared twice", "give each panel its own GUID")
                continue
            seen.add(guid)
            culture = p["culture"].upper()
            country = p.get("country_id") or country_id(culture)
            if country is None:
                self.fail(f"panels[{i}]", f"the sandbox does not know {culture}'s CountryID", "add 'country_id'")
            for name in p.get("settings", {}):
                unknown = unknown_setting(name)
                if unknown:
                    self.fail(f"panels[{i}].settings.{name}", *unknown)
            fields = {k: v for k, v in p.items() if k not in ("guid", "culture", "country_id", "settings")}
            for key in ("excluded_study_types", "excluded_customers"):
                if key in fields:
                    fields[key] = tuple(fields[key])
            out.append(
                Panel(
                    guid=guid,
                    culture=culture,
                    country_id=int(country or 0),
                    settings=dict(p.get("settings", {})),
                    **fields,
                )
            )
        return out

    def _postal_areas(self) -> list[PostalArea]:
        out = []
        for i, area in enumerate(self.d.get("postal_areas", [])):
            pairs = []
            for question, answer in area["answers"].items():
                for a in answer if isinstance(answer, list) else [answer]:
                    pairs.append((int(question), int(a)))
            if not area["prefix"].strip():
                self.fail(f"postal_areas[{i}].prefix", "an empty prefix", "write the postal code's first characters")
                continue
            out.append(PostalArea(area["prefix"], tuple(pairs)))
        return out

    def _members(self, today: date) -> list[Member]:
        out: dict[tuple[str, str], Member] = {}
        for i, m in enumerate(self.d.get("members", [])):
            member = self._member(m, f"members[{i}]")
            if member is None:
                continue
            key = (member.panel_guid, member.member_code)
            if key in out:
                self.fail(f"members[{i}].code", f"member {member.member_code} is declared twice", "keep one")
                continue
            out[key] = member
        for i, spec in enumerate(self.d.get("populations", [])):
            guid = self._panel_ref(spec.get("panel"), f"populations[{i}].panel")
            if guid is None:
                continue
            for member in generate_members(spec, guid, today):
                if (guid, member.member_code) in out:
                    self.fail(
                        f"populations[{i}].code_prefix",
                        f"generated code {member.member_code} clashes with a declared member",
                        "choose another code_prefix",
                    )
                    break
                out[(guid, member.member_code)] = member
        return list(out.values())

    def _member(self, m: dict[str, Any], path: str) -> Member | None:
        answers = {int(k): frozenset(v if isinstance(v, list) else [v]) for k, v in m.get("answers", {}).items()}
        if "gender" in m:
            answers[qid.GENDER] = frozenset([qid.FEMALE if m["gender"] == "female" else qid.MALE])
        try:
            birth = parse_date(m["birth_date"], self.today) if m.get("birth_date") else None
        except BAD_TIME:
            self.fail(f"{path}.birth_date", f"{m['birth_date']!r} is not a date", "write YYYY-MM-DD, or -30y, -18y+1d")
            return None
        if birth is not None and birth > self.today:
            self.fail(
                f"{path}.birth_date",
                f"{m['birth_date']!r} is after the scenario's today ({self.today})",
                "write a birth date in the past (e.g. -30y)",
            )
            return None
        panel = self._panel_ref(m.get("panel"), f"{path}.panel")
        if panel is None:
            return None
        return Member(
            panel_guid=panel,
            member_code=m["code"],
            birth_date=birth,
            postal_code=m.get("postal_code"),
            answers={**derive(self.areas, m.get("postal_code")), **answers},
            open_answers={int(k): v for k, v in m.get("open_answers", {}).items()},
            status=MemberStatus[m.get("status", "registered").upper()],
            is_active=m.get("active", True),
            is_test=m.get("test", False),
            account_group=m.get("account_group"),
            device_type_id=m.get("device_type_id"),
            verification_score=m.get("verification_score"),
        )

    def _participations(
        self, members: list[Member], surveys: list[Survey], clock: ClockSetting | None
    ) -> list[tuple[Participation, str | None]]:
        by_key = {(m.panel_guid, m.member_code): m for m in members}
        waves = {s.survey_id: s.wave_id for s in surveys}  # the last wave listed: a tracker's current one
        now = (clock or ClockSetting()).now()
        out = []
        for i, p in enumerate(self.d.get("participations", [])):
            path = f"participations[{i}]"
            guid = self._panel_ref(p.get("panel"), f"{path}.panel")
            if guid is None:
                continue
            member = by_key.get((guid, p["member"]))
            if member is None:
                self.fail(f"{path}.member", f"no member {p['member']} in panel {guid}", "declare it in 'members'")
                continue
            wave = p.get("wave", waves.get(p["survey"]))
            if wave is None:
                self.fail(f"{path}.wave", f"survey {p['survey']} is not in the inventory", "add 'wave'")
                continue
            status = _STATUS_NAMES.get(p["status"], p["status"])
            try:
                at = parse_instant(p["at"], now) if p.get("at") else now
            except BAD_TIME:
                self.fail(f"{path}.at", f"{p['at']!r} is not a time", "write ISO-8601 or -2d, -3h, now")
                continue
            out.append(
                (
                    Participation(guid, member.member_code, p["survey"], wave, status, at, p.get("quota")),
                    member.account_group,
                )
            )
        return out

    def _recontact(self, surveys: list[Survey]) -> list[RecontactList]:
        recontact_surveys = {s.survey_id for s in surveys if s.is_recontact}
        out = []
        for i, r in enumerate(self.d.get("recontact", [])):
            path = f"recontact[{i}]"
            survey_id = self.quota_survey.get(r["quota"])
            if survey_id is None:
                self.fail(f"{path}.quota", f"no quota {r['quota']} in the inventory", "fix the QuotaID")
                continue
            if survey_id not in recontact_surveys:
                self.fail(
                    f"{path}.quota",
                    f"survey {survey_id} is not a recontact survey",
                    "set IsSurveyRecontact: true on it, or list a recontact survey's quota",
                )
                continue
            panel = self._panel_ref(r.get("panel"), f"{path}.panel")
            if panel is None:
                continue
            gen = r.get("generate", {})
            out.append(
                RecontactList(
                    panel_guid=panel,
                    quota_id=r["quota"],
                    codes=list(r.get("members", [])),
                    generate_count=gen.get("count", 0),
                    generate_prefix=gen.get("prefix", "RC"),
                    generate_start=gen.get("start", 0),
                    generate_width=gen.get("width", 8),
                )
            )
        return out
