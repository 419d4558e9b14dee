"""Panels and surveys (with their quotas), versioned so that every worker can cache a parsed snapshot.

Any change to panels, surveys, quota states, recontact lists, the clock or fault rules bumps ``meta.version``
in the same transaction, and shared memory learns the new number before the commit; a worker compares that
number with its snapshot's and re-reads only when they differ, so an unchanged inventory costs a request no read.
A snapshot is labelled with the version read in the same read transaction as its data, never with the shared
number, so it cannot pass for a newer state than it holds.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from simulator.domain.geography import from_list as areas_from_list
from simulator.domain.model import Panel, Quota, Survey
from simulator.domain.outcome_rules import from_list as rules_from_list
from simulator.domain.reference import ReferenceData
from simulator.domain.reference import from_doc as reference_from_doc
from simulator.domain.reference import to_doc as reference_to_doc

from ..records import Snapshot
from .database import Connection, Database
from .docs import panel_from_doc, panel_to_doc, survey_from_doc, survey_to_doc
from .meta import Meta, clock_from_text, fault_rows


class Inventory:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cached: Snapshot | None = None
        self._lock = threading.Lock()
        self._pinned = threading.local()

    def version(self) -> int:
        return self.db.live.version

    def pin(self) -> None:
        """Read the version once for this thread's request; ``snapshot()`` returns the same state until unpin."""
        self._pinned.snapshot = None
        self._pinned.snapshot = self.snapshot()

    def unpin(self) -> None:
        self._pinned.snapshot = None

    def snapshot(self) -> Snapshot:
        pinned = getattr(self._pinned, "snapshot", None)
        if pinned is not None:
            return pinned
        cached = self._cached
        if cached is not None and cached.version == self.db.live.version:
            return cached
        with self._lock:
            cached = self._cached
            if cached is not None and cached.version == self.db.live.version:
                return cached  # another thread of this process just read it
            with self.db.snapshot_read() as conn:
                version = self.db.stored_version(conn)
                rows = conn.execute("SELECT guid, doc FROM panels ORDER BY position")
                panels = {r[0]: panel_from_doc(r[1]) for r in rows}
                surveys: dict[str, list[Survey]] = {}
                quotas: dict[int, tuple[Survey, Quota]] = {}
                for culture, doc in conn.execute("SELECT culture, doc FROM surveys ORDER BY position"):
                    s = survey_from_doc(doc, culture)
                    surveys.setdefault(culture, []).append(s)
                    for q in s.quotas:
                        quotas[q.quota_id] = (s, q)
                clock = clock_from_text(conn.execute("SELECT value FROM meta WHERE key = 'clock'").fetchall())
                faults = fault_rows(conn)
                row = conn.execute("SELECT value FROM meta WHERE key = 'reference'").fetchone()
                reference = reference_from_doc(row[0]) if row else ReferenceData()
                row = conn.execute("SELECT value FROM meta WHERE key = 'postal_areas'").fetchone()
                areas = areas_from_list(json.loads(row[0])) if row else []
                row = conn.execute("SELECT value FROM meta WHERE key = 'outcome_rules'").fetchone()
                rules = rules_from_list(json.loads(row[0])) if row else []
                listed: dict[str, set[int]] = {}
                for guid, quota_id in conn.execute("SELECT panel_guid, quota_id FROM recontact_lists"):
                    listed.setdefault(guid, set()).add(int(quota_id))
            lists = {guid: frozenset(ids) for guid, ids in listed.items()}
            self._cached = Snapshot(version, panels, surveys, quotas, clock, faults, reference, areas, rules, lists)
            return self._cached

    def replace(self, conn: Connection, panels: list[Panel], surveys: list[Survey]) -> None:
        """Inside a caller's transaction: the whole inventory is swapped at once."""
        conn.execute("DELETE FROM panels")
        conn.execute("DELETE FROM surveys")
        conn.execute("DELETE FROM quotas")
        conn.executemany(
            "INSERT INTO panels(guid, position, doc) VALUES (?, ?, ?)",
            [(p.guid, i, panel_to_doc(p)) for i, p in enumerate(panels)],
        )
        conn.executemany(
            "INSERT INTO surveys(survey_id, wave_id, culture, position, doc) VALUES (?, ?, ?, ?, ?)",
            [(s.survey_id, s.wave_id, s.culture, i, survey_to_doc(s)) for i, s in enumerate(surveys)],
        )
        conn.executemany(
            "INSERT INTO quotas(quota_id, survey_id, wave_id) VALUES (?, ?, ?)",
            [(q.quota_id, s.survey_id, s.wave_id) for s in surveys for q in s.quotas],
        )
        self.db.bump_version(conn)

    def update_survey(
        self, survey_id: int, wave_id: int, change: Callable[[Survey], None], tx: Connection | None = None
    ) -> tuple[Survey, Survey]:
        """Read-modify-write one survey wave under the write lock (the caller's transaction, or one of its own), so
        concurrent changes never interleave. Returns the survey before and after the change."""
        if tx is None:
            with self.db.write() as own:
                return self.update_survey(survey_id, wave_id, change, own)
        key = (survey_id, wave_id)
        row = tx.execute("SELECT culture, doc FROM surveys WHERE survey_id = ? AND wave_id = ?", key).fetchone()
        if row is None:
            raise KeyError(key)
        before = survey_from_doc(row[1], row[0])
        after = survey_from_doc(row[1], row[0])
        change(after)
        tx.execute("UPDATE surveys SET doc = ? WHERE survey_id = ? AND wave_id = ?", (survey_to_doc(after), *key))
        self.db.bump_version(tx)
        return before, after

    def waves(self, survey_id: int) -> list[int]:
        return [int(r[0]) for r in self.db.read("SELECT wave_id FROM surveys WHERE survey_id = ?", (survey_id,))]

    def survey_of_quota(self, quota_id: int) -> tuple[int, int] | None:
        rows = self.db.read("SELECT survey_id, wave_id FROM quotas WHERE quota_id = ?", (quota_id,))
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def update_panel(self, guid: str, change: Callable[[Panel], None]) -> Panel:
        with self.db.write() as conn:
            row = conn.execute("SELECT doc FROM panels WHERE guid = ?", (guid,)).fetchone()
            if row is None:
                raise KeyError(guid)
            panel = panel_from_doc(row[0])
            change(panel)
            conn.execute("UPDATE panels SET doc = ? WHERE guid = ?", (panel_to_doc(panel), guid))
            self.db.bump_version(conn)
        return panel

    def replace_reference(self, data: ReferenceData, tx: Connection | None = None) -> None:
        """Swap the reference data (a scenario load, an import, what an inventory taught it)."""
        if tx is None:
            with self.db.write() as own:
                self.replace_reference(data, own)
            return
        Meta.put(tx, "reference", reference_to_doc(data))
        self.db.bump_version(tx)
