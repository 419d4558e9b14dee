"""No import cycles in ``simulator`` and ``conformance``: every import counts, at module level, inside functions and
under ``TYPE_CHECKING`` alike, since each ties the two modules together for a reader."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.support import ROOT

PACKAGES = ("simulator", "conformance")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The project's modules ``name`` imports (``from a import b`` counts ``a.b`` when that is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        yield from (t for t in targets if t in known and t != name)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    known = modules()
    graph = {name: set(imported(name, path, known)) for name, path in known.items()}
    assert len(graph) > 100  # the walk saw the packages
    assert cycles(graph) == []


#: The store's port: the interface and the values it trades in.
PORT = ("simulator.store.port", "simulator.store.records")

#: What services use of ``notify``: building and signing notifications, not delivering them (the app wires that).
RENDERING = ("simulator.notify.routing", "simulator.notify.payloads", "simulator.notify.encryption")

#: Layers, innermost first: what each may import of the project (by module-name prefix). A module belongs to the
#: first layer whose prefix it starts with; the domain imports nothing of ours but itself, services speak to the store
#: through its port (``simulator.store``, ``.port``, ``.records``) and never to an implementation.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("simulator.domain", ("simulator.domain",)),
    ("simulator.store.port", ("simulator.domain", "simulator.scenario.model", "simulator.store.records")),
    ("simulator.store.records", ("simulator.domain",)),
    ("simulator.store.sql", ("simulator.domain", "simulator.scenario.model", "simulator.store.sql", *PORT)),
    ("simulator.store.sqlite", ("simulator.domain", "simulator.scenario.model", "simulator.store")),
    ("simulator.store.postgres", ("simulator.domain", "simulator.scenario.model", "simulator.store")),
    ("simulator.store", ("simulator.store",)),
    ("simulator.scenario", ("simulator.domain", "simulator.scenario", "simulator.schemas")),
    ("simulator.notify", ("simulator.domain", "simulator.notify", *PORT)),
    (
        "simulator.services",
        ("simulator.domain", "simulator.services", "simulator.store", *RENDERING, "simulator.scenario"),
    ),
    ("conformance", ("conformance", "simulator.domain", "simulator.api.admin")),
)
#: Layers that never see HTTP or SQL, and the libraries that would bring them.
PURE = ("simulator.domain", "simulator.services", *PORT)
FORBIDDEN_IN_PURE = ("flask", "werkzeug", "sqlite3", "psycopg", "psycopg_pool", "granian")
#: The store's implementations: only the store itself reaches into them.
IMPLEMENTATIONS = ("simulator.store.sql", "simulator.store.sqlite", "simulator.store.postgres")
#: The SQL the engines share names no engine's driver.
ENGINE_NEUTRAL = ("simulator.store.sql",)
ENGINE_DRIVERS = ("sqlite3", "psycopg", "psycopg_pool")


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _third_party(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def layer_violations(graph: dict[str, set[str]], libraries: dict[str, set[str]]) -> list[str]:
    """Every import that points outward (or into a store implementation from outside the store)."""
    wrong = []
    for name, targets in graph.items():
        allowed = next((a for prefix, a in LAYERS if _within(name, (prefix,))), None)
        for target in sorted(targets):
            outward = allowed is not None and not _within(target, allowed)
            into_implementation = _within(target, IMPLEMENTATIONS) and not _within(name, ("simulator.store",))
            if outward or into_implementation:
                wrong.append(f"{name} -> {target}")
        if _within(name, PURE):
            wrong += [f"{name} -> {lib}" for lib in sorted(libraries.get(name, set()) & set(FORBIDDEN_IN_PURE))]
        if _within(name, ENGINE_NEUTRAL):
            wrong += [f"{name} -> {lib}" for lib in sorted(libraries.get(name, set()) & set(ENGINE_DRIVERS))]
    return wrong


def test_the_layer_rules_catch_an_outward_import() -> None:
    graph = {
        "simulator.domain.model": {"simulator.services.invites"},
        "simulator.services.invites": {"simulator.store.sqlite.db", "simulator.domain.model", "simulator.store"},
        "simulator.api.members": {"simulator.store.sqlite.members", "simulator.services.members"},
    }
    graph["simulator.store.sql.members"] = {"simulator.store.sqlite.db"}
    libraries = {"simulator.services.invites": {"sqlite3", "json"}, "simulator.store.sql.members": {"psycopg"}}
    assert layer_violations(graph, libraries) == [
        "simulator.domain.model -> simulator.services.invites",
        "simulator.services.invites -> simulator.store.sqlite.db",
        "simulator.services.invites -> sqlite3",
        "simulator.api.members -> simulator.store.sqlite.members",
        "simulator.store.sql.members -> simulator.store.sqlite.db",
        "simulator.store.sql.members -> psycopg",
    ]


def test_each_layer_imports_only_what_is_beneath_it() -> None:
    known = modules()
    graph = {name: set(imported(name, path, known)) for name, path in known.items()}
    libraries = {name: _third_party(path) for name, path in known.items()}
    assert layer_violations(graph, libraries) == []


#: No module of the simulator or the conformance suite is longer than this: past it, a module holds more than one
#: thing.
MAX_LINES = 400


def test_no_module_is_over_the_limit() -> None:
    long = {
        name: n
        for name, path in modules().items()
        if name.startswith(("simulator", "conformance"))
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
