"""How big a scenario file may be, checked before anything is built from it.

Generated members and recontact codes are declared by count, so even a scenario with a captured inventory of
hundreds of surveys stays a few megabytes; the limits refuse what only a mistake or an attack would write (a YAML
alias bomb of a few hundred bytes expands to hundreds of millions of nodes). Each limit can be raised through an
environment variable, read when a file is loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

#: Toluna's integer ids (SurveyID, WaveID, QuotaID, ...) are 32-bit signed integers.
INT32_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 8 * 1024 * 1024  # the file as read (a captured inventory of 680 surveys is about 3 MB)
    max_aliases: int = 10_000  # YAML aliases (``*name``) in one file
    max_nodes: int = 2_000_000  # values in the document once every alias is expanded
    max_depth: int = 64  # nested mappings and lists (a scenario needs about 15)
    max_errors: int = 200  # problems listed in one refusal; the count still says how many were found

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults, with any ``TOLUNA_SANDBOX_SCENARIO_<NAME>`` variable (e.g. ``..._MAX_BYTES``) applied."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get(f"TOLUNA_SANDBOX_SCENARIO_{f.name.upper()}")
            if raw is not None and raw.strip().isdigit() and int(raw) > 0:
                values[f.name] = int(raw)
        return cls(**values)

    def variable(self, name: str) -> str:
        return f"TOLUNA_SANDBOX_SCENARIO_{name.upper()}"
