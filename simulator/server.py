"""The production server: granian, a Rust HTTP front, running the Flask app in worker processes.

Why granian: connections are read by an event loop in Rust, so a client that trickles its request one header line
a second holds no Python thread; only whole requests reach the app's threads. Under a thread-per-connection server
(gunicorn's gthread) eight such clients took every thread of 2 workers x 4 threads and GetQuotas timed out for
everyone. Granian also passes headers with underscores (Toluna's ``API_AUTH_KEY`` and ``PARTNER_AUTH_KEY``) to the
app as ``HTTP_API_AUTH_KEY``, which many Python servers drop silently.

Each worker process builds its own app (and opens its own SQLite connections) from the settings ``serve`` leaves in
the environment: nothing is opened before the workers start. The app is the workspace router
(``simulator.workspaces``): the default sandbox, and each workspace under ``/w/{name}``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server import Server

from .api.gates import DROP_CONNECTION
from .workspaces import WorkspaceRouter

#: The environment variable that carries ``serve``'s settings to the worker processes.
SETTINGS_VARIABLE = "TOLUNA_SANDBOX_SERVE"
#: A worker that has not stopped this many seconds after the server was told to stop is killed.
WORKERS_KILL_TIMEOUT_S = 5
#: A request's headers must arrive within this many milliseconds, or the connection is closed.
HEADER_READ_TIMEOUT_MS = 10_000

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ConnectionDropped(Exception):
    """Raised by the response body so the server closes the connection with no answer (a fault rule's wish)."""


DROPPED = "a fault rule dropped this connection on purpose"


def _dropped_body() -> Iterator[bytes]:
    raise ConnectionDropped(DROPPED)
    yield b""  # pragma: no cover - makes this a generator, whose first step raises


def dropping_connections(app: WsgiApp) -> WsgiApp:
    """Let the app drop a connection: granian closes a connection whose response body fails before its first byte."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer: list[Any] = []
        body = app(environ, lambda *args: answer.append(args))
        if not environ.get(DROP_CONNECTION):
            start_response(*answer[-1])
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()
        start_response("500 Internal Server Error", [])  # no length: nothing is sent before the body's first byte
        return _dropped_body()

    return wrapped


class QuietDrops(logging.Filter):
    """Keep the deliberate drops of fault rules out of the server's error log; every other error stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        # granian logs the body's exception as text (its traceback in the message, no exc_info)
        return f"{ConnectionDropped.__name__}: {DROPPED}" not in record.getMessage()


def without_inherited_headers(app: WsgiApp, inherited: dict[str, str]) -> WsgiApp:
    """Granian starts every WSGI environ from the process environment, so a variable such as ``HTTP_PROXY`` would
    look like a header the client sent (and land in the journal). Drop those the request did not send itself."""
    if not inherited:
        return app

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        for key, value in inherited.items():
            if environ.get(key) == value:
                del environ[key]
        return app(environ, start_response)

    return wrapped


def worker_app() -> WsgiApp:
    """The factory each granian worker calls: the default sandbox on ``serve``'s database and its workspaces
    (``/w/{name}/...``), with ``serve``'s settings."""
    settings = json.loads(os.environ[SETTINGS_VARIABLE])
    router = WorkspaceRouter(settings["db"], settings["config"])
    inherited = {k: v for k, v in os.environ.items() if k.startswith("HTTP_")}
    return without_inherited_headers(dropping_connections(router), inherited)


def _log_config() -> dict[str, Any]:
    return {
        "version": 1,
        "filters": {"quiet_drops": {"()": QuietDrops}},
        "handlers": {
            "console": {
                "formatter": "generic",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["quiet_drops"],
            },
            "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stdout"},
        },
    }


def build_server(target: str, host: str, port: int, workers: int, threads: int, factory: bool = True) -> Server:
    """Granian as ``serve`` runs it; the benchmarks' baseline uses this very configuration with another app."""
    return Server(
        target,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        http=HTTPModes.http1,
        websockets=False,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
        log_level="warning",  # type: ignore[arg-type]
        log_dictconfig=_log_config(),
        respawn_failed_workers=True,
        # a worker told to stop while it is still starting may miss the signal: killed after this many seconds,
        # so that stopping the server never leaves a worker behind, serving on the port
        workers_kill_timeout=WORKERS_KILL_TIMEOUT_S,
        factory=factory,
    )


def serve(db_path: str, host: str, port: int, workers: int = 2, threads: int = 4, **app_config: Any) -> None:
    os.environ[SETTINGS_VARIABLE] = json.dumps({"db": db_path, "config": app_config})
    build_server("simulator.server:worker_app", host, port, workers, threads).serve()
