"""Errors the sandbox answers with. One class per Toluna error family; ``simulator.api.errors`` turns them
into HTTP in one place."""

from __future__ import annotations

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


class ConflictError(SandboxError):
    """409: a member that exists already, or a second write of a member within 1000 ms."""

    status = 409


class ScenarioError(SandboxError):
    """A scenario that cannot be loaded: names the file, the path inside it and the fix."""

    def __init__(self, file: str, path: str, problem: str, fix: str) -> None:
        self.file, self.path, self.problem, self.fix = file, path, problem, fix
        super().__init__(f"{file}: at {path or '(top level)'}: {problem}. Fix: {fix}")

    def body(self) -> object:
        return {"Message": str(self), "File": self.file, "Path": self.path, "Problem": self.problem, "Fix": self.fix}
