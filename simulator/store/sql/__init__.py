"""The store port in SQL that SQLite and PostgreSQL both run (see ``database``)."""

from .store import STATE_TABLES, SqlStore

__all__ = ["STATE_TABLES", "SqlStore"]
