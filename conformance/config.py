"""A run's configuration: CLI flags over ``toluna-conformance.toml`` over ``[tool.toluna-conformance]`` in the
partner's ``pyproject.toml`` over the defaults."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

BUNDLED_SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / "conformance.yaml"
#: The partner host the bundled scenario's end pages and notification URLs name; ``partner_base`` replaces it.
SCENARIO_PARTNER_BASE = "http://127.0.0.1:8081"


class ConfigError(ValueError):
    """A configuration that cannot run, with the file or flag and the fix."""


@dataclass(slots=True)
class RunConfig:
    scenario: Path = BUNDLED_SCENARIO
    sandbox_url: str | None = None  # attach to a running sandbox instead of starting one
    partner_cmd: str | None = None  # started before the first cycle, stopped after the run
    partner_url: str | None = None  # POSTed to start each cycle of the partner's integration
    partner_base: str | None = None  # where the partner listens: replaces SCENARIO_PARTNER_BASE in the scenario
    endpoints: dict[str, str] = field(default_factory=dict)  # Toluna setting name -> the partner's URL
    adapter_url: str | None = None
    encryption_algorithm: str = "HMAC-SHA256"  # the panel's standard encryption during the run ("" turns it off)
    encryption_key: str = "conformance-secret"
    cycles: int = 2
    quiet_seconds: float = 1.5  # the partner has finished a cycle when it sent nothing for this long
    cycle_timeout: float = 30.0
    grace_seconds: float = 5.0
    refresh_seconds: float = 120.0
    poll_burst: int = 5
    env_file: Path | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    reports: dict[str, Path] = field(default_factory=dict)  # format -> path

    def update(self, values: dict[str, Any], source: str) -> None:
        known = {f.name for f in fields(self)}
        for key, value in values.items():
            name = key.replace("-", "_")
            if name not in known:
                raise ConfigError(f"{source}: unknown setting '{key}'. Fix: use one of {', '.join(sorted(known))}")
            if name in ("scenario", "env_file") and value is not None:
                value = Path(value)
            if name == "reports":
                value = {fmt: Path(path) for fmt, path in value.items()}
            setattr(self, name, value)


def load(directory: Path = Path(".")) -> RunConfig:
    """The defaults, then the partner's pyproject.toml section, then toluna-conformance.toml (later wins)."""
    config = RunConfig()
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        section = _read(pyproject).get("tool", {}).get("toluna-conformance")
        if section:
            config.update(section, f"{pyproject} [tool.toluna-conformance]")
    own = directory / "toluna-conformance.toml"
    if own.is_file():
        config.update(_read(own), str(own))
    return config


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}. Fix: write valid TOML") from None
