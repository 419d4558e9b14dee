"""Checks register themselves with a decorator; a run executes every selected one, and one that crashes is
reported as failed with its traceback instead of stopping the others.

A check never passes by default: its verdict counts what it judged (invites, pages, notifications, ...), and a
verdict with nothing judged and nothing wrong is *not exercised*, whatever the check forgot to say."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .model import CheckInfo, Evidence, Result, Severity, Status


@dataclass(slots=True)
class Verdict:
    """What a check function returns: the problems found, and how many things it judged (``judged``); with no
    problem it passes only when it judged something. ``nothing`` says what was missing when it judged nothing."""

    problems: list[Evidence]
    judged: int = 0
    passed: str = ""
    failed: str = ""
    nothing: str = ""

    @classmethod
    def unexercised(cls, why: str) -> Verdict:
        return cls([], nothing=why)


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


def excluded(include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[CheckInfo]:
    """The checks the user's configuration leaves out: the report lists them as skipped."""
    chosen = {info.id for info, _ in select(include, exclude)}
    return [info for info, _ in CHECKS.values() if info.id not in chosen]


def judge(info: CheckInfo, verdict: Verdict) -> Result:
    if not verdict.problems and verdict.judged <= 0:
        why = verdict.nothing or "nothing happened during the run that this check could judge"
        return Result(check=info, status=Status.NOT_EXERCISED, message=why)
    if not verdict.problems:
        return Result(
            check=info, status=Status.PASS, message=verdict.passed or f"{verdict.judged} judged, no violation"
        )
    status = Status.FAIL if info.severity is Severity.MUST else Status.WARN
    message = verdict.failed or f"{len(verdict.problems)} violation(s)"
    return Result(check=info, status=status, message=message, evidence=verdict.problems)
