"""What every section of a scenario build shares: the parsed mapping, the problems noted so far and the
facts earlier sections establish (the scenario's today, its panels, which survey owns each quota). Sections
note a problem with ``fail`` and skip the entry at fault, so one pass over a file finds all of its mistakes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from simulator.domain.errors import Problem
from simulator.domain.geography import PostalArea

from .limits import Limits

#: What a relative or ISO time that overflows the calendar raises.
BAD_TIME = (ValueError, OverflowError)


class BuildContext:
    """The state the build sections read and write; the loader's builder sets ``today``, ``panel_guids``,
    ``areas`` and ``quota_survey`` as the sections that establish them finish."""

    today: date
    panel_guids: list[str]
    areas: list[PostalArea]
    quota_survey: dict[int, int]

    def __init__(self, data: dict[str, Any], file: str, base_dir: Path, digest: str, limits: Limits) -> None:
        self.d, self.file, self.base_dir, self.digest, self.limits = data, file, base_dir, digest, limits
        self.problems: list[Problem] = []

    def fail(self, path: str, problem: str, fix: str) -> None:
        self.problems.append(Problem(self.file, path, problem, fix))

    def _panel_ref(self, value: str | None, path: str) -> str | None:
        """The panel ``value`` names (the first panel when None); None, with the problem noted, when it names none."""
        if value is None:  # entries without a panel belong to the first panel declared
            return self.panel_guids[0]
        if value.lower() not in self.panel_guids:
            self.fail(path, f"no panel {value} in this scenario", f"use one of {', '.join(self.panel_guids)}")
            return None
        return value.lower()
