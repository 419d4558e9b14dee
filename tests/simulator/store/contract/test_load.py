"""``load``: a scenario replaces the whole state at once; the outbox is kept and a new run of it starts; the
journal goes only when asked."""

from __future__ import annotations

from datetime import datetime

from simulator.domain.clock import ClockSetting
from simulator.domain.model import Member
from simulator.scenario.model import Scenario
from simulator.store import Store

from .samples import LISTED, OTHER_PANEL, PANEL, QUOTA, SURVEY, entry, invite, outgoing, visit


def test_a_load_replaces_panels_surveys_members_and_everything_they_own(store: Store, other: Scenario) -> None:
    store.members.claim_invite(invite("tok-1"))
    with store.transaction() as tx:
        store.visits.record(tx, visit("ref-1", "tok-1"))
    version = store.inventory.snapshot().version
    store.load(other)
    snap = store.inventory.snapshot()
    assert snap.version > version
    assert list(snap.panels) == [OTHER_PANEL]
    assert [(s.survey_id, s.wave_id) for ss in snap.surveys.values() for s in ss] == [(70, 80)]
    assert sorted(snap.quotas) == [90] and store.inventory.survey_of_quota(QUOTA) is None
    assert store.inventory.waves(SURVEY) == []
    assert store.members.count() == 1 and store.members.get(PANEL, "M-A") is None
    assert store.members.get(OTHER_PANEL, "O-1") is not None
    assert store.members.survey_counts(PANEL) == {}
    assert store.members.invite("tok-1") is None and store.visits.get("ref-1") is None
    assert store.recontact.page(PANEL, QUOTA, None, 10) == ([], False)
    assert store.recontact.quotas_with_members(OTHER_PANEL) == {90}
    assert store.meta.faults() == [] and store.timeline.all() == []
    assert store.meta.clock() == ClockSetting(datetime.fromisoformat("2031-06-01T12:00:00+00:00"))
    assert store.now() == datetime.fromisoformat("2031-06-01T12:00:00+00:00")
    assert (store.meta.get("scenario_name"), store.meta.get("scenario_source")) == ("other", "other.yaml")
    assert store.meta.get("scenario_digest") == other.digest and store.meta.get("scenario_text") == other.text


def test_loading_the_same_scenario_again_starts_it_over(store: Store, scenario: Scenario) -> None:
    store.inventory.update_survey(SURVEY, 8, lambda s: setattr(s, "estimated_completes_remaining", 0))
    store.members.put(Member(PANEL, "NEW"))
    store.meta.clear_faults()
    store.load(scenario)
    survey = store.inventory.snapshot().survey(SURVEY, 8)
    assert survey is not None and survey.estimated_completes_remaining == 10
    assert store.members.get(PANEL, "NEW") is None and store.members.count(PANEL) == 2
    assert len(store.meta.faults()) == 1
    assert store.recontact.page(PANEL, QUOTA, None, 100) == (LISTED, False)


def test_a_load_keeps_the_outbox_and_starts_a_new_run(store: Store, other: Scenario) -> None:
    with store.transaction() as tx:
        delivered, pending = store.outbox.queue(tx, [outgoing(1), outgoing(2)])
    [first] = store.outbox.claim("w", limit=1)
    assert store.outbox.record(first, "w", 200, None, 1.0, "ok")
    store.load(other)
    assert store.outbox.get(delivered)["Status"] == "delivered"
    assert store.outbox.pending() == 0 and store.outbox.carried_over() == 1
    assert store.outbox.list() == []  # the new run has none yet
    assert [n["ID"] for n in store.outbox.list(after=0)] == [delivered, pending]
    [claimed] = store.outbox.claim("w")  # what was pending is still delivered
    assert (claimed.id, claimed.url, claimed.body) == (pending, "http://partner.test/notify/2", '{"n": 2}')
    with store.transaction() as tx:
        [new] = store.outbox.queue(tx, [outgoing(3)])
    assert new > pending and store.outbox.last_id() == new
    assert [n["ID"] for n in store.outbox.list()] == [new] and store.outbox.pending() == 1


def test_a_load_keeps_the_journal_unless_asked_to_clear_it(store: Store, other: Scenario) -> None:
    store.journal.add(entry("/kept"))
    store.load(other)
    assert [e.path for e in store.journal.query()] == ["/kept"]
    store.journal.add(entry("/queued-just-before"))
    store.load(other, clear_journal=True)
    assert store.journal.query() == [] and store.journal.count()[0] == 0
