"""JSON documents for the rows that hold domain objects (one codec per object, shared by every module)."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import date
from typing import Any

from simulator.domain.inventory_codec import (
    quota_state_from_dict,
    state_to_dict,
    survey_from_wire,
    survey_state_from_dict,
    survey_to_wire,
)
from simulator.domain.model import Member, MemberStatus, Panel, Survey

_TUPLE_FIELDS = {"excluded_study_types", "excluded_customers"}


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def panel_to_doc(p: Panel) -> str:
    return dumps(asdict(p))


def panel_from_doc(text: str) -> Panel:
    d = json.loads(text)
    known = {f.name for f in fields(Panel)}
    return Panel(**{k: tuple(v) if k in _TUPLE_FIELDS else v for k, v in d.items() if k in known})


def survey_to_doc(s: Survey) -> str:
    return dumps(
        {
            "wire": survey_to_wire(s),
            "state": state_to_dict(s.state),
            "quota_states": {str(q.quota_id): state_to_dict(q.state) for q in s.quotas},
        }
    )


def survey_from_doc(text: str, culture: str) -> Survey:
    d = json.loads(text)
    quota_states = {int(k): quota_state_from_dict(v) for k, v in d.get("quota_states", {}).items()}
    return survey_from_wire(d["wire"], culture, survey_state_from_dict(d.get("state")), quota_states)


def member_to_doc(m: Member, written_at: float | None = None) -> str:
    """``written_at``: when the member API last wrote it (wall clock, for the 1000 ms rule)."""
    return dumps(
        {
            "written_at": written_at,
            "birth_date": m.birth_date.isoformat() if m.birth_date else None,
            "postal_code": m.postal_code,
            "answers": {str(k): sorted(v) for k, v in m.answers.items()},
            "open_answers": {str(k): v for k, v in m.open_answers.items()},
            "status": int(m.status),
            "is_active": m.is_active,
            "is_test": m.is_test,
            "account_group": m.account_group,
            "device_type_id": m.device_type_id,
            "verification_score": m.verification_score,
        }
    )


def member_from_doc(panel_guid: str, member_code: str, text: str) -> Member:
    d = json.loads(text)
    return Member(
        panel_guid=panel_guid,
        member_code=member_code,
        birth_date=date.fromisoformat(d["birth_date"]) if d.get("birth_date") else None,
        postal_code=d.get("postal_code"),
        answers={int(k): frozenset(v) for k, v in d.get("answers", {}).items()},
        open_answers={int(k): v for k, v in d.get("open_answers", {}).items()},
        status=MemberStatus(d.get("status", 1)),
        is_active=d.get("is_active", True),
        is_test=d.get("is_test", False),
        account_group=d.get("account_group"),
        device_type_id=d.get("device_type_id"),
        verification_score=d.get("verification_score"),
    )
