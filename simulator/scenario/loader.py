"""Load a scenario file (YAML or JSON): read it within ``Limits``, parse it, validate it against ``scenario.json``
with the value rules of ``rules``, build domain objects, then check what a schema cannot (references, duplicates).
Every problem found is gathered into one ``ScenarioError`` raised before anything reaches the store, so a bad file
never half-loads and its author sees all of its mistakes at once."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from simulator.domain import questions as qid
from simulator.domain.clock import ClockRangeError, ClockSetting, parse_date, parse_instant
from simulator.domain.codes import ResultCode
from simulator.domain.cultures import country_id
from simulator.domain.errors import Problem, ScenarioError
from simulator.domain.faults import FaultRule
from simulator.domain.geography import PostalArea, derive
from simulator.domain.inventory_codec import quota_state_from_dict, survey_from_wire, survey_state_from_dict
from simulator.domain.model import Member, MemberStatus, Panel, Participation, Survey
from simulator.domain.outcome_rules import OutcomeRule
from simulator.domain.outcomes import OUTCOMES
from simulator.domain.reference import ReferenceData, culture_for, import_body, targets_of
from simulator.domain.reference import bundled as bundled_reference
from simulator.domain.settings import unknown_setting
from simulator.domain.timeline import Entry as TimelineEntry
from simulator.schemas import validator

from .errors import schema_problems
from .importer import check_body, read_body
from .limits import Limits
from .model import RecontactList, Scenario
from .population import generate_members
from .rules import panel_problems, scenario_validator, surveys_validator, value_problems
from .source import decode, parse_json, parse_yaml, read_file

_STATUS_NAMES = {
    "started": qid.STARTED,
    "terminated": qid.TERMINATED,
    "qualified": qid.QUALIFIED,
    "quota_full": qid.QUOTA_FULL,
}
#: What a relative or ISO time that overflows the calendar raises.
_BAD_TIME = (ValueError, OverflowError)


def load_file(path: str | Path, limits: Limits | None = None) -> Scenario:
    path = Path(path)
    limits = limits or Limits.from_env()
    return load_text(read_file(path, limits), str(path), base_dir=path.parent, limits=limits)


def load_text(
    text: str | bytes, file: str = "<scenario>", base_dir: Path | None = None, limits: Limits | None = None
) -> Scenario:
    """The scenario in ``text`` (bytes must be UTF-8), or a ``ScenarioError`` listing every problem found."""
    limits = limits or Limits.from_env()
    text = decode(text, file, limits)
    data, problems = parse_yaml(text, file, limits)
    if not isinstance(data, dict):
        raise ScenarioError(file, "", "the file does not hold a mapping", "start with keys such as 'panels:'")
    data = _stringify_keys(data)
    shape = schema_problems(file, list(scenario_validator().iter_errors(data))) + value_problems(data, file)
    problems += shape
    scenario = None
    if not shape:  # building needs the shape and the values right; its own problems join the others
        builder = _Builder(data, file, base_dir or Path("."), hashlib.sha256(text.encode()).hexdigest(), limits)
        scenario = builder.build()
        problems += builder.problems
    problems += panel_problems(data, file)
    if problems:
        raise ScenarioError.of(problems[: limits.max_errors], count=len(problems))
    assert scenario is not None
    scenario.text = text
    return scenario


def _stringify_keys(value: Any) -> Any:
    """YAML reads ``1001007:`` as an int key; JSON Schema wants string keys."""
    if isinstance(value, dict):
        return {str(k): _stringify_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_keys(v) for v in value]
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class _Builder:
    """Builds the domain objects; a problem is noted (``fail``) and the entry at fault skipped, so one pass finds
    every problem. The scenario built from a file with problems is thrown away."""

    def __init__(self, data: dict[str, Any], file: str, base_dir: Path, digest: str, limits: Limits) -> None:
        self.d, self.file, self.base_dir, self.digest, self.limits = data, file, base_dir, digest, limits
        self.problems: list[Problem] = []

    def fail(self, path: str, problem: str, fix: str) -> None:
        self.problems.append(Problem(self.file, path, problem, fix))

    def build(self) -> Scenario:
        clock = self._clock()
        today = self.today = clock.now().date() if clock else datetime.now(UTC).date()
        panels = self._panels()
        self.panel_guids = [p.guid for p in panels]
        surveys = self._surveys({p.culture for p in panels})
        self.areas = self._postal_areas()
        members = self._members(today)
        scn = Scenario(
            name=str(self.d.get("name") or Path(self.file).stem),
            source=self.file,
            digest=self.digest,
            description=str(self.d.get("description", "")),
            panels=panels,
            surveys=surveys,
            members=members,
            clock=clock,
        )
        scn.participations = self._participations(members, surveys, clock)
        scn.recontact = self._recontact(surveys)
        scn.faults = self._faults()
        scn.timeline = self._timeline(members, clock)
        scn.reference = self._reference(panels, surveys)
        scn.postal_areas = self.areas
        scn.outcome_rules = self._outcome_rules()
        return scn

    def _clock(self) -> ClockSetting | None:
        c = self.d.get("clock")
        if not c or "now" not in c:
            return None
        try:
            instant = parse_instant(c["now"])
        except _BAD_TIME:
            self.fail("clock.now", f"{c['now']!r} is not a time", "write e.g. 2026-01-15T12:00:00Z")
            return None
        try:
            return ClockSetting().set_to(instant, frozen=bool(c.get("frozen", False))).checked()
        except ClockRangeError as exc:
            self.fail("clock.now", f"{c['now']!r} is out of range: {exc}", "write a time between 1900 and 9000")
            return None

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

    def _panel_ref(self, value: str | None, path: str) -> str | None:
        """The panel ``value`` names (the first panel when None); None, with the problem noted, when it names none."""
        if value is None:  # entries without a panel belong to the first panel declared
            return self.panel_guids[0]
        if value.lower() not in self.panel_guids:
            self.fail(path, f"no panel {value} in this scenario", f"use one of {', '.join(self.panel_guids)}")
            return None
        return value.lower()

    def _surveys(self, cultures: set[str]) -> list[Survey]:
        states = self.d.get("survey_state", {})
        quota_states = {int(k): quota_state_from_dict(v) for k, v in self.d.get("quota_state", {}).items()}
        out: list[Survey] = []
        seen_quotas: dict[int, int] = {}
        for i, inv in enumerate(self.d.get("inventory", [])):
            culture = inv["culture"].upper()
            if culture not in cultures:
                self.fail(f"inventory[{i}].culture", f"no panel serves {culture}", "add a panel of that culture")
            for j, wire in enumerate(self._inventory_surveys(inv, i)):
                path = f"inventory[{i}].surveys[{j}]"
                state = states.get(f"{wire['SurveyID']}/{wire['WaveID']}", states.get(str(wire["SurveyID"])))
                survey = survey_from_wire(wire, culture, survey_state_from_dict(state), quota_states)
                if any((s.survey_id, s.wave_id) == (survey.survey_id, survey.wave_id) for s in out):
                    self.fail(
                        f"{path}.WaveID",
                        f"survey {survey.survey_id} wave {survey.wave_id} is declared twice",
                        "keep one",
                    )
                    continue
                for k, q in enumerate(survey.quotas):
                    if q.quota_id in seen_quotas:
                        self.fail(
                            f"{path}.Quotas[{k}].QuotaID",
                            f"quota {q.quota_id} also belongs to survey {seen_quotas[q.quota_id]}",
                            "give every quota its own QuotaID",
                        )
                    seen_quotas.setdefault(q.quota_id, survey.survey_id)
                out.append(survey)
        ids = {str(s.survey_id) for s in out} | {f"{s.survey_id}/{s.wave_id}" for s in out}
        for key in states:
            if key not in ids:
                self.fail(f"survey_state.{key}", f"no survey {key} in the inventory", "fix the SurveyID")
        for key in self.d.get("quota_state", {}):
            if int(key) not in seen_quotas:
                self.fail(f"quota_state.{key}", f"no quota {key} in the inventory", "fix the QuotaID")
        self.quota_survey = seen_quotas
        return out

    def _inventory_surveys(self, inv: dict[str, Any], i: int) -> list[dict[str, Any]]:
        if "surveys" in inv:
            return inv["surveys"]
        path = Path(inv["file"])
        try:
            path = self.base_dir / inv["file"]
            body = read_body(path)
            check_body(body, str(path))
            surveys = body["Surveys"]
            wrong = schema_problems(str(path), list(surveys_validator().iter_errors(surveys)))
            wrong += value_problems({"inventory": [{"surveys": surveys}]}, str(path))
        except ScenarioError as inner:
            wrong = inner.problems
        for p in wrong:
            inside = p.path.replace("inventory[0].surveys", "Surveys", 1) if p.file == str(path) else p.path
            inside = "Surveys" + inside if inside.startswith("[") else inside
            where = f"{p.file}: at {inside or '(top level)'}"
            self.fail(f"inventory[{i}].file", f"{where}: {p.problem}", p.fix)
        return [] if wrong else body["Surveys"]

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
        except _BAD_TIME:
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
            except _BAD_TIME:
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

    def _faults(self) -> list[FaultRule]:
        out = []
        for i, f in enumerate(self.d.get("faults", [])):
            path = f"faults[{i}]"
            code = f.get("result_code")
            if code is not None and code not in ResultCode._value2member_map_:
                self.fail(
                    f"{path}.result_code",
                    f"{code} is not a Toluna ES result code",
                    "use a code from 3 to 47 listed in the README",
                )
                continue
            if code is None and not f.get("http_status") and not f.get("latency_ms") and not f.get("drop_connection"):
                self.fail(path, "the rule does nothing", "add result_code, http_status, latency_ms or drop_connection")
                continue
            panel = self._panel_ref(f["panel"], f"{path}.panel") if f.get("panel") else None
            if f.get("panel") and panel is None:
                continue
            out.append(
                FaultRule.from_dict(
                    {**f, "panel_guid": panel, "member_code": f.get("member"), "quota_id": f.get("quota")}
                )
            )
        return out

    def _timeline(self, members: list[Member], clock: ClockSetting | None) -> list[TimelineEntry]:
        now = (clock or ClockSetting()).now()
        known = {(m.panel_guid, m.member_code) for m in members}
        out = []
        for i, t in enumerate(self.d.get("timeline", [])):
            entry = self._timeline_entry(t, f"timeline[{i}]", now, known)
            if entry is None:
                continue
            if entry.quota_id is not None and entry.quota_id not in self.quota_survey:
                self.fail(f"timeline[{i}].quota", f"no quota {entry.quota_id} in the inventory", "fix the QuotaID")
            elif entry.survey_id is not None and entry.survey_id not in set(self.quota_survey.values()):
                self.fail(f"timeline[{i}].survey", f"no survey {entry.survey_id} in the inventory", "fix the SurveyID")
            else:
                out.append(entry)
        return sorted(out, key=lambda e: e.at)

    def _timeline_entry(
        self, t: dict[str, Any], path: str, now: datetime, known: set[tuple[str, str]]
    ) -> TimelineEntry | None:
        try:
            at = parse_instant(t["at"], now)
        except _BAD_TIME:
            self.fail(f"{path}.at", f"{t['at']!r} is not a time", "write ISO-8601 or +10m, +2h, +1d")
            return None
        shape = ("member" in t, "quota" in t, "survey" in t, "change" in t, "outcome" in t)
        if shape == (True, True, False, False, True):
            panel = self._panel_ref(t.get("panel"), f"{path}.panel")
            if panel is None:
                return None
            if (panel, t["member"]) not in known:
                self.fail(f"{path}.member", f"no member {t['member']} in panel {panel}", "declare it")
                return None
            if t["outcome"] not in OUTCOMES:
                self.fail(f"{path}.outcome", f"{t['outcome']!r} is not an outcome", f"use one of {', '.join(OUTCOMES)}")
                return None
            return TimelineEntry(
                at, quota_id=t["quota"], member_code=t["member"], panel_guid=panel, outcome=t["outcome"]
            )
        if shape in ((False, True, False, True, False), (False, False, True, True, False)):
            kind = "QuotaChange" if "quota" in t else "SurveyChange"
            wrong = schema_problems(self.file, list(validator("control", kind).iter_errors(t["change"])))
            for p in wrong:
                self.fail(f"{path}.change" + (f".{p.path}" if p.path else ""), p.problem, p.fix)
            if wrong:
                return None
            return TimelineEntry(at, quota_id=t.get("quota"), survey_id=t.get("survey"), change=t["change"])
        self.fail(
            path,
            "a timeline entry needs one shape",
            "give 'quota' + 'change', 'survey' + 'change', or 'member' + 'quota' + 'outcome'",
        )
        return None

    def _outcome_rules(self) -> list[OutcomeRule]:
        out = []
        for i, r in enumerate(self.d.get("outcome_rules", [])):
            path = f"outcome_rules[{i}]"
            unknown = [key for key in r["outcomes"] if key not in OUTCOMES]
            for key in unknown:
                self.fail(f"{path}.outcomes.{key}", f"{key!r} is not an outcome", f"use {', '.join(OUTCOMES)}")
            if r.get("quota") is not None and r["quota"] not in self.quota_survey:
                self.fail(f"{path}.quota", f"no quota {r['quota']} in the inventory", "fix the QuotaID")
                continue
            if r.get("survey") is not None and r["survey"] not in set(self.quota_survey.values()):
                self.fail(f"{path}.survey", f"no survey {r['survey']} in the inventory", "fix the SurveyID")
                continue
            weights = tuple((k, float(w)) for k, w in r["outcomes"].items() if w > 0)
            if not weights:
                self.fail(f"{path}.outcomes", "every weight is 0", "give at least one outcome a weight above 0")
                continue
            if not unknown:
                out.append(OutcomeRule(weights, int(r.get("seed", 0)), r.get("quota"), r.get("survey")))
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

    def _reference(self, panels: list[Panel], surveys: list[Survey]) -> ReferenceData:
        """The bundled reference data, or a Toluna body the scenario names, and whatever the inventory targets
        that they lack (learned)."""
        data = bundled_reference()
        spec = self.d.get("reference_data")
        if spec:
            path = Path(spec["file"])
            fix = "give a QuestionsAndAnswersData body (the JSON list Toluna answers)"
            try:
                path = self.base_dir / spec["file"]
                body = parse_json(read_file(path, self.limits), str(path), self.limits)
                import_body(data, body if isinstance(body, list) else [None])
            except ScenarioError as inner:
                self.fail("reference_data.file", f"{inner.file}: {inner.problem}", inner.fix)
            except (KeyError, TypeError, ValueError) as exc:
                self.fail("reference_data.file", f"{path} is not a list of Toluna questions ({exc!r})", fix)
        for culture in {p.culture for p in panels}:
            known = culture_for(data, culture)
            data.learn(known.culture_id, targets_of([s for s in surveys if s.culture == culture]))
        return data
