"""The whole state as JSON-able rows, and back: what a capsule carries of the store.

The document (``SqliteStore.export_state``)::

    {"schema": 7,                                   # STATE_FORMAT: the same for every store
     "clock": {"frozen_at": "...", "offset_seconds": 0.0},
     "meta": {"reference": "...", "scenario_name": "...", ...},   # sandbox-wide facts, as stored (text)
     "tables": {"members": {"columns": [...], "rows": [[...], ...]}, ...}}

A ``doc`` column is given as the JSON value it holds. The journal, the outbox and the replies to repeated control
calls are not state: they are neither written nor read here. ``import_state`` replaces every state table at once
(a table the document leaves out comes back empty); a document of a newer schema, a table or a column this schema
does not have, or a row that does not fit is a ``ValueError`` and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from simulator.domain.clock import ClockSetting

from .database import Connection, Database
from .docs import dumps
from .meta import Meta, clock_from_text
from .outbox import RUN_FROM, Outbox

#: The version of this document's layout (the state tables and their columns), whichever store wrote it: a capsule
#: of one store opens in the other. 7: panels keep their scenario order in ``position``.
STATE_FORMAT = 7
#: Meta keys that are not state: the change counter, the outbox's run mark, the clock (given on its own).
_NOT_STATE = frozenset({"version", RUN_FROM, "clock"})
#: Columns holding a JSON document: given as the value, not as its text.
_JSON_COLUMNS = frozenset({"doc"})


def export_state(db: Database, tables: Iterable[str]) -> dict[str, Any]:
    """Every state table and sandbox-wide fact, read in one transaction (one consistent state)."""
    with db.snapshot_read() as conn:
        out: dict[str, Any] = {}
        for table in tables:
            cur = conn.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cur.description]
            decode = [c in _JSON_COLUMNS for c in columns]
            if any(decode):
                rows = [
                    [json.loads(v) if d and v is not None else v for v, d in zip(r, decode, strict=True)] for r in cur
                ]
            else:
                rows = [list(r) for r in cur]
            out[table] = {"columns": columns, "rows": rows}
        meta = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta") if k not in _NOT_STATE}
        clock = clock_from_text(conn.execute("SELECT value FROM meta WHERE key = 'clock'").fetchall())
    return {
        "schema": STATE_FORMAT,
        "clock": {
            "frozen_at": clock.frozen_at.isoformat() if clock.frozen_at else None,
            "offset_seconds": clock.offset_seconds,
        },
        "meta": meta,
        "tables": out,
    }


def _clock(doc: Any) -> ClockSetting:
    if not isinstance(doc, dict):
        raise ValueError("clock: expected {frozen_at, offset_seconds}")
    frozen, offset = doc.get("frozen_at"), doc.get("offset_seconds", 0)
    try:
        return ClockSetting(datetime.fromisoformat(frozen) if frozen else None, float(offset))
    except (TypeError, ValueError):
        raise ValueError(
            f"clock: {str(doc)[:200]} is not a clock (frozen_at ISO-8601 or null, offset_seconds)"
        ) from None


def _table_rows(db: Database, conn: Connection, table: str, doc: Any) -> tuple[list[str], list[list[Any]]]:
    """The columns and rows of one table of the document, checked against the table's definition."""
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), list) or not isinstance(doc.get("rows"), list):
        raise ValueError(f"tables.{table}: expected {{columns: [...], rows: [[...], ...]}}")
    known = db.columns(conn, table)
    columns = doc["columns"]
    unknown = [c for c in columns if c not in known]
    if unknown or len(set(columns)) != len(columns):
        raise ValueError(
            f"tables.{table}: columns {unknown or columns} are not this sandbox's (it has {sorted(known)})"
        )
    rows, width = doc["rows"], len(columns)
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            raise ValueError(f"tables.{table}.rows[{i}]: expected a list of {width} values")
    encode = [c in _JSON_COLUMNS for c in columns]
    if any(encode):
        rows = [[dumps(v) if e and v is not None else v for v, e in zip(row, encode, strict=True)] for row in rows]
    return columns, rows


def import_state(db: Database, tables: Iterable[str], doc: dict[str, Any]) -> None:
    """Replace the whole state with ``doc`` in one transaction; the outbox is kept and a new run of it starts."""
    if not isinstance(doc, dict):
        raise ValueError("the state is not a JSON object")
    schema = doc.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise ValueError("schema: missing (the store schema version the state was written with)")
    if schema > STATE_FORMAT:
        raise ValueError(f"schema {schema} is newer than this sandbox's ({STATE_FORMAT}): open it with a newer one")
    setting = _clock(doc.get("clock", {}))
    meta, given = doc.get("meta", {}), doc.get("tables", {})
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise ValueError("meta: expected an object of texts")
    names = list(tables)
    if not isinstance(given, dict) or set(given) - set(names):
        extra = sorted(set(given) - set(names)) if isinstance(given, dict) else given
        raise ValueError(f"tables: {extra} are not state tables of this sandbox ({', '.join(names)})")
    try:
        with db.write() as conn:
            checked = {table: _table_rows(db, conn, table, given[table]) for table in names if table in given}
            for table in names:
                conn.execute(f"DELETE FROM {table}")
            for table, (columns, rows) in checked.items():
                if rows:
                    marks = ", ".join("?" for _ in columns)
                    conn.executemany(f"INSERT INTO {table}({', '.join(columns)}) VALUES ({marks})", rows)
            kept = ", ".join(f"'{k}'" for k in sorted(_NOT_STATE))
            conn.execute(f"DELETE FROM meta WHERE key NOT IN ({kept})")
            for key, value in meta.items():
                if key not in _NOT_STATE:
                    Meta.put(conn, key, value)
            Meta(db).set_clock(setting, conn)
            Outbox.start_run(conn)
            db.bump_version(conn)
    except db.errors() as exc:
        raise ValueError(f"the state does not fit this sandbox's tables: {exc}") from None
    db.ids_restart(names)
