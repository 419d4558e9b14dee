"""The sandbox's storage: the port the services speak to (``port``), the values it trades in (``records``), and its
implementations (``sqlite``). ``open_store`` is the one place that chooses an implementation."""

from __future__ import annotations

import re
from pathlib import Path

from .port import Store, Transaction
from .sqlite import SqliteStore

#: A location written as a URL (``scheme://...``): never a file path, whatever the scheme.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class StoreLocationError(ValueError):
    """A location no store of this sandbox opens: said before anything is created."""


def open_store(location: str | Path = ":memory:") -> Store:
    """The store at ``location``: a SQLite file path, or ``:memory:``. A URL is refused (naming its scheme only, as
    it may carry a password) rather than taken for a file path."""
    text = str(location)
    if _URL.match(text):
        scheme = text.split("://", 1)[0]
        raise StoreLocationError(
            f"--db {scheme}://...: no store of this sandbox opens {scheme}:// locations. "
            "Fix: give a SQLite file path (e.g. .sandbox/sandbox.db)."
        )
    return SqliteStore(location)


__all__ = ["Store", "StoreLocationError", "Transaction", "open_store"]
