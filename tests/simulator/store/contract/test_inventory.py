"""Inventory: the parsed snapshot of one state version, and the changes that make a new one."""

from __future__ import annotations

import pytest

from simulator.domain.model import Panel, Survey
from simulator.domain.reference import Answer, Culture, Question, ReferenceData
from simulator.store import Store

from .samples import LAST_WAVE, LAST_WAVE_QUOTA, OTHER_QUOTA, PANEL, QUOTA, SECOND_PANEL, SURVEY, WAVE


def close(s: Survey) -> None:
    s.state.status = "closed"
    s.quotas[0].estimated_completes_remaining = 0


def test_the_snapshot_holds_the_loaded_inventory(store: Store) -> None:
    snap = store.inventory.snapshot()
    assert list(snap.panels) == [PANEL, SECOND_PANEL]
    assert [(s.survey_id, s.wave_id) for s in snap.surveys_for("EN-US")] == [(SURVEY, WAVE), (SURVEY, LAST_WAVE)]
    assert sorted(snap.quotas) == [QUOTA, OTHER_QUOTA, LAST_WAVE_QUOTA]
    found = snap.quota(OTHER_QUOTA)
    assert found is not None and (found[0].wave_id, found[1].quota_id) == (WAVE, OTHER_QUOTA)
    last = snap.survey(SURVEY)
    assert last is not None and last.wave_id == LAST_WAVE  # a tracker's current wave is the last one listed


def test_an_unchanged_state_gives_the_same_snapshot(store: Store) -> None:
    first = store.inventory.snapshot()
    assert store.inventory.snapshot() is first


def test_update_survey_gives_before_and_after_and_a_new_snapshot_shows_it(store: Store) -> None:
    old = store.inventory.snapshot()
    before, after = store.inventory.update_survey(SURVEY, WAVE, close)
    assert (before.state.status, before.quotas[0].estimated_completes_remaining) == ("open", 10)
    assert (after.state.status, after.quotas[0].estimated_completes_remaining) == ("closed", 0)
    new = store.inventory.snapshot()
    assert new.version > old.version
    changed = new.survey(SURVEY, WAVE)
    assert changed is not None and changed.state.status == "closed"
    assert new.quotas[QUOTA][1].estimated_completes_remaining == 0  # the quota index follows the survey
    untouched = new.survey(SURVEY, LAST_WAVE)
    assert untouched is not None and untouched.state.status == "open"


def test_update_survey_of_an_unknown_wave_is_a_key_error_and_changes_nothing(store: Store) -> None:
    version = store.inventory.snapshot().version
    with pytest.raises(KeyError):
        store.inventory.update_survey(SURVEY, 999, close)
    with pytest.raises(KeyError):
        store.inventory.update_survey(999, WAVE, close)
    assert store.inventory.snapshot().version == version


def test_a_pinned_thread_keeps_its_snapshot_until_unpinned(store: Store) -> None:
    store.inventory.pin()
    try:
        pinned = store.inventory.snapshot()
        store.inventory.update_survey(SURVEY, WAVE, close)
        assert store.inventory.snapshot() is pinned
    finally:
        store.inventory.unpin()
    fresh = store.inventory.snapshot().survey(SURVEY, WAVE)
    assert fresh is not None and fresh.state.status == "closed"


def test_update_panel_changes_it_for_the_next_snapshot(store: Store) -> None:
    def limit(p: Panel) -> None:
        p.daily_complete_limit = 1
        p.settings["Qualified URL"] = "http://partner.test/q"

    panel = store.inventory.update_panel(SECOND_PANEL, limit)
    assert panel.daily_complete_limit == 1
    stored = store.inventory.snapshot().panels[SECOND_PANEL]
    assert (stored.daily_complete_limit, stored.settings["Qualified URL"]) == (1, "http://partner.test/q")
    assert store.inventory.snapshot().panels[PANEL].daily_complete_limit == 5


def test_update_panel_of_an_unknown_panel_is_a_key_error(store: Store) -> None:
    with pytest.raises(KeyError):
        store.inventory.update_panel("00000000-0000-0000-0000-000000000000", lambda p: None)


def test_waves_and_the_survey_of_a_quota(store: Store) -> None:
    assert sorted(store.inventory.waves(SURVEY)) == [WAVE, LAST_WAVE]
    assert store.inventory.waves(999) == []
    assert store.inventory.survey_of_quota(LAST_WAVE_QUOTA) == (SURVEY, LAST_WAVE)
    assert store.inventory.survey_of_quota(12345) is None


def test_replaced_reference_data_is_in_the_next_snapshot(store: Store) -> None:
    question = Question(2001, 1, "Pets", "Do you have pets?", "SingleSelect", True, (Answer(3001, "Yes"),))
    data = ReferenceData([Culture(1, "en-us", "English (US)", "US")], {1: {2001: question}}, {"DeviceTypes": []})
    store.inventory.replace_reference(data)
    assert store.inventory.snapshot().reference == data
