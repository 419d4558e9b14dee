"""The store port: what the services may ask of the sandbox's storage, whatever keeps it.

Services hold a ``Store`` and never see how it stores anything: no SQL, no connection, no lock. What must change
together (a quota counter, the visit and participation that counted it, and the notifications the change calls for)
changes inside one ``store.transaction()``: the unit of work. Its handle, a ``Transaction``, is opaque; a service only
passes it on to the repository writes that belong to the same unit of work. A write given no transaction is a unit
of work of its own.

Reads see committed state (inside a transaction, that transaction's own writes too). ``inventory.snapshot()`` is the
parsed inventory of one state version, cached per process and re-read when any process changes the state.

An implementation (``simulator.store.sqlite`` and ``simulator.store.postgres``, both the repositories of
``simulator.store.sql`` over an engine of their own) provides every method here and passes the contract tests in
``tests/simulator/store/contract``; ``open_store`` picks one by the location it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from simulator.domain.clock import ClockSetting
from simulator.domain.decisions import History
from simulator.domain.faults import FaultRule
from simulator.domain.model import Invite, Member, Panel, Participation, Survey, Visit
from simulator.domain.reference import ReferenceData
from simulator.domain.reports import Activity, Row
from simulator.scenario.model import Scenario

from .records import Claimed, Entry, Limits, Outgoing, Pruned, Snapshot


class Transaction(Protocol):
    """An open unit of work (opaque: only the store that opened it looks inside)."""


class InventoryRepo(Protocol):
    def pin(self) -> None:
        """Keep this thread on one snapshot until ``unpin`` (one request sees one state)."""

    def unpin(self) -> None: ...

    def snapshot(self) -> Snapshot: ...

    def update_survey(
        self, survey_id: int, wave_id: int, change: Callable[[Survey], None], tx: Transaction | None = None
    ) -> tuple[Survey, Survey]:
        """The wave before and after ``change``; a ``KeyError`` when there is no such wave."""

    def waves(self, survey_id: int) -> list[int]: ...

    def survey_of_quota(self, quota_id: int) -> tuple[int, int] | None: ...

    def update_panel(self, guid: str, change: Callable[[Panel], None]) -> Panel:
        """The panel after ``change``; a ``KeyError`` when there is no such panel."""

    def replace_reference(self, data: ReferenceData, tx: Transaction | None = None) -> None: ...


class MembersRepo(Protocol):
    def get(self, panel_guid: str, member_code: str) -> Member | None: ...

    def count(self, panel_guid: str | None = None) -> int: ...

    def put(self, member: Member) -> None: ...

    def write(self, member: Member, *, create: bool, wall: float, gap: float = 1.0) -> str:
        """A partner's write under Toluna's rule of one write per member per ``gap`` seconds: ``"written"``,
        ``"exists"`` (create, but the member is there), ``"missing"`` (update, but it is not) or ``"too_soon"``."""

    def add_participations(self, tx: Transaction, items: Iterable[tuple[Participation, str | None]]) -> None: ...

    def claim_invite(self, invite: Invite) -> Invite | None:
        """Store ``invite``, or the member's open invite to the same quota; None when the member holds an invite
        to another quota of the survey (one quota per survey, even under parallel requests)."""

    def invite(self, token: str) -> tuple[Invite, bool] | None:
        """The invite and whether its link was used."""

    def open_invites(self, panel_guid: str, member_code: str) -> list[Invite]: ...

    def history(self, member: Member, survey_id: int, wave_id: int) -> History: ...

    def member_history(self, member: Member) -> History: ...

    def survey_counts(
        self, panel_guid: str, survey_id: int | None = None, wave_id: int | None = None
    ) -> dict[tuple[int, int], tuple[int, int, int]]: ...


class RecontactRepo(Protocol):
    def add(self, tx: Transaction, panel_guid: str, quota_id: int, codes: Iterable[str]) -> None: ...

    def page(self, panel_guid: str, quota_id: int, after: str | None, limit: int) -> tuple[list[str], bool]:
        """Up to ``limit`` member codes after ``after`` in code order, and whether more follow."""

    def listed(self, panel_guid: str, quota_id: int, member_code: str) -> bool: ...

    def quotas_with_members(self, panel_guid: str) -> set[int]: ...


class JournalRepo(Protocol):
    def add(self, e: Entry) -> None:
        """Queue an entry; readers of any process see it once they ask."""

    def count(self, after_id: int = 0) -> tuple[int, int]: ...

    def query(
        self,
        *,
        route: str | None = None,
        member_code: str | None = None,
        quota_id: int | None = None,
        panel_guid: str | None = None,
        since: str | None = None,
        until: str | None = None,
        after_id: int | None = None,
        limit: int = 100,
        result_code: int | None = None,
        newest_first: bool = False,
    ) -> list[Entry]:
        """Entries matching every filter given, oldest first (``newest_first``: the last ``limit`` of them, newest
        first)."""


class MetaRepo(Protocol):
    #: What ``reply`` gives for a key whose call is still being carried out.
    PENDING: int

    def get(self, key: str) -> str | None: ...

    def clock(self) -> ClockSetting: ...

    def set_clock(self, setting: ClockSetting, tx: Transaction | None = None) -> None: ...

    def faults(self) -> list[tuple[int, FaultRule]]: ...

    def add_fault(self, rule: FaultRule) -> int: ...

    def consume_fault(self, fault_id: int) -> bool:
        """Use one shot of a counted rule (always True for an uncounted one); False when none is left."""

    def remove_fault(self, fault_id: int) -> bool: ...

    def clear_faults(self) -> None: ...

    def claim_reply(self, key: str) -> bool:
        """Take ``key`` for a call about to be carried out; False when another call holds it."""

    def reply(self, key: str) -> tuple[int, str, bytes] | None: ...

    def remember_reply(self, key: str, status: int, content_type: str, body: bytes) -> None: ...

    def forget_reply(self, key: str) -> None: ...


class VisitsRepo(Protocol):
    def started(self, token: str) -> Visit | None: ...

    def of_link(self, token: str) -> list[Visit]: ...

    def get(self, reference_id: str) -> Visit | None: ...

    def record(self, tx: Transaction, v: Visit, account_group: str | None = None) -> None: ...

    def finish(
        self, tx: Transaction, reference_id: str, outcome: str, status_id: int, status: str, at: datetime, page: str
    ) -> bool:
        """End an open visit; False when it was ended already (a parallel request won)."""

    def for_member(self, panel_guid: str, member_code: str) -> list[Visit]: ...


class ReportsRepo(Protocol):
    def rows(
        self,
        panel_guid: str,
        names: Callable[[int, int], str | None],
        *,
        member_code: str | None = None,
        waves: set[tuple[int, int]] | None = None,
    ) -> list[Row]: ...

    def activities(self, panel_guid: str, member_code: str, waves: set[tuple[int, int]]) -> list[Activity]: ...


class TimelineRepo(Protocol):
    def due(self, now: datetime) -> list[tuple[int, Any]]: ...

    def claim(self, entry_id: int, entry: Any) -> datetime | None:
        """Take a due entry to fire it: the instant it fired, or None when another process took it, a scenario load
        replaced it, or the sandbox clock (read with the claim) has not reached it."""

    def record(self, entry_id: int, result: str) -> None: ...

    def all(self) -> list[dict[str, object]]: ...


class OutboxRepo(Protocol):
    def queue(self, tx: Transaction, items: list[Outgoing], delay: float = 0.0) -> list[int]:
        """Store notifications inside ``tx`` (delivered once it commits); their ids."""

    def claim(self, owner: str, limit: int = 64) -> list[Claimed]:
        """Lease up to ``limit`` due notifications to ``owner`` for delivery."""

    def record(
        self,
        item: Claimed,
        owner: str,
        status: int | None,
        error: str | None,
        latency_ms: float,
        excerpt: str,
    ) -> bool: ...

    def resend(self, notification_id: int) -> int | None: ...

    def next_due(self) -> float | None: ...

    def release_dead(self) -> int:
        """Free the leases of owners whose process is gone; how many."""

    @property
    def signal(self) -> int:
        """A number that changes whenever any process queues notifications (cheap to poll)."""

    def last_id(self) -> int: ...

    def pending(self) -> int: ...

    def carried_over(self) -> int: ...

    def list(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        panel: str | None = None,
        after: int | None = None,
        ids: list[int] | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]: ...

    def get(self, notification_id: int) -> dict[str, Any] | None: ...


class Store(Protocol):
    """One sandbox's state: the repositories, the unit of work, and the whole-state operations."""

    inventory: InventoryRepo
    members: MembersRepo
    recontact: RecontactRepo
    journal: JournalRepo
    meta: MetaRepo
    visits: VisitsRepo
    reports: ReportsRepo
    timeline: TimelineRepo
    outbox: OutboxRepo

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A unit of work: every write handed its transaction lands, or none does."""

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction commits (never if it rolls back)."""

    def load(self, scenario: Scenario, clear_journal: bool = False) -> None:
        """Replace the whole state with ``scenario`` at once; the outbox is kept and a new run of it starts."""

    def export_state(self) -> dict[str, Any]:
        """The whole state as one JSON-able document: every state table's rows, the sandbox-wide facts (reference
        data, postal areas, outcome rules, the scenario's name, source, digest and text), the clock and the schema
        version. Neither the journal nor the outbox is part of it."""

    def import_state(self, doc: dict[str, Any]) -> None:
        """Replace the whole state with an ``export_state`` document in one unit of work (bumping the state
        version); the journal and the outbox are kept and a new run of the outbox starts, as ``load`` does. A
        document this store cannot take is a ``ValueError`` that says why, and changes nothing."""

    def prune(self, limits: Limits) -> Pruned: ...

    def now(self) -> datetime:
        """The sandbox clock's time."""

    def close(self) -> None: ...
