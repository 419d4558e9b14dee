"""The build sections for what is on offer: the inventory's surveys (inline or from a GetQuotas body file),
their survey and quota states, and the reference data the surveys' targets need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.domain.errors import ScenarioError
from simulator.domain.inventory_codec import quota_state_from_dict, survey_from_wire, survey_state_from_dict
from simulator.domain.model import Panel, Survey
from simulator.domain.reference import ReferenceData, culture_for, import_body, targets_of
from simulator.domain.reference import bundled as bundled_reference

from .build_context import BuildContext
from .errors import schema_problems
from .importer import check_body, read_body
from .rules import surveys_validator, value_problems
from .source import parse_json, read_file


class InventorySections(BuildContext):
    """Surveys with their states, and reference data."""

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
