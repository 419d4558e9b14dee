"""The scenario's timeline entries and when each fired. An entry is claimed in one statement before it runs, so
however many workers watch the clock, each entry fires once."""

from __future__ import annotations

import json
from datetime import datetime

from simulator.domain.timeline import Entry

from .database import Connection, Database


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

    def claim(self, entry_id: int, now: datetime) -> bool:
        with self.db.write() as conn:
            cur = conn.execute(
                "UPDATE timeline SET fired_at = ? WHERE id = ? AND fired_at IS NULL", (now.isoformat(), entry_id)
            )
            return cur.rowcount == 1

    def record(self, entry_id: int, result: str) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE timeline SET result = ? WHERE id = ?", (result, entry_id))

    def all(self) -> list[dict[str, object]]:
        rows = self.db.read("SELECT id, doc, fired_at, result FROM timeline ORDER BY at, id")
        return [
            {"ID": r[0], **Entry.from_dict(json.loads(r[1])).to_dict(), "FiredAt": r[2], "Result": r[3]} for r in rows
        ]
