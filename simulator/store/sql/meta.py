"""Sandbox-wide facts: the clock, the loaded scenario, fault rules."""

from __future__ import annotations

import json
import time
from datetime import datetime

from simulator.domain.clock import ClockSetting
from simulator.domain.faults import FaultRule

from .database import Connection, Database
from .docs import dumps


def clock_from_text(rows: list) -> ClockSetting:
    if not rows or not rows[0][0]:
        return ClockSetting()
    d = json.loads(rows[0][0])
    frozen = d.get("frozen_at")
    return ClockSetting(datetime.fromisoformat(frozen) if frozen else None, float(d.get("offset_seconds", 0)))


def fault_rows(conn: Connection) -> list[tuple[int, FaultRule]]:
    rows = conn.execute("SELECT id, doc FROM faults WHERE remaining IS NULL OR remaining > 0 ORDER BY id")
    return [(int(r[0]), FaultRule.from_dict(json.loads(r[1]))) for r in rows]


class Meta:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str) -> str | None:
        rows = self.db.read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    @staticmethod
    def put(conn: Connection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def clock(self) -> ClockSetting:
        return clock_from_text(self.db.read("SELECT value FROM meta WHERE key = 'clock'"))

    def set_clock(self, setting: ClockSetting, tx: Connection | None = None) -> None:
        text = dumps(
            {
                "frozen_at": setting.frozen_at.isoformat() if setting.frozen_at else None,
                "offset_seconds": setting.offset_seconds,
            }
        )
        if tx is not None:
            self.put(tx, "clock", text)
            self.db.bump_version(tx)
            return
        with self.db.write() as c:
            self.put(c, "clock", text)
            self.db.bump_version(c)

    def faults(self) -> list[tuple[int, FaultRule]]:
        with self.db.snapshot_read() as conn:
            return fault_rows(conn)

    def replace_faults(self, conn: Connection, rules: list[FaultRule]) -> None:
        conn.execute("DELETE FROM faults")
        conn.executemany(
            "INSERT INTO faults(doc, remaining) VALUES (?, ?)", [(dumps(r.to_dict()), r.times) for r in rules]
        )

    def add_fault(self, rule: FaultRule) -> int:
        with self.db.write() as conn:
            cur = conn.execute(
                "INSERT INTO faults(doc, remaining) VALUES (?, ?) RETURNING id", (dumps(rule.to_dict()), rule.times)
            )
            self.db.bump_version(conn)
            return int(cur.fetchone()[0])

    def consume_fault(self, fault_id: int) -> bool:
        """Use one of a counted rule's shots; False when another worker used the last one first."""
        with self.db.write() as conn:
            cur = conn.execute(
                "UPDATE faults SET remaining = remaining - 1 WHERE id = ? AND (remaining IS NULL OR remaining > 0)",
                (fault_id,),
            )
            self.db.bump_version(conn)
            return cur.rowcount == 1

    def remove_fault(self, fault_id: int) -> bool:
        with self.db.write() as conn:
            cur = conn.execute("DELETE FROM faults WHERE id = ?", (fault_id,))
            self.db.bump_version(conn)
            return cur.rowcount == 1

    def clear_faults(self) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM faults")
            self.db.bump_version(conn)

    # --- control calls made safe to repeat ------------------------------------------------------------------
    #: ``status`` of a key whose call is still being carried out (no answer yet)
    PENDING = 0

    def claim_reply(self, key: str) -> bool:
        """Reserve ``key`` for the call about to be carried out: False when another call already holds it."""
        with self.db.write() as conn:
            cur = conn.execute(
                "INSERT INTO control_replies(key, status, content_type, body, at) VALUES (?, ?, '', ?, ?) "
                "ON CONFLICT DO NOTHING",
                (key, self.PENDING, b"", time.time()),
            )
            return cur.rowcount == 1

    def reply(self, key: str) -> tuple[int, str, bytes] | None:
        """The answer already given to the control call with this idempotency key, if any (status ``PENDING``:
        the call is still being carried out)."""
        rows = self.db.read("SELECT status, content_type, body FROM control_replies WHERE key = ?", (key,))
        return (int(rows[0][0]), str(rows[0][1]), bytes(rows[0][2])) if rows else None

    def remember_reply(self, key: str, status: int, content_type: str, body: bytes) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE control_replies SET status = ?, content_type = ?, body = ? WHERE key = ? AND status = ?",
                (status, content_type, body, key, self.PENDING),
            )

    def forget_reply(self, key: str) -> None:
        """Free a key whose call gave no answer worth repeating (a 500, an exception): the next try carries it out."""
        with self.db.write() as conn:
            conn.execute("DELETE FROM control_replies WHERE key = ? AND status = ?", (key, self.PENDING))
