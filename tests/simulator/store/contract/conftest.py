"""The implementations the contract runs against, each opened empty and loaded with the contract scenario."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simulator.scenario.model import Scenario
from simulator.store import Store, open_store
from simulator.store.postgres import PostgresStore
from tests.postgres import PostgresCluster

from .samples import contract_scenario, other_scenario

#: Every store implementation the contract runs against: a name (the test id) and how to open an empty store of it,
#: given the test's own temporary directory and its pytest request (for fixtures such as the test's PostgreSQL).
#: An implementation joins by adding one entry here; every test in this package then runs against it too.
IMPLEMENTATIONS: dict[str, Callable[[Path, pytest.FixtureRequest], Store]] = {
    "sqlite-file": lambda tmp, _: open_store(tmp / "store.db"),
    "sqlite-memory": lambda tmp, _: open_store(":memory:"),
    # a fresh schema of this worker's database: what a workspace gets, and far cheaper than a database per test
    "postgres": lambda _, request: PostgresStore(request.getfixturevalue("contract_database"), f"c_{uuid.uuid4().hex}"),
}


@pytest.fixture(scope="session")
def contract_database(postgres_cluster: PostgresCluster) -> str:
    return postgres_cluster.new_database()


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return contract_scenario()


@pytest.fixture(scope="session")
def other() -> Scenario:
    return other_scenario()


@pytest.fixture(params=list(IMPLEMENTATIONS))
def implementation(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(implementation: str, tmp_path: Path, scenario: Scenario, request: pytest.FixtureRequest) -> Iterator[Store]:
    s = IMPLEMENTATIONS[implementation](tmp_path, request)
    s.load(scenario)
    yield s
    s.close()
