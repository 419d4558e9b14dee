"""Visits and the reports read from them: a started visit opens a participation, finishing it ends both once."""

from __future__ import annotations

from datetime import timedelta

from simulator.domain import questions as q
from simulator.domain.reports import Activity
from simulator.store import Store

from .samples import PANEL, START, SURVEY, WAVE, invite, visit

NAMES = {(SURVEY, WAVE): "Contract survey"}


def start(store: Store, reference: str = "ref-1", token: str = "tok-1") -> None:
    store.members.claim_invite(invite(token))
    with store.transaction() as tx:
        store.visits.record(tx, visit(reference, token), account_group=None)


def test_a_refused_click_is_a_visit_without_a_participation(store: Store) -> None:
    store.members.claim_invite(invite("tok-1"))
    with store.transaction() as tx:
        store.visits.record(tx, visit("ref-0", "tok-1", activity="QuotaOnHold"))
    assert store.visits.get("ref-0") == visit("ref-0", "tok-1", activity="QuotaOnHold")
    assert store.visits.started("tok-1") is None
    assert store.members.invite("tok-1") == (invite("tok-1"), False)  # the link is still good
    assert store.members.survey_counts(PANEL, SURVEY, WAVE)[(SURVEY, WAVE)][0] == 1


def test_a_started_visit_is_found_by_link_reference_and_member(store: Store) -> None:
    store.members.claim_invite(invite("tok-1"))
    with store.transaction() as tx:
        store.visits.record(tx, visit("ref-0", "tok-1", activity="QuotaOnHold"))
        store.visits.record(tx, visit("ref-1", "tok-1"))
    started = store.visits.started("tok-1")
    assert started is not None and started.reference_id == "ref-1" and started.open
    assert [v.reference_id for v in store.visits.of_link("tok-1")] == ["ref-0", "ref-1"]
    assert [v.reference_id for v in store.visits.for_member(PANEL, "M-A")] == ["ref-0", "ref-1"]
    assert store.visits.for_member(PANEL, "M-B") == [] and store.visits.get("nope") is None


def test_a_visit_is_finished_once(store: Store) -> None:
    start(store)
    at = START + timedelta(minutes=12)
    with store.transaction() as tx:
        assert store.visits.finish(tx, "ref-1", "complete", q.QUALIFIED, "Qualified", at, "qualified") is True
    with store.transaction() as tx:
        assert store.visits.finish(tx, "ref-1", "terminate", q.TERMINATED, "Terminated", at, "terminate") is False
    done = store.visits.get("ref-1")
    assert done is not None and (done.outcome, done.finished_at, done.end_page) == ("complete", at, "qualified")
    assert not done.open
    assert store.members.survey_counts(PANEL, SURVEY, WAVE)[(SURVEY, WAVE)] == (2, 1, 1)


def test_report_rows_follow_participations_and_their_visits(store: Store) -> None:
    start(store)
    rows = store.reports.rows(PANEL, lambda s, w: NAMES.get((s, w)), member_code="M-A")
    assert [(r.status_id, r.reference_id) for r in rows] == [(q.TERMINATED, None), (q.STARTED, "ref-1")]
    assert rows[1].additional_data == "ad" and rows[1].survey_name == "Contract survey"
    at = START + timedelta(minutes=5)
    with store.transaction() as tx:
        store.visits.finish(tx, "ref-1", "complete", q.QUALIFIED, "Qualified", at, "qualified")
    [row] = store.reports.rows(PANEL, lambda s, w: None, waves={(SURVEY, WAVE)}, member_code="M-A")[1:]
    assert (row.status_id, row.status, row.event_at) == (q.QUALIFIED, "Qualified", at)
    assert store.reports.rows(PANEL, lambda s, w: None, waves={(SURVEY, 999)}) == []


def test_activities_list_a_members_visits_of_some_waves(store: Store) -> None:
    start(store)
    [activity] = store.reports.activities(PANEL, "M-A", {(SURVEY, WAVE)})
    assert activity == Activity("Success", None, START, "ref-1")
    assert store.reports.activities(PANEL, "M-A", {(SURVEY, 999)}) == []
