"""Every repository and method the port names is there, taking the port's parameters by the port's names (a service
may pass any of them by keyword); an implementation may add parameters only with defaults."""

from __future__ import annotations

import inspect

import pytest

from simulator.store import Store, port

REPOSITORIES = {name: kind for name, kind in inspect.get_annotations(port.Store, eval_str=True).items()}
METHODS = [
    (repo, name)
    for repo, kind in [(None, port.Store), *REPOSITORIES.items()]
    for name, member in vars(kind).items()
    if not name.startswith("_") and (callable(member) or isinstance(member, property))
]


def test_the_port_names_every_repository(store: Store) -> None:
    assert sorted(REPOSITORIES) == sorted(
        ["inventory", "members", "recontact", "journal", "meta", "visits", "reports", "timeline", "outbox"]
    )
    for name in REPOSITORIES:
        assert getattr(store, name, None) is not None, name


@pytest.mark.parametrize(("repo", "name"), METHODS, ids=[f"{r or 'store'}.{n}" for r, n in METHODS])
def test_a_port_method_takes_the_ports_parameters(store: Store, repo: str | None, name: str) -> None:
    kind = REPOSITORIES[repo] if repo else port.Store
    owner = getattr(store, repo) if repo else store
    promised = vars(kind)[name]
    assert hasattr(owner, name), f"{repo}.{name} is missing"
    if isinstance(promised, property):
        return
    wanted = [p for p in inspect.signature(promised).parameters.values() if p.name != "self"]
    given = inspect.signature(getattr(owner, name)).parameters
    for p in wanted:
        assert p.name in given, f"{repo}.{name} has no parameter {p.name!r}"
        assert given[p.name].kind == p.kind, f"{repo}.{name}: {p.name!r} is {given[p.name].kind}, not {p.kind}"
        assert (given[p.name].default is inspect.Parameter.empty) == (p.default is inspect.Parameter.empty)
    extra = [q for q in given.values() if q.name not in {p.name for p in wanted}]
    assert all(q.default is not inspect.Parameter.empty for q in extra), f"{repo}.{name}: {extra} need a default"
