"""The timeline: entries fall due on the sandbox clock and each is claimed (fired) once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from simulator.domain.clock import ClockSetting
from simulator.scenario.model import Scenario
from simulator.store import Store

from .samples import OTHER_QUOTA, QUOTA, START


def test_entries_fall_due_in_time_order(store: Store) -> None:
    assert store.timeline.due(START) == []
    [(first, entry)] = store.timeline.due(START + timedelta(hours=1))
    assert (entry.quota_id, entry.change, entry.at) == (QUOTA, {"live": False}, START + timedelta(hours=1))
    due = store.timeline.due(START + timedelta(days=1))
    assert [(i, e.quota_id) for i, e in due] == [(first, QUOTA), (due[1][0], OTHER_QUOTA)]


def at(store: Store, now: datetime) -> datetime:
    """The store's clock frozen at ``now``: claims read the clock themselves."""
    store.meta.set_clock(ClockSetting(frozen_at=now))
    return now


def test_an_entry_is_claimed_once_and_then_no_longer_due(store: Store) -> None:
    now = at(store, START + timedelta(hours=1))
    [(first, entry)] = store.timeline.due(now)
    assert store.timeline.claim(first, entry) == now
    assert store.timeline.claim(first, entry) is None
    assert store.timeline.due(now + timedelta(days=1))[0][1].quota_id == OTHER_QUOTA
    assert len(store.timeline.due(now + timedelta(days=1))) == 1


def test_an_entry_the_store_clock_has_not_reached_is_not_claimed(store: Store) -> None:
    """A worker that read a later clock (before a load froze it earlier) fires nothing the clock has not reached."""
    later = START + timedelta(days=1)
    due = store.timeline.due(later)
    assert len(due) == 2 and store.meta.clock().now() == START
    assert [store.timeline.claim(i, e) for i, e in due] == [None, None]
    at(store, START + timedelta(hours=1))
    assert store.timeline.claim(*due[0]) == START + timedelta(hours=1)
    assert store.timeline.claim(*due[1]) is None


def test_an_entry_replaced_by_a_load_is_not_claimed_under_its_old_id(store: Store, scenario: Scenario) -> None:
    now = at(store, START + timedelta(days=1))
    stale = store.timeline.due(now)
    store.load(replace(scenario, timeline=[replace(e, change={"live": True}) for e in scenario.timeline]))
    at(store, now)
    assert [store.timeline.claim(i, e) for i, e in stale] == [None, None]
    assert [store.timeline.claim(i, e) for i, e in store.timeline.due(now)] == [now, now]


def test_all_shows_when_each_fired_and_its_result(store: Store) -> None:
    now = at(store, START + timedelta(hours=1))
    [(first, entry)] = store.timeline.due(now)
    store.timeline.claim(first, entry)
    store.timeline.record(first, "quota 9: live false")
    listed = store.timeline.all()
    assert [row["ID"] for row in listed][:1] == [first] and len(listed) == 2
    assert listed[0]["Result"] == "quota 9: live false" and listed[0]["FiredAt"] is not None
    assert (listed[1]["FiredAt"], listed[1]["Result"]) == (None, None)


def test_a_load_starts_the_timeline_over(store: Store, scenario: Scenario) -> None:
    now = at(store, START + timedelta(days=1))
    for entry_id, entry in store.timeline.due(now):
        assert store.timeline.claim(entry_id, entry)
    assert store.timeline.due(now) == []
    store.load(scenario)
    assert len(store.timeline.due(now)) == 2
