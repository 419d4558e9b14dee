"""Route words match in any case, as on Toluna's servers; the partner's own path values never change case."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support import ES, KEY, PANEL


def test_route_words_in_any_case_reach_the_route(client: FlaskClient) -> None:
    resp = client.get(
        f"/ipexternalsamplingservice/EXTERNALSAMPLE/{PANEL}/quotaStatus/4200001/", headers={"API_AUTH_KEY": KEY}
    )
    assert resp.status_code == 200 and resp.get_json()["QuotaID"] == 4200001


def test_a_member_code_that_reads_like_a_route_word_is_kept_as_sent(client: FlaskClient) -> None:
    for code in ("quotas", "INVITE", "Recontact"):
        resp = client.get(f"{ES}/{PANEL}/{code}/Invite/4200001", headers={"API_AUTH_KEY": KEY})
        assert resp.get_json() == {"Result": "NO_MEMBER_FOUND", "ResultCode": 12}
    journal = client.get("/_sandbox/journal?route=invite").get_json()["Entries"]
    assert [e["member_code"] for e in journal] == ["quotas", "INVITE", "Recontact"]
