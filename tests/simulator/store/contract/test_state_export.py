"""``export_state`` / ``import_state``: the whole state goes into a fresh store of any implementation and comes back
the same (members, invites, visits, counters, fault shots, the clock, the scenario's facts); the journal is not part
of it, the outbox is kept, and a document that does not fit changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from simulator.domain.clock import ClockSetting
from simulator.domain.model import Member
from simulator.scenario.model import Scenario
from simulator.store import Store

from .conftest import IMPLEMENTATIONS
from .samples import LISTED, PANEL, QUOTA, SURVEY, WAVE, entry, invite, outgoing, visit

MOVED = ClockSetting(datetime.fromisoformat("2030-02-01T08:30:00+00:00"))


def _change(store: Store) -> None:
    """Make the state differ from the scenario in every table the services write."""
    store.inventory.update_survey(SURVEY, WAVE, lambda s: setattr(s.quota(QUOTA).state, "live", False))
    store.members.put(Member(PANEL, "ADDED"))
    store.members.claim_invite(invite("tok-1"))
    with store.transaction() as tx:
        store.visits.record(tx, visit("ref-1", "tok-1"))
    [(fault_id, _)] = store.meta.faults()
    assert store.meta.consume_fault(fault_id)
    store.meta.set_clock(MOVED)
    store.journal.add(entry("/invite"))
    store.journal.flush()


@pytest.fixture
def fresh(implementation: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    path = tmp_path / "fresh"
    path.mkdir()
    s = IMPLEMENTATIONS[implementation](path, request)
    yield s
    s.close()


def test_an_exported_state_comes_back_the_same_in_a_fresh_store(store: Store, fresh: Store) -> None:
    _change(store)
    doc = json.loads(json.dumps(store.export_state()))  # JSON-able, and what a file gives back
    fresh.import_state(doc)
    quota = fresh.inventory.snapshot().survey(SURVEY, WAVE).quota(QUOTA)
    assert quota is not None and quota.state.live is False
    assert fresh.members.get(PANEL, "ADDED") == store.members.get(PANEL, "ADDED")
    assert fresh.members.count() == store.members.count()
    assert fresh.members.invite("tok-1") == store.members.invite("tok-1")
    assert fresh.visits.get("ref-1") == store.visits.get("ref-1")
    assert fresh.members.survey_counts(PANEL) == store.members.survey_counts(PANEL)
    assert fresh.recontact.page(PANEL, QUOTA, None, 100) == (LISTED, False)
    assert fresh.meta.faults() == store.meta.faults() and fresh.timeline.all() == store.timeline.all()
    assert fresh.meta.clock() == MOVED and fresh.now() == store.now()
    for key in ("scenario_name", "scenario_digest", "scenario_text", "reference", "outcome_rules"):
        assert fresh.meta.get(key) == store.meta.get(key), key
    assert fresh.journal.count() == (0, 0)  # the journal is not state
    fresh.close()


def test_an_import_replaces_the_state_keeps_the_journal_and_the_outbox(
    store: Store, fresh: Store, other: Scenario
) -> None:
    doc = store.export_state()
    fresh.load(other)
    with fresh.transaction() as tx:
        [queued] = fresh.outbox.queue(tx, [outgoing(1)])
    fresh.journal.add(entry())
    fresh.journal.flush()
    version = fresh.inventory.snapshot().version
    fresh.import_state(doc)
    snap = fresh.inventory.snapshot()
    assert snap.version > version and list(snap.panels) == list(store.inventory.snapshot().panels)
    assert fresh.meta.get("scenario_name") == "contract"
    assert fresh.journal.count()[0] == 1
    assert fresh.outbox.get(queued) is not None and fresh.outbox.carried_over() == 1
    fresh.close()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(schema=10**6), "newer"),
        (lambda d: d["tables"].update(journal={"columns": [], "rows": []}), "not state tables"),
        (lambda d: d["tables"]["members"]["columns"].append("password"), "password"),
        (lambda d: d["tables"]["members"]["rows"].append(["only one value"]), "rows["),
        (lambda d: d["tables"]["members"]["rows"].append(d["tables"]["members"]["rows"][0]), "does not fit"),
        (lambda d: d.update(clock={"frozen_at": "yesterday"}), "clock"),
    ],
)
def test_a_document_that_does_not_fit_is_refused_and_changes_nothing(store: Store, change, problem: str) -> None:
    doc = store.export_state()
    change(doc)
    store.members.put(Member(PANEL, "KEPT"))
    with pytest.raises(ValueError, match=problem.replace("[", r"\[")):
        store.import_state(doc)
    assert store.members.get(PANEL, "KEPT") is not None
