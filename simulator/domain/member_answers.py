"""What Toluna needs of a member before it can place one in a survey."""

from __future__ import annotations

from . import questions as q
from .model import Member


def answered(member: Member) -> bool:
    """Birth date and gender: Toluna's minimum to place a member (without them: code 13, the profile survey)."""
    return member.birth_date is not None and bool(member.answers.get(q.GENDER))
