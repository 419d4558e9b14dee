from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from simulator.app import create_app
from simulator.scenario.loader import load_file
from simulator.scenario.model import Scenario
from simulator.store import Store, open_store

from .support import DEFAULT_SCENARIO, Sandbox, start_sandbox

pytest_plugins = ["pytester", "tests.browser", "tests.receiver", "tests.postgres"]


@pytest.fixture(scope="session")
def default_scenario() -> Scenario:
    return load_file(DEFAULT_SCENARIO)


@pytest.fixture
def store(default_scenario: Scenario) -> Iterator[Store]:
    s = open_store(":memory:")
    s.load(default_scenario)
    yield s
    s.close()


@pytest.fixture
def client(store: Store) -> FlaskClient:
    return create_app(store).test_client()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One real server per test process, on the default scenario."""
    server = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield server
    server.stop()


@pytest.fixture
def fresh_sandbox(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The shared server, reset to the scenario before and after the test (for tests that change state)."""
    sandbox.reset()
    yield sandbox
    sandbox.reset()
