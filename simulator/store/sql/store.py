"""The store port over SQL: a repository per concern, written once for every engine, over one ``Database`` (see
``database``). ``simulator.store.sqlite`` and ``simulator.store.postgres`` give it theirs."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from simulator.domain.clock import ClockSetting
from simulator.domain.geography import to_list as areas_to_list
from simulator.domain.outcome_rules import to_list as rules_to_list
from simulator.scenario.model import Scenario

from ..records import Limits, Pruned
from .capsule import export_state, import_state
from .database import Connection, Database
from .inventory import Inventory
from .journal import Journal
from .members import Members
from .meta import Meta
from .outbox import Outbox
from .recontact import Recontact
from .reports import ReportData
from .retention import prune
from .timeline import Timeline
from .visits import Visits

STATE_TABLES = (
    "panels",
    "surveys",
    "quotas",
    "members",
    "participations",
    "invites",
    "visits",
    "recontact",
    "recontact_lists",
    "faults",
    "timeline",
)


class SqlStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.inventory = Inventory(self.db)
        self.members = Members(self.db)
        self.recontact = Recontact(self.db, self.inventory)
        self.journal = Journal(self.db)
        self.meta = Meta(self.db)
        self.visits = Visits(self.db)
        self.reports = ReportData(self.db)
        self.timeline = Timeline(self.db)
        self.outbox = Outbox(self.db)

    def transaction(self) -> AbstractContextManager[Connection]:
        """The unit of work: an exclusive write transaction (the connection is the transaction handle the
        repositories' writes take)."""
        return self.db.write()

    def after_commit(self, callback: Callable[[], None]) -> None:
        self.db.after_commit(callback)

    def load(self, scenario: Scenario, clear_journal: bool = False) -> None:
        """Replace the whole state with ``scenario`` in one transaction: all of it, or nothing. The outbox is left
        as it is (pending notifications are still delivered) and a new run of it starts."""
        if clear_journal:
            self.journal.settle()  # entries queued before the reset are cleared with the rest
        with self.db.write() as conn:
            for table in STATE_TABLES:
                conn.execute(f"DELETE FROM {table}")
            if clear_journal:
                conn.execute("DELETE FROM journal")
                conn.execute("DELETE FROM journal_texts")
            self.inventory.replace(conn, scenario.panels, scenario.surveys)
            self.members.put_many(conn, scenario.members)
            self.members.add_participations(conn, scenario.participations)
            for r in scenario.recontact:
                self.recontact.add(conn, r.panel_guid, r.quota_id, r.iter_codes())
            self.meta.replace_faults(conn, scenario.faults)
            self.timeline.replace(conn, scenario.timeline)
            self.inventory.replace_reference(scenario.reference, conn)
            self.meta.put(conn, "postal_areas", json.dumps(areas_to_list(scenario.postal_areas)))
            self.meta.put(conn, "outcome_rules", json.dumps(rules_to_list(scenario.outcome_rules)))
            self.meta.set_clock(scenario.clock or ClockSetting(), conn)
            self.meta.put(conn, "scenario_name", scenario.name)
            self.meta.put(conn, "scenario_source", scenario.source)
            self.meta.put(conn, "scenario_digest", scenario.digest)
            self.meta.put(conn, "scenario_text", scenario.text)
            self.outbox.start_run(conn)
            self.db.bump_version(conn)
        self.db.ids_restart(STATE_TABLES)

    def export_state(self) -> dict[str, Any]:
        """Every state table as rows, the sandbox-wide facts and the clock (see ``capsule``)."""
        return export_state(self.db, STATE_TABLES)

    def import_state(self, doc: dict[str, Any]) -> None:
        """Replace the whole state with an ``export_state`` document in one transaction (the journal and the
        outbox are kept; a new run of the outbox starts); a document that does not fit is a ``ValueError``."""
        import_state(self.db, STATE_TABLES, doc)

    def prune(self, limits: Limits) -> Pruned:
        """One retention pass (see ``retention``)."""
        return prune(self.db, limits)

    def now(self) -> datetime:
        return self.inventory.snapshot().clock.now()

    def close(self) -> None:
        self.journal.flush()
        self.db.close()


__all__ = ["STATE_TABLES", "SqlStore"]
