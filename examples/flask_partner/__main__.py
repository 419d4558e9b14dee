"""``python -m examples.flask_partner --port P``: serve the panel until SIGTERM (or Ctrl-C).

Configuration comes from the environment (TOLUNA_SANDBOX_URL or IP_ES_URL/IP_CORE_URL/IP_REF_DATA_URL,
TOLUNA_PANEL_GUID, TOLUNA_API_KEY, TOLUNA_ENCRYPTION_ALGORITHM and TOLUNA_ENCRYPTION_KEY, FLASK_PARTNER_SECRET).
Without ``--db`` the database lives in a temporary directory removed on exit, so every start is a fresh panel. At
start the panel reads its settings and does one upkeep (members written, inventory read) in the background, so that
it works whether or not anyone ever POSTs ``/run``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType

from werkzeug.serving import make_server

from .app import create_app
from .config import Config, ConfigError
from .members import (
    HISTORY_CSV,
    MAPPING_YAML,
    PANELISTS_CSV,
    UPDATES_CSV,
    load_history,
    load_mapping,
    load_panelists,
    load_updates,
)
from .notifications import Notifications
from .service import Panel
from .store import Store
from .timefmt import utc_today
from .toluna_client import TolunaClient

log = logging.getLogger("flask_partner")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.flask_partner", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--db", help="the SQLite file (default: a fresh one in a temporary directory)")
    parser.add_argument("--public-url", help="the panel's URL as members reach it (default: the request's host)")
    parser.add_argument("--members", type=Path, default=PANELISTS_CSV)
    parser.add_argument("--history", type=Path, default=HISTORY_CSV)
    parser.add_argument("--updates", type=Path, default=UPDATES_CSV)
    parser.add_argument("--mapping", type=Path, default=MAPPING_YAML)
    parser.add_argument(
        "--no-startup-upkeep",
        action="store_true",
        help="only read the settings at start; members are written on POST /run or when they first ask for a survey",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)

    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"flask_partner: {exc}", file=sys.stderr)
        return 2
    temp = None if args.db else tempfile.TemporaryDirectory(prefix="flask-partner-")
    db_path = args.db or str(Path(temp.name) / "panel.db")  # type: ignore[union-attr]
    store = Store(db_path)
    client = TolunaClient(config)
    try:
        mapping = load_mapping(args.mapping)
        store.import_members(
            load_panelists(args.members, utc_today()), load_history(args.history), load_updates(args.updates)
        )
        panel = Panel(config, store, client, mapping)
        app = create_app(panel, Notifications(config, store, time.time), args.public_url)
        server = make_server(args.host, args.port, app, threaded=True)
        stop = threading.Event()

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        serving = threading.Thread(target=server.serve_forever, name="http", daemon=True)
        serving.start()
        startup = panel.ensure_settings if args.no_startup_upkeep else panel.upkeep
        threading.Thread(target=startup, name="startup", daemon=True).start()
        log.info("panel %s listening on http://%s:%s (database %s)", config.panel_guid, args.host, args.port, db_path)
        while not stop.wait(0.5):
            pass
        log.info("stopping")
        server.shutdown()
        server.server_close()
        serving.join(5)
    finally:
        client.close()
        store.close()
        if temp is not None:
            temp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
