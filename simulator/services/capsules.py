"""Repro capsules: one file holding a sandbox as a partner left it, so that support opens it and sees what the
partner saw.

A capsule is the state (``Store.export_state``: inventory with live counters and states, members, participations,
invites, visits, recontact lists, fault rules, the timeline, reference data, postal areas, outcome rules), the
sandbox clock, the scenario it started from (name, source, digest, population seeds, text), the journal tape (the
partner's requests and the answers they got, ``Entry.to_dict()``) and the versions that made it.

The file (``pack`` / ``unpack``) is a zip archive of two JSON documents: ``capsule.json`` (everything but the
tape) and ``tape.json`` (the tape, oldest first). ``GET /_sandbox/capsule`` answers the same document in one piece,
tape included; ``POST /_sandbox/capsule`` takes either form.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from datetime import UTC, datetime
from typing import Any

from simulator.domain.clock import ClockSetting
from simulator.domain.errors import BadRequestError, ScenarioError
from simulator.scenario.limits import Limits
from simulator.scenario.source import parse_yaml
from simulator.store import Store

#: What the ``format`` key of every capsule says.
FORMAT = "toluna-sandbox capsule"
#: The capsule format version: a sandbox opens capsules of this version and older.
FORMAT_VERSION = 1
STATE_FILE, TAPE_FILE = "capsule.json", "tape.json"
#: Journal entries read at a time while the tape is written.
TAPE_PAGE = 1000
#: The most a capsule's files may hold once unpacked.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024

_FIX = "export it again with `toluna-sandbox capsule export -o FILE` (or GET /_sandbox/capsule)"


class CapsuleError(BadRequestError):
    """A file or document that is not a capsule this sandbox can open; the message names the problem and the fix."""


class Capsules:
    def __init__(self, store: Store, sandbox_version: str) -> None:
        self.store = store
        self.sandbox_version = sandbox_version

    def export(self) -> dict[str, Any]:
        """The capsule of this sandbox as it is now."""
        state = self.store.export_state()
        clock = self.store.meta.clock()
        meta = self.store.meta
        text = meta.get("scenario_text")
        return {
            "format": FORMAT,
            "capsule_version": FORMAT_VERSION,
            "sandbox_version": self.sandbox_version,
            "schema_version": state.get("schema"),
            "exported_at": datetime.now(UTC).isoformat(),
            "clock": {"now": clock.now().isoformat(), "frozen": clock.frozen_at is not None},
            "scenario": {
                "name": meta.get("scenario_name"),
                "source": meta.get("scenario_source"),
                "digest": meta.get("scenario_digest"),
                "seeds": _seeds(text, meta.get("scenario_source") or "<scenario>"),
                "text": text,
            },
            "state": state,
            "tape": self._tape(),
        }

    def _tape(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after = 0
        while True:
            page = self.store.journal.query(after_id=after, limit=TAPE_PAGE)
            out.extend(e.to_dict() for e in page)
            if len(page) < TAPE_PAGE:
                return out
            after = int(page[-1].id or 0)

    def open(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Replace this sandbox's state with the capsule's (the journal and the outbox stay). A running clock
        carries on from the instant the capsule was exported; a frozen one stays where it was."""
        check(doc)
        state = dict(doc["state"])
        clock = doc.get("clock") or {}
        if not clock.get("frozen") and clock.get("now"):
            try:
                then = datetime.fromisoformat(str(clock["now"]))
                then = then if then.tzinfo else then.replace(tzinfo=UTC)
            except ValueError:
                raise CapsuleError(
                    f"clock.now: {str(clock['now'])[:100]!r} is not an ISO-8601 instant. Fix: {_FIX}"
                ) from None
            running = ClockSetting().set_to(then, frozen=False)
            state["clock"] = {"frozen_at": None, "offset_seconds": running.offset_seconds}
        try:
            self.store.import_state(state)
        except ValueError as exc:
            raise CapsuleError(f"the capsule's state cannot be opened: {exc}. Fix: {_FIX}") from None
        return summary(doc) | {"Clock": self.store.now().isoformat()}


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    """What a capsule holds, in a few words (what ``export`` and ``open`` print)."""
    tables = doc["state"].get("tables", {})
    return {
        "Scenario": (doc.get("scenario") or {}).get("name"),
        "ExportedAt": doc.get("exported_at"),
        "SandboxTime": (doc.get("clock") or {}).get("now"),
        "Members": len((tables.get("members") or {}).get("rows", [])),
        "Invites": len((tables.get("invites") or {}).get("rows", [])),
        "TapeEntries": len(doc.get("tape") or []),
        "Versions": {k: doc.get(k) for k in ("sandbox_version", "capsule_version", "schema_version")},
    }


def _seeds(text: str | None, source: str) -> list[int]:
    """The seeds of the scenario's generated populations (the same seed gives the same members)."""
    if not text:
        return []
    try:
        doc, _ = parse_yaml(text, source, Limits())
    except ScenarioError:
        return []
    populations = doc.get("populations") if isinstance(doc, dict) else None
    return [int(p.get("seed", 0)) for p in populations or [] if isinstance(p, dict)]


def check(doc: Any, name: str = "the capsule") -> None:
    """A ``CapsuleError`` unless ``doc`` is a capsule of a format version this sandbox opens."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CapsuleError(f'{name} is not a capsule: its document has no "format": "{FORMAT}". Fix: {_FIX}')
    version = doc.get("capsule_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CapsuleError(f"{name}: capsule_version {str(version)[:40]} is not a capsule format version. Fix: {_FIX}")
    if version > FORMAT_VERSION:
        raise CapsuleError(
            f"{name}: capsule format {version} is newer than this sandbox's ({FORMAT_VERSION}). "
            "Fix: open it with a newer toluna-sandbox"
        )
    if not isinstance(doc.get("state"), dict):
        raise CapsuleError(f"{name} has no state. Fix: {_FIX}")
    if not isinstance(doc.get("tape", []), list):
        raise CapsuleError(f"{name}: tape: expected a list of journal entries. Fix: {_FIX}")


def pack(doc: dict[str, Any]) -> bytes:
    """The capsule file: a zip of ``capsule.json`` (all but the tape) and ``tape.json``."""
    buf = io.BytesIO()
    rest = {k: v for k, v in doc.items() if k != "tape"}
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(STATE_FILE, json.dumps(rest, ensure_ascii=False, separators=(",", ":")))
        z.writestr(TAPE_FILE, json.dumps(doc.get("tape") or [], ensure_ascii=False, indent=1))
    return buf.getvalue()


def unpack(data: bytes, name: str = "the capsule") -> dict[str, Any]:
    """The capsule document of a capsule file (or of its one-piece JSON document), checked."""
    if data[:2] == b"PK":
        doc = _from_zip(data, name)
    elif data.lstrip()[:1] == b"{":
        doc = _json(data, name)
    else:
        raise CapsuleError(
            f"{name} is not a capsule: expected a zip of {STATE_FILE} and {TAPE_FILE}, or a capsule's JSON "
            f"document. Fix: {_FIX}"
        )
    check(doc, name)
    return doc


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CapsuleError(f"{name} is damaged: not valid JSON ({str(exc)[:120]}). Fix: {_FIX}") from None


def _from_zip(data: bytes, name: str) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if STATE_FILE not in names:
                raise CapsuleError(f"{name} is a zip without {STATE_FILE}: not a capsule. Fix: {_FIX}")
            if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED_BYTES:
                raise CapsuleError(f"{name} unpacks to more than {MAX_UNPACKED_BYTES} bytes. Fix: {_FIX}")
            doc = _json(z.read(STATE_FILE), f"{name}: {STATE_FILE}")
            if isinstance(doc, dict) and TAPE_FILE in names:
                doc["tape"] = _json(z.read(TAPE_FILE), f"{name}: {TAPE_FILE}")
            return doc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
        raise CapsuleError(f"{name} is a damaged zip ({str(exc)[:120]}). Fix: {_FIX}") from None
