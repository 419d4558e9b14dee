from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import PostgresCluster

from .pair import Pair, serving_pair


@pytest.fixture(scope="module")
def module_pair(postgres_cluster: PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """A (one worker) and B (two workers) on one database, shared by the tests of a module."""
    with serving_pair(postgres_cluster, tmp_path_factory.mktemp("pair"), workers=(1, 2)) as servers:
        yield servers


@pytest.fixture
def pair(module_pair: Pair) -> Pair:
    """The module's pair, both servers running (one a test killed is started again on the same database)."""
    module_pair.revive()
    return module_pair
