"""The timeline: entries fall due on the sandbox clock and each is claimed (fired) once."""

from __future__ import annotations

from datetime import timedelta

from simulator.scenario.model import Scenario
from simulator.store import Store

from .samples import OTHER_QUOTA, QUOTA, START


def test_entries_fall_due_in_time_order(store: Store) -> None:
    assert store.timeline.due(START) == []
    [(first, entry)] = store.timeline.due(START + timedelta(hours=1))
    assert (entry.quota_id, entry.change, entry.at) == (QUOTA, {"live": False}, START + timedelta(hours=1))
    due = store.timeline.due(START + timedelta(days=1))
    assert [(i, e.quota_id) for i, e in due] == [(first, QUOTA), (due[1][0], OTHER_QUOTA)]


def test_an_entry_is_claimed_once_and_then_no_longer_due(store: Store) -> None:
    now = START + timedelta(hours=1)
    [(first, _)] = store.timeline.due(now)
    assert store.timeline.claim(first, now) is True
    assert store.timeline.claim(first, now) is False
    assert store.timeline.due(now + timedelta(days=1))[0][1].quota_id == OTHER_QUOTA
    assert len(store.timeline.due(now + timedelta(days=1))) == 1


def test_all_shows_when_each_fired_and_its_result(store: Store) -> None:
    now = START + timedelta(hours=1)
    [(first, _)] = store.timeline.due(now)
    store.timeline.claim(first, now)
    store.timeline.record(first, "quota 9: live false")
    listed = store.timeline.all()
    assert [row["ID"] for row in listed][:1] == [first] and len(listed) == 2
    assert listed[0]["Result"] == "quota 9: live false" and listed[0]["FiredAt"] is not None
    assert (listed[1]["FiredAt"], listed[1]["Result"]) == (None, None)


def test_a_load_starts_the_timeline_over(store: Store, scenario: Scenario) -> None:
    now = START + timedelta(days=1)
    for entry_id, _ in store.timeline.due(now):
        assert store.timeline.claim(entry_id, now)
    assert store.timeline.due(now) == []
    store.load(scenario)
    assert len(store.timeline.due(now)) == 2
