"""Work a server process does by itself besides answering requests: firing timeline entries when the sandbox
clock reaches them, so a timeline plays out in real time too (advancing the clock over the control API fires what
falls due at once). One daemon thread per process, started with the app in that process (gunicorn's workers each
build their app after the fork); entries are claimed before they fire, so several workers never fire one twice."""

from __future__ import annotations

import logging
import threading
import time

from simulator.backend import Backend

log = logging.getLogger("simulator.background")


def start_ticker(backend: Backend, seconds: float, base_url: str = "") -> threading.Thread:
    def loop() -> None:
        while True:
            time.sleep(seconds)
            try:
                backend.run_timeline(base_url)
            except Exception:  # a broken entry or a busy database must not stop the clock
                log.exception("timeline: could not fire due entries")

    thread = threading.Thread(target=loop, name="timeline-ticker", daemon=True)
    thread.start()
    return thread
