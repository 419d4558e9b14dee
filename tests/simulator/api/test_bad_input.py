"""Bad input never crashes the sandbox: every malformed request gets an answer in Toluna's shapes, and a
refused control request changes nothing."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support import ES, KEY, PANEL

HUGE = "9" * 25
H = {"API_AUTH_KEY": KEY}


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"{ES}/{PANEL}/M-ANNA/Invite/{HUGE}", 400, 10),
        (f"{ES}/{PANEL}/M-ANNA/Invite/2147483648", 400, 10),
        (f"{ES}/{PANEL}/M-ANNA/Invite/-1", 400, 10),
        (f"{ES}/{PANEL}/QuotaStatus/{HUGE}", 400, 10),
        (f"{ES}/{PANEL}/Recontact/{HUGE}/MemberCodes", 400, 10),
        (f"{ES}/{PANEL}/%00/Invite/4200001", 400, 12),
        (f"{ES}/{PANEL}/{'x' * 5000}/Invite/4200001", 400, 12),
        (f"{ES}/not-a-guid/Quotas", 400, 3),
        ("/IntegratedPanelService/api/Settings", 400, 18),
    ],
)
def test_malformed_es_requests_get_result_codes(client: FlaskClient, path: str, status: int, code: int) -> None:
    resp = client.get(path, headers=H)
    assert resp.status_code == status
    assert resp.get_json()["ResultCode"] == code


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", f"{ES}/{PANEL}/M-ANNA/Invites", b"\xff\xfe"),
        ("POST", f"{ES}/{PANEL}/M-ANNA/Invites", b'{"QuotaIDs": [' + HUGE.encode() + b"]}"),
        ("POST", f"{ES}/{PANEL}/M-ANNA/Invites", b'{"QuotaIDs": [true]}'),
        ("GET", f"{ES}/{PANEL}/Quotas?includeRoutables=%FF", None),
        ("GET", f"{ES}/{PANEL}/Recontact/4200061/MemberCodes?maxResults={HUGE}", None),
        ("GET", "/_sandbox/explain?member=a&quota=abc", None),
        ("POST", "/_sandbox/participations", b'{"member": "M-ANNA", "survey": "x", "status": 9}'),
        ("POST", "/_sandbox/clock/advance", b'{"days": "x"}'),
        ("PUT", "/_sandbox/clock", b'{"now": 5}'),
        ("PUT", "/_sandbox/clock", b'{"now": "yesterday-ish"}'),
        ("POST", "/_sandbox/faults", b'{"result_code": 999}'),
        ("POST", "/_sandbox/faults", b'{"latency_ms": "x"}'),
        ("PUT", "/_sandbox/quotas/4200001", b'{"EstimatedCompletesRemaining": "abc"}'),
        ("PUT", "/_sandbox/quotas/4200001", b'{"live": "maybe"}'),
        ("PUT", "/_sandbox/quotas/4200001", b"{}"),
        ("PUT", "/_sandbox/surveys/3100001", b'{"status": "weird"}'),
        ("POST", "/_sandbox/scenario", b"panels: [\n"),
        ("POST", "/_sandbox/scenario", b""),
    ],
)
def test_malformed_requests_get_a_400_with_a_message(
    client: FlaskClient, method: str, path: str, body: bytes | None
) -> None:
    before = client.get(f"{ES}/{PANEL}/Quotas", headers=H).get_json()["Surveys"]
    resp = client.open(path, method=method, data=body, headers={**H, "Content-Type": "application/json"})
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["Message"]
    assert client.get(f"{ES}/{PANEL}/Quotas", headers=H).get_json()["Surveys"] == before


def test_a_rejected_control_body_names_the_field_and_the_fix(client: FlaskClient) -> None:
    resp = client.put("/_sandbox/quotas/4200001", json={"lve": False})
    assert resp.get_json()["Message"].startswith("body: unknown key 'lve'. Fix: rename 'lve' to 'live' (")
    resp = client.put("/_sandbox/surveys/3100001", json={"status": "weird"})
    assert "status: 'weird' is not allowed. Fix: use one of 'open', 'closed', 'deleted'" in resp.get_json()["Message"]


def test_unknown_quota_or_survey_in_control_is_404(client: FlaskClient) -> None:
    assert client.put("/_sandbox/quotas/123", json={"live": False}).status_code == 404
    assert client.put("/_sandbox/surveys/123", json={"status": "closed"}).status_code == 404
