"""Load a scenario file (YAML or JSON): read it within ``Limits``, parse it, validate it against ``scenario.json``
with the value rules of ``rules``, build domain objects, then check what a schema cannot (references, duplicates).
Every problem found is gathered into one ``ScenarioError`` raised before anything reaches the store, so a bad file
never half-loads and its author sees all of its mistakes at once."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from simulator.domain.clock import ClockRangeError, ClockSetting, parse_instant
from simulator.domain.errors import ScenarioError

from .build_context import BAD_TIME
from .build_inventory import InventorySections
from .build_people import PeopleSections
from .build_script import ScriptSections
from .errors import schema_problems
from .limits import Limits
from .model import Scenario
from .rules import panel_problems, scenario_validator, value_problems
from .source import decode, parse_yaml, read_file

__all__ = ["load_file", "load_text"]


def load_file(path: str | Path, limits: Limits | None = None) -> Scenario:
    """The scenario in the file at ``path``; the inventory and reference-data files it names are read from its
    folder."""
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


class _Builder(PeopleSections, InventorySections, ScriptSections):
    """Builds the domain objects, section by section in an order where each finds the facts it checks against;
    a problem is noted (``fail``) and the entry at fault skipped, so one pass finds every problem. The scenario
    built from a file with problems is thrown away."""

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
        except BAD_TIME:
            self.fail("clock.now", f"{c['now']!r} is not a time", "write e.g. 2026-01-15T12:00:00Z")
            return None
        try:
            return ClockSetting().set_to(instant, frozen=bool(c.get("frozen", False))).checked()
        except ClockRangeError as exc:
            self.fail("clock.now", f"{c['now']!r} is out of range: {exc}", "write a time between 1900 and 9000")
            return None
