"""The panel's SQLite database: its members, invites and credits, and what it learned from Toluna.

Everything the panel must remember across requests and restarts is here rather than in memory: a completion
credited once must stay credited once after a restart, and a quota Toluna said is on hold must stay held. One
connection serves every thread behind a lock (the panel's traffic is small, and SQLite serialises writers anyway).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .members import Panelist

SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,           -- the panel's own row (JSON, its own terms)
    registered_at REAL,             -- when Toluna accepted the member (POST 201, or PUT after a 409)
    last_write REAL,                -- the last POST/PUT of this member: the next waits 1.1 s after it
    stopped_code INTEGER,           -- a member-level refusal (12, 13, 14, 22): never invited again
    paused_until REAL               -- a daily/weekly limit: not invited before this time
);
CREATE TABLE IF NOT EXISTS history (
    member TEXT, survey INTEGER, wave INTEGER, status INTEGER, source TEXT, at REAL,
    PRIMARY KEY (member, survey, wave, status)
);
CREATE TABLE IF NOT EXISTS profile_updates (
    member TEXT, field TEXT, value TEXT, applied_at REAL, PRIMARY KEY (member, field, value)
);
CREATE TABLE IF NOT EXISTS invites (
    token TEXT PRIMARY KEY, rid TEXT UNIQUE, member TEXT, survey INTEGER, wave INTEGER, quota INTEGER,
    url TEXT, created_at REAL, clicked_at REAL, outcome TEXT, returned_at REAL
);
CREATE TABLE IF NOT EXISTS credits (
    survey INTEGER, wave INTEGER, member TEXT, quota INTEGER, revenue INTEGER, at REAL,
    PRIMARY KEY (survey, wave, member)
);
CREATE TABLE IF NOT EXISTS quota_notices (
    quota INTEGER PRIMARY KEY, updated TEXT, is_live INTEGER, held_at REAL
);
CREATE TABLE IF NOT EXISTS closed_waves (survey INTEGER, wave INTEGER, at REAL, PRIMARY KEY (survey, wave));
CREATE TABLE IF NOT EXISTS quota_blocks (quota INTEGER PRIMARY KEY, code INTEGER, since REAL);
CREATE TABLE IF NOT EXISTS pair_blocks (
    member TEXT, quota INTEGER, code INTEGER, until REAL, tries INTEGER, PRIMARY KEY (member, quota)
);
CREATE TABLE IF NOT EXISTS inventory (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT, expires REAL, read_at REAL);
CREATE TABLE IF NOT EXISTS recontact (quota INTEGER, member TEXT, PRIMARY KEY (quota, member));
CREATE TABLE IF NOT EXISTS recontact_reads (quota INTEGER PRIMARY KEY, inventory_read REAL);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT);
"""


@dataclass(frozen=True, slots=True)
class Invite:
    token: str
    rid: str
    member: str
    survey: int
    wave: int
    quota: int
    url: str


@dataclass(frozen=True, slots=True)
class MemberRow:
    panelist: Panelist
    registered_at: float | None
    last_write: float | None
    stopped_code: int | None
    paused_until: float | None


class Store:
    def __init__(self, path: str | Path) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _all(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def _one(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchone()

    # --- members -------------------------------------------------------------------------------------------------
    def import_members(
        self,
        panelists: Iterable[Panelist],
        history: Iterable[tuple[str, int, int, int]],
        updates: Iterable[tuple[str, str, str]],
    ) -> None:
        """The panel's files into the database; what the database already holds wins (a member's birth date,
        fixed when first imported, does not move on a restart)."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO members(id, record) VALUES (?, ?)",
                [(p.id, json.dumps(p.record())) for p in panelists],
            )
            db.executemany(
                "INSERT OR IGNORE INTO history VALUES (?, ?, ?, ?, 'file', NULL)",
                list(history),
            )
            db.executemany("INSERT OR IGNORE INTO profile_updates VALUES (?, ?, ?, NULL)", list(updates))

    def member(self, code: str) -> MemberRow | None:
        row = self._one("SELECT * FROM members WHERE id = ?", (code,))
        return _member(row) if row else None

    def members(self) -> list[MemberRow]:
        return [_member(r) for r in self._all("SELECT * FROM members ORDER BY rowid")]

    def save_record(self, panelist: Panelist) -> None:
        with self._tx() as db:
            db.execute("UPDATE members SET record = ? WHERE id = ?", (json.dumps(panelist.record()), panelist.id))

    def wrote(self, code: str, at: float, registered: bool = False) -> None:
        with self._tx() as db:
            db.execute("UPDATE members SET last_write = ? WHERE id = ?", (at, code))
            if registered:
                db.execute("UPDATE members SET registered_at = COALESCE(registered_at, ?) WHERE id = ?", (at, code))

    def stop_member(self, code: str, result_code: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE members SET stopped_code = ? WHERE id = ?", (result_code, code))

    def pause_member(self, code: str, until: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE members SET paused_until = ? WHERE id = ?", (until, code))

    def pending_updates(self, code: str) -> list[tuple[str, str]]:
        rows = self._all(
            "SELECT field, value FROM profile_updates WHERE member = ? AND applied_at IS NULL ORDER BY rowid", (code,)
        )
        return [(r["field"], r["value"]) for r in rows]

    def mark_updates_applied(self, code: str, at: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE profile_updates SET applied_at = ? WHERE member = ? AND applied_at IS NULL", (at, code))

    # --- history, invites, credits -----------------------------------------------------------------------------
    def add_history(self, member: str, survey: int, wave: int, status: int, source: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO history VALUES (?, ?, ?, ?, ?, ?)",
                (member, survey, wave, status, source, time.time()),
            )

    def history(self, member: str) -> list[tuple[int, int, int]]:
        rows = self._all("SELECT survey, wave, status FROM history WHERE member = ?", (member,))
        return [(r["survey"], r["wave"], r["status"]) for r in rows]

    def invited_waves(self, member: str) -> set[tuple[int, int]]:
        return {
            (r["survey"], r["wave"]) for r in self._all("SELECT survey, wave FROM invites WHERE member = ?", (member,))
        }

    def add_invite(self, invite: Invite) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO invites(token, rid, member, survey, wave, quota, url, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    invite.token,
                    invite.rid,
                    invite.member,
                    invite.survey,
                    invite.wave,
                    invite.quota,
                    invite.url,
                    time.time(),
                ),
            )

    def invite_by_token(self, token: str) -> Invite | None:
        row = self._one("SELECT * FROM invites WHERE token = ?", (token,))
        return _invite(row) if row else None

    def invite_by_rid(self, rid: str) -> Invite | None:
        row = self._one("SELECT * FROM invites WHERE rid = ?", (rid,))
        return _invite(row) if row else None

    def latest_invite(self, member: str, survey: int | None, wave: int | None) -> Invite | None:
        row = self._one(
            "SELECT * FROM invites WHERE member = ? AND (? IS NULL OR survey = ?) AND (? IS NULL OR wave = ?) "
            "ORDER BY created_at DESC LIMIT 1",
            (member, survey, survey, wave, wave),
        )
        return _invite(row) if row else None

    def clicked(self, token: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE invites SET clicked_at = COALESCE(clicked_at, ?) WHERE token = ?", (time.time(), token))

    def returned(self, token: str, outcome: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE invites SET outcome = ?, returned_at = ? WHERE token = ?", (outcome, time.time(), token))

    def credit(self, survey: int, wave: int, member: str, quota: int | None, revenue: int | None) -> bool:
        """Credit a completion; False when this SurveyID+WaveID+member was credited already (a repeat)."""
        with self._tx() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO credits VALUES (?, ?, ?, ?, ?, ?)",
                (survey, wave, member, quota, revenue, time.time()),
            )
            return cursor.rowcount == 1

    def credits(self, member: str) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM credits WHERE member = ?", (member,))
        return int(row["n"]) if row else 0

    # --- quotas and surveys: notifications, refusals -------------------------------------------------------------
    def quota_notice(self, quota: int) -> sqlite3.Row | None:
        return self._one("SELECT * FROM quota_notices WHERE quota = ?", (quota,))

    def apply_quota_notice(self, quota: int, updated: str, is_live: bool, at: float) -> bool:
        """Record a quota status if it is newer than the last one applied (``updated`` is an ISO UTC timestamp
        with microseconds, so text order is time order); False when it is not newer and was ignored."""
        with self._tx() as db:
            row = db.execute("SELECT updated FROM quota_notices WHERE quota = ?", (quota,)).fetchone()
            if row is not None and row["updated"] >= updated:
                return False
            db.execute(
                "INSERT OR REPLACE INTO quota_notices VALUES (?, ?, ?, ?)",
                (quota, updated, int(is_live), None if is_live else at),
            )
            return True

    def held_quotas(self) -> set[int]:
        return {r["quota"] for r in self._all("SELECT quota FROM quota_notices WHERE held_at IS NOT NULL")}

    def close_wave(self, survey: int, wave: int) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO closed_waves VALUES (?, ?, ?)", (survey, wave, time.time()))

    def closed_waves(self) -> set[tuple[int, int]]:
        return {(r["survey"], r["wave"]) for r in self._all("SELECT survey, wave FROM closed_waves")}

    def block_quota(self, quota: int, code: int) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO quota_blocks VALUES (?, ?, ?)", (quota, code, time.time()))

    def blocked_quotas(self) -> set[int]:
        return {r["quota"] for r in self._all("SELECT quota FROM quota_blocks")}

    def block_pair(self, member: str, quota: int, code: int, until: float | None) -> int:
        """Stop asking for this member and quota (``until`` None: never again); answers how many times it was
        refused so far, so that a backoff can grow."""
        with self._tx() as db:
            row = db.execute("SELECT tries FROM pair_blocks WHERE member = ? AND quota = ?", (member, quota)).fetchone()
            tries = (row["tries"] if row else 0) + 1
            db.execute("INSERT OR REPLACE INTO pair_blocks VALUES (?, ?, ?, ?, ?)", (member, quota, code, until, tries))
            return tries

    def pair_tries(self, member: str, quota: int) -> int:
        row = self._one("SELECT tries FROM pair_blocks WHERE member = ? AND quota = ?", (member, quota))
        return int(row["tries"]) if row else 0

    def blocked_pairs(self, member: str, now: float) -> set[int]:
        rows = self._all(
            "SELECT quota FROM pair_blocks WHERE member = ? AND (until IS NULL OR until > ?)", (member, now)
        )
        return {r["quota"] for r in rows}

    # --- inventory and recontact lists ---------------------------------------------------------------------------
    def save_inventory(self, body: dict[str, Any], expires: float, read_at: float, listed: set[int]) -> None:
        """A GetQuotas read: the body, when it expires, and the quotas it lists become askable again (refusals and
        IsLive=false notices older than the read are lifted for the quotas the read lists)."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO inventory VALUES (1, ?, ?, ?)", (json.dumps(body), expires, read_at))
            for quota in listed:
                db.execute("DELETE FROM quota_blocks WHERE quota = ? AND since < ?", (quota, read_at))
                db.execute("UPDATE quota_notices SET held_at = NULL WHERE quota = ? AND held_at < ?", (quota, read_at))

    def inventory(self) -> tuple[dict[str, Any], float, float] | None:
        row = self._one("SELECT body, expires, read_at FROM inventory WHERE id = 1")
        return (json.loads(row["body"]), row["expires"], row["read_at"]) if row else None

    def save_recontact(self, quota: int, codes: Iterable[str], inventory_read: float) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM recontact WHERE quota = ?", (quota,))
            db.executemany("INSERT OR IGNORE INTO recontact VALUES (?, ?)", [(quota, c) for c in codes])
            db.execute("INSERT OR REPLACE INTO recontact_reads VALUES (?, ?)", (quota, inventory_read))

    def recontact_read_for(self, quota: int) -> float | None:
        row = self._one("SELECT inventory_read FROM recontact_reads WHERE quota = ?", (quota,))
        return row["inventory_read"] if row else None

    def on_recontact_list(self, quota: int, member: str) -> bool:
        return self._one("SELECT 1 FROM recontact WHERE quota = ? AND member = ?", (quota, member)) is not None

    # --- settings ------------------------------------------------------------------------------------------------
    def save_settings(self, values: dict[str, str]) -> None:
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO settings VALUES (?, ?)", list(values.items()))

    def setting(self, name: str) -> str | None:
        row = self._one("SELECT value FROM settings WHERE name = ?", (name,))
        return row["value"] if row else None


def _member(row: sqlite3.Row) -> MemberRow:
    return MemberRow(
        panelist=Panelist.from_record(json.loads(row["record"])),
        registered_at=row["registered_at"],
        last_write=row["last_write"],
        stopped_code=row["stopped_code"],
        paused_until=row["paused_until"],
    )


def _invite(row: sqlite3.Row) -> Invite:
    return Invite(row["token"], row["rid"], row["member"], row["survey"], row["wave"], row["quota"], row["url"])
