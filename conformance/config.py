"""A run's configuration: CLI flags over ``toluna-conformance.toml`` over ``[tool.toluna-conformance]`` in the
partner's ``pyproject.toml`` over the defaults."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .scenarios import CONFORMANCE

BUNDLED_SCENARIO: Path = CONFORMANCE  # fixtures/scenarios/, installed as conformance.scenarios (pyproject.toml)
#: The partner host the bundled scenario's end pages and notification URLs name; ``partner_base`` replaces it.
SCENARIO_PARTNER_BASE = "http://127.0.0.1:8081"


class ConfigError(ValueError):
    """A configuration that cannot run, with the file or flag and the fix."""


@dataclass(slots=True)
class RunConfig:
    scenario: Path = BUNDLED_SCENARIO
    sandbox_url: str | None = None  # attach to a running sandbox instead of starting one
    admin_token: str | None = None  # that sandbox's admin token (default: $TOLUNA_SANDBOX_ADMIN_TOKEN)
    partner_cmd: str | None = None  # started before the first cycle, stopped after the run
    partner_url: str | None = None  # POSTed to start each cycle of the partner's integration
    partner_base: str | None = None  # where the partner listens: replaces SCENARIO_PARTNER_BASE in the scenario
    endpoints: dict[str, str] = field(default_factory=dict)  # Toluna setting name -> the partner's URL
    settings: dict[str, str] = field(default_factory=dict)  # any other panel setting, by Toluna's name
    notification_headers: dict[str, Any] = field(default_factory=dict)  # what the partner's endpoints require
    adapter_url: str | None = None
    respondent: bool = False  # the adapter answers POST respondent: the suite asks it for each member's link
    encryption_algorithm: str = "HMAC-SHA256"  # the panel's standard encryption during the run ("" turns it off)
    encryption_key: str = "conformance-secret"
    cycles: int = 3  # start; after the inventory expired; after the notifications (more repeat the last)
    quiet_seconds: float = 1.5  # the partner has finished a cycle when it sent nothing for this long
    cycle_timeout: float = 30.0  # how long POST /run (and a member's click) may take
    cycle_max_seconds: float = 120.0  # a cycle ends when the partner is quiet, or after this long
    start_timeout: float = 30.0  # how long the partner may take to answer after its command started
    adapter_timeout: float = 10.0  # how long one adapter call may take
    grace_seconds: float = 5.0
    visits_per_cycle: int = 24  # members the suite plays a cycle (every outcome twice over)
    cache_seconds: float = 2.0  # the CacheExpires the sandbox serves in the first cycle (then a long one)
    refresh_seconds: float = 120.0
    poll_burst: int = 5
    env_file: Path | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    reports: dict[str, Path] = field(default_factory=dict)  # format -> path
    mapping: Path | None = None  # the partner's attribute mapping (see ``toluna-conformance mapping``)
    certificate: Path | None = None  # write a signed go-live certificate here
    signing_key: Path | None = None  # the Ed25519 key that signs certificates (default: generated on first use)

    def update(self, values: dict[str, Any], source: str) -> None:
        known = {f.name: f for f in fields(self)}
        for key, value in values.items():
            name = key.replace("-", "_")
            if name not in known:
                raise ConfigError(f"{source}: unknown setting '{key}'. Fix: use one of {', '.join(sorted(known))}")
            setattr(self, name, _typed(name, value, str(known[name].type), source))
        if self.cycles < 3:
            raise ConfigError(
                f"{source}: cycles = {self.cycles}. Fix: at least 3 (one to start, one after the inventory expired, "
                "one after the notifications)"
            )


_PATHS = ("scenario", "env_file", "mapping", "certificate", "signing_key")


def _typed(name: str, value: Any, declared: str, source: str) -> Any:
    """The value as the setting's type, or a ConfigError naming the setting, what it got and the fix."""

    def wrong(wanted: str) -> ConfigError:
        return ConfigError(f"{source}: {name} = {value!r} is not {wanted}. Fix: write {name} as {wanted}")

    if value is None and "None" in declared:
        return None
    if name in _PATHS:
        if not isinstance(value, str | Path):
            raise wrong("a path (a string)")
        return Path(value)
    if name == "reports":
        if not isinstance(value, dict) or not all(isinstance(v, str | Path) for v in value.values()):
            raise wrong("a table of format = path")
        return {fmt: Path(path) for fmt, path in value.items()}
    if declared.startswith("bool"):
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if declared.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("a whole number")
        return value
    if declared.startswith("float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong("a number")
        return float(value)
    if declared.startswith("dict"):
        if not isinstance(value, dict):
            raise wrong("a table")
        return value
    if declared.startswith("list"):
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise wrong("a list")
        return value
    if not isinstance(value, str):
        raise wrong("a string")
    return value


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
