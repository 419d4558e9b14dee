"""The workspace router: the WSGI application ``serve`` runs. A path ``/w/{name}`` or ``/w/{name}/...`` goes to
workspace ``name``'s own sandbox (a ``create_app`` over the workspace's store, with the default sandbox's settings
but its own admin token, always asked for), with ``/w/{name}`` moved into ``SCRIPT_NAME`` so that every URL the
sandbox gives out (invite links, survey pages, redirects, the console's links) carries the prefix; any other path
goes to the default sandbox.

Apps are built on first use and kept per process. Every process polls the catalog's version (at most once a
second, on requests and, when the default sandbox runs background threads, from a thread of its own): a workspace
created by another process gets its dispatcher, timeline ticker and pruner here too, and a deleted one is stopped
and forgotten."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from .api import admin
from .api.control.workspaces import WORKSPACE
from .api.errors import refusal
from .app import create_app, stop_background
from .background import every
from .domain.errors import NotFoundError, SandboxGone
from .services.workspaces import Workspaces
from .services.world import World
from .store import Store, WorkspaceCatalog, open_catalog, open_store
from .store.workspaces import NAME, WorkspaceRecord, check_name

#: The path prefix of a workspace: ``/w/{name}``.
PREFIX = "/w/"
#: How often a process looks at the catalog's version, at most.
REFRESH_S = 1.0

StartResponse = Callable[..., Any]


def workspace_config(config: dict[str, Any], record: WorkspaceRecord) -> dict[str, Any]:
    """A workspace's settings: the default sandbox's, with the workspace's own token (always asked for) and its
    public URL under ``/w/{name}``."""
    name = record.name
    public = config.get("PUBLIC_URL")
    return {
        **config,
        admin.CONFIG: None,
        admin.DIGEST: record.token_digest,
        admin.REQUIRED: True,
        admin.HINT: f"the AdminToken POST /_sandbox/workspaces answered when workspace '{name}' was created",
        WORKSPACE: name,
        "PUBLIC_URL": f"{public.rstrip('/')}/w/{name}" if public else None,
    }


class WorkspaceRouter:
    """The default sandbox on ``location`` and its workspaces, as one WSGI application (see the module's text)."""

    def __init__(self, location: str, config: dict[str, Any] | None = None) -> None:
        self.config = dict(config or {})
        self.store: Store = open_store(location)
        self.location = location
        self.catalog: WorkspaceCatalog = open_catalog(location)
        self.workspaces = Workspaces(self.catalog, self.store, self.world, self.forget)
        self.default = create_app(self.store, self.config, self.workspaces)
        self.background = bool(
            self.config.get("DISPATCH") or self.config.get("TIMELINE_SECONDS") or self.config.get("RETENTION_SECONDS")
        )
        self._apps: dict[str, tuple[WorkspaceRecord, Flask]] = {}
        self._lock = threading.RLock()
        self._version = -1
        self._checked = 0.0
        self._stop = threading.Event()
        if self.background:
            self.refresh(force=True)
            every(REFRESH_S, "workspaces", self.refresh, self._stop)

    # --- WSGI -----------------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if path[:3].lower() != PREFIX and path.lower() != PREFIX[:-1]:
            return self.default(environ, start_response)
        name, slash, rest = path[3:].partition("/")
        self.refresh()
        app = self.app(name)
        if app is None:
            return self._unknown(name, slash + rest, start_response)
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + path[: 3 + len(name)]
        environ["PATH_INFO"] = slash + rest
        try:
            return app(environ, start_response)
        except SandboxGone as gone:  # deleted by another process since this one last looked at the catalog
            return self._not_found(slash + rest, str(gone), start_response)

    def _unknown(self, name: str, rest: str, start_response: StartResponse) -> Iterable[bytes]:
        shown = name if len(name) <= 60 else name[:60] + "…"
        message = (
            f"No workspace '{shown}' (names match {NAME}). Fix: create it with POST /_sandbox/workspaces "
            f'{{"Name": "{shown}"}} on the base URL without /w/ (or toluna-sandbox workspace create NAME), then '
            "call the BaseURL it answers"
        )
        return self._not_found(rest, message, start_response)

    def _not_found(self, rest: str, message: str, start_response: StartResponse) -> Iterable[bytes]:
        body, content_type = refusal(rest or "/", 404, message, self.default.jinja_env)
        start_response("404 Not Found", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    # --- the workspaces this process serves -----------------------------------------------------------------
    def app(self, name: str) -> Flask | None:
        """Workspace ``name``'s app, built on first use; None when there is no such workspace."""
        name = name.lower()
        with self._lock:
            known = self._apps.get(name)
            if known is not None:
                return known[1]
            try:
                record = self.catalog.get(check_name(name))
            except ValueError:
                return None
            if record is None:
                return None
            app = create_app(self.catalog.open(name), workspace_config(self.config, record))
            self._apps[name] = (record, app)
            return app

    def world(self, name: str) -> World:
        app = self.app(name)
        if app is None:
            raise NotFoundError(f"No workspace '{name}'.")
        return app.extensions["toluna_sandbox"].world

    def forget(self, name: str) -> None:
        """Stop what this process runs for workspace ``name`` and close its store here."""
        with self._lock:
            known = self._apps.pop(name, None)
        if known is not None:
            stop_background(known[1])
        self.catalog.release(name)

    def refresh(self, force: bool = False) -> None:
        """Learn what other processes created or deleted (at most once per ``REFRESH_S`` unless ``force``)."""
        now = time.monotonic()
        if not force and now - self._checked < REFRESH_S:
            return
        self._checked = now
        version = self.catalog.version()
        if version == self._version:
            return
        self._version = version
        records = {r.name: r for r in self.catalog.list()}
        with self._lock:
            stale = [n for n, (record, _) in self._apps.items() if records.get(n) != record]
        for name in stale:
            self.forget(name)
        if self.background:  # a workspace's notifications and timeline go on even if no request comes here
            for name in records:
                self.app(name)

    def close(self) -> None:
        """Stop every background thread and close every store (tests; a server process just exits)."""
        self._stop.set()
        with self._lock:
            names = list(self._apps)
        for name in names:
            self.forget(name)
        stop_background(self.default)
        self.catalog.close()
        self.store.close()
