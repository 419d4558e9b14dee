"""Sandbox-wide facts: the clock (``now()`` follows it), fault rules and their shots, idempotency replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simulator.domain.clock import ClockSetting
from simulator.domain.codes import ResultCode
from simulator.domain.faults import FaultRule
from simulator.store import Store

from .samples import START


def test_the_clock_is_the_scenarios_and_now_follows_a_new_setting(store: Store) -> None:
    assert store.meta.clock() == ClockSetting(START) and store.now() == START
    later = START + timedelta(days=3)
    store.meta.set_clock(ClockSetting(later))
    assert store.meta.clock() == ClockSetting(later)
    assert store.now() == later and store.inventory.snapshot().clock == ClockSetting(later)
    store.meta.set_clock(ClockSetting(None, offset_seconds=-86_400.0))
    drift = store.now() - (datetime.now(UTC) - timedelta(days=1))
    assert abs(drift.total_seconds()) < 5


def test_a_clock_set_inside_a_transaction_is_seen_after_the_commit(store: Store) -> None:
    assert store.now() == START  # a snapshot of the old clock is in hand
    later = START + timedelta(hours=5)
    with store.transaction() as tx:
        store.meta.set_clock(ClockSetting(later), tx)
    assert store.meta.clock() == ClockSetting(later)
    assert store.now() == later


def test_fault_rules_are_added_listed_removed_and_cleared(store: Store) -> None:
    [(loaded, rule)] = store.meta.faults()
    assert (rule.route, rule.member_code, rule.result_code, rule.times) == ("invite", "M-A", 36, 2)
    added = FaultRule(route="quotas", panel_guid="p", http_status=503, latency_ms=20)
    new = store.meta.add_fault(added)
    assert new != loaded and store.meta.faults() == [(loaded, rule), (new, added)]
    assert store.inventory.snapshot().faults == [(loaded, rule), (new, added)]
    assert store.meta.remove_fault(loaded) is True and store.meta.remove_fault(loaded) is False
    assert store.meta.faults() == [(new, added)]
    store.meta.add_fault(FaultRule(result_code=ResultCode.TECHNICAL_ERROR))
    store.meta.clear_faults()
    assert store.meta.faults() == [] and store.inventory.snapshot().faults == []


def test_a_counted_rule_has_its_shots_and_then_is_gone(store: Store) -> None:
    [(counted, _)] = store.meta.faults()
    assert store.meta.consume_fault(counted) is True
    assert store.meta.consume_fault(counted) is True
    assert store.meta.consume_fault(counted) is False
    assert store.meta.faults() == [] and store.inventory.snapshot().faults == []
    always = store.meta.add_fault(FaultRule(route="invite"))
    assert all(store.meta.consume_fault(always) for _ in range(5))
    assert [i for i, _ in store.meta.faults()] == [always]


def test_an_idempotency_key_is_claimed_once_then_answered(store: Store) -> None:
    assert store.meta.reply("k") is None
    assert store.meta.claim_reply("k") is True
    assert store.meta.claim_reply("k") is False  # another call holds it
    assert store.meta.reply("k") == (store.meta.PENDING, "", b"")
    store.meta.remember_reply("k", 201, "application/json", b'{"ID": 1}')
    assert store.meta.reply("k") == (201, "application/json", b'{"ID": 1}')
    store.meta.forget_reply("k")  # an answer given stays
    assert store.meta.reply("k") == (201, "application/json", b'{"ID": 1}') and not store.meta.claim_reply("k")


def test_a_forgotten_key_can_be_claimed_again_and_an_unclaimed_one_keeps_no_answer(store: Store) -> None:
    assert store.meta.claim_reply("k")
    store.meta.forget_reply("k")
    assert store.meta.reply("k") is None and store.meta.claim_reply("k")
    store.meta.remember_reply("never-claimed", 200, "text/plain", b"x")
    assert store.meta.reply("never-claimed") is None


def test_the_loaded_scenario_is_named_in_meta(store: Store) -> None:
    assert store.meta.get("scenario_name") == "contract" and store.meta.get("scenario_source") == "contract.yaml"
    assert store.meta.get("no-such-key") is None
