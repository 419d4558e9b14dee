"""Work a server process does by itself besides answering requests, one daemon thread per job, started with the app
in that process (server workers each build their app after the fork):

- firing timeline entries when the sandbox clock reaches them, so a timeline plays out in real time too (advancing
  the clock over the control API fires what falls due at once); entries are claimed before they fire, so several
  workers never fire one twice;
- retention: pruning the journal, finished notifications and kept control answers to their limits
  (``simulator.store.sql.retention``); two workers pruning at once delete the same rows once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from simulator.domain.errors import SandboxGone
from simulator.services.timeline import Timeline
from simulator.store import Store
from simulator.store.records import Limits

log = logging.getLogger("simulator.background")


def every(
    seconds: float, name: str, job: Callable[[], object], stop: threading.Event | None = None
) -> threading.Thread:
    """Run ``job`` every ``seconds`` in a daemon thread until ``stop`` is set; a failing run is logged and the next
    one still comes."""
    halt = stop or threading.Event()

    def loop() -> None:
        while not halt.wait(seconds):
            try:
                job()
            except SandboxGone:  # a deleted workspace's: this process stops its jobs within about a second
                log.debug("%s: the workspace is gone", name)
            except Exception:  # a broken entry or a busy database must not stop the job for good
                log.exception("%s: could not run", name)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def start_ticker(
    timeline: Timeline, seconds: float, base_url: str = "", stop: threading.Event | None = None
) -> threading.Thread:
    return every(seconds, "timeline-ticker", lambda: timeline.run(base_url), stop)


def start_pruner(store: Store, seconds: float, limits: Limits, stop: threading.Event | None = None) -> threading.Thread:
    return every(seconds, "retention", lambda: store.prune(limits), stop)
