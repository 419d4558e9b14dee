"""A partner configuration: the go-live profiles of one partner (at least ``sandbox`` and ``production``), each with
Toluna's three base URLs, a panel GUID per culture, the two keys and the notification endpoints the partner
registered. YAML or JSON, checked against ``SCHEMA``; a mistake is reported with the file, the path inside it and
the fix. A key written ``env:NAME`` is read from the environment when the profile is used, so secrets stay out of
the file.

    partner: Example Panel Co
    profiles:
      sandbox:
        urls: {IP_ES_URL: http://127.0.0.1:8080, IP_CORE_URL: http://127.0.0.1:8080, IP_REF_DATA_URL: ...}
        panels: {EN-US: 3c1e9a57-0d42-4b8e-9f16-5a7b2c8d4e01}
        keys: {API_AUTH_KEY: env:TOLUNA_API_AUTH_KEY, PARTNER_AUTH_KEY: env:TOLUNA_PARTNER_AUTH_KEY}
        notifications: {Completion Notification URL: https://partner.example/toluna/complete}
      production: ...
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError

from simulator.domain.errors import Problem

from .config import ConfigError

URL_NAMES = ("IP_ES_URL", "IP_CORE_URL", "IP_REF_DATA_URL")
KEY_NAMES = ("API_AUTH_KEY", "PARTNER_AUTH_KEY")
#: The Toluna settings that name a notification endpoint (Get Settings answers them by these names).
NOTIFICATION_SETTINGS = (
    "Completion Notification URL",
    "Terminate Notification URL",
    "Survey Notification URL",
    "Quota Notification URL",
    "Invite Notification URL",
)
REQUIRED_PROFILES = ("sandbox", "production")
ENV_PREFIX = "env:"
GUID = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BASE_URL = {
    "type": "string",
    "pattern": r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
    "x-fix": "write an http(s) base URL without a query, such as https://ip.example.com",
}
_ENDPOINT = {
    "type": "string",
    "pattern": r"^https?://[^\s/?#]+\S*$",
    "x-fix": "write the endpoint's full http(s) URL, such as https://partner.example/toluna/notify/complete",
}
_SECRET = {
    "type": "string",
    "minLength": 1,
    "x-fix": "write the key, or env:NAME to read it from the environment variable NAME",
}
_PROFILE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["urls", "panels", "keys"],
    "properties": {
        "description": {"type": "string"},
        "urls": {
            "type": "object",
            "additionalProperties": False,
            "required": list(URL_NAMES),
            "properties": {name: _BASE_URL for name in URL_NAMES},
        },
        "panels": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {
                "pattern": "^[A-Za-z]{2}-[A-Za-z]{2}$",
                "x-fix": "name the culture as Toluna does, such as EN-US",
            },
            "additionalProperties": {
                "type": "string",
                "pattern": GUID,
                "x-fix": "write the panel's GUID, such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            },
            "x-fix": "give at least one culture's panel GUID, such as EN-US: 1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        },
        "keys": {
            "type": "object",
            "additionalProperties": False,
            "required": list(KEY_NAMES),
            "properties": {name: _SECRET for name in KEY_NAMES},
        },
        "notifications": {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: _ENDPOINT for name in NOTIFICATION_SETTINGS},
        },
        "notification_headers": {
            "type": "object",
            "additionalProperties": _SECRET,
            "x-fix": "write the headers the endpoints require as Name: value (env:NAME reads the environment)",
        },
    },
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["profiles"],
    "properties": {
        "partner": {"type": "string"},
        "profiles": {
            "type": "object",
            "required": list(REQUIRED_PROFILES),
            "propertyNames": {
                "pattern": "^[a-z][a-z0-9_-]*$",
                "x-fix": "name a profile in lower case letters, digits, - and _, such as staging",
            },
            "additionalProperties": _PROFILE,
        },
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)


class ProfileError(ConfigError):
    """A partner configuration that cannot be used: every problem with its file, path and fix."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(slots=True, frozen=True)
class Profile:
    """One environment of the partner's integration. ``keys`` and ``notification_headers`` are as written (an
    ``env:NAME`` is resolved by ``secrets()``), so a profile can be shown and recorded without reading them."""

    name: str
    file: Path
    urls: dict[str, str]
    panels: dict[str, str]  # culture (upper case) -> panel GUID
    keys: dict[str, str] = field(repr=False)
    notifications: dict[str, str] = field(default_factory=dict)
    notification_headers: dict[str, str] = field(default_factory=dict, repr=False)
    description: str = ""

    def secrets(self) -> tuple[dict[str, str], dict[str, str]]:
        """The keys and the notification headers with every ``env:NAME`` read from the environment."""
        where = f"profiles.{self.name}"
        keys = {k: self._resolve(v, f"{where}.keys.{k}") for k, v in self.keys.items()}
        headers = {
            h: self._resolve(v, f"{where}.notification_headers.{h}") for h, v in self.notification_headers.items()
        }
        return keys, headers

    def _resolve(self, value: str, path: str) -> str:
        if not value.startswith(ENV_PREFIX):
            return value
        name = value[len(ENV_PREFIX) :].strip()
        if not _ENV_NAME.match(name):
            raise ProfileError([Problem(str(self.file), path, f"{value!r} names no environment variable", _env_fix())])
        found = os.environ.get(name)
        if not found:
            raise ProfileError(
                [
                    Problem(
                        str(self.file),
                        path,
                        f"the environment variable {name} is not set (or is empty)",
                        f"export {name}=... before running, or write the key itself instead of {value}",
                    )
                ]
            )
        return found

    def one_base_url(self) -> str | None:
        """The single base URL a sandbox serves all three APIs at, or None when the profile names different ones."""
        distinct = {u.rstrip("/") for u in self.urls.values()}
        return distinct.pop() if len(distinct) == 1 else None

    def record(self) -> dict[str, Any]:
        """What a sign-off says of the profile: its name, file, base URLs, panel GUIDs and notification endpoints;
        never the keys nor the notification headers."""
        return {
            "name": self.name,
            "file": str(self.file),
            "file_sha256": _sha256(self.file),
            "urls": dict(self.urls),
            "panels": dict(self.panels),
            "notifications": dict(self.notifications),
        }


@dataclass(slots=True, frozen=True)
class PartnerConfig:
    file: Path
    partner: str
    profiles: dict[str, Profile]

    def profile(self, name: str) -> Profile:
        if name in self.profiles:
            return self.profiles[name]
        close = difflib.get_close_matches(name, list(self.profiles), n=1)
        fix = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(sorted(self.profiles))}"
        raise ProfileError([Problem(str(self.file), "profiles", f"no profile named {name!r}", fix)])


def load_config(path: Path | str) -> PartnerConfig:
    """The partner configuration at ``path`` (YAML, or JSON, which YAML reads too), checked against ``SCHEMA``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ProfileError(
            [Problem(str(path), "", f"cannot read the file ({reason})", "point --config at a readable UTF-8 file")]
        ) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = str(getattr(exc, "problem", None) or exc)
        raise ProfileError([Problem(str(path), where, f"not valid YAML or JSON: {problem}", _syntax_fix())]) from None
    if not isinstance(doc, dict):
        raise ProfileError(
            [Problem(str(path), "", "the file holds no mapping", "write 'profiles:' with 'sandbox' and 'production'")]
        )
    errors = sorted(_VALIDATOR.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ProfileError([_problem(path, e) for e in errors][:20])
    profiles = {name: _profile(path, name, body) for name, body in doc["profiles"].items()}
    return PartnerConfig(path, str(doc.get("partner") or ""), profiles)


def _profile(path: Path, name: str, body: Mapping[str, Any]) -> Profile:
    return Profile(
        name=name,
        file=path,
        urls={k: str(v) for k, v in body["urls"].items()},
        panels={culture.upper(): guid.lower() for culture, guid in body["panels"].items()},
        keys=dict(body["keys"]),
        notifications=dict(body.get("notifications") or {}),
        notification_headers=dict(body.get("notification_headers") or {}),
        description=str(body.get("description") or ""),
    )


def _problem(path: Path, e: ValidationError) -> Problem:
    where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in e.absolute_path).replace(".[", "[")
    if "propertyNames" in e.schema_path:
        where = f"{where}.{e.instance}" if where else str(e.instance)
    problem, fix = _explain(e)
    return Problem(str(path), where, problem, fix)


def _explain(e: ValidationError) -> tuple[str, str]:
    own_fix = e.schema.get("x-fix") if isinstance(e.schema, dict) else None
    if e.validator == "required":
        missing = str(e.message).split("'")[1]
        if missing in REQUIRED_PROFILES:
            return f"no '{missing}' profile", f"add profiles.{missing} (a partner configuration has both)"
        return f"'{missing}' is required here", f"add '{missing}'"
    if e.validator == "additionalProperties" and isinstance(e.instance, dict):
        allowed = sorted((e.schema.get("properties") or {}).keys())
        extra = next((k for k in e.instance if k not in allowed), "?")
        close = difflib.get_close_matches(str(extra), allowed, n=1)
        hint = f"rename it to '{close[0]}'" if close else f"remove it (known keys: {', '.join(allowed)})"
        return f"unknown key '{extra}'", hint
    if e.validator == "type":
        return f"{_brief(e.instance)} is not of type {e.validator_value}", own_fix or f"write a {e.validator_value}"
    if e.validator == "pattern":
        return f"{_brief(e.instance)} is not valid here", own_fix or f"match the pattern {e.validator_value}"
    if e.validator in ("minLength", "minProperties"):
        return "it is empty", own_fix or "fill it in"
    return e.message, own_fix or "see the partner configuration format in the README"


def _brief(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _env_fix() -> str:
    return "write env:NAME with NAME a variable name (letters, digits and _), or the key itself"


def _syntax_fix() -> str:
    return "fix the syntax at that line (YAML indents with spaces; JSON needs double quotes)"


def run_profile(path: Path | None, name: str | None, flags: dict[str, Any]) -> dict[str, Any] | None:
    """``run --config F --profile P``: the run attaches to the profile's sandbox (unless ``--sandbox-url`` names
    one), and the sign-off records the profile. Returns that record, or None when no profile was named."""
    if path is None and name is None:
        return None
    if path is None or name is None:
        raise ConfigError("--config and --profile go together. Fix: give both, or neither")
    profile = load_config(path).profile(name)
    if "sandbox_url" not in flags:
        base = profile.one_base_url()
        if base is None:
            raise ProfileError(
                [
                    Problem(
                        str(path),
                        f"profiles.{name}.urls",
                        "a conformance run attaches to a sandbox, which serves all three APIs at one base URL, and "
                        "this profile names different ones",
                        "run with the profile of your sandbox, or give --sandbox-url",
                    )
                ]
            )
        flags["sandbox_url"] = base
    return {**profile.record(), "sandbox_url": flags["sandbox_url"]}
