"""Workspaces: the operator creating, listing, resetting and deleting the isolated sandboxes served under
``/w/{name}`` (the catalog keeps them; see ``store.workspaces``). A new workspace runs the scenario it is given, or
the one the default sandbox runs; its admin token is kept as a digest only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from simulator.domain.errors import BadRequestError, ConflictError, NotFoundError
from simulator.scenario.loader import load_text
from simulator.scenario.model import Scenario
from simulator.store import Store, WorkspaceCatalog
from simulator.store.workspaces import WorkspaceExists, WorkspaceRecord, check_name, token_digest

from .world import World


class Workspaces:
    """``worlds(name)``: the ``World`` service of a workspace, as this process serves it; ``stop(name)``: stop what
    this process runs for a workspace about to be deleted (its app, its background threads)."""

    def __init__(
        self,
        catalog: WorkspaceCatalog,
        default_store: Store,
        worlds: Callable[[str], World],
        stop: Callable[[str], None],
    ) -> None:
        self.catalog = catalog
        self.default_store = default_store
        self.worlds = worlds
        self.stop = stop

    def list(self) -> list[WorkspaceRecord]:
        return self.catalog.list()

    def create(self, name: str, token: str, scenario: tuple[str, str, Path] | None) -> tuple[WorkspaceRecord, str]:
        """A new workspace running ``scenario`` (its text, the name it is known by, where the files it names are
        looked for), or the default sandbox's scenario; the record and the scenario's name. A scenario that does
        not load, or a name that is taken, creates nothing."""
        _checked(name)
        if not token:
            raise BadRequestError("AdminToken: empty. Fix: leave it out (a token is generated) or give one")
        if scenario is None:
            source, text = self.default_store.meta.get("scenario_source"), self.default_store.meta.get("scenario_text")
            if not text:
                raise BadRequestError("The default sandbox runs no scenario to copy. Fix: send a Scenario")
            base = Path(source).parent if source and not source.startswith("<") else Path(".")
            scenario = (text, source or "<scenario>", base)
        loaded = load_text(*scenario)
        try:
            record = self.catalog.create(name, token_digest(token))
        except WorkspaceExists:
            raise _exists(name) from None
        try:
            self.catalog.open(name).load(loaded)
        except BaseException:
            self.catalog.delete(name)
            raise
        return record, loaded.name

    def reset(self, name: str) -> Scenario:
        """Reload the workspace's scenario from scratch and clear its journal (no other workspace is touched)."""
        self._record(name)
        return self.worlds(name).reset()

    def delete(self, name: str) -> None:
        """Remove the workspace and its whole state."""
        self._record(name)
        self.stop(name)
        self.catalog.delete(name)

    def _record(self, name: str) -> WorkspaceRecord:
        record = self.catalog.get(_checked(name))
        if record is None:
            raise NotFoundError(f"No workspace '{name}'. Fix: create it with POST /_sandbox/workspaces")
        return record


def _checked(name: str) -> str:
    try:
        return check_name(name)
    except ValueError as exc:
        raise BadRequestError(f"Name: {exc}") from None


def _exists(name: str) -> ConflictError:
    return ConflictError(f"Workspace '{name}' exists already. Fix: choose another name, or delete it first")
