"""The production server: gunicorn, configured so Toluna's underscore headers reach the application.

``API_AUTH_KEY`` and ``PARTNER_AUTH_KEY`` contain underscores. Gunicorn (22 and later) drops such headers unless
``header_map`` is ``dangerous``; Werkzeug's development server always drops them. Toluna's servers accept them,
so the sandbox must too, or every real partner would get 403.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from .app import create_app


class SandboxServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, db_path: str, options: dict[str, Any], app_config: dict[str, Any] | None = None) -> None:
        self.db_path = db_path
        self.options = options
        self.app_config = app_config or {}
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Each worker opens its own SQLite connections: nothing is created before the fork.
        return create_app(self.db_path, self.app_config)


def server_options(host: str, port: int, workers: int = 2, threads: int = 4, **extra: Any) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "header_map": "dangerous",
        "timeout": 180,
        "graceful_timeout": 5,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "preload_app": False,
        **extra,
    }


def serve(db_path: str, host: str, port: int, workers: int = 2, threads: int = 4, **app_config: Any) -> None:
    SandboxServer(db_path, server_options(host, port, workers, threads), app_config).run()
