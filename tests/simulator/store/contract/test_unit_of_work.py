"""The unit of work: what is written in one ``store.transaction()`` lands together or not at all, and
``after_commit`` callbacks run only once it has landed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.domain import questions as q
from simulator.domain.model import Participation, Survey
from simulator.store import Store, Transaction

from .samples import PANEL, QUOTA, START, SURVEY, WAVE, invite, outgoing, visit


class Boom(Exception):
    pass


def spend_one(s: Survey) -> None:
    s.estimated_completes_remaining -= 1


def remaining(store: Store) -> int:
    survey = store.inventory.snapshot().survey(SURVEY, WAVE)
    assert survey is not None
    return survey.estimated_completes_remaining


def write_everything(store: Store, tx: Transaction) -> tuple[Survey, Survey]:
    """A start as the services write it: visit (and its participation), another participation, a counter, a
    notification, a recontact code."""
    store.visits.record(tx, visit("ref-1", "tok-1"))
    store.members.add_participations(tx, [(Participation(PANEL, "M-B", SURVEY, WAVE, q.QUALIFIED, START), None)])
    changed = store.inventory.update_survey(SURVEY, WAVE, spend_one, tx)
    store.outbox.queue(tx, [outgoing(1)])
    store.recontact.add(tx, PANEL, QUOTA, ["NEW-CODE"])
    return changed


def test_a_transaction_that_raises_leaves_nothing_behind(store: Store) -> None:
    store.members.claim_invite(invite("tok-1"))
    version, signal, last = store.inventory.snapshot().version, store.outbox.signal, store.outbox.last_id()
    counts = store.members.survey_counts(PANEL, SURVEY, WAVE)
    ran: list[str] = []
    with pytest.raises(Boom), store.transaction() as tx:
        write_everything(store, tx)
        store.after_commit(lambda: ran.append("committed"))
        raise Boom
    assert store.visits.get("ref-1") is None and store.visits.of_link("tok-1") == []
    assert store.members.survey_counts(PANEL, SURVEY, WAVE) == counts
    assert store.members.invite("tok-1") == (invite("tok-1"), False)  # the start did not use the link
    assert remaining(store) == 10 and store.inventory.snapshot().version == version
    assert store.outbox.pending() == 0 and store.outbox.last_id() == last and store.outbox.signal == signal
    assert not store.recontact.listed(PANEL, QUOTA, "NEW-CODE")
    assert ran == []


def test_a_committed_transaction_lands_whole_and_then_runs_its_callbacks(store: Store) -> None:
    store.members.claim_invite(invite("tok-1"))
    version, signal = store.inventory.snapshot().version, store.outbox.signal
    seen: list[object] = []
    with store.transaction() as tx:
        before, after = write_everything(store, tx)
        store.after_commit(lambda: seen.append(store.visits.get("ref-1") is not None))
        store.after_commit(lambda: seen.append(remaining(store)))
        assert seen == []  # not before the commit
    assert seen == [True, 9]  # in the order given, seeing the committed state
    assert (before.estimated_completes_remaining, after.estimated_completes_remaining) == (10, 9)
    assert store.inventory.snapshot().version > version
    started, completes, _ = store.members.survey_counts(PANEL, SURVEY, WAVE)[(SURVEY, WAVE)]
    assert (started, completes) == (3, 1)  # the scenario's participation, the visit's, the one added
    assert store.members.invite("tok-1") == (invite("tok-1"), True)
    assert store.outbox.pending() == 1 and store.outbox.signal != signal
    assert store.recontact.listed(PANEL, QUOTA, "NEW-CODE")


def test_a_callback_of_a_rolled_back_transaction_never_runs_not_even_at_the_next_commit(store: Store) -> None:
    ran: list[str] = []
    with pytest.raises(Boom), store.transaction():
        store.after_commit(lambda: ran.append("first"))
        raise Boom
    with store.transaction() as tx:
        store.outbox.queue(tx, [outgoing(1)])
        store.after_commit(lambda: ran.append("second"))
    assert ran == ["second"]


def test_a_transaction_reads_its_own_writes(store: Store) -> None:
    with store.transaction() as tx:
        store.visits.record(tx, visit("ref-1", "tok-1"))
        [nid] = store.outbox.queue(tx, [outgoing(1)])
        assert store.visits.get("ref-1") is not None
        assert store.outbox.get(nid) is not None


def test_a_write_given_no_transaction_is_its_own_unit_of_work(store: Store) -> None:
    with pytest.raises(Boom), store.transaction():
        raise Boom
    before, after = store.inventory.update_survey(SURVEY, WAVE, spend_one)
    assert after.estimated_completes_remaining == before.estimated_completes_remaining - 1 == remaining(store)


def test_transaction_writes_accept_the_handle_by_the_ports_keyword(store: Store) -> None:
    with store.transaction() as tx:
        store.inventory.update_survey(SURVEY, WAVE, spend_one, tx=tx)
        store.meta.set_clock(store.meta.clock(), tx=tx)
        store.inventory.replace_reference(store.inventory.snapshot().reference, tx=tx)
        store.outbox.queue(tx=tx, items=[outgoing(1)])
        store.visits.record(tx=tx, v=visit("ref-1", "tok-1"))
        done = store.visits.finish(
            tx=tx, reference_id="ref-1", outcome="complete", status_id=q.QUALIFIED, status="Qualified",
            at=START + timedelta(minutes=30), page="end",
        )  # fmt: skip
        store.members.add_participations(tx=tx, items=[])
        store.recontact.add(tx=tx, panel_guid=PANEL, quota_id=QUOTA, codes=["K"])
    assert done and remaining(store) == 9 and store.recontact.listed(PANEL, QUOTA, "K")
