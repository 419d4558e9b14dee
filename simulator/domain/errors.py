"""Errors the sandbox answers with. One class per Toluna error family; ``simulator.api.errors`` turns them
into HTTP in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .codes import ResultCode


class SandboxError(Exception):
    """Base class; ``status`` is the HTTP status the API layer answers with."""

    status = 400

    def body(self) -> object:
        return {"Message": str(self)}


class EsResultError(SandboxError):
    """An External Sample refusal: HTTP 400 with ``{"Result", "ResultCode"}``."""

    def __init__(self, code: ResultCode, reason: str = "") -> None:
        super().__init__(reason or code.name)
        self.code = code
        self.reason = reason

    def body(self) -> object:
        return self.code.body()


class ForbiddenError(SandboxError):
    """Missing or wrong ``API_AUTH_KEY`` / ``PARTNER_AUTH_KEY``."""

    status = 403


class BadRequestError(SandboxError):
    """A malformed request outside the ES result-code family (``{"Message": ...}``)."""


class NotFoundError(SandboxError):
    status = 404


class SandboxGone(NotFoundError):
    """The store under a request or a background job is gone: its workspace was deleted a moment ago, by this
    process or another one (each stops serving a deleted workspace within about a second)."""

    def __init__(self) -> None:
        super().__init__(
            "This workspace was deleted. Fix: create it again with POST /_sandbox/workspaces on the base URL "
            "without /w/ (or toluna-sandbox workspace create NAME), then call the BaseURL it answers"
        )


class ConflictError(SandboxError):
    """409: a member that exists already, or a second write of a member within 1000 ms."""

    status = 409


class FaultStatusError(SandboxError):
    """A fault rule's forced HTTP status, answered with ASP.NET's generic body."""

    def __init__(self, status: int) -> None:
        super().__init__("An error has occurred." if status >= 500 else "The request is invalid.")
        self.status = status


class DroppedConnectionError(FaultStatusError):
    """A fault rule that closes the client's connection before a whole answer. The server does it (the answer's
    body fails before its first byte); where no server can, e.g. under a test client, the answer is a 500."""

    def __init__(self) -> None:
        super().__init__(500)


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a scenario file: the file, the path inside it, what is wrong and how to fix it."""

    file: str
    path: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: at {self.path or '(top level)'}: {self.problem}. Fix: {self.fix}"

    def to_dict(self) -> dict[str, str]:
        return {"File": self.file, "Path": self.path, "Problem": self.problem, "Fix": self.fix}


class ScenarioError(SandboxError):
    """A scenario that cannot be loaded: names the file, the path inside it and the fix. A file with several
    mistakes carries them all in ``problems`` (``file``/``path``/``problem``/``fix`` are the first one's);
    ``count`` is how many were found, which may exceed the ones kept."""

    def __init__(
        self, file: str, path: str, problem: str, fix: str, *, more: Sequence[Problem] = (), count: int = 0
    ) -> None:
        self.file, self.path, self.problem, self.fix = file, path, problem, fix
        self.problems = [Problem(file, path, problem, fix), *more]
        self.count = max(count, len(self.problems))
        super().__init__("\n".join([*self.lines(), self.summary()]) if self.count > 1 else str(self.problems[0]))

    @classmethod
    def of(cls, problems: Sequence[Problem], count: int = 0) -> ScenarioError:
        first, *more = problems
        return cls(first.file, first.path, first.problem, first.fix, more=more, count=count)

    def lines(self) -> list[str]:
        """One line per problem kept."""
        return [str(p) for p in self.problems]

    def summary(self) -> str:
        """How many problems were found (and how many of them are not listed)."""
        unlisted = self.count - len(self.problems)
        noun = "error" if self.count == 1 else "errors"
        return f"{self.count} {noun} in {self.file}" + (f" ({unlisted} not listed)" if unlisted else "")

    def body(self) -> object:
        return {
            "Message": str(self),
            "File": self.file,
            "Path": self.path,
            "Problem": self.problem,
            "Fix": self.fix,
            "ErrorCount": self.count,
            "Errors": [p.to_dict() for p in self.problems],
        }
