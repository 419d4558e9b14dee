"""Members, their participations (SurveyID+WaveID+MemberCode+status) and the invites they hold."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from simulator.domain import questions as q
from simulator.domain.decisions import History
from simulator.domain.model import Invite, Member, Participation

from .database import Connection, Database
from .docs import member_from_doc, member_to_doc


def _participation(row: tuple) -> Participation:
    panel, code, survey, wave, quota, status, at = row
    return Participation(panel, code, survey, wave, status, datetime.fromisoformat(at), quota)


_P_COLUMNS = "panel_guid, member_code, survey_id, wave_id, quota_id, status_id, at"
_PUT_MEMBER = (
    "INSERT INTO members(panel_guid, member_code, doc) VALUES (?, ?, ?) "
    "ON CONFLICT (panel_guid, member_code) DO UPDATE SET doc = excluded.doc"
)
_I_COLUMNS = (
    "token, panel_guid, member_code, survey_id, wave_id, quota_id, created_at, partner_amount, original_survey_id"
)


def _invite(r: tuple) -> Invite:
    return Invite(r[0], r[1], r[2], r[3], r[4], r[5], datetime.fromisoformat(r[6]), r[7], r[8])


class Members:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, panel_guid: str, member_code: str) -> Member | None:
        rows = self.db.read(
            "SELECT doc FROM members WHERE panel_guid = ? AND member_code = ?", (panel_guid, member_code)
        )
        return member_from_doc(panel_guid, member_code, rows[0][0]) if rows else None

    def all(self, panel_guid: str) -> list[Member]:
        rows = self.db.read("SELECT member_code, doc FROM members WHERE panel_guid = ?", (panel_guid,))
        return [member_from_doc(panel_guid, code, doc) for code, doc in rows]

    def count(self, panel_guid: str | None = None) -> int:
        if panel_guid is None:
            return int(self.db.read("SELECT COUNT(*) FROM members")[0][0])
        return int(self.db.read("SELECT COUNT(*) FROM members WHERE panel_guid = ?", (panel_guid,))[0][0])

    def put_many(self, conn: Connection, members: Iterable[Member]) -> None:
        conn.executemany(
            _PUT_MEMBER,
            ((m.panel_guid, m.member_code, member_to_doc(m)) for m in members),
        )

    def put(self, member: Member) -> None:
        with self.db.write() as conn:
            self.put_many(conn, [member])

    def write(self, member: Member, *, create: bool, wall: float, gap: float = 1.0) -> str:
        """A member API write, in one transaction: ``exists`` (POST of a known member), ``missing`` (PUT of an
        unknown one), ``too_soon`` (the same member written less than ``gap`` seconds ago: Toluna's 1000 ms rule),
        or ``written``. ``wall`` is the wall clock: the rule is about real time, whatever the sandbox clock says."""
        key = (member.panel_guid, member.member_code)
        with self.db.write() as conn:
            row = conn.execute("SELECT doc FROM members WHERE panel_guid = ? AND member_code = ?", key).fetchone()
            if row is not None and create:
                return "exists"
            if row is None and not create:
                return "missing"
            last = json.loads(row[0]).get("written_at") if row else None
            if last is not None and wall - float(last) < gap:
                return "too_soon"
            conn.execute(
                _PUT_MEMBER,
                (*key, member_to_doc(member, written_at=wall)),
            )
        return "written"

    def add_participations(self, tx: Connection, items: Iterable[tuple[Participation, str | None]]) -> None:
        """Each item is a participation and the member's account group (kept for code 26)."""
        tx.executemany(
            f"INSERT INTO participations({_P_COLUMNS}, account_group) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (p.panel_guid, p.member_code, p.survey_id, p.wave_id, p.quota_id, p.status_id, p.at.isoformat(), g)
                for p, g in items
            ),
        )

    def participations(self, panel_guid: str, member_code: str) -> list[Participation]:
        rows = self.db.read(
            f"SELECT {_P_COLUMNS} FROM participations WHERE panel_guid = ? AND member_code = ? ORDER BY id",
            (panel_guid, member_code),
        )
        return [_participation(r) for r in rows]

    def claim_invite(self, invite: Invite) -> Invite | None:
        """Store ``invite`` unless the member already holds one for this survey+wave, in one write transaction so
        that parallel requests cannot both pass: the held invite for the same quota is returned instead, and one
        for another quota of the survey means None (one quota per survey)."""
        with self.db.write() as conn:
            row = conn.execute(
                f"SELECT {_I_COLUMNS} FROM invites WHERE panel_guid = ? AND member_code = ? AND survey_id = ? "
                "AND wave_id = ? AND used_at IS NULL",
                (invite.panel_guid, invite.member_code, invite.survey_id, invite.wave_id),
            ).fetchone()
            if row is not None:
                held = _invite(row)
                return held if held.quota_id == invite.quota_id else None
            conn.execute(
                f"INSERT INTO invites({_I_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    invite.token,
                    invite.panel_guid,
                    invite.member_code,
                    invite.survey_id,
                    invite.wave_id,
                    invite.quota_id,
                    invite.created_at.isoformat(),
                    invite.partner_amount,
                    invite.original_survey_id,
                ),
            )
        return invite

    def invite(self, token: str) -> tuple[Invite, bool] | None:
        """The invite behind a token, and whether it was used (the member started with it)."""
        rows = self.db.read(f"SELECT {_I_COLUMNS}, used_at FROM invites WHERE token = ?", (token,))
        return (_invite(rows[0]), rows[0][-1] is not None) if rows else None

    def open_invites(self, panel_guid: str, member_code: str) -> list[Invite]:
        rows = self.db.read(
            f"SELECT {_I_COLUMNS} FROM invites WHERE panel_guid = ? AND member_code = ? AND used_at IS NULL",
            (panel_guid, member_code),
        )
        return [_invite(r) for r in rows]

    def history(self, member: Member, survey_id: int, wave_id: int) -> History:
        """Everything the decision chain needs to know about the past, in a handful of indexed reads."""
        h = self.member_history(member)
        h.survey_starts, h.survey_es_completes, h.partner_completes = self.survey_counts(
            member.panel_guid, survey_id, wave_id
        ).get((survey_id, wave_id), (0, 0, 0))
        return h

    def member_history(self, member: Member) -> History:
        """The member's own past (participations, open invites, the account group's participations)."""
        h = History(
            participations=self.participations(member.panel_guid, member.member_code),
            open_invites=self.open_invites(member.panel_guid, member.member_code),
        )
        if member.account_group:
            rows = self.db.read(
                f"SELECT {_P_COLUMNS} FROM participations WHERE account_group = ? "
                "AND NOT (panel_guid = ? AND member_code = ?)",
                (member.account_group, member.panel_guid, member.member_code),
            )
            h.group_participations = [_participation(r) for r in rows]
        return h

    def survey_counts(
        self, panel_guid: str, survey_id: int | None = None, wave_id: int | None = None
    ) -> dict[tuple[int, int], tuple[int, int, int]]:
        """Per survey wave (one, or all): every member's starts, every ES partner's completes, this panel's
        completes."""
        where = "WHERE survey_id = ? AND wave_id = ?" if survey_id is not None else ""
        rows = self.db.read(
            "SELECT survey_id, wave_id, COUNT(*), COALESCE(SUM(CASE WHEN status_id = ? THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN status_id = ? AND panel_guid = ? THEN 1 ELSE 0 END), 0) "
            f"FROM participations {where} "
            "GROUP BY survey_id, wave_id",
            (q.QUALIFIED, q.QUALIFIED, panel_guid, *((survey_id, wave_id) if survey_id is not None else ())),
        )
        return {(int(r[0]), int(r[1])): (int(r[2]), int(r[3]), int(r[4])) for r in rows}
