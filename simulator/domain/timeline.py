"""The scenario's timeline: things that happen to the inventory and to members at given sandbox times.

An entry changes a quota (``quota`` + ``change``, the control API's quota fields), changes a survey (``survey`` +
``change``), or ends a member's visit (``member`` + ``quota`` + ``outcome``: complete, terminate, quota full ...).
The sandbox clock drives them: advancing it fires every entry that falls due, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True, frozen=True)
class Entry:
    at: datetime
    quota_id: int | None = None
    survey_id: int | None = None
    member_code: str | None = None
    panel_guid: str | None = None
    outcome: str | None = None
    change: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        if self.member_code is not None:
            return "visit"
        return "quota" if self.quota_id is not None else "survey"

    def describe(self) -> str:
        if self.kind == "visit":
            return f"member {self.member_code} ends quota {self.quota_id}: {self.outcome}"
        target = f"quota {self.quota_id}" if self.kind == "quota" else f"survey {self.survey_id}"
        return f"{target}: {json.dumps(self.change, sort_keys=True)}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at.isoformat()}
        for key in ("quota_id", "survey_id", "member_code", "panel_guid", "outcome"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.change:
            out["change"] = self.change
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entry:
        return cls(
            at=datetime.fromisoformat(d["at"]),
            quota_id=d.get("quota_id"),
            survey_id=d.get("survey_id"),
            member_code=d.get("member_code"),
            panel_guid=d.get("panel_guid"),
            outcome=d.get("outcome"),
            change=d.get("change") or {},
        )
