"""Workspaces: complete, isolated sandboxes side by side in one deployment, each its own ``Store`` (scenario, clock,
counters, members, journal, outbox, fault rules). The catalog says which exist and opens their stores; it keeps
the digest of each one's admin token, never the token.

An implementation of ``WorkspaceCatalog`` keeps the workspaces of one sandbox location: the SQLite one
(``sqlite/catalog.py``) a directory of database files beside the sandbox's own file (or this process's memory for
``:memory:``), the PostgreSQL one (``postgres/catalog.py``) a schema per workspace in the sandbox's database.
Several processes may serve one location: what one creates or deletes, the others learn by polling
``version()``. ``simulator.store.open_catalog`` chooses the implementation."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from typing import Protocol

from .port import Store

#: What a workspace name is: it becomes a path segment, a file name and a database schema name.
NAME = r"[a-z0-9][a-z0-9-]{0,39}"
#: The workspace the unprefixed routes serve: its name is never a workspace's.
DEFAULT = "default"

_NAME = re.compile(NAME)


class WorkspaceExists(Exception):
    """``create`` of a name the catalog already holds."""


@dataclass(frozen=True, slots=True)
class WorkspaceRecord:
    """A workspace as the catalog lists it: ``token_digest`` is the SHA-256 (hex) of its admin token;
    ``created_at`` an ISO-8601 UTC instant."""

    name: str
    token_digest: str
    created_at: str


class WorkspaceCatalog(Protocol):
    """The workspaces of one sandbox location. Every method may be called from any thread of a process."""

    def list(self) -> list[WorkspaceRecord]:
        """Every workspace, by name."""
        ...

    def get(self, name: str) -> WorkspaceRecord | None:
        """The workspace ``name``, or None."""
        ...

    def create(self, name: str, token_digest: str) -> WorkspaceRecord:
        """A new, empty workspace (its store exists, nothing is loaded); ``WorkspaceExists`` when the name is
        taken. Leftovers of an earlier workspace of that name are removed first."""
        ...

    def delete(self, name: str) -> bool:
        """Remove the workspace and its whole state (closing this process's store of it); False when there was
        none. Callers stop whatever uses that store first."""
        ...

    def open(self, name: str) -> Store:
        """The workspace's own store, one per process (the same object on every call until it is deleted or the
        catalog closed); a ``KeyError`` when there is no such workspace."""
        ...

    def release(self, name: str) -> None:
        """Close this process's store of ``name``, if open (a workspace another process deleted)."""
        ...

    def version(self) -> int:
        """A number that changes whenever any process creates or deletes a workspace: cheap, as it is polled."""
        ...

    def close(self) -> None:
        """Close every store this catalog opened, and the catalog."""
        ...


class OpenStores:
    """What both catalogs keep in a process: one open store per workspace, the same object until it is released.
    A catalog calls ``__init__`` and provides ``get`` and ``_open_store``."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._stores: dict[str, Store] = {}

    def get(self, name: str) -> WorkspaceRecord | None:  # pragma: no cover - each catalog's own
        raise NotImplementedError

    def _open_store(self, name: str) -> Store:  # pragma: no cover - each catalog's own
        raise NotImplementedError

    def open(self, name: str) -> Store:
        with self._lock:
            store = self._stores.get(name)
            if store is not None:
                return store
            if self.get(name) is None:
                raise KeyError(name)
            store = self._stores[name] = self._open_store(name)
            return store

    def release(self, name: str) -> None:
        """Close this process's store of ``name`` (a workspace another process deleted)."""
        with self._lock:
            self._forget(name)

    def _forget(self, name: str) -> None:
        store = self._stores.pop(name, None)
        if store is not None:
            store.close()

    def _close_stores(self) -> None:
        with self._lock:
            for name in list(self._stores):
                self._forget(name)


def check_name(name: str) -> str:
    """``name`` when it is a workspace name, else a ``ValueError`` that gives the rule."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        shown = repr(name)[:60]
        raise ValueError(
            f"{shown} is not a workspace name. Fix: 1 to 40 characters, lower-case letters, digits and '-', "
            "starting with a letter or a digit (e.g. acme or team-2)"
        )
    if name == DEFAULT:
        raise ValueError(f"'{DEFAULT}' names the unprefixed sandbox. Fix: choose another workspace name")
    return name


def token_digest(token: str) -> str:
    """What the catalog keeps of an admin token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


__all__ = [
    "DEFAULT",
    "NAME",
    "OpenStores",
    "WorkspaceCatalog",
    "WorkspaceExists",
    "WorkspaceRecord",
    "check_name",
    "token_digest",
]
