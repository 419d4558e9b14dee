"""The scenario's timeline: entries fire as the sandbox clock reaches them, once each, through the real server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from simulator.domain.errors import ScenarioError
from simulator.scenario.loader import load_text
from tests.support import DEFAULT_SCENARIO, ES, PANEL, Sandbox

#: A frozen clock moves only when advanced, so nothing fires by itself during the test.
TIMELINE = """
clock: {now: "2026-06-01T09:00:00Z", frozen: true}
timeline:
- {at: +1h, quota: 4200001, change: {live: false}}
- {at: +2h, member: M-ANNA, quota: 4200002, outcome: qualified}
- {at: +3h, survey: 3100003, change: {status: closed}}
- {at: +3h, quota: 4200001, change: {live: true, EstimatedCompletesRemaining: 7}}
- {at: +30m, quota: 4200072, change: {live: false}}
"""
REAL_TIME = """
timeline:
- {at: +2s, quota: 4200072, change: {live: false}}
- {at: +1d, quota: 4200001, change: {live: false}}
"""


@contextmanager
def scenario_with(sandbox: Sandbox, extra: str) -> Iterator[Sandbox]:
    text = DEFAULT_SCENARIO.read_text() + extra
    sandbox.control("POST", "scenario", data=text, params={"name": "timeline.yaml"}).raise_for_status()
    try:
        yield sandbox
    finally:
        sandbox.control("POST", "scenario", data=DEFAULT_SCENARIO.read_text()).raise_for_status()


@pytest.fixture
def timeline_sandbox(fresh_sandbox: Sandbox) -> Iterator[Sandbox]:
    with scenario_with(fresh_sandbox, TIMELINE) as sandbox:
        yield sandbox


def listed(sandbox: Sandbox) -> dict[int, dict]:
    return {q["QuotaID"]: q for s in sandbox.get(f"{ES}/{PANEL}/Quotas").json()["Surveys"] for q in s["Quotas"]}


def _key(entry: dict) -> tuple:
    return tuple(str(entry.get(k)) for k in ("quota_id", "survey_id", "member_code", "change"))


def advance(sandbox: Sandbox, **delta: int) -> list[dict]:
    """Move the clock; the entries that fired because of it, in due order. Read from the timeline, not from the
    call's answer: a worker's ticker may fire an entry that falls due before the call itself gets to it."""
    before = {e["ID"] for e in sandbox.control("GET", "timeline").json()["Entries"] if e["FiredAt"]}
    answered = sandbox.control("POST", "clock/advance", json=delta).json()["TimelineFired"]
    after = sandbox.control("GET", "timeline").json()["Entries"]
    fired = sorted((e for e in after if e["FiredAt"] and e["ID"] not in before), key=lambda e: (e["at"], e["ID"]))
    assert {_key(a) for a in answered} <= {_key(f) for f in fired}  # the call names only what it fired itself
    return fired


def test_advancing_the_clock_fires_what_falls_due_once(timeline_sandbox: Sandbox) -> None:
    assert 4200001 in listed(timeline_sandbox)
    fired = advance(timeline_sandbox, minutes=61)
    assert [(f["quota_id"], f["change"]) for f in fired] == [(4200072, {"live": False}), (4200001, {"live": False})]
    assert 4200001 not in listed(timeline_sandbox)
    assert timeline_sandbox.control("POST", "timeline/run").json()["Fired"] == []  # nothing fires twice

    fired = advance(timeline_sandbox, hours=1)
    assert len(fired) == 1 and fired[0]["member_code"] == "M-ANNA" and "qualified" in fired[0]["Result"]
    assert timeline_sandbox.invite("M-ANNA", 4200002).json()["ResultCode"] == 38  # the member took it

    fired = advance(timeline_sandbox, hours=1)
    assert [f.get("survey_id") or f.get("quota_id") for f in fired] == [3100003, 4200001]
    assert timeline_sandbox.invite("M-ANNA", 4200003).json()["ResultCode"] == 10
    assert listed(timeline_sandbox)[4200001]["EstimatedCompletesRemaining"] == 7
    entries = timeline_sandbox.control("GET", "timeline").json()["Entries"]
    assert all(e["FiredAt"] for e in entries) and len(entries) == 5


def test_entries_fire_in_real_time_too(fresh_sandbox: Sandbox) -> None:
    with scenario_with(fresh_sandbox, REAL_TIME) as sandbox:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and 4200072 in listed(sandbox):
            time.sleep(0.2)
        assert 4200072 not in listed(sandbox)  # the +2s entry fired without anyone touching the clock
        fired = [e for e in sandbox.control("GET", "timeline").json()["Entries"] if e["FiredAt"]]
        assert [e["quota_id"] for e in fired] == [4200072]


@pytest.mark.parametrize(
    ("entry", "path", "fix"),
    [
        ("{at: soon, quota: 4200001, change: {live: false}}", "timeline[0].at", "+10m"),
        ("{at: +1h, quota: 4200001}", "timeline[0]", "'quota' + 'change'"),
        ("{at: +1h, quota: 4200001, change: {lvie: false}}", "timeline[0].change", "rename it to 'live'"),
        ("{at: +1h, quota: 999, change: {live: false}}", "timeline[0].quota", "fix the QuotaID"),
        ("{at: +1h, member: NOBODY, quota: 4200001, outcome: qualified}", "timeline[0].member", "declare it"),
        ("{at: +1h, member: M-ANNA, quota: 4200001, outcome: won}", "timeline[0].outcome", "qualified"),
    ],
)
def test_a_bad_timeline_entry_is_named_with_its_fix(entry: str, path: str, fix: str) -> None:
    text = DEFAULT_SCENARIO.read_text() + f"\ntimeline:\n- {entry}\n"
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "t.yaml")
    assert caught.value.path == path and fix in caught.value.fix
