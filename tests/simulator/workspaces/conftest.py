"""Workspaces in one process: the workspace router over a SQLite file in a tmp dir, the default workspace on the
small go-live scenario, and a WSGI client that calls it as a loopback peer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from simulator.scenario.loader import load_file
from simulator.workspaces import WorkspaceRouter
from tests.support import ROOT

ROOT_TOKEN = "root-token"
SCENARIO = ROOT / "fixtures" / "scenarios" / "golive.yaml"
#: The go-live scenario's identities.
PANEL = "3c1e9a57-0d42-4b8e-9f16-5a7b2c8d4e01"
KEY = "8e2f4a6c-1b3d-4f5a-9c7e-0d2b4f6a8c10"
PARTNER_KEY = "4a6c8e0f-2b4d-4c6e-8a0f-1d3b5f7a9c21"
MEMBER = "GOLIVE-1"
SURVEY = 3200001
QUOTA = 4300001
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def other_keys(text: str) -> str:
    """The scenario ``text`` with every GUID (panels, API keys, reference data keys) replaced by another one: the
    same surveys, quotas and members, behind panels and keys of its own."""
    return _GUID.sub(lambda m: m.group(0)[::-1].replace("-", "")[:8] + m.group(0)[8:], text)


class Wsgi:
    """Calls the router as ``REMOTE_ADDR`` (loopback by default)."""

    def __init__(self, app: WorkspaceRouter, remote: str = "127.0.0.1") -> None:
        self.client = Client(app)
        self.remote = remote
        #: "sqlite" or "postgres": the store under the router
        self.store_kind = "postgres" if "://" in app.location else "sqlite"

    def open(self, method: str, path: str, **kw: Any) -> TestResponse:
        return self.client.open(path, method=method, environ_base={"REMOTE_ADDR": self.remote}, **kw)

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.open("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> TestResponse:
        return self.open("POST", path, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.open("DELETE", path, **kw)


@pytest.fixture(params=["sqlite", "postgres"])
def router(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WorkspaceRouter]:
    """The router over each store: a SQLite file (workspaces are files beside it), a PostgreSQL database
    (workspaces are its schemas)."""
    where = str(tmp_path / "s.db") if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    app = WorkspaceRouter(where, {"ADMIN_TOKEN": ROOT_TOKEN})
    app.store.load(load_file(SCENARIO))
    yield app
    app.close()


@pytest.fixture
def wsgi(router: WorkspaceRouter) -> Wsgi:
    return Wsgi(router)


def scenario_text(keys_of_its_own: bool = False) -> str:
    """The go-live scenario's text; with ``keys_of_its_own``, behind other panel GUIDs and keys."""
    text = SCENARIO.read_text(encoding="utf-8")
    return other_keys(text) if keys_of_its_own else text
