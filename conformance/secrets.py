"""Secrets never reach a log or a report: the run's keys are masked in its progress output, its reports and its
certificate (CI logs are often public)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, is_dataclass
from typing import Any

MASK = "****"
#: Setting names whose values are secrets wherever they appear (configuration, panel settings, headers).
SECRET_NAMES = re.compile(r"(key|secret|token|password|auth|signature|credential)", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAMES.search(name))


def shown(value: str) -> str:
    """A secret as it may be shown: its last four characters, so two keys can still be told apart."""
    return MASK + value[-4:] if len(value) >= 12 else MASK


def header_values(headers: dict[str, Any]) -> list[str]:
    """The values of a table of extra headers, per-URL tables included (``{url: {name: value}}``)."""
    out: list[str] = []
    for value in headers.values():
        out += [str(v) for v in value.values()] if isinstance(value, dict) else [str(value)]
    return out


class Masker:
    """Replaces every known secret value in a text; values shorter than four characters are not worth hiding
    (and would mask ordinary words)."""

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self.values: set[str] = set()
        self.add(*values)

    def add(self, *values: str | None) -> None:
        self.values.update(v for v in values if v and len(v) >= 4)

    def __call__(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, shown(value))
        return text

    def deep(self, value: Any) -> Any:
        """The same masking through nested dicts, lists and strings (a report's dict, a configuration)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value


def redacted(config: Any) -> dict[str, Any]:
    """A configuration as a plain dict with every secret-named value masked (paths as text)."""
    doc = asdict(config) if is_dataclass(config) else dict(config)
    return _redact(doc)


def _redact(value: Any, name: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v, name) for v in value]
    if isinstance(value, str) and value and is_secret_name(name):
        return shown(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
