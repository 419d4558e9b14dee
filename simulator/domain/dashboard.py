"""The dashboard offering's GetSurveys: which of the surveys a member may take Toluna offers, and in what shape.

The member's eligible surveys come from the same decision chain as GenerateInvite (sampling, exclusions, limits);
this module narrows them to the requested devices, orders them (the best paid first, then inventory order) and
keeps ``numberOfSurveys`` of them (at most 5, and at most the panel's "Max Surveys To Fetch" when set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Panel, Survey

MAX_SURVEYS = 5
PHONE = 3
#: The member profile survey Toluna offers a member it cannot place (no birth date or gender).
PROFILE_SURVEY_ID = 1000001
PROFILE_SURVEY_NAME = "MemberProfileSurvey"
PROFILE_SURVEY_MINUTES = "5"


class DashboardRequestError(ValueError):
    """A GetSurveys request Toluna refuses with 400."""


@dataclass(slots=True, frozen=True)
class SurveysRequest:
    number: int
    device_types: tuple[int, ...]  # empty: any device

    @classmethod
    def parse(cls, number: str | None, device_types: list[str], mobile: str | None) -> SurveysRequest:
        try:
            n = int(number) if number not in (None, "") else MAX_SURVEYS
        except ValueError:
            raise DashboardRequestError(f"The value '{number}' is not valid for numberOfSurveys.") from None
        if n < 1:
            raise DashboardRequestError(f"numberOfSurveys must be 1 or more; got {n}.")
        ids: list[int] = []
        for text in device_types:
            for part in text.split(","):
                if part.strip() not in ("1", "2", "3"):
                    raise DashboardRequestError(f"The value '{part}' is not valid for deviceTypeIDs: use 1, 2 or 3.")
                ids.append(int(part))
        if not ids and mobile is not None and mobile.strip().lower() == "true":
            ids = [PHONE]  # mobileCompatible counts only when deviceTypeIDs are absent
        return cls(n, tuple(sorted(set(ids))))

    def limit(self, panel: Panel) -> int:
        cap = MAX_SURVEYS
        setting = (panel.settings.get("Max Surveys To Fetch") or "").strip()
        if setting.isdigit() and int(setting) > 0:
            cap = min(cap, int(setting))
        return min(self.number, cap)

    def fits(self, s: Survey) -> bool:
        return not self.device_types or not s.device_type_ids or bool(set(self.device_types) & set(s.device_type_ids))


def choose(surveys: list[tuple[Survey, Any]], request: SurveysRequest, panel: Panel) -> list[tuple[Survey, Any]]:
    """The offered surveys: those on the requested devices, the best paid first, at most ``request.limit``."""
    fitting = [(i, pair) for i, pair in enumerate(surveys) if request.fits(pair[0])]
    fitting.sort(key=lambda item: (-item[1][0].price_amount, item[0]))
    return [pair for _, pair in fitting[: request.limit(panel)]]


def survey_entry(s: Survey, url: str, member_amount: float, partner_amount: float) -> dict[str, Any]:
    """One GetSurveys item, keys in the order of Toluna's example."""
    return {
        "SurveyID": s.survey_id,
        "Name": s.name,
        "URL": url,
        "Duration": s.loi,
        "IR": s.ir,
        "MemberAmount": member_amount,
        "PartnerAmount": partner_amount,
        "WaveId": s.wave_id,
    }


def profile_entry(url: str) -> dict[str, Any]:
    """The member profile survey item (WaveId and IR null, nothing paid), as in Toluna's example."""
    return {
        "SurveyID": PROFILE_SURVEY_ID,
        "WaveId": None,
        "Name": PROFILE_SURVEY_NAME,
        "URL": url,
        "Duration": PROFILE_SURVEY_MINUTES,
        "IR": None,
        "MemberAmount": 0.0,
        "PartnerAmount": 0.0,
    }
