"""What the reporting API reads: a panel's participations (with their visits' facts) and a member's visits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from simulator.domain.reports import Activity, Row

from .database import Database


class ReportData:
    def __init__(self, db: Database) -> None:
        self.db = db

    def rows(
        self,
        panel_guid: str,
        names: Callable[[int, int], str | None],
        *,
        member_code: str | None = None,
        waves: set[tuple[int, int]] | None = None,
    ) -> list[Row]:
        """The panel's participations (one member's, or some survey waves'), oldest event first; ``names`` gives a
        survey wave's name."""
        where, params = ["p.panel_guid = ?"], [panel_guid]
        if member_code is not None:
            where.append("p.member_code = ?")
            params.append(member_code)
        rows = self.db.read(
            "SELECT p.id, p.member_code, p.survey_id, p.wave_id, p.status_id, p.status, p.at, "
            "COALESCE(p.updated_at, p.at), p.reference_id, COALESCE(v.additional_data, '') "
            "FROM participations p LEFT JOIN visits v ON v.reference_id = p.reference_id "
            f"WHERE {' AND '.join(where)} ORDER BY p.id",
            params,
        )
        out = [
            Row(
                row_id=r[0],
                member_code=r[1],
                survey_id=r[2],
                survey_name=names(r[2], r[3]),
                wave_id=r[3],
                status_id=r[4],
                status=r[5],
                started_at=datetime.fromisoformat(r[6]),
                event_at=datetime.fromisoformat(r[7]),
                reference_id=r[8],
                additional_data=r[9],
            )
            for r in rows
            if waves is None or (r[2], r[3]) in waves
        ]
        out.sort(key=lambda row: row.event_at)
        return out

    def activities(self, panel_guid: str, member_code: str, waves: set[tuple[int, int]]) -> list[Activity]:
        rows = self.db.read(
            "SELECT survey_id, wave_id, activity, outcome, at, reference_id FROM visits "
            "WHERE panel_guid = ? AND member_code = ? ORDER BY id",
            (panel_guid, member_code),
        )
        return [Activity(r[2], r[3], datetime.fromisoformat(r[4]), r[5]) for r in rows if (r[0], r[1]) in waves]
