"""The request journal: every request a partner sent and what the sandbox answered.

The conformance suite and support read it; it is the evidence behind every verdict. Request bodies are kept
whole up to ``BODY_LIMIT`` characters, responses up to ``RESPONSE_LIMIT`` (a bulk answer for 100 quotas fits), and a
GetQuotas body (the same cached list on every poll) keeps its first ``QUOTAS_HEAD`` characters and its full length.

On a database file, a request only queues its entry: one writer thread per process stores the queue every
``FLUSH_SECONDS`` in one transaction. Partners poll and invite at hundreds of requests a second, and one small
transaction per request made the server workers queue on SQLite's write lock. Readers see every entry queued
before they asked: a query stores its own process's queue and waits until every other worker has stored what it
had queued (each process counts its queued and stored entries in shared memory, ``live.LiveState``). A process
killed with ``kill -9`` loses at most its last ``FLUSH_SECONDS`` of entries.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import multiprocessing.util
import os
import threading
import time
import weakref
from typing import Any

from ..records import BODY_LIMIT, RESPONSE_LIMIT, Entry
from .database import Database

log = logging.getLogger("simulator.journal")

#: How long an entry waits in its process's queue at most (plus the time the write lock is busy).
FLUSH_SECONDS = 0.02

_COLUMNS = [
    "at",
    "wall_at",
    "method",
    "path",
    "query",
    "route",
    "panel_guid",
    "member_code",
    "quota_id",
    "status",
    "result_code",
    "duration_ms",
    "request_headers",
    "request_body",
    "response_body",
    "response_length",
    "note",
]
_STORED = [*_COLUMNS, "response_ref"]
_INSERT = f"INSERT INTO journal({', '.join(_STORED)}) VALUES ({', '.join('?' * len(_STORED))})"
_INSERT_TEXT = "INSERT INTO journal_texts(hash, text) VALUES (?, ?) ON CONFLICT DO NOTHING"
#: Responses longer than this are stored once per distinct text (a GetQuotas poll repeats the last one's head).
SHARED_TEXT = 512


def clip(text: str | None, limit: int = BODY_LIMIT) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit]


def _row(e: Entry, texts: dict[str, str]) -> list[Any]:
    """The row to insert; a long response goes to ``texts`` (hash -> text) and the row keeps its hash."""
    values = [getattr(e, c) for c in _COLUMNS]
    values[_HEADERS] = json.dumps(e.request_headers)
    values[_REQUEST] = clip(e.request_body)
    response = clip(e.response_body, RESPONSE_LIMIT)
    ref = None
    if response is not None and len(response) > SHARED_TEXT:
        ref = hashlib.blake2b(response.encode(), digest_size=16).hexdigest()
        texts[ref] = response
        response = None
    values[_RESPONSE] = response
    values.append(ref)
    return values


def _inserts(entries: list[Entry]) -> list[tuple[str, list[Any]]]:
    """The statements that store ``entries``: their long responses (once per text), then the entries."""
    texts: dict[str, str] = {}
    rows = [_row(e, texts) for e in entries]
    return [(_INSERT_TEXT, list(texts.items())), (_INSERT, rows)]


_HEADERS, _REQUEST, _RESPONSE = (_COLUMNS.index(c) for c in ("request_headers", "request_body", "response_body"))


class Journal:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.queued = db.queued_journal
        self._pending: list[Entry] = []
        self._queued_total = 0  # entries this process queued, and of those, stored
        self._stored_total = 0
        self._pending_lock = threading.Lock()
        self._write_lock = threading.Lock()  # queue drains land in the order they were taken
        self._pid: int | None = None  # the process whose queue this is

    def add(self, e: Entry) -> None:
        if not self.queued:
            self.db.append(_inserts([e]))
            return
        pid = os.getpid()
        with self._pending_lock:
            first = self._pid != pid
            if first:  # first entry in this process (server workers fork): a fresh queue, count and writer
                self._pid, self._pending, self._queued_total, self._stored_total = pid, [], 0, 0
            self._pending.append(e)
            self._queued_total += 1
            self.db.live.mark_queued(self._queued_total)
        if first:
            ref = weakref.ref(self)
            threading.Thread(target=_writer_loop, args=(ref,), name="journal-writer", daemon=True).start()
            atexit.register(_flush_at_exit, ref)
            # A worker process started by multiprocessing (granian's) ends with os._exit, which skips atexit
            # but runs multiprocessing's own finalizers first.
            multiprocessing.util.Finalize(self, _flush_at_exit, args=(ref,), exitpriority=10)

    def flush(self) -> int:
        """Store this process's queued entries now; how many there were."""
        with self._write_lock:
            with self._pending_lock:
                batch, self._pending = self._pending, []
            if batch:
                self.db.append(_inserts(batch))
                self._stored_total += len(batch)
                self.db.live.mark_stored(self._stored_total)
            return len(batch)

    def settle(self) -> None:
        """Before reading: store this process's queue, then wait until the other workers have stored theirs."""
        if self.queued:
            self.flush()
            if not self.db.live.wait_for_others():
                log.warning("journal: another worker has not stored its entries in time; reading without them")

    def count(self, after_id: int = 0) -> tuple[int, int]:
        """How many entries follow ``after_id``, and the last id stored (0 when none)."""
        self.settle()  # entries still queued in this or another worker count too, as in ``query``
        rows = self.db.read("SELECT COUNT(*), MAX(id) FROM journal WHERE id > ?", (after_id,))
        last = self.db.read("SELECT MAX(id) FROM journal")
        return int(rows[0][0]), int(last[0][0] or 0)

    def query(
        self,
        *,
        route: str | None = None,
        member_code: str | None = None,
        quota_id: int | None = None,
        panel_guid: str | None = None,
        since: str | None = None,
        until: str | None = None,
        after_id: int | None = None,
        limit: int = 100,
        result_code: int | None = None,
        newest_first: bool = False,
    ) -> list[Entry]:
        """Entries in the order they were stored (``wall_at`` orders entries of different workers within one
        flush interval), or the last ``limit`` newest first; filters combine with AND; times compare on the sandbox
        clock."""
        self.settle()
        where, params = [], []
        for column, value in (
            ("route", route),
            ("member_code", member_code),
            ("quota_id", quota_id),
            ("panel_guid", panel_guid),
            ("result_code", result_code),
        ):
            if value is not None:
                where.append(f"j.{column} = ?")
                params.append(value)
        if since:
            where.append("j.at >= ?")
            params.append(since)
        if until:
            where.append("j.at <= ?")
            params.append(until)
        if after_id is not None:
            where.append("j.id > ?")
            params.append(after_id)
        columns = ", ".join(f"j.{c}" if c != "response_body" else "COALESCE(j.response_body, t.text)" for c in _COLUMNS)
        sql = f"SELECT j.id, {columns} FROM journal j LEFT JOIN journal_texts t ON t.hash = j.response_ref"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY j.id{' DESC' if newest_first else ''} LIMIT ?"
        params.append(limit)
        out = []
        for row in self.db.read(sql, params):
            d = dict(zip(["id", *_COLUMNS], row, strict=True))
            d["request_headers"] = json.loads(d["request_headers"])
            out.append(Entry(**d))
        return out

    def clear(self) -> None:
        self.settle()
        with self.db.write() as conn:
            conn.execute("DELETE FROM journal")
            conn.execute("DELETE FROM journal_texts")


def _writer_loop(ref: weakref.ref[Journal]) -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        journal = ref()
        if journal is None:
            return
        try:
            journal.flush()
        except Exception:  # a full disk or a closed database must not kill the writer
            log.exception("journal writer: could not store entries")
        del journal


def _flush_at_exit(ref: weakref.ref[Journal]) -> None:
    journal = ref()
    if journal is not None:
        try:
            journal.flush()
        except Exception:
            log.exception("journal: could not store the last entries at exit")
