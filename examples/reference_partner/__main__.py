"""``python -m examples.reference_partner [--port 8081]``: the partner's web side on a port, cycles on ``POST /run``.

The sandbox to talk to comes from the environment, as a real integration's configuration would:
``TOLUNA_SANDBOX_URL`` (or ``IP_ES_URL`` / ``IP_CORE_URL``), ``TOLUNA_PANEL_GUID``, ``TOLUNA_API_KEY``.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading

from .app import Partner
from .integration import Integration, load_members
from .toluna import Toluna


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.reference_partner", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--poll-seconds", type=float, default=60, help="GetQuotas at most this often")
    args = parser.parse_args(argv)
    integration = Integration(Toluna.from_env(), load_members(), poll_seconds=args.poll_seconds)
    server = Partner(integration).serve(args.host, args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
