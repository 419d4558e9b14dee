"""Recontact lists: member codes per panel and quota, paged in SQLite's BINARY (byte-wise) order.

The primary key is the paging index, so a page costs one index seek whatever the list's length.
"""

from __future__ import annotations

from collections.abc import Iterable

from .database import Connection, Database
from .inventory import Inventory


class Recontact:
    def __init__(self, db: Database, inventory: Inventory) -> None:
        self.db = db
        self.inventory = inventory

    def add(self, tx: Connection, panel_guid: str, quota_id: int, codes: Iterable[str]) -> None:
        tx.executemany(
            "INSERT INTO recontact(panel_guid, quota_id, member_code) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            ((panel_guid, quota_id, c) for c in codes),
        )
        tx.execute(
            "INSERT INTO recontact_lists(panel_guid, quota_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (panel_guid, quota_id),
        )

    def page(self, panel_guid: str, quota_id: int, after: str | None, limit: int) -> tuple[list[str], bool]:
        """Up to ``limit`` codes after ``after``, and whether more follow."""
        rows = self.db.read(
            "SELECT member_code FROM recontact WHERE panel_guid = ? AND quota_id = ? AND member_code > ? "
            "ORDER BY member_code LIMIT ?",
            (panel_guid, quota_id, after or "", limit + 1),
        )
        codes = [r[0] for r in rows]
        return codes[:limit], len(codes) > limit

    def listed(self, panel_guid: str, quota_id: int, member_code: str) -> bool:
        rows = self.db.read(
            "SELECT 1 FROM recontact WHERE panel_guid = ? AND quota_id = ? AND member_code = ?",
            (panel_guid, quota_id, member_code),
        )
        return bool(rows)

    def quotas_with_members(self, panel_guid: str) -> set[int]:
        """Read with the inventory's snapshot (lists change only with a load or an import, which bump its version):
        no query of its own."""
        return set(self.inventory.snapshot().recontact_lists.get(panel_guid, ()))

    def count(self, panel_guid: str, quota_id: int) -> int:
        rows = self.db.read(
            "SELECT COUNT(*) FROM recontact WHERE panel_guid = ? AND quota_id = ?", (panel_guid, quota_id)
        )
        return int(rows[0][0])
