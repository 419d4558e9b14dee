"""Every ES result code, provoked through HTTP against the real server on the default scenario."""

from __future__ import annotations

import pytest

from simulator.domain.codes import ERROR_CODES, ResultCode
from simulator.schemas import validator
from tests.support import ES, KEY_OTHER, PANEL, PANEL_ES_OFF, PANEL_NO_INVITES, Sandbox

UNKNOWN_PANEL = "00000000-0000-4000-8000-000000000000"

# (code, panel, key, member, quota): the scenario state that gives each code, as a partner meets it
CASES = [
    (3, UNKNOWN_PANEL, None, "M-ANNA", 4200001),
    (4, PANEL_ES_OFF, None, "M-ANNA", 4200001),
    (5, PANEL, None, "M-ANNA", 4200012),
    (8, PANEL, None, "M-ANNA", 4200181),
    (9, PANEL, None, "M-ANNA", 4200071),
    (10, PANEL, None, "M-ANNA", 999),
    (10, PANEL, None, "M-ANNA", 4200011),
    (12, PANEL, None, "NOBODY", 4200001),
    (12, PANEL, None, "M-PII", 4200001),
    (13, PANEL, None, "M-OPTOUT", 4200001),
    (13, PANEL, None, "M-NO-GENDER", 4200001),
    (13, PANEL, None, "M-NO-BIRTHDATE", 4200001),
    (14, PANEL, None, "M-BLOCKED", 4200001),
    (15, PANEL, None, "M-ANNA", 4200013),
    (16, PANEL, None, "M-WRONG-EDU", 4200003),
    (16, PANEL, None, "M-TEEN", 4200001),
    (17, PANEL, None, "F-NO-GID", 4200062),
    (20, PANEL_NO_INVITES, KEY_OTHER, "M-ANNA", 4200001),
    (21, PANEL, None, "M-CARA", 4200271),
    (22, PANEL, None, "M-SUSPENDED", 4200001),
    (22, PANEL, None, "M-INACTIVE", 4200001),
    (23, PANEL, None, "M-ANNA", 4200016),
    (24, PANEL, None, "M-ANNA", 4200017),
    (25, PANEL, None, "M-ANNA", 4200015),
    (26, PANEL, None, "G-BRIAN", 4200001),
    (27, PANEL, None, "M-ANNA", 4200182),
    (28, PANEL, None, "M-ANNA", 4200101),
    (29, PANEL, None, "M-ANNA", 4200211),
    (30, PANEL, None, "X-EXCLUDED", 4200005),
    (30, PANEL, None, "X-TRACKER-W1", 4200005),
    (31, PANEL, None, "D-PHONE", 4200261),
    (32, PANEL, None, "M-ANNA", 4200231),
    (33, PANEL, None, "M-ANNA", 4200241),
    (34, PANEL, None, "M-BOB", 4200251),
    (35, PANEL, None, "T-TERMINATED", 4200042),
    (36, PANEL, None, "F-TECH-ERROR", 4200001),
    (37, PANEL, None, "F-UNABLE-GID", 4200061),
    (38, PANEL, None, "S-TAKEN", 4200001),
    (39, PANEL, None, "L-DAILY", 4200001),
    (39, PANEL, None, "L-STARTS", 4200001),
    (40, PANEL, None, "L-WEEKLY", 4200001),
    (41, PANEL, None, "M-ANNA", 4200081),
    (42, PANEL, None, "M-ANNA", 4200014),
    (43, PANEL, None, "R-NOT-LISTED", 4200061),
    (45, PANEL, None, "M-ANNA", 4200221),
    (46, PANEL, None, "M-ANNA", 4200191),
    (47, PANEL, None, "M-ANNA", 4200201),
]


@pytest.mark.parametrize(("code", "panel", "key", "member", "quota"), CASES)
def test_generate_invite_answers_each_result_code(
    sandbox: Sandbox, code: int, panel: str, key: str | None, member: str, quota: int
) -> None:
    resp = sandbox.invite(member, quota, panel=panel, key=key or "0f6b2d9e-3c4a-4b8e-a1d5-7e9c2f4a6b80")
    assert resp.status_code == 400, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.json() == {"Result": ResultCode(code).name, "ResultCode": code}
    assert not list(validator("toluna", "EsError").iter_errors(resp.json()))


def test_blank_panel_and_member_segments(sandbox: Sandbox) -> None:
    assert sandbox.get(f"{ES}//Quotas").json() == {"Result": "NO_PANEL_GUID", "ResultCode": 18}
    assert sandbox.get(f"{ES}/%20/M-ANNA/Invite/4200001").json()["ResultCode"] == 18
    assert sandbox.get(f"{ES}/{PANEL}/%20/Invite/4200001").json() == {"Result": "NO_MEMBER_CODE", "ResultCode": 19}


def test_recontact_paging_on_an_ordinary_survey_is_code_6(sandbox: Sandbox) -> None:
    resp = sandbox.get(f"{ES}/{PANEL}/Recontact/4200001/MemberCodes")
    assert resp.status_code == 400
    assert resp.json() == {"Result": "SURVEY_NOT_FOR_RECONTACT", "ResultCode": 6}


def test_every_documented_code_is_reached() -> None:
    reached = {c[0] for c in CASES} | {6, 18, 19}
    assert reached == {int(c) for c in ERROR_CODES}


@pytest.mark.parametrize(
    ("member", "quota"),
    [
        ("M-ANNA", 4200001),
        ("M-BOB", 4200081),
        ("R-LISTED", 4200061),
        ("M-NO-EDU", 4200003),
        ("M-ANNA", 4200251),
        ("X-TRACKER-W1", 4200042),
    ],
)
def test_the_near_misses_succeed(fresh_sandbox: Sandbox, member: str, quota: int) -> None:
    resp = fresh_sandbox.invite(member, quota)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert not list(validator("toluna", "InviteResponse").iter_errors(body))
    assert body["QuotaID"] == quota
    assert "/TrafficUI/MSCUI/Page.aspx?pgtid=20&od=" in body["URL"]
