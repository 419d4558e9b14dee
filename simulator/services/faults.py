"""Fault rules applied to the partner's requests: the one place a rule is looked up, counted and carried out."""

from __future__ import annotations

import time
from collections.abc import Callable

from simulator.domain.codes import ResultCode
from simulator.domain.errors import DroppedConnectionError, EsResultError, FaultStatusError
from simulator.domain.faults import FaultRule
from simulator.store import Store


class FaultGate:
    """``on_applied`` hears of every rule carried out (the HTTP layer notes it in the request's journal entry)."""

    def __init__(self, store: Store, on_applied: Callable[[FaultRule], None]) -> None:
        self.store = store
        self.on_applied = on_applied

    def first(self, route: str, panel: str | None, member: str | None, quota: int | None) -> FaultRule | None:
        """The first fault rule that applies, with one of its shots used (counted rules run out)."""
        for fault_id, rule in self.store.inventory.snapshot().faults:
            if rule.applies(route, panel, member, quota) and self.store.meta.consume_fault(fault_id):
                return rule
        return None

    def any_for(self, route: str, panel: str) -> bool:
        """Whether a rule may apply to the route for the panel (nothing is used up)."""
        return any(rule.applies(route, panel, None, None) for _, rule in self.store.inventory.snapshot().faults)

    def apply(self, route: str, panel: str, member: str | None, quota: int | None) -> None:
        """Carry out the rule that applies, if any: wait its latency, then drop the connection, answer its HTTP
        status or its result code (each an exception), or let the request go on."""
        rule = self.first(route, panel, member, quota)
        if rule is None:
            return
        self.on_applied(rule)
        if rule.latency_ms:
            time.sleep(rule.latency_ms / 1000)
        if rule.drop_connection:
            raise DroppedConnectionError()
        if rule.http_status:
            raise FaultStatusError(rule.http_status)
        if rule.result_code is not None:
            raise EsResultError(rule.result_code, "forced by a fault rule")

    def forced_code(self, route: str, panel: str, member: str, quota: int) -> ResultCode | None:
        """For one quota of a bulk request: the result code a rule forces (its shot used), or None."""
        rule = self.first(route, panel, member, quota)
        return rule.result_code if rule is not None else None
