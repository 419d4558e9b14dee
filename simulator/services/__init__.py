"""The sandbox's offerings, one service each, between the HTTP layer and the domain. Each reaches state only through
the store port and gets its collaborators passed in; ``simulator.app.build_services`` builds them all."""

from __future__ import annotations

from dataclasses import dataclass

from .access import Access
from .capsules import Capsules
from .dashboard import Dashboard
from .eligibility import Eligibility
from .explain import Explain
from .faults import FaultGate
from .inventory import Inventory
from .invites import Invites
from .journal import RequestJournal
from .members import Members
from .notifications import Notifications
from .replies import Replies
from .reports import Reports
from .survey_flow import SurveyFlow
from .timeline import Timeline
from .triggers import Triggers
from .world import World


@dataclass(frozen=True, slots=True)
class Services:
    faults: FaultGate
    access: Access
    eligibility: Eligibility
    inventory: Inventory
    invites: Invites
    members: Members
    dashboard: Dashboard
    notifications: Notifications
    flow: SurveyFlow
    world: World
    timeline: Timeline
    triggers: Triggers
    explain: Explain
    journal: RequestJournal
    replies: Replies
    reports: Reports
    capsules: Capsules


__all__ = ["Services"]
