"""The Flask partner (examples/flask_partner) against a real sandbox over real sockets, and its pure parts alone.

The partner is a second, differently built integration the conformance suite must judge rightly; these tests hold
it to Toluna's rules by what the sandbox's journal and outbox recorded, not by the partner's own word: a partner
that starts but sends wrong requests fails here.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance.sandbox import LocalSandbox, SandboxClient, free_port, stop_process
from examples.flask_partner import members as fp_members
from examples.flask_partner.config import Config
from examples.flask_partner.inventory import Inventory
from examples.flask_partner.registration import Registrar
from examples.flask_partner.sampling import Profile, excluded, quota_matches
from examples.flask_partner.signing import digest, end_page_valid, notification_valid
from examples.flask_partner.store import Store
from examples.flask_partner.timefmt import parse_toluna_time, resolve_birth_date
from examples.flask_partner.toluna_client import Answer
from simulator.domain.clock import parse_date
from tests.conformance.harness import HOOKS, PAGES

ROOT = Path(__file__).resolve().parents[3]
SCENARIO = ROOT / "fixtures" / "scenarios" / "conformance.yaml"
REFERENCE_MEMBERS = ROOT / "examples" / "reference_partner" / "members.json"
SECRET = "hook-secret-7"
KEY = "k"
PARAMETER = "sig"  # not the default encValue: the partner must take it from the Settings API
GENDER = {"female": 2000246, "male": 2000247}


def reference_members() -> list[dict[str, Any]]:
    return json.loads(REFERENCE_MEMBERS.read_text())


def panel_settings(base: str) -> dict[str, str]:
    query = "uid=[MemberCode]&sid=[SurveyID]&wid=[WaveID]"
    settings = {name: f"{base}/return/{outcome}?{query}" for name, outcome in PAGES.items()}
    settings.update({name: f"{base}/hooks/toluna/{kind}" for name, kind in HOOKS.items()})
    settings["Quota Notifications Enabled"] = "True"
    settings["Standard EncryptionResult Parameter Name"] = PARAMETER
    return settings


@dataclass
class Partner:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def stop(self) -> None:
        stop_process(self.process)
        assert self.process.returncode == 0, self.log.read_text()[-3000:]


def start_partner(env: dict[str, str], log: Path, port: int | None = None, *options: str) -> Partner:
    port = port or free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "examples.flask_partner", "--port", str(port), *options],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    partner = Partner(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{partner.base}/healthz", timeout=1).close()
            return partner
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                partner.stop()
                raise RuntimeError(f"the partner did not start: {log.read_text()[-3000:]}") from None
            time.sleep(0.05)


@dataclass
class World:
    sandbox: LocalSandbox
    client: SandboxClient
    guid: str
    env: dict[str, str]
    partner: Partner
    tmp: Path
    run_answer: dict[str, Any] = field(default_factory=dict)
    run_until: int = 0  # the last journal entry of the first upkeep run

    @property
    def base(self) -> str:
        return self.partner.base

    def mark(self) -> int:
        entries = self.client.journal()
        return entries[-1]["id"] if entries else 0

    def entries(self, after: int = 0, **filters: Any) -> list[dict[str, Any]]:
        """Journal entries after ``after``, in the order they happened (the sandbox's two workers number their
        entries as they store them, which is not always the order of the requests)."""
        return sorted(self.client.journal(after=after or None, **filters), key=lambda e: (_wall(e), e["id"]))

    def respondent(self, member: str, quota: int | None = None) -> requests.Response:
        body: dict[str, Any] = {"MemberCode": member}
        if quota is not None:
            body["QuotaID"] = quota
        return requests.post(f"{self.base}/adapter/respondent", json=body, timeout=30)

    def hook(self, kind: str, body: str, secret: str | None = SECRET, xml: bool = False) -> requests.Response:
        headers = {"Content-Type": "application/xml" if xml else "application/json"}
        if secret is not None:
            headers["X-Partner-Secret"] = secret
        return requests.post(f"{self.base}/hooks/toluna/{kind}", data=body.encode(), headers=headers, timeout=10)

    def credits(self, member: str) -> int:
        return int(requests.get(f"{self.base}/adapter/credits/{member}", timeout=10).json()["Credits"])

    def wait_outbox(self) -> None:
        self.client.call("POST", "outbox/wait", params={"timeout": 20})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A sandbox on the conformance scenario whose panel points at one partner (encryption on, a shared secret on
    the notification endpoints), and that partner after one upkeep run."""
    tmp = tmp_path_factory.mktemp("flask-partner")
    sandbox = LocalSandbox(SCENARIO.read_text(), "conformance.yaml")
    client = SandboxClient(sandbox.url)
    try:
        panel = client.scenario()["Panels"][0]
        port = free_port()
        client.change_panel(
            panel["PanelGUID"],
            {
                "settings": panel_settings(f"http://127.0.0.1:{port}"),
                "encryption_algorithm": "HMAC-SHA256",
                "encryption_key": KEY,
                "notification_headers": {"X-Partner-Secret": SECRET},
            },
        )
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "TOLUNA_SANDBOX_URL": sandbox.url,
            "IP_ES_URL": sandbox.url,
            "IP_CORE_URL": sandbox.url,
            "IP_REF_DATA_URL": sandbox.url,
            "TOLUNA_PANEL_GUID": panel["PanelGUID"],
            "TOLUNA_API_KEY": panel["API_AUTH_KEY"],
            "TOLUNA_PARTNER_AUTH_KEY": panel.get("PARTNER_AUTH_KEY") or "",
            "TOLUNA_ENCRYPTION_ALGORITHM": "HMAC-SHA256",
            "TOLUNA_ENCRYPTION_KEY": KEY,
            "FLASK_PARTNER_SECRET": SECRET,
        }
        env.pop("TOLUNA_ENCRYPTION_PARAMETER", None)
        # without its startup upkeep, so that POST /run is seen doing the registration
        partner = start_partner(env, tmp / "partner.log", port, "--no-startup-upkeep")
        try:
            w = World(sandbox, client, panel["PanelGUID"], env, partner, tmp)
            w.run_answer = requests.post(f"{partner.base}/run", timeout=60).json()
            w.run_until = w.mark()
            yield w
        finally:
            partner.stop()
    finally:
        client.http.close()
        sandbox.stop()


def _wall(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["wall_at"].replace("Z", "+00:00"))


def _header(entry: dict[str, Any], name: str) -> str:
    """A request header as the journal kept it (names normalised: ``API_AUTH_KEY`` is stored as ``Api-Auth-Key``)."""
    wanted = name.lower().replace("_", "-")
    return next((v for k, v in entry["request_headers"].items() if k.lower().replace("_", "-") == wanted), "")


def _answers(body: dict[str, Any]) -> dict[int, set[int]]:
    return {a["QuestionID"]: {x["AnswerID"] for x in a["Answers"]} for a in body.get("RegistrationAnswers", [])}


def _expected_answers(member: dict[str, Any]) -> dict[int, set[int]]:
    expected = {int(q): set(ids) for q, ids in member["answers"].items()}
    expected[1001007] = {GENDER[member["gender"]]}
    return expected


def _invites(world: World, after: int, member: str) -> list[dict[str, Any]]:
    return [e for e in world.entries(after, route="invite") if e["member_code"] == member]


def _completion(member: str, survey: int, wave: int, value: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "UniqueCode": member,
        "SurveyId": survey,
        "SurveyRef": "X",
        "Revenue": 150,
        "DateTime": "2026-01-01 10:00:00",
        "WaveId": wave,
        "QuotaID": 1,
        "AdditionalData": "",
    }
    sign = hmac.new(KEY.encode(), f"{survey}{wave}{member}".encode(), hashlib.sha256).hexdigest()
    doc["EncryptedValue"] = sign if value is None else value
    return doc


# --- over real sockets ----------------------------------------------------------------------------------------------
def test_run_registers_each_new_member_with_toluna_ids_and_sends_changes_a_second_later(world: World) -> None:
    assert world.run_answer["ok"] is True, world.run_answer
    today = datetime.now(UTC).date()
    first_run = [e for e in world.entries() if e["id"] <= world.run_until]
    adds = {e["member_code"]: e for e in first_run if e["route"] == "member_add"}
    updates = [e for e in first_run if e["route"] == "member_update"]
    own = {m["code"]: m for m in reference_members() if not m.get("preexisting")}
    assert set(adds) == set(own), "the partner must add every member of its own, and only those"
    for code, entry in adds.items():
        member, body = own[code], json.loads(entry["request_body"])
        if entry["status"] == 409:  # the scenario may know a member already: then the same body goes by PUT
            put = next(e for e in updates if e["member_code"] == code and _wall(e) > _wall(entry))
            assert put["status"] == 200 and json.loads(put["request_body"]) == body, put
            assert _wall(put) - _wall(entry) >= timedelta(seconds=1.0)
        else:
            assert entry["status"] == 201, entry["response_body"]
        assert "version=2.0" in _header(entry, "Accept")
        assert body["PartnerGUID"] == world.guid and body["MemberCode"] == code
        assert body["BirthDate"] == parse_date(member["birth"], today).strftime("%m/%d/%Y"), code
        assert body["PostalCode"] == member["postal"]
        assert body["IsActive"] is member.get("active", True)
        assert _answers(body) == _expected_answers(member), code
    preexisting = {m["code"] for m in reference_members() if m.get("preexisting")}
    assert not {e["member_code"] for e in updates + list(adds.values())} & preexisting
    *before, change = [e for e in [adds["RP-IVY"], *updates] if e["member_code"] == "RP-IVY"]
    assert change["status"] == 200 and change["route"] == "member_update"
    assert _answers(json.loads(change["request_body"]))[1012395] == {3056609}
    assert _wall(change) - _wall(before[-1]) >= timedelta(seconds=1.0)
    record = requests.get(f"{world.base}/adapter/members/RP-IVY", timeout=10).json()
    assert record["employment"] == "student" and record["sex"] == "F" and record["income_band"] == "45-50k"
    assert requests.get(f"{world.base}/adapter/members/NOBODY", timeout=10).status_code == 404


def test_a_member_toluna_already_has_is_updated_with_put_over_a_second_after_the_409(world: World) -> None:
    mark = world.mark()
    second = start_partner(world.env, world.tmp / "second.log")  # a fresh database: it registers everyone again
    try:
        assert requests.post(f"{second.base}/run", timeout=60).json()["ok"] is True
    finally:
        second.stop()
    entries = [e for e in world.entries(mark) if e["route"] in ("member_add", "member_update")]
    own = [m["code"] for m in reference_members() if not m.get("preexisting")]
    for code in own:
        mine = [e for e in entries if e["member_code"] == code]
        assert [(e["route"], e["status"]) for e in mine[:2]] == [("member_add", 409), ("member_update", 200)], code
        assert json.loads(mine[0]["request_body"]) == json.loads(mine[1]["request_body"])
        for before, after in itertools.pairwise(mine):
            assert _wall(after) - _wall(before) >= timedelta(seconds=1.0), (code, before["route"], after["route"])


def test_a_respondent_link_leads_to_toluna_with_the_partner_parameters_and_back_to_a_verified_end_page(
    world: World,
) -> None:
    mark = world.mark()
    answer = world.respondent("RP-ANNA")
    assert answer.status_code == 200
    link = answer.json()["URL"]
    assert link.startswith(f"{world.base}/go/")
    [invite] = _invites(world, mark, "RP-ANNA")
    assert invite["status"] == 200 and _header(invite, "API_AUTH_KEY") == world.env["TOLUNA_API_KEY"]
    toluna_url = json.loads(invite["response_body"])["URL"]

    go = requests.get(link, allow_redirects=False, timeout=10)
    assert go.status_code == 302
    location = go.headers["Location"]
    assert location.startswith(toluna_url + "&rid=") and location.endswith("&src=flask")
    rid = location.split("&rid=")[1].split("&")[0]

    survey = requests.get(location + "&outcome=qualified", allow_redirects=False, timeout=10)
    assert survey.status_code == 302
    end = survey.headers["Location"]
    assert end.startswith(f"{world.base}/return/qualified?uid=RP-ANNA&") and f"rid={rid}" in end
    assert f"&{PARAMETER}=" in end
    page = requests.get(end, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")

    tampered = end.replace("uid=RP-ANNA", "uid=RP-ANNB")
    check = f"{world.base}/adapter/redirect-check"
    assert requests.post(check, json={"url": end}, timeout=10).json() == {"Valid": True}
    assert requests.post(check, json={"url": tampered}, timeout=10).json() == {"Valid": False}
    assert requests.get(tampered, timeout=10).status_code == 403

    world.wait_outbox()  # the qualified visit sent a completion, signed and with the shared secret
    assert world.credits("RP-ANNA") == 1


def test_a_completion_is_credited_once_however_often_it_arrives(world: World) -> None:
    fired = world.client.event("complete", {"member": "RP-BEN", "quota": 5200011})
    world.wait_outbox()
    [first] = fired["Notifications"]
    for _ in range(2):
        world.client.call("POST", f"outbox/{first}/resend")
    world.wait_outbox()
    listed = world.client.call("GET", "outbox", params={"limit": 10_000})["Notifications"]
    copies = [n for n in listed if n["ID"] == first or n.get("ResendOf") == first]
    assert len(copies) == 3
    for n in copies:
        detail = world.client.call("GET", f"outbox/{n['ID']}")
        assert detail["Status"] == "delivered" and detail["Attempts"][0]["Status"] == 200, detail
    assert world.credits("RP-BEN") == 1


def test_notifications_without_the_shared_secret_are_refused(world: World) -> None:
    body = json.dumps(_completion("RP-CARA", 5109901, 1))
    assert world.hook("complete", body, secret=None).status_code == 401
    assert world.hook("complete", body, secret="wrong").status_code == 401
    assert world.hook("quota", '{"QuotaID": 1, "IsLive": false}', secret=None).status_code == 401
    assert world.credits("RP-CARA") == 0
    assert world.hook("complete", body).status_code == 200
    assert world.credits("RP-CARA") == 1


def test_a_missing_or_tampered_encrypted_value_credits_nothing(world: World) -> None:
    genuine = _completion("RP-DAN", 5109902, 7)
    assert world.hook("complete", json.dumps(_completion("RP-DAN", 5109902, 7, value="0" * 64))).status_code == 400
    unsigned = {k: v for k, v in genuine.items() if k != "EncryptedValue"}
    assert world.hook("complete", json.dumps(unsigned)).status_code == 400
    forged = {**genuine, "UniqueCode": "RP-KIM"}  # the value signs RP-DAN, not RP-KIM
    assert world.hook("complete", json.dumps(forged)).status_code == 400
    assert world.hook("terminate", json.dumps({**unsigned, "Reason": "Terminated"})).status_code == 400
    assert world.credits("RP-DAN") == 0 and world.credits("RP-KIM") == 0
    xml = "<confirmation>" + "".join(f"<{k}>{v}</{k}>" for k, v in genuine.items()) + "</confirmation>"
    assert world.hook("complete", xml, xml=True).status_code == 200
    assert world.hook("complete", json.dumps(genuine)).status_code == 200  # the same completion again, as JSON
    assert world.credits("RP-DAN") == 1
    for garbage in ("not a document", "<confirmation><UniqueCode>x</UniqueCode>", "[1, 2]", '{"UniqueCode": "x"}'):
        assert world.hook("complete", garbage).status_code == 400, garbage
    assert world.hook("quota", "<quota><QuotaID>5200999</QuotaID></quota>", xml=True).status_code == 400
    ok = '{"QuotaID": 5209999, "SurveyID": 1, "WaveID": 1, "IsLive": true, "UpdateDateTimeUTC": "2020-01-01 00:00:00"}'
    assert world.hook("quota", ok).status_code == 200  # a quota the partner never saw: answered all the same


def test_an_older_live_notice_does_not_reopen_a_quota_taken_away(world: World) -> None:
    def notice(live: bool, at: str) -> str:
        return json.dumps(
            {"QuotaID": 5200161, "SurveyID": 5100016, "WaveID": 51016, "IsLive": live, "UpdateDateTimeUTC": at}
        )

    mark = world.mark()
    assert world.hook("quota", notice(False, "2026-10-22 19:58:42.99 +00:00")).status_code == 200
    older = (
        "<quota><QuotaID>5200161</QuotaID><SurveyID>5100016</SurveyID><WaveID>51016</WaveID><IsLive>true</IsLive>"
        "<UpdateDateTimeUTC>2026-10-22 19:58:42.98 +00:00</UpdateDateTimeUTC></quota>"
    )
    assert world.hook("quota", older, xml=True).status_code == 200
    assert world.respondent("RP-KIM", 5200161).json() == {"URL": None}
    assert _invites(world, mark, "RP-KIM") == [], "no invite may be asked for a quota Toluna took away"
    assert world.hook("quota", notice(True, "2026-10-22 19:58:43.00 +00:00")).status_code == 200
    assert world.respondent("RP-KIM", 5200161).json()["URL"]
    assert [(e["quota_id"], e["status"]) for e in _invites(world, mark, "RP-KIM")] == [(5200161, 200)]


def test_a_closed_survey_wave_is_not_offered_again(world: World) -> None:
    mark = world.mark()
    closed = "<survey><SurveyID>5100005</SurveyID><SurveyRef>CF-EDUCATION</SurveyRef><Status>Closed</Status>"
    assert world.hook("survey", closed + "<WaveId>51005</WaveId></survey>", xml=True).status_code == 200
    assert world.respondent("RP-HAL", 5200051).json() == {"URL": None}
    assert _invites(world, mark, "RP-HAL") == []


def test_technical_errors_are_retried_three_times_spaced_out_then_left_alone(world: World) -> None:
    mark = world.mark()
    assert world.respondent("RP-EVE", 5200011).json() == {"URL": None}  # the scenario's fault: 36, five times
    tries = _invites(world, mark, "RP-EVE")
    assert [(e["quota_id"], e["result_code"]) for e in tries] == [(5200011, 36)] * 4
    gaps = [(_wall(b) - _wall(a)).total_seconds() for a, b in itertools.pairwise(tries)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.45 and gaps[2] >= 0.9, gaps
    assert world.respondent("RP-EVE", 5200011).json() == {"URL": None}
    assert len(_invites(world, mark, "RP-EVE")) == 4, "a failing quota is backed off, not asked again at once"


def test_a_final_refusal_is_not_asked_again_and_unroutable_members_are_never_asked(world: World) -> None:
    mark = world.mark()
    assert world.respondent("RP-JON", 5200171).json() == {"URL": None}  # hidden targets: 21
    assert world.respondent("RP-JON", 5200171).json() == {"URL": None}
    assert [e["result_code"] for e in _invites(world, mark, "RP-JON")] == [21]
    for member in ("RP-BLOCKED", "RP-OPTOUT", "RP-INACTIVE"):
        assert world.respondent(member).json() == {"URL": None}
        assert _invites(world, mark, member) == []
    assert world.respondent("NOBODY").status_code == 404


def test_quota_and_member_refusals_stop_the_quota_and_the_member(world: World) -> None:
    fault = {"route": "invite", "result_code": 9, "quota_id": 5200131, "times": 1}
    world.client.call("POST", "faults", json=fault)  # QUOTA_NOT_LIVE for the first ask of CF-TWO-QUOTAS
    world.client.call("POST", "faults", json={"route": "invite", "result_code": 13, "member_code": "RP-FINN"})
    mark = world.mark()
    assert world.respondent("RP-CARA", 5200131).json() == {"URL": None}
    assert world.respondent("RP-DAN", 5200131).json() == {"URL": None}  # the quota waits for GetQuotas to list it
    asked = [e for e in world.entries(mark, route="invite") if e["quota_id"] == 5200131]
    assert [(e["member_code"], e["result_code"]) for e in asked] == [("RP-CARA", 9)]
    assert world.respondent("RP-FINN").json() == {"URL": None}  # MEMBER_NOT_ROUTABLE: the member is stopped
    assert world.respondent("RP-FINN").json() == {"URL": None}
    assert [e["result_code"] for e in _invites(world, mark, "RP-FINN")] == [13]


def test_members_get_one_quota_per_survey_named_surveys_first_and_never_a_wave_they_took(world: World) -> None:
    mark = world.mark()
    urls = [world.respondent("RP-GWEN").json()["URL"] for _ in range(4)]
    assert all(urls)
    asked = _invites(world, mark, "RP-GWEN")
    assert asked[0]["quota_id"] == 5200081, "a recontact quota that lists the member comes first"
    assert not [e for e in asked if e["result_code"] in (16, 30, 38, 43)]
    surveys = [json.loads(e["response_body"])["SurveyId"] for e in asked if e["status"] == 200]
    assert len(surveys) == 4 and len(set(surveys)) == 4, surveys
    mark = world.mark()
    assert world.respondent("RP-TRACK").json()["URL"]  # completed tracker wave 61, excluded by it from 5200071
    [invite] = _invites(world, mark, "RP-TRACK")
    assert (invite["quota_id"], invite["status"]) == (5200062, 200), "the tracker's next wave comes first"
    assert len([e for e in world.entries(mark) if e["route"] == "quotas"]) <= 1, "the inventory is read once a minute"


def test_a_403_stops_every_call_until_restart(world: World) -> None:
    mark = world.mark()
    env = {**world.env, "TOLUNA_API_KEY": "00000000-0000-4000-8000-000000000000"}
    wrong = start_partner(env, world.tmp / "wrong-key.log")
    try:
        deadline = time.monotonic() + 10
        while not requests.get(f"{wrong.base}/healthz", timeout=5).json()["halted"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert requests.post(f"{wrong.base}/run", timeout=30).json()["ok"] is False
        assert requests.post(f"{wrong.base}/adapter/respondent", json={"MemberCode": "RP-ANNA"}, timeout=30).json() == {
            "URL": None
        }
    finally:
        wrong.stop()
    sent = world.entries(mark)
    assert [(e["route"], e["status"]) for e in sent] == [("settings", 403)]


# --- the partner's parts alone ----------------------------------------------------------------------------------------
def test_the_panel_files_say_what_the_reference_members_say() -> None:
    today = date(2026, 3, 31)
    mapping = fp_members.load_mapping()
    panel = {p.id: p for p in fp_members.load_panelists(fp_members.PANELISTS_CSV, today)}
    history = fp_members.load_history(fp_members.HISTORY_CSV)
    updates = fp_members.load_updates(fp_members.UPDATES_CSV)
    reference = reference_members()
    assert list(panel) == [m["code"] for m in reference]
    for m in reference:
        p = panel[m["code"]]
        assert p.dob == parse_date(m["birth"], today), m["code"]
        assert p.zip == m["postal"] and p.known_to_toluna is bool(m.get("preexisting"))
        assert p.active is m.get("active", True)
        assert p.status == {None: "active", "blocked": "blocked", "opted_out": "opted_out"}[m.get("status")]
        assert fp_members.toluna_answers(p, mapping) == _expected_answers(m)
        assert [(s, w, st) for c, s, w, st in history if c == m["code"]] == [
            (h["survey"], h["wave"], h["status"]) for h in m.get("history", [])
        ]
        change = (m.get("changes") or {}).get("RegistrationAnswers", [])
        changed = fp_members.Panelist.from_record({**p.record(), **{f: v for c, f, v in updates if c == m["code"]}})
        want = _expected_answers(m) | {a["QuestionID"]: {x["AnswerID"] for x in a["Answers"]} for a in change}
        assert fp_members.toluna_answers(changed, mapping) == want


def test_relative_birth_dates_and_toluna_timestamps() -> None:
    today = date(2024, 2, 29)
    for text in ("-18y+1d", "-29y-40d", "-25y-7m", "-35y", "1984-07-07", "-1m", "+1y"):
        assert resolve_birth_date(text, today) == parse_date(text, today), text
    assert resolve_birth_date("-18y+1d", date(2026, 6, 15)) == date(2008, 6, 16)
    assert parse_toluna_time("2026-12-06T10:00:00.1234567Z") == datetime(2026, 12, 6, 10, 0, 0, 123456, UTC)
    assert parse_toluna_time("2018-10-22 19:58:42.99 +00:00") == datetime(2018, 10, 22, 19, 58, 42, 990000, UTC)
    assert parse_toluna_time("2018-10-22T21:58:42+02:00") == datetime(2018, 10, 22, 19, 58, 42, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_toluna_time("yesterday")


def test_signatures_match_toluna_vectors() -> None:
    url = "https://partnerA.com?status=qualified&mc=mymember&"
    vector = "f0c397932b98251aca505db3bb2c364711f18237f5202017d24b97ec522a373e"
    assert digest("HMAC-SHA256", "supersecret", url) == vector
    assert end_page_valid(url + "encValue=" + vector, "encValue", "HMAC-SHA256", "supersecret")
    assert end_page_valid(url + "encValue=" + vector.upper(), "encValue", "hmac_sha256", "supersecret")
    assert not end_page_valid(url + "encValue=" + vector, "sig", "HMAC-SHA256", "supersecret")
    assert not end_page_valid(url.replace("mymember", "other") + "encValue=" + vector, "encValue", "HMAC-SHA256", "k")
    # Toluna's published HMAC-MD5 notification vector (23401f...) is not RFC 2104 HMAC-MD5 of its own value; the
    # sandbox, like Toluna's servers in practice, computes the standard one
    assert notification_valid(
        "HMAC-MD5", "supersecret", "12345", "ABCD", "mymember", "a0d5cf970dbc91b4fd1e0991d50ce79d"
    )
    assert not notification_valid("HMAC-MD5", "supersecret", "12345", "ABCD", "mymember", None)


def _quota(*layers: list[list[dict[str, Any]]]) -> dict[str, Any]:
    return {"QuotaID": 1, "Layers": [{"SubQuotas": [{"QuestionsAndAnswers": sq} for sq in layer]} for layer in layers]}


def _qa(question: int, ids: list[int] | None = None, values: list[str] | None = None, routable: bool = False) -> dict:
    return {"QuestionID": question, "AnswerIDs": ids or [], "AnswerValues": values or [], "IsRoutable": routable}


def test_sampling_follows_toluna_rules() -> None:
    on = date(2026, 6, 15)
    anna = Profile({1001007: frozenset({2000246}), 1001107: frozenset({2002321})}, date(1990, 6, 16), "07001")
    female, male = _qa(1001007, [2000246]), _qa(1001007, [2000247])
    assert quota_matches(anna, _quota([[female], [male]]), on)  # OR across subquotas
    assert not quota_matches(anna, _quota([[female]], [[male]]), on)  # AND across layers
    assert not quota_matches(anna, _quota([[female, _qa(1001107, [2002330])]]), on)  # AND across questions
    assert quota_matches(anna, _quota([[female, _qa(1001107, [2002330, 2002321])]]), on)  # OR within one
    assert quota_matches(anna, _quota([[_qa(1001538, [2006355])]]), on)  # 35 until her birthday tomorrow
    assert not quota_matches(anna, _quota([[_qa(1001538, values=["36-99"])]]), on)
    assert quota_matches(anna, _quota([[_qa(1001538, values=["18-35"])]]), on)
    assert quota_matches(anna, _quota([[_qa(1001042, values=["100", "070"])]]), on)
    assert not quota_matches(anna, _quota([[_qa(1001042, values=["0701", "100"])]]), on)
    assert quota_matches(anna, _quota([[_qa(1012395, [3056609], routable=True)]]), on)  # unanswered, routable
    assert not quota_matches(anna, _quota([[_qa(1001012, [2000269])]]), on)  # unanswered, not routable
    assert quota_matches(anna, _quota([[_qa(1001107, values=["2002320,2002321"])]]), on)
    history = [(5100006, 61, 9)]
    assert excluded([{"SurveyID": 5100006, "WaveID": 61, "ParticipationStatusIDs": [9]}], history)
    assert excluded([{"SurveyID": 5100006, "WaveID": 0, "ParticipationStatusIDs": [1, 9]}], history)
    assert not excluded([{"SurveyID": 5100006, "WaveID": 62, "ParticipationStatusIDs": [9]}], history)
    assert not excluded([{"SurveyID": 5100006, "WaveID": 61, "ParticipationStatusIDs": [3]}], history)


class FakeToluna:
    """GetQuotas and recontact pages from memory, counting what is asked."""

    def __init__(self) -> None:
        self.expires = "2026-01-01T00:00:05.1234567Z"
        self.reads = 0
        self.pages: list[tuple[int, str | None, int]] = []
        self.codes = [f"C{i:03d}" for i in range(25)]

    def quotas(self) -> Answer:
        self.reads += 1
        survey = {"SurveyID": 1, "WaveID": 1, "IsSurveyRecontact": True, "Quotas": [{"QuotaID": 7, "Layers": []}]}
        return Answer(200, {"Surveys": [survey], "CountryID": 1, "CacheExpires": self.expires}, "")

    def recontact_page(self, quota: int, after: str | None, page: int = 10_000) -> Answer:
        self.pages.append((quota, after, page))
        start = 0 if after is None else self.codes.index(after) + 1
        chunk = self.codes[start : start + 10]
        more = start + 10 < len(self.codes)
        return Answer(200, {"MaxResults": len(chunk), "HasAdditionalMembers": more, "MemberCodes": chunk}, "")


def test_the_inventory_is_read_again_only_when_cache_expires_passed_and_not_twice_in_two_seconds(
    tmp_path: Path,
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    now = [start]
    fake = FakeToluna()
    store = Store(tmp_path / "p.db")
    try:
        inventory = Inventory(store, fake, clock=lambda: now[0])  # type: ignore[arg-type]
        for offset, reads in ((0, 1), (1, 1), (5.0, 1), (5.2, 2), (6.0, 2), (7.1, 2), (7.3, 3)):
            now[0] = start + offset
            if offset >= 5.2:
                fake.expires = "2026-01-01T00:00:00Z"  # already expired when read: only the 2 s guard holds
            surveys = inventory.surveys()
            assert fake.reads == reads, offset
            assert [s["SurveyID"] for s in surveys] == [1]
        assert store.on_recontact_list(7, "C024") and not store.on_recontact_list(7, "C025")
        first = fake.pages[:3]
        assert first == [(7, None, 10_000), (7, "C009", 10_000), (7, "C019", 10_000)]
    finally:
        store.close()


class FakeMemberApi:
    """Member management v2 from memory: answers scripted per call, and when each write came."""

    def __init__(self, clock: list[float], answers: list[Answer]) -> None:
        self.clock, self.answers = clock, answers
        self.writes: list[tuple[str, str, float]] = []

    def add_member(self, body: dict[str, Any]) -> Answer:
        self.writes.append(("POST", body["MemberCode"], self.clock[0]))
        return self.answers.pop(0)

    def update_member(self, body: dict[str, Any]) -> Answer:
        self.writes.append(("PUT", body["MemberCode"], self.clock[0]))
        return self.answers.pop(0)


def test_a_write_refused_as_too_soon_is_repeated_and_an_existing_member_is_put_after_the_gap(tmp_path: Path) -> None:
    clock = [1000.0]
    too_soon = Answer(409, {"Message": "Duplicate request: written less than 1000 ms apart"}, "")
    exists = Answer(
        409, {"Message": "An IP Member ... already exists. To update a Member, please use the PUT verb."}, ""
    )
    api = FakeMemberApi(clock, [too_soon, exists, Answer(200, None, "")])
    store = Store(tmp_path / "p.db")
    try:
        ivy = next(p for p in fp_members.load_panelists(fp_members.PANELISTS_CSV, date(2026, 1, 1)) if p.id == "RP-IVY")
        store.import_members([ivy], [], [])
        config = Config("http://t", "http://t", "http://t", "guid", "key")

        def sleep(seconds: float) -> None:
            clock[0] += seconds

        registrar = Registrar(config, store, api, fp_members.load_mapping(), clock=lambda: clock[0], sleep=sleep)  # type: ignore[arg-type]
        report = registrar.register_all()
        assert [(m, c) for m, c, _ in api.writes] == [("POST", "RP-IVY"), ("POST", "RP-IVY"), ("PUT", "RP-IVY")]
        times = [t for _, _, t in api.writes]
        assert all(b - a >= 1.1 for a, b in itertools.pairwise(times)), times
        assert report.updated == ["RP-IVY"] and store.member("RP-IVY").registered_at is not None  # type: ignore[union-attr]
        assert registrar.register_all().added == [] and len(api.writes) == 3  # registered: never added again
    finally:
        store.close()
