"""The panel's configuration: where Toluna is and who the panel is, from the environment the operator sets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .signing import canonical


class ConfigError(ValueError):
    """A setting the panel cannot run without (the message names the variable)."""


@dataclass(frozen=True, slots=True)
class Config:
    es_url: str
    core_url: str
    ref_data_url: str
    panel_guid: str
    api_key: str
    partner_auth_key: str = ""
    encryption_algorithm: str = ""  # empty: Toluna's standard encryption is off for this panel
    encryption_key: str = ""
    #: the end-page parameter to expect when the Settings API does not name one
    encryption_parameter: str = ""
    hook_secret: str = ""  # required in X-Partner-Secret on the notification endpoints when set

    @property
    def encrypted(self) -> bool:
        return bool(self.encryption_algorithm.strip())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        base = env.get("TOLUNA_SANDBOX_URL", "").rstrip("/")

        def url(name: str) -> str:
            value = (env.get(name) or base).rstrip("/")
            if not value:
                raise ConfigError(f"set {name} (or TOLUNA_SANDBOX_URL) to Toluna's base URL")
            return value

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ConfigError(f"set {name}")
            return value

        algorithm = env.get("TOLUNA_ENCRYPTION_ALGORITHM", "").strip()
        if algorithm:
            try:
                name = canonical(algorithm)
            except ValueError as exc:
                raise ConfigError(f"TOLUNA_ENCRYPTION_ALGORITHM: {exc}") from None
            if name.startswith("HMAC-") and not env.get("TOLUNA_ENCRYPTION_KEY"):
                raise ConfigError(f"set TOLUNA_ENCRYPTION_KEY: {name} needs the panel's key")
        return cls(
            es_url=url("IP_ES_URL"),
            core_url=url("IP_CORE_URL"),
            ref_data_url=url("IP_REF_DATA_URL"),
            panel_guid=required("TOLUNA_PANEL_GUID"),
            api_key=required("TOLUNA_API_KEY"),
            partner_auth_key=env.get("TOLUNA_PARTNER_AUTH_KEY", ""),
            encryption_algorithm=algorithm,
            encryption_key=env.get("TOLUNA_ENCRYPTION_KEY", ""),
            encryption_parameter=env.get("TOLUNA_ENCRYPTION_PARAMETER", "").strip(),
            hook_secret=env.get("FLASK_PARTNER_SECRET", ""),
        )
