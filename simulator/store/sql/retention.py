"""Retention: how much the sandbox keeps of the records that only grow.

Pruned: request journal entries (and the long responses no entry refers to any more), delivered and given-up
notifications with their attempts, answers kept for repeated control calls, and fault rules whose shots are all
used. Never pruned: pending notifications, and the sandbox's state (members, participations, visits, invites,
recontact lists), which the reports read and a scenario load or reset starts over.

Server workers prune every few seconds (``background.start_pruner``), so a table holds at most its limit plus what
arrives between two passes. Deletes go in short transactions so that requests never wait long for the write lock.
Ids are never reused after pruning (``AUTOINCREMENT``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from ..records import Limits, Pruned
from .database import Connection, Database
from .meta import Meta

#: Rows deleted per transaction.
CHUNK = 2_000


def prune(db: Database, limits: Limits, now: datetime | None = None) -> Pruned:
    """One retention pass over every table that only grows."""
    now = now or datetime.now(UTC)
    done = Pruned()
    done.journal, done.journal_texts = _prune_journal(db, limits, now)
    done.outbox = _prune_outbox(db, limits, now)
    with db.write() as conn:
        done.replies = _prune_replies(conn, limits, now, db.no_limit)
        done.faults = conn.execute("DELETE FROM faults WHERE remaining IS NOT NULL AND remaining <= 0").rowcount
    return done


def _keep_from(conn: Connection, table: str, where: str, newest: int) -> int:
    """The lowest id among ``table``'s ``newest`` rows matching ``where`` (0: fewer rows than that)."""
    sql = f"SELECT id FROM {table} WHERE {where} ORDER BY id DESC LIMIT 1 OFFSET ?"
    row = conn.execute(sql, (newest - 1,)).fetchone() if newest > 0 else None
    return int(row[0]) if row else 0


def _prune_journal(db: Database, limits: Limits, now: datetime) -> tuple[int, int]:
    with db.snapshot_read() as conn:
        floor = _keep_from(conn, "journal", "1 = 1", limits.journal_entries)
        if limits.max_age_days > 0:  # ids grow with time: scan from the oldest up to the first young entry
            cutoff = (now - timedelta(days=limits.max_age_days)).isoformat()
            row = conn.execute("SELECT id FROM journal WHERE wall_at >= ? ORDER BY id LIMIT 1", (cutoff,)).fetchone()
            last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM journal").fetchone()[0]
            floor = max(floor, int(row[0]) if row else int(last) + 1)
        oldest = conn.execute("SELECT MIN(id) FROM journal").fetchone()[0]
    if oldest is None or floor <= oldest:
        return 0, 0
    removed = 0
    for start in range(int(oldest), floor, CHUNK):
        with db.write() as conn:
            removed += conn.execute("DELETE FROM journal WHERE id < ?", (min(start + CHUNK, floor),)).rowcount
    with db.write() as conn:
        texts = conn.execute(  # one index lookup per text (there are few: distinct long responses)
            "DELETE FROM journal_texts WHERE NOT EXISTS (SELECT 1 FROM journal WHERE response_ref = journal_texts.hash)"
        ).rowcount
    return removed, texts


def _prune_outbox(db: Database, limits: Limits, now: datetime) -> int:
    finished = "status != 'pending'"
    with db.snapshot_read() as conn:
        floor = _keep_from(conn, "outbox", finished, limits.outbox_finished)
    cutoff = (now - timedelta(days=limits.max_age_days)).timestamp() if limits.max_age_days > 0 else 0.0
    removed = 0
    while True:
        with db.write() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    f"SELECT id FROM outbox WHERE {finished} AND (id < ? OR created_at < ?) ORDER BY id LIMIT ?",
                    (floor, cutoff, CHUNK),
                )
            ]
            if not ids:
                return removed
            chosen = (json.dumps(ids),)
            conn.execute(f"DELETE FROM outbox_attempts WHERE notification_id IN {db.listed_ids}", chosen)
            removed += conn.execute(f"DELETE FROM outbox WHERE id IN {db.listed_ids}", chosen).rowcount


def _prune_replies(conn: Connection, limits: Limits, now: datetime, no_limit: str) -> int:
    removed = 0
    if limits.replies_max_age_hours > 0:
        cutoff = (now - timedelta(hours=limits.replies_max_age_hours)).timestamp()
        removed += conn.execute("DELETE FROM control_replies WHERE at < ?", (cutoff,)).rowcount
    if limits.replies > 0:  # an answer still being carried out keeps its key
        removed += conn.execute(
            "DELETE FROM control_replies WHERE key IN (SELECT key FROM control_replies WHERE status != ? "
            f"ORDER BY at DESC LIMIT {no_limit} OFFSET ?)",
            (Meta.PENDING, limits.replies),
        ).rowcount
    return removed
