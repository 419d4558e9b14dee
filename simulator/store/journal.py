"""The request journal: every request a partner sent and what the sandbox answered.

The conformance suite and support read it; it is the evidence behind every verdict. Request bodies are kept
whole up to ``BODY_LIMIT`` characters, responses up to ``RESPONSE_LIMIT``: every ES answer but GetQuotas fits,
and a GetQuotas body (the same cached list on every poll) keeps its head and its full length.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from .db import Database

BODY_LIMIT = 16_384
RESPONSE_LIMIT = 4_096


@dataclass(slots=True)
class Entry:
    at: str
    wall_at: str
    method: str
    path: str
    query: str
    route: str | None
    panel_guid: str | None
    member_code: str | None
    quota_id: int | None
    status: int
    result_code: int | None
    duration_ms: float
    request_headers: dict[str, str]
    request_body: str | None
    response_body: str | None
    response_length: int
    note: str | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


_INSERT = f"INSERT INTO journal({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


def clip(text: str | None, limit: int = BODY_LIMIT) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit]


class Journal:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, e: Entry) -> int:
        values = [getattr(e, c) for c in _COLUMNS]
        values[_COLUMNS.index("request_headers")] = json.dumps(e.request_headers)
        values[_COLUMNS.index("request_body")] = clip(e.request_body)
        values[_COLUMNS.index("response_body")] = clip(e.response_body, RESPONSE_LIMIT)
        return self.db.write_one(_INSERT, values)

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
    ) -> list[Entry]:
        """Entries in the order they happened; filters combine with AND; times compare on the sandbox clock."""
        where, params = [], []
        for column, value in (
            ("route", route),
            ("member_code", member_code),
            ("quota_id", quota_id),
            ("panel_guid", panel_guid),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since:
            where.append("at >= ?")
            params.append(since)
        if until:
            where.append("at <= ?")
            params.append(until)
        if after_id is not None:
            where.append("id > ?")
            params.append(after_id)
        sql = f"SELECT id, {', '.join(_COLUMNS)} FROM journal"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        out = []
        for row in self.db.read(sql, params):
            d = dict(zip(["id", *_COLUMNS], row, strict=True))
            d["request_headers"] = json.loads(d["request_headers"])
            out.append(Entry(**d))
        return out

    def clear(self) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM journal")
