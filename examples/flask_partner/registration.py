"""Writing members to Toluna: add-or-update, spaced a little over a second apart per member.

The panel does not keep a reliable record of which members Toluna already has (a restored database, a second
installation, members Toluna imported), so it always adds (POST) and, when Toluna answers 409 "already exists",
updates (PUT) with the same body. Toluna refuses a second write of one MemberCode within 1000 ms (and warns of
duplicates), so every write of a member waits until 1.1 s have passed since its previous one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from .config import Config
from .members import Mapping, Panelist, registration_body
from .store import Store
from .toluna_client import Answer, TolunaClient

log = logging.getLogger("flask_partner.registration")

#: Seconds between two writes of one member (Toluna: at least 1000 ms).
WRITE_GAP = 1.1
#: In a 409's message: the write came too soon after another one (rather than "the member exists").
TOO_SOON = "1000 ms"


@dataclass(slots=True)
class WriteReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


class Registrar:
    def __init__(
        self,
        config: Config,
        store: Store,
        client: TolunaClient,
        mapping: Mapping,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config, self.store, self.client, self.mapping = config, store, client, mapping
        self._clock, self._sleep = clock, sleep
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def _lock(self, code: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks[code]

    def _write(self, method: str, member: Panelist) -> Answer:
        """One POST or PUT of the member, after its write gap; the attempt counts as a write either way."""
        row = self.store.member(member.id)
        last = row.last_write if row else None
        if last is not None:
            wait = last + WRITE_GAP - self._clock()
            if wait > 0:
                self._sleep(wait)
        body = registration_body(member, self.mapping, self.config.panel_guid)
        try:
            answer = self.client.add_member(body) if method == "POST" else self.client.update_member(body)
        finally:
            self.store.wrote(member.id, self._clock())
        return answer

    def _settle(self, member: Panelist, answer: Answer) -> Answer:
        """What follows an add Toluna refused with 409: the same add again when it came too soon after another
        write, else (the member exists) the same body by PUT; each after the member's write gap."""
        if answer.status == 409 and TOO_SOON in answer.message:
            answer = self._write("POST", member)
        if answer.status == 409:
            answer = self._write("PUT", member)
        return answer

    def _record(self, code: str, answer: Answer, report: WriteReport) -> bool:
        if answer.status in (200, 201):
            self.store.wrote(code, self._clock(), registered=True)
            (report.added if answer.status == 201 else report.updated).append(code)
            return True
        report.refused[code] = f"HTTP {answer.status}: {answer.message}"
        log.warning("member %s not registered: HTTP %s %s", code, answer.status, answer.message)
        return False

    def ensure(self, code: str, report: WriteReport | None = None) -> bool:
        """The member is known to Toluna afterwards (True), added now if it was not; False when Toluna refused it.
        Members Toluna had before the panel's files were written are never written."""
        report = report if report is not None else WriteReport()
        with self._lock(code):
            row = self.store.member(code)
            if row is None:
                return False
            if row.panelist.known_to_toluna or row.registered_at is not None:
                return True
            return self._record(code, self._settle(row.panelist, self._write("POST", row.panelist)), report)

    def register_all(self) -> WriteReport:
        """Every member Toluna does not know yet, added (or updated after a 409). Adds go first, one member after
        another; what follows a 409 then waits for its own member's write gap, not for the others'."""
        report = WriteReport()
        pending = [
            r.panelist.id for r in self.store.members() if not r.panelist.known_to_toluna and r.registered_at is None
        ]
        conflicts: list[tuple[str, Answer]] = []
        for code in pending:
            with self._lock(code):
                row = self.store.member(code)
                if row is None or row.registered_at is not None:
                    continue
                answer = self._write("POST", row.panelist)
                if answer.status == 409:
                    conflicts.append((code, answer))
                else:
                    self._record(code, answer, report)
        for code, answer in conflicts:
            with self._lock(code):
                row = self.store.member(code)
                if row is not None:
                    self._record(code, self._settle(row.panelist, answer), report)
        return report

    def send_profile_updates(self, report: WriteReport | None = None) -> WriteReport:
        """Profile changes of registered members (or members Toluna had already), each sent as one PUT of the
        member's whole current record, a write gap after the member's previous write."""
        report = report if report is not None else WriteReport()
        for row in self.store.members():
            changes = self.store.pending_updates(row.panelist.id)
            if not changes or not (row.panelist.known_to_toluna or row.registered_at is not None):
                continue
            with self._lock(row.panelist.id):
                record = row.panelist.record()
                for name, value in changes:
                    if name not in record or name in ("id", "known_to_toluna"):
                        log.warning(
                            "member %s: profile update of %r ignored (not a profile field)", row.panelist.id, name
                        )
                        continue
                    record[name] = value
                member = Panelist.from_record(record)
                answer = self._write("PUT", member)
                if answer.status == 200:
                    self.store.save_record(member)
                    self.store.mark_updates_applied(member.id, self._clock())
                    report.updated.append(member.id)
                else:
                    report.refused[member.id] = f"HTTP {answer.status}: {answer.message}"
        return report
