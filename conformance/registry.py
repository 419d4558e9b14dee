"""Checks register themselves with a decorator; a run executes every selected one, and one that crashes is
reported as failed with its traceback instead of stopping the others."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .model import CheckInfo, Evidence, Result, Severity, Status


@dataclass(slots=True)
class Verdict:
    """What a check function returns: problems found (empty: it passes), or a reason to skip."""

    problems: list[Evidence]
    passed: str = ""
    failed: str = ""
    skipped: str | None = None


CheckFn = Callable[["object"], Verdict]
CHECKS: dict[str, tuple[CheckInfo, CheckFn]] = {}


def check(id: str, title: str, step: str, severity: Severity, rule: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        if id in CHECKS:
            raise ValueError(f"check {id} is registered twice")
        CHECKS[id] = (CheckInfo(id=id, title=title, step=step, severity=severity, rule=rule), fn)
        return fn

    return register


def select(include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[tuple[CheckInfo, CheckFn]]:
    """Checks whose id or step matches an ``include`` pattern (all when none is given) and no ``exclude`` one."""
    include, exclude = list(include), list(exclude)

    def hits(info: CheckInfo, patterns: list[str]) -> bool:
        return any(fnmatch.fnmatch(info.id, p) or p.lower() == info.step.lower() for p in patterns)

    return [
        (info, fn) for info, fn in CHECKS.values() if (not include or hits(info, include)) and not hits(info, exclude)
    ]


def judge(info: CheckInfo, verdict: Verdict) -> Result:
    if verdict.skipped is not None:
        return Result(check=info, status=Status.SKIP, message=verdict.skipped)
    if not verdict.problems:
        return Result(check=info, status=Status.PASS, message=verdict.passed or "no violation found")
    status = Status.FAIL if info.severity is Severity.MUST else Status.WARN
    message = verdict.failed or f"{len(verdict.problems)} violation(s)"
    return Result(check=info, status=status, message=message, evidence=verdict.problems)
