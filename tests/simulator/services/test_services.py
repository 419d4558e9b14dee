"""The services stand on their own: built over a store with no Flask app and no HTTP, each with the collaborators
it is given. What the HTTP tests see through the routes, seen here at the seam."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.app import build_services
from simulator.domain.codes import ResultCode
from simulator.domain.errors import EsResultError, ForbiddenError
from simulator.domain.faults import FaultRule
from simulator.domain.model import Panel
from simulator.scenario.model import Scenario
from simulator.services import Services
from simulator.services.access import Access
from simulator.services.eligibility import Eligibility
from simulator.services.faults import FaultGate
from simulator.services.invites import Invites
from simulator.store import Store

#: The code the tests' fault rules force (one the decision chain would not give an eligible member).
FORCED = ResultCode.EXCLUDED_SURVEY_TAKEN


@pytest.fixture
def services(store: Store) -> Services:
    return build_services(store)


def _panel(services: Services) -> Panel:
    return services.access.panel_or_first(None)


def _eligible(services: Services, scenario: Scenario) -> tuple[str, int]:
    """A member of the first panel and a quota the decision chain lets it into now."""
    panel = _panel(services)
    for member in scenario.members:
        if member.panel_guid == panel.guid:
            found = services.eligibility.eligible(panel, member.member_code)
            if found:
                return member.member_code, found[0][1].quota_id
    raise AssertionError("the default scenario has no eligible member")


def _remaining(store: Store, quota_id: int) -> int:
    found = store.inventory.snapshot().quota(quota_id)
    assert found is not None
    return found[1].estimated_completes_remaining


def test_generate_invite_grants_an_invite_without_any_http(services: Services, default_scenario: Scenario) -> None:
    panel = _panel(services)
    member, quota = _eligible(services, default_scenario)
    opened, outcome = services.invites.generate(panel.guid, panel.api_key, member, quota)
    assert opened == panel and outcome.decision.ok and outcome.invite is not None
    assert services.invites.body(outcome, panel, "http://sandbox.test")["URL"].startswith("http://sandbox.test/")
    again = services.invites.generate(panel.guid, panel.api_key, member, quota)[1]
    assert again.invite is not None and again.invite.token == outcome.invite.token  # the same invite, no new one


def test_a_wrong_key_is_refused_before_any_decision(services: Services, default_scenario: Scenario) -> None:
    panel = _panel(services)
    member, quota = _eligible(services, default_scenario)
    with pytest.raises(ForbiddenError):
        services.invites.generate(panel.guid, "not-the-key", member, quota)


def test_the_invites_service_applies_fault_rules_and_tells_its_listener(
    store: Store, default_scenario: Scenario
) -> None:
    applied: list[FaultRule] = []
    access = Access(store, FaultGate(store, on_applied=applied.append))
    invites = Invites(store, access, Eligibility(store))
    panel = access.panel_or_first(None)
    member, quota = _eligible(build_services(store), default_scenario)
    rule = FaultRule(route="invite", result_code=FORCED, times=1)
    store.meta.add_fault(rule)
    with pytest.raises(EsResultError) as refused:
        invites.generate(panel.guid, panel.api_key, member, quota)
    assert refused.value.code is FORCED and applied == [rule]
    assert invites.generate(panel.guid, panel.api_key, member, quota)[1].decision.ok  # its one shot is used


def test_bulk_invites_force_a_code_per_quota_and_read_the_body_after_the_key(
    services: Services, default_scenario: Scenario
) -> None:
    panel = _panel(services)
    member, quota = _eligible(services, default_scenario)
    services.world.add_fault(FaultRule(route="invite", quota_id=quota, result_code=FORCED))
    read: list[str] = []

    def body() -> Any:
        read.append("read")
        return {"QuotaIDs": [quota]}

    with pytest.raises(ForbiddenError):
        services.invites.bulk(panel.guid, "not-the-key", member, body, "http://sandbox.test")
    assert read == []
    answer = services.invites.bulk(panel.guid, panel.api_key, member, body, "http://sandbox.test")
    assert answer.forced == [quota]
    assert answer.items == [{"QuotaID": quota, "Invite": None, "ResultCode": int(FORCED), "Result": FORCED.name}]


def test_an_outcome_and_its_notifications_change_together_or_not_at_all(
    services: Services, store: Store, default_scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The survey flow counts a complete, ends the visit and queues the notifications in one unit of work: when
    queueing fails, the counter and the visit are as they were."""
    panel = _panel(services)
    member, quota = _eligible(services, default_scenario)
    _, outcome = services.invites.generate(panel.guid, panel.api_key, member, quota)
    assert outcome.invite is not None
    step = services.flow.enter(outcome.invite.token, [], None, "http://sandbox.test")
    assert step.visit is not None and step.visit.open
    before = (_remaining(store, quota), store.outbox.last_id())

    def broken(*_args: object, **_kwargs: object) -> list[int]:
        raise RuntimeError("the outbox is out of order")

    monkeypatch.setattr(store.outbox, "queue", broken)
    with pytest.raises(RuntimeError):
        services.flow.finish(outcome.invite.token, "qualified", step.visit.reference_id, "http://sandbox.test")
    assert (_remaining(store, quota), store.outbox.last_id()) == before
    assert store.visits.get(step.visit.reference_id).open  # type: ignore[union-attr]
    monkeypatch.undo()
    done = services.flow.finish(outcome.invite.token, "qualified", step.visit.reference_id, "http://sandbox.test")
    assert done.notifications and _remaining(store, quota) == before[0] - 1
