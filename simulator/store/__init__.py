"""The sandbox's storage: the port the services speak to (``port``), the values it trades in (``records``), and its
implementations (``sqlite``). ``open_store`` is the one place that chooses an implementation."""

from __future__ import annotations

from pathlib import Path

from .port import Store, Transaction
from .sqlite import SqliteStore


def open_store(location: str | Path = ":memory:") -> Store:
    """The store at ``location``: a SQLite file path, or ``:memory:``."""
    return SqliteStore(location)


__all__ = ["Store", "Transaction", "open_store"]
