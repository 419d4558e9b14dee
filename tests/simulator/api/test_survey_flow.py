"""The member's side, through the real server: invite URL, survey page, outcome, the partner's end page, and what
each step records (participations, quota counters, GenerateInvite's answers afterwards)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from simulator.domain.outcome_rules import choose
from simulator.domain.outcomes import OUTCOMES, REJECTIONS
from simulator.scenario.model import Scenario
from tests.support import ES, PANEL, Sandbox, click, invite, reference

END = "http://127.0.0.1:8081/toluna/end/"


def answer(url: str, outcome: str, session: requests.Session, ref: str) -> requests.Response:
    return session.post(url, data={"ref": ref, "outcome": outcome}, allow_redirects=False, timeout=30)


def query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def quota(sandbox: Sandbox, quota_id: int) -> dict:
    return sandbox.get(f"{ES}/{PANEL}/QuotaStatus/{quota_id}").json()


def test_the_survey_page_names_the_visit_and_offers_every_outcome(fresh_sandbox: Sandbox) -> None:
    page = click(invite(fresh_sandbox, "M-ANNA", 4200001))
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "3100001-US" in page.text and "15 minutes" in page.text
    assert 'id="member">M-ANNA<' in page.text and 'id="quota">4200001<' in page.text
    for o in OUTCOMES.values():
        assert f'value="{o.key}"' in page.text and o.label in page.text
    assert page.cookies.get("tsbx_visit") == reference(page)


#: The default scenario's end pages (fixtures/scenarios/default.yaml), by outcome.
PAGES = {
    "qualified": "qualified",
    "terminated": "terminate",
    "quota_full": "quotafull",
    "fraud_terminate": "fraud",
    "dfp_failure": "dfp",
    "no_surveys": "nosurveys",
    "survey_taken": "taken",
    "no_cookies": "nocookies",
    "survey_not_available": "notavailable",
    "not_qualified": "notqualified",
    "max_surveys_reached": "max",
}


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_each_outcome_ends_on_its_end_page(fresh_sandbox: Sandbox, outcome: str) -> None:
    url = invite(fresh_sandbox, "M-ANNA", 4200001)
    with requests.Session() as s:
        ref = reference(click(url + "&clickid=c-9", s))
        done = answer(url + "&clickid=c-9", outcome, s, ref)
    assert done.status_code == 302
    location = done.headers["Location"]
    assert urlsplit(location).path == f"/toluna/end/{PAGES[outcome]}"
    got = query(location)
    assert got["mc"] == ["M-ANNA"] and got["pid"] == ["M-ANNA"] and got["clickid"] == ["c-9"]
    if outcome == "qualified":
        assert got["sid"] == ["3100001"] and got["wid"] == ["900001"] and "rejectionID" not in got
    else:  # enhanced terminates are on for the default panel
        rejection = OUTCOMES[outcome].rejection
        assert got.get("rejectionID") == ([str(REJECTIONS[rejection].rejection_id)] if rejection else None)


def test_an_automated_caller_names_the_outcome_on_the_invite_url(fresh_sandbox: Sandbox) -> None:
    done = click(invite(fresh_sandbox, "M-DAN", 4200001), outcome="terminated")
    assert done.status_code == 302 and done.headers["Location"].startswith(END + "terminate")
    assert "rejectionID=99" in done.headers["Location"]


def test_a_complete_counts_in_the_matching_subquotas_the_quota_and_the_survey(fresh_sandbox: Sandbox) -> None:
    before = quota(fresh_sandbox, 4200001)
    survey = fresh_sandbox.get(f"{ES}/{PANEL}/Quotas").json()["Surveys"][0]
    assert click(invite(fresh_sandbox, "M-ANNA", 4200001), outcome="qualified").status_code == 302
    after = quota(fresh_sandbox, 4200001)
    assert after["EstimatedCompletesRemaining"] == before["EstimatedCompletesRemaining"] - 1
    completes = {
        sq["SubQuotaID"]: (b["CurrentCompletes"], sq["CurrentCompletes"])
        for layer, old in zip(after["Layers"], before["Layers"], strict=True)
        for sq, b in zip(layer["SubQuotas"], old["SubQuotas"], strict=True)
    }
    # M-ANNA: female (6400002 in layer 1) and 31 on any date before 2026-02-14 ... 30-34 or 25-29 (layer 2)
    changed = {k for k, (b, a) in completes.items() if a != b}
    assert 6400002 in changed and len(changed) == 2 and all(a == b + 1 for b, a in completes.values() if a != b)
    survey_after = fresh_sandbox.get(f"{ES}/{PANEL}/Quotas").json()["Surveys"][0]
    assert survey_after["EstimatedCompletesRemaining"] == survey["EstimatedCompletesRemaining"] - 1
    assert fresh_sandbox.invite("M-ANNA", 4200001).json() == {"Result": "SURVEY_TAKEN", "ResultCode": 38}


def test_a_used_link_and_a_restarted_one_are_refused_before_the_start(fresh_sandbox: Sandbox) -> None:
    url = invite(fresh_sandbox, "M-ANNA", 4200001)
    with requests.Session() as first:
        page = click(url, first)
        assert click(url, first).status_code == 200  # the same browser resumes its open visit
        restarted = click(url)  # another browser: Toluna does not allow a restart
        assert restarted.status_code == 302 and "rejectionID=10" in restarted.headers["Location"]
        assert answer(url, "qualified", first, reference(page)).status_code == 302
    again = click(url)
    assert again.headers["Location"].startswith(END + "taken") and "rejectionID=4" in again.headers["Location"]


@pytest.mark.parametrize(
    ("change", "page", "rejection"),
    [
        (("quotas/4200001", {"live": False}), "notavailable", 11),
        (("surveys/3100001", {"status": "closed"}), "notavailable", 9001),
        (("quotas/4200001", {"EstimatedCompletesRemaining": 0}), "quotafull", 9003),
    ],
)
def test_a_click_after_the_world_moved_is_a_pre_start_rejection(
    fresh_sandbox: Sandbox, change: tuple[str, dict], page: str, rejection: int
) -> None:
    url = invite(fresh_sandbox, "M-ANNA", 4200001)
    fresh_sandbox.control("PUT", change[0], json=change[1]).raise_for_status()
    refused = click(url + "&clickid=z")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith(END + page)
    assert query(refused.headers["Location"])["rejectionID"] == [str(rejection)]
    assert query(refused.headers["Location"])["clickid"] == ["z"]


def test_without_enhanced_terminates_end_pages_carry_no_rejection(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.control("PUT", f"panels/{PANEL}", json={"enhanced_terminates": False}).raise_for_status()
    url = invite(fresh_sandbox, "M-ANNA", 4200001)
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": False}).raise_for_status()
    assert "rejectionID" not in click(url).headers["Location"]


def test_the_daily_limit_at_click_time_ends_on_max_surveys_reached(fresh_sandbox: Sandbox) -> None:
    url = invite(fresh_sandbox, "M-CARA", 4200001)
    for _ in range(5):
        fresh_sandbox.control(
            "POST", "participations", json={"member": "M-CARA", "survey": 3100002, "status": "qualified"}
        ).raise_for_status()
    refused = click(url)
    assert refused.headers["Location"].startswith(END + "max") and "rejectionID=2" in refused.headers["Location"]


def test_a_filled_quota_leaves_get_quotas_and_refuses_invites(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.control("PUT", "quotas/4200001", json={"EstimatedCompletesRemaining": 1}).raise_for_status()
    url = invite(fresh_sandbox, "M-ANNA", 4200001)
    assert click(url, outcome="qualified").headers["Location"].startswith(END + "qualified")
    listed = {q["QuotaID"] for s in fresh_sandbox.get(f"{ES}/{PANEL}/Quotas").json()["Surveys"] for q in s["Quotas"]}
    assert 4200001 not in listed
    assert fresh_sandbox.invite("M-DAN", 4200001).json()["ResultCode"] == 28


def test_parallel_completes_never_overshoot(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.control("PUT", "quotas/4200001", json={"EstimatedCompletesRemaining": 3}).raise_for_status()
    members = [f"GEN-{i:06d}" for i in range(60)]
    urls = [r.json()["URL"] for r in (fresh_sandbox.invite(m, 4200001) for m in members) if r.status_code == 200]
    assert len(urls) >= 8
    urls = urls[:8]
    with requests.Session() as s:
        refs = [reference(click(u, s)) for u in urls]  # eight members in the survey at once

    def complete(pair: tuple[str, str]) -> str:
        with requests.Session() as own:
            return answer(pair[0], "qualified", own, pair[1]).headers["Location"]

    with ThreadPoolExecutor(8) as pool:
        ends = list(pool.map(complete, zip(urls, refs, strict=True)))
    assert sum(e.startswith(END + "qualified") for e in ends) == 3
    assert sum(e.startswith(END + "quotafull") for e in ends) == 5
    assert quota(fresh_sandbox, 4200001)["EstimatedCompletesRemaining"] == 0


def test_auto_routing_sends_a_refused_member_to_another_survey(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.control("PUT", f"panels/{PANEL}", json={"auto_routing": True}).raise_for_status()
    url = invite(fresh_sandbox, "M-DAN", 4200001)
    fresh_sandbox.control("PUT", "quotas/4200001", json={"live": False}).raise_for_status()
    routed = click(url + "&clickid=r1")
    location = routed.headers["Location"]
    assert routed.status_code == 302 and "/TrafficUI/MSCUI/Page.aspx?pgtid=20&od=" in location
    assert query(location)["clickid"] == ["r1"]  # the partner's parameters travel with the member
    done = click(location, outcome="qualified")
    assert done.headers["Location"].startswith(END + "qualified")
    assert query(done.headers["Location"])["sid"] != ["3100001"]


def test_tracker_waves_are_separate_participations(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.control("PUT", "surveys/3100004", json={"status": "open", "WaveID": 900041}).raise_for_status()
    click(invite(fresh_sandbox, "M-ANNA", 4200041), outcome="qualified")
    assert fresh_sandbox.invite("M-ANNA", 4200041).json()["ResultCode"] == 38
    assert fresh_sandbox.invite("M-ANNA", 4200042).status_code == 200  # wave 2 is another survey


def test_unknown_links_and_outcomes(fresh_sandbox: Sandbox) -> None:
    missing = requests.get(f"{fresh_sandbox.base_url}/TrafficUI/MSCUI/Page.aspx?pgtid=20&od=nope", timeout=30)
    assert missing.status_code == 404 and "Unknown invite" in missing.text
    bad = click(invite(fresh_sandbox, "M-ANNA", 4200001), outcome="maybe")
    assert bad.status_code == 400 and "qualified" in bad.text


def test_an_end_page_the_panel_lacks_is_the_sandbox_own_page(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.control("PUT", f"panels/{PANEL}", json={"settings": {"No Cookies URL": None}}).raise_for_status()
    done = click(invite(fresh_sandbox, "M-ANNA", 4200001), outcome="no_cookies")
    assert done.status_code == 200 and "No Cookies URL" in done.text


def test_the_journal_records_entries_and_outcomes(fresh_sandbox: Sandbox) -> None:
    click(invite(fresh_sandbox, "M-ANNA", 4200001), outcome="quota_full")
    entries = fresh_sandbox.control("GET", "journal", params={"route": "survey_entry"}).json()["Entries"]
    assert [(e["member_code"], e["quota_id"], e["status"]) for e in entries] == [("M-ANNA", 4200001, 302)]
    assert "outcome Quota Full" in entries[0]["note"]


def test_outcome_auto_follows_the_scenario_outcome_rules(fresh_sandbox: Sandbox, default_scenario: Scenario) -> None:
    pages = {"qualified": "qualified", "terminated": "terminate", "quota_full": "quotafull"}
    seen = set()
    for i in range(60):
        member = f"GEN-{i:06d}"
        resp = fresh_sandbox.invite(member, 4200001)
        if resp.status_code != 200:
            continue
        expected = choose(default_scenario.outcome_rules, member, 3100001, 4200001)
        done = click(resp.json()["URL"], outcome="auto")
        assert done.status_code == 302 and done.headers["Location"].startswith(END + pages[expected]), member
        seen.add(expected)
    assert len(seen) >= 2  # the rule's shares, not one outcome for everyone
    elsewhere = click(invite(fresh_sandbox, "M-ANNA", 4200003), outcome="auto")  # the general rule: qualified
    assert elsewhere.headers["Location"].startswith(END + "qualified")
