"""The scenario's timeline entries and when each fired. An entry is claimed in one transaction before it runs, so
however many workers watch the clock, each entry fires once, and only when the clock read in that transaction has
reached it (a worker that read the clock before a scenario load fires none of the new scenario's entries)."""

from __future__ import annotations

import json
from datetime import datetime

from simulator.domain.timeline import Entry

from .database import Connection, Database
from .meta import clock_from_text


class Timeline:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def replace(conn: Connection, entries: list[Entry]) -> None:
        conn.execute("DELETE FROM timeline")
        conn.executemany(
            "INSERT INTO timeline(at, doc) VALUES (?, ?)",
            [(e.at.isoformat(), json.dumps(e.to_dict())) for e in entries],
        )

    def due(self, now: datetime) -> list[tuple[int, Entry]]:
        rows = self.db.read("SELECT id, doc FROM timeline WHERE fired_at IS NULL ORDER BY id")
        entries = [(int(r[0]), Entry.from_dict(json.loads(r[1]))) for r in rows]
        return sorted([(i, e) for i, e in entries if e.at <= now], key=lambda item: (item[1].at, item[0]))

    def claim(self, entry_id: int, entry: Entry) -> datetime | None:
        """Mark ``entry`` fired: only while row ``entry_id`` still holds it unfired and the sandbox clock, read in
        the same transaction, has reached it. The instant it fired, or None."""
        with self.db.write() as conn:
            now = clock_from_text(list(conn.execute("SELECT value FROM meta WHERE key = 'clock'"))).now()
            rows = list(conn.execute("SELECT doc FROM timeline WHERE id = ? AND fired_at IS NULL", (entry_id,)))
            if not rows or entry.at > now or Entry.from_dict(json.loads(rows[0][0])) != entry:
                return None
            conn.execute("UPDATE timeline SET fired_at = ? WHERE id = ?", (now.isoformat(), entry_id))
            return now

    def record(self, entry_id: int, result: str) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE timeline SET result = ? WHERE id = ?", (result, entry_id))

    def all(self) -> list[dict[str, object]]:
        rows = self.db.read("SELECT id, doc, fired_at, result FROM timeline ORDER BY at, id")
        return [
            {"ID": r[0], **Entry.from_dict(json.loads(r[1])).to_dict(), "FiredAt": r[2], "Result": r[3]} for r in rows
        ]
