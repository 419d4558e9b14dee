"""Repeated control calls: a call that carries an idempotency key is carried out once; the same key again (a client
repeating a call whose answer a dropped connection lost) gets the first answer back."""

from __future__ import annotations

import time

from simulator.domain.errors import ConflictError
from simulator.store import Store

#: How long a repeat waits for the first call with its key to finish (``outbox/wait`` may take 120 s).
WAIT_SECONDS = 130.0

Answer = tuple[int, str, bytes]  # status, content type, body


class Replies:
    def __init__(self, store: Store, wait_seconds: float = WAIT_SECONDS) -> None:
        self.store = store
        self.wait_seconds = wait_seconds

    def claim_or_answer(self, key: str, header: str) -> Answer | None:
        """None: this call has the key and is to be carried out. Else the first call's answer, once it has one; a
        409 when it has none in time."""
        meta = self.store.meta
        deadline = time.monotonic() + self.wait_seconds
        while True:
            if meta.claim_reply(key):
                return None
            stored = meta.reply(key)
            if stored is not None and stored[0] != meta.PENDING:
                return stored
            if time.monotonic() >= deadline:
                raise ConflictError(f"A call with {header} {key} is still being carried out; try again.")
            time.sleep(0.02)  # (a key let go after a 500 is claimed on the next turn)

    def remember(self, key: str, answer: Answer) -> None:
        self.store.meta.remember_reply(key, *answer)

    def forget(self, key: str) -> None:
        self.store.meta.forget_reply(key)
