"""Visits: every click on an invite URL, and the participation a started visit leaves for the decision chain.

A started visit writes, in the caller's transaction, the visit, a participation (status 1, with the visit's
reference id) and the invite's ``used_at``; finishing it updates both rows. The reports read these tables.
"""

from __future__ import annotations

from datetime import datetime

from simulator.domain import questions as q
from simulator.domain.model import Visit

from .database import Connection, Database

_COLUMNS = (
    "reference_id, token, panel_guid, member_code, survey_id, wave_id, quota_id, at, activity, additional_data, "
    "rejection_id, outcome, finished_at, end_page, original_survey_id"
)


def _visit(r: tuple) -> Visit:
    return Visit(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        datetime.fromisoformat(r[7]),
        r[8],
        r[9],
        r[10],
        r[11],
        datetime.fromisoformat(r[12]) if r[12] else None,
        r[13],
        r[14],
    )


class Visits:
    def __init__(self, db: Database) -> None:
        self.db = db

    def started(self, token: str) -> Visit | None:
        """The visit that started the survey with this link (a link starts at most one)."""
        rows = self.db.read(
            f"SELECT {_COLUMNS} FROM visits WHERE token = ? AND activity = 'Success' ORDER BY id DESC LIMIT 1", (token,)
        )
        return _visit(rows[0]) if rows else None

    def of_link(self, token: str) -> list[Visit]:
        """Every click on one invite link, oldest first."""
        return [_visit(r) for r in self.db.read(f"SELECT {_COLUMNS} FROM visits WHERE token = ? ORDER BY id", (token,))]

    def get(self, reference_id: str) -> Visit | None:
        rows = self.db.read(f"SELECT {_COLUMNS} FROM visits WHERE reference_id = ?", (reference_id,))
        return _visit(rows[0]) if rows else None

    @staticmethod
    def record(tx: Connection, v: Visit, account_group: str | None = None) -> None:
        """A new visit; a started one also opens its participation and uses up its invite."""
        tx.execute(
            f"INSERT INTO visits({_COLUMNS}) VALUES ({', '.join('?' * 15)})",
            (
                v.reference_id,
                v.token,
                v.panel_guid,
                v.member_code,
                v.survey_id,
                v.wave_id,
                v.quota_id,
                v.at.isoformat(),
                v.activity,
                v.additional_data,
                v.rejection_id,
                v.outcome,
                v.finished_at.isoformat() if v.finished_at else None,
                v.end_page,
                v.original_survey_id,
            ),
        )
        if not v.started:
            return
        tx.execute(
            "INSERT INTO participations(panel_guid, member_code, account_group, survey_id, wave_id, quota_id, "
            "status_id, at, reference_id, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'Started', ?)",
            (
                v.panel_guid,
                v.member_code,
                account_group,
                v.survey_id,
                v.wave_id,
                v.quota_id,
                q.STARTED,
                v.at.isoformat(),
                v.reference_id,
                v.at.isoformat(),
            ),
        )
        tx.execute("UPDATE invites SET used_at = ? WHERE token = ?", (v.at.isoformat(), v.token))

    @staticmethod
    def finish(
        tx: Connection, reference_id: str, outcome: str, status_id: int, status: str, at: datetime, page: str
    ) -> bool:
        """Close an open visit; False when it was already finished (a double submit), and nothing changes."""
        cur = tx.execute(
            "UPDATE visits SET outcome = ?, finished_at = ?, end_page = ? WHERE reference_id = ? AND outcome IS NULL",
            (outcome, at.isoformat(), page, reference_id),
        )
        if cur.rowcount != 1:
            return False
        tx.execute(
            "UPDATE participations SET status_id = ?, status = ?, updated_at = ? WHERE reference_id = ?",
            (status_id, status, at.isoformat(), reference_id),
        )
        return True

    def for_member(self, panel_guid: str, member_code: str) -> list[Visit]:
        rows = self.db.read(
            f"SELECT {_COLUMNS} FROM visits WHERE panel_guid = ? AND member_code = ? ORDER BY id",
            (panel_guid, member_code),
        )
        return [_visit(r) for r in rows]
