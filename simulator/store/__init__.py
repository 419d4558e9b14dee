"""The sandbox's storage: the port the services speak to (``port``), the values it trades in (``records``), and its
implementations (``sql``: the repositories both engines share; ``sqlite``, ``postgres``: the engines).
``open_store`` and ``open_catalog`` are the one place that chooses an implementation."""

from __future__ import annotations

import re
from pathlib import Path

from .port import Store, Transaction
from .sqlite import SqliteStore
from .sqlite.catalog import SqliteCatalog
from .workspaces import WorkspaceCatalog

#: A location written as a URL (``scheme://...``): never a file path, whatever the scheme.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class StoreLocationError(ValueError):
    """A location no store of this sandbox opens: said before anything is created."""


#: The URL schemes of PostgreSQL (libpq's two spellings).
POSTGRES_SCHEMES = ("postgresql", "postgres")


def postgres_url(location: str | Path) -> str | None:
    """``location`` when it names a PostgreSQL database; None for a file path. Any other URL is refused (naming its
    scheme only, as it may carry a password) rather than taken for a file path."""
    text = str(location)
    if not _URL.match(text):
        return None
    scheme = text.split("://", 1)[0]
    if scheme.lower() in POSTGRES_SCHEMES:
        return text
    raise StoreLocationError(
        f"--db {scheme}://...: no store of this sandbox opens {scheme}:// locations. "
        "Fix: give a SQLite file path (e.g. .sandbox/sandbox.db) or a PostgreSQL URL "
        "(postgresql://user:password@host:5432/name)."
    )


def open_store(location: str | Path = ":memory:") -> Store:
    """The store at ``location``: a PostgreSQL URL (``postgresql://...``), a SQLite file path, or ``:memory:``."""
    url = postgres_url(location)
    if url is None:
        return SqliteStore(location)
    import psycopg  # the driver is loaded only by a sandbox that uses it

    from .postgres import PostgresStore, SchemaError

    try:
        return PostgresStore(url)
    except SchemaError as exc:
        raise StoreLocationError(f"--db {redacted(url)}: {exc}") from None
    except psycopg.OperationalError as exc:
        raise StoreLocationError(
            f"--db {redacted(url)}: cannot open the database: {str(exc).strip()}. Fix: check that PostgreSQL runs "
            "there and the URL's user, password and database name (the database must exist: createdb NAME)."
        ) from None


def redacted(location: str | Path) -> str:
    """``location`` fit to print: a URL's password is replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", str(location))


def open_catalog(location: str | Path = ":memory:") -> WorkspaceCatalog:
    """The workspaces beside the sandbox at ``location`` (see ``workspaces``): one schema per workspace in a
    PostgreSQL database, a directory beside a SQLite file, or this process's memory for ``:memory:``."""
    url = postgres_url(location)
    if url is None:
        return SqliteCatalog(location)
    from .postgres.catalog import PostgresCatalog

    return PostgresCatalog(url)


__all__ = [
    "Store",
    "StoreLocationError",
    "Transaction",
    "WorkspaceCatalog",
    "open_catalog",
    "open_store",
]
