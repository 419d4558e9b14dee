"""The contract's scenarios and the values its tests hand the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simulator.domain.model import Invite, Visit
from simulator.scenario.loader import load_text
from simulator.scenario.model import Scenario
from simulator.store.records import Entry, Outgoing

PANEL = "11111111-2222-3333-4444-555555555555"
SECOND_PANEL = "66666666-7777-8888-9999-000000000000"
#: The contract scenario's frozen clock.
START = datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
#: Survey 7 has two waves: 8 (a recontact wave with quotas 9 and 10) and 9 (quota 11).
SURVEY, WAVE, LAST_WAVE = 7, 8, 9
QUOTA, OTHER_QUOTA, LAST_WAVE_QUOTA = 9, 10, 11
#: Quota 9's recontact list, in paging order (byte-wise on the member code).
LISTED = ["G-00", "G-01", "G-02", "G-03", "R-1", "R-2", "R-3"]

_SURVEY = (
    "{{SurveyID: {survey}, WaveID: {wave}, LOI: 10, IR: 50, StudyTypeID: 1, ScheduledCompletionDate: null, "
    "Price: {{Amount: 1.5, CurrencyID: 1}}, DeviceTypeIDs: [1], IsSurveyRecontact: {recontact}, "
    "CompletesRequired: 10, EstimatedCompletesRemaining: 10, SurveyWaveExclusions: [], Quotas: [{quotas}]}}"
)
_QUOTA = "{{QuotaID: {quota}, CompletesRequired: 10, EstimatedCompletesRemaining: 10, Layers: []}}"


def _survey(survey: int, wave: int, quotas: list[int], recontact: bool = False) -> str:
    listed = ", ".join(_QUOTA.format(quota=q) for q in quotas)
    return "  - " + _SURVEY.format(survey=survey, wave=wave, recontact=str(recontact).lower(), quotas=listed) + "\n"


CONTRACT = f"""
name: contract
clock: {{now: "{START.isoformat()}", frozen: true}}
panels:
- {{guid: {PANEL}, culture: EN-US, api_key: k}}
- {{guid: {SECOND_PANEL}, culture: EN-US, api_key: k2}}
inventory:
- culture: EN-US
  surveys:
{_survey(SURVEY, WAVE, [QUOTA, OTHER_QUOTA], recontact=True)}{_survey(SURVEY, LAST_WAVE, [LAST_WAVE_QUOTA])}
members:
- {{code: M-A}}
- {{code: M-B}}
- {{code: M-C, panel: {SECOND_PANEL}}}
participations:
- {{member: M-A, survey: {SURVEY}, wave: {WAVE}, status: terminated, at: -2d}}
recontact:
- {{quota: {QUOTA}, members: [R-3, R-1, R-2], generate: {{count: 4, prefix: G-, width: 2}}}}
faults:
- {{route: invite, member: M-A, result_code: 36, times: 2}}
timeline:
- {{at: +2h, quota: {OTHER_QUOTA}, change: {{live: false}}}}
- {{at: +1h, quota: {QUOTA}, change: {{live: false}}}}
"""

OTHER_PANEL = "abcdefab-1111-2222-3333-444444444444"
#: Another scenario: nothing of the contract scenario's state is in it.
OTHER = f"""
name: other
clock: {{now: "2031-06-01T12:00:00Z", frozen: true}}
panels:
- {{guid: {OTHER_PANEL}, culture: EN-US, api_key: k3}}
inventory:
- culture: EN-US
  surveys:
{_survey(70, 80, [90], recontact=True)}
members:
- {{code: O-1}}
recontact:
- {{quota: 90, members: [O-1]}}
"""


def contract_scenario() -> Scenario:
    return load_text(CONTRACT, "contract.yaml")


def other_scenario() -> Scenario:
    return load_text(OTHER, "other.yaml")


def entry(
    path: str = "/x",
    *,
    route: str | None = "quotas",
    member_code: str | None = None,
    quota_id: int | None = None,
    panel_guid: str | None = PANEL,
    at: datetime | None = None,
    wall_age: timedelta = timedelta(0),
    request_body: str | None = None,
    response: str = "{}",
) -> Entry:
    """A journal entry as a request leaves it: ``at`` on the sandbox clock, ``wall_age`` before the real now."""
    wall = datetime.now(UTC) - wall_age
    return Entry(
        at=(at or wall).isoformat(),
        wall_at=wall.isoformat(),
        method="GET",
        path=path,
        query="",
        route=route,
        panel_guid=panel_guid,
        member_code=member_code,
        quota_id=quota_id,
        status=200,
        result_code=None,
        duration_ms=1.5,
        request_headers={"Host": "sandbox"},
        request_body=request_body,
        response_body=response,
        response_length=len(response),
    )


def outgoing(n: int, *, max_attempts: int = 8, panel: str = PANEL, kind: str = "quota") -> Outgoing:
    return Outgoing(
        kind,
        panel,
        f"http://partner.test/notify/{n}",
        "json",
        "application/json",
        f'{{"n": {n}}}',
        {"X-Secret": "s"},
        {"QuotaID": n},
        max_attempts=max_attempts,
        retry_seconds=0.0,
    )


def invite(token: str, quota: int = QUOTA, member: str = "M-A", wave: int = WAVE) -> Invite:
    return Invite(token, PANEL, member, SURVEY, wave, quota, START, partner_amount=1.5)


def visit(reference: str, token: str, activity: str = "Success", member: str = "M-A", quota: int = QUOTA) -> Visit:
    return Visit(reference, token, PANEL, member, SURVEY, WAVE, quota, START, activity, additional_data="ad")
