"""The durable outbox: every notification is stored (in the transaction of the change it reports) before anyone
tries to deliver it, and every delivery attempt is recorded.

Deliveries are claimed with a lease in one statement, so several server workers never deliver the same
notification at once, and a worker killed mid-delivery leaves a lease that expires and lets another take over.
A success is recorded in the statement that ends the lease; a failure sends the notification behind the rest of
the queue (Toluna retries a failed one after the others) with a growing delay, and gives it up after the panel's
number of attempts. An explicit resend makes a new delivery of the same document and keeps the history.

A notification carries everything its delivery needs (URL, headers, body, attempts, delays, timeout), so loading
or resetting a scenario leaves the outbox alone: what is pending is still delivered, and ids are never reused
(``AUTOINCREMENT``). A load starts a new *run*: listings and waits without ``ids`` (or ``after``) see the current
run only, and pending notifications from before are counted as carried over. Delivered and given-up ones go by
retention only (``retention``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..records import Claimed, Outgoing
from .database import Connection, Database

LEASE_SECONDS = 30.0
MAX_DELAY = 60.0
#: Meta key: the last notification id of the runs before the latest scenario load or reset.
RUN_FROM = "outbox_run_from"
_CURRENT_RUN = f"id > COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{RUN_FROM}'), 0)"
_COLUMNS = (
    "id, kind, panel_guid, url, format, content_type, headers, body, created_at, status, attempts, next_at, "
    "delivered_at, resend_of, subject, max_attempts, retry_seconds, timeout"
)


def _now() -> float:
    return datetime.now(UTC).timestamp()


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def enqueue(conn: Connection, items: list[Outgoing], delay: float = 0.0) -> list[int]:
        """Inside the caller's transaction, due ``delay`` seconds from now; the new notifications' ids."""
        ids = []
        now = _now()
        due = now + delay
        for o in items:
            cur = conn.execute(
                "INSERT INTO outbox(kind, panel_guid, url, format, content_type, headers, body, created_at, status, "
                "attempts, next_at, subject, max_attempts, retry_seconds, timeout, queue_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, "
                "(SELECT COALESCE(MAX(queue_seq), 0) + 1 FROM outbox)) RETURNING id",
                (
                    o.kind, o.panel_guid, o.url, o.format, o.content_type, json.dumps(o.headers), o.body, now, due,
                    json.dumps(o.subject), o.max_attempts, o.retry_seconds, o.timeout,
                ),
            )  # fmt: skip
            ids.append(int(cur.fetchone()[0]))
        return ids

    def queue(self, tx: Connection, items: list[Outgoing], delay: float = 0.0) -> list[int]:
        """``enqueue``, and once the transaction commits, signal every process's dispatcher."""
        ids = self.enqueue(tx, items, delay)
        if ids:
            self.db.after_commit(self.db.live.signal_outbox)
        return ids

    def claim(self, owner: str, limit: int = 64) -> list[Claimed]:
        """Take up to ``limit`` due notifications, in queue order, for ``LEASE_SECONDS``."""
        now = _now()
        with self.db.write(exclusive=False) as conn:
            rows = conn.execute(
                "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN ("
                "SELECT id FROM outbox WHERE status = 'pending' AND next_at <= ? "
                f"AND (lease_until IS NULL OR lease_until < ?) ORDER BY queue_seq LIMIT ?{self.db.skip_locked}) "
                "RETURNING id, url, content_type, headers, body, attempts, max_attempts, retry_seconds, timeout, "
                "queue_seq",
                (self.db.lease_owner(owner), now + LEASE_SECONDS, now, now, limit),
            ).fetchall()
        rows.sort(key=lambda r: r[9])  # RETURNING keeps no order: the queue's is the one that counts
        return [Claimed(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7], r[8]) for r in rows]

    def record(
        self, item: Claimed, owner: str, status: int | None, error: str | None, latency_ms: float, excerpt: str
    ) -> bool:
        """One attempt's result; True when it delivered. Only the lease's owner may end it."""
        ok = status is not None and 200 <= status < 300
        now = _now()
        owner = self.db.lease_owner(owner)
        with self.db.write(exclusive=False) as conn:
            conn.execute(
                "INSERT INTO outbox_attempts(notification_id, at, status, error, latency_ms, response) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (item.id, now, status, error, round(latency_ms, 3), excerpt[:512]),
            )
            if ok:
                conn.execute(
                    "UPDATE outbox SET status = 'delivered', delivered_at = ?, attempts = attempts + 1, "
                    "lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
                    (now, item.id, owner),
                )
                return True
            attempts = item.attempts + 1
            delay = min(item.retry_seconds * 2 ** (attempts - 1), MAX_DELAY)
            conn.execute(
                "UPDATE outbox SET attempts = ?, status = ?, next_at = ?, lease_owner = NULL, lease_until = NULL, "
                "queue_seq = (SELECT MAX(queue_seq) + 1 FROM outbox) WHERE id = ? AND lease_owner = ?",
                (attempts, "failed" if attempts >= item.max_attempts else "pending", now + delay, item.id, owner),
            )
        return False

    def resend(self, notification_id: int) -> int | None:
        """A new delivery of a stored notification; its id, or None when there is no such notification."""
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT kind, panel_guid, url, format, content_type, headers, body, subject, max_attempts, "
                "retry_seconds, timeout FROM outbox WHERE id = ?",
                (notification_id,),
            ).fetchone()
            if row is None:
                return None
            o = Outgoing(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[6],
                json.loads(row[5]),
                json.loads(row[7]),
                row[8],
                row[9],
                row[10],
            )
            [new] = self.queue(conn, [o])
            conn.execute("UPDATE outbox SET resend_of = ? WHERE id = ?", (notification_id, new))
            return new

    @property
    def signal(self) -> int:
        """The shared-memory counter every commit of notifications bumps (a memory read)."""
        return self.db.live.outbox_signal

    def next_due(self) -> float | None:
        """When the next pending notification can be claimed (epoch seconds), or None: one being delivered counts
        from the end of its lease, so an idle dispatcher does not spin while another delivers."""
        row = self.db.read(
            "SELECT MIN(CASE WHEN lease_until >= ? THEN lease_until ELSE next_at END) FROM outbox "
            "WHERE status = 'pending'",
            (_now(),),
        )
        return float(row[0][0]) if row and row[0][0] is not None else None

    def release_dead(self) -> int:
        """End the leases of dispatchers whose process is gone (``kill -9`` mid-delivery), so what they had in hand
        is delivered now rather than when the lease runs out; how many notifications were freed. The database
        tells which owners are gone (``Database.dead_owners``)."""
        now = _now()
        owners = self.db.read(
            "SELECT DISTINCT lease_owner FROM outbox WHERE status = 'pending' AND lease_until >= ?", (now,)
        )
        dead = self.db.dead_owners([o for (o,) in owners if o])
        if not dead:
            return 0
        with self.db.write() as conn:
            cur = conn.execute(
                "UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE status = 'pending' "
                f"AND lease_owner IN ({', '.join('?' * len(dead))})",
                dead,
            )
            return cur.rowcount

    @staticmethod
    def start_run(conn: Connection) -> None:
        """Inside a scenario load: notifications queued from now on form the current run; nothing is removed."""
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, (SELECT CAST(COALESCE(MAX(id), 0) AS TEXT) FROM outbox)) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (RUN_FROM,),
        )

    def last_id(self) -> int:
        return int(self.db.read("SELECT COALESCE(MAX(id), 0) FROM outbox")[0][0])

    def pending(self) -> int:
        """Pending notifications of the current run."""
        return int(self.db.read(f"SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND {_CURRENT_RUN}")[0][0])

    def carried_over(self) -> int:
        """Pending notifications queued before the latest scenario load or reset (still being delivered)."""
        sql = f"SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND NOT {_CURRENT_RUN}"
        return int(self.db.read(sql)[0][0])

    def list(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        panel: str | None = None,
        after: int | None = None,
        ids: list[int] | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Oldest first; the current run's only unless ``ids`` or ``after`` (ids are never reused: they name
        notifications of any run)."""
        where, params = [], []
        if not ids and after is None:
            where.append(_CURRENT_RUN)
        for column, value in (("status", status), ("kind", kind), ("panel_guid", panel)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if after is not None:
            where.append("id > ?")
            params.append(after)
        if ids:
            where.append(f"id IN ({', '.join('?' * len(ids))})")
            params.extend(ids)
        sql = f"SELECT {_COLUMNS} FROM outbox" + (f" WHERE {' AND '.join(where)}" if where else "")
        rows = self.db.read(sql + " ORDER BY id LIMIT ?", [*params, limit])
        return [self._doc(r) for r in rows]

    def get(self, notification_id: int) -> dict[str, Any] | None:
        found = self.list(ids=[notification_id], limit=1)
        if not found:
            return None
        rows = self.db.read(
            "SELECT at, status, error, latency_ms, response FROM outbox_attempts WHERE notification_id = ? ORDER BY id",
            (notification_id,),
        )
        found[0]["Attempts"] = [
            {"At": _iso(r[0]), "Status": r[1], "Error": r[2], "LatencyMs": r[3], "Response": r[4]} for r in rows
        ]
        return found[0]

    @staticmethod
    def _doc(r: tuple) -> dict[str, Any]:
        return {
            "ID": r[0],
            "Kind": r[1],
            "PanelGUID": r[2],
            "URL": r[3],
            "Format": r[4],
            "ContentType": r[5],
            "Headers": json.loads(r[6]),
            "Body": r[7],
            "CreatedAt": _iso(r[8]),
            "Status": r[9],
            "Attempts": r[10],
            "NextAttemptAt": _iso(r[11]) if r[9] == "pending" else None,
            "DeliveredAt": _iso(r[12]),
            "ResendOf": r[13],
            "About": json.loads(r[14]),
            "MaxAttempts": r[15],
        }
