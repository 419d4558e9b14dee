"""The console's overview (``/``): panels, survey waves and quotas with their counters and states, the sandbox
clock; and the operator's actions on them, each the very service call the control API makes."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for

from simulator.domain.errors import SandboxError
from simulator.services import Services
from simulator.services.timeline import Timeline
from simulator.services.triggers import Triggers
from simulator.services.world import World

from ..context import base_url, bind
from ..control.requests import ROW_ID
from .pages import back

#: Seconds in each unit the clock form offers.
UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
#: The furthest one press moves the clock (a year).
MAX_ADVANCE = 366 * 86400


def _flag(name: str) -> bool | None:
    """A form's yes/no field (``true``/``false``), or None when it is neither."""
    return {"true": True, "false": False}.get((request.form.get(name) or "").strip().lower())


def _home() -> str:
    return url_for("console.overview")


def overview(world: World) -> str:
    return render_template("console/overview.html", view=world.overview(), units=list(UNITS))


def set_quota_state(world: World, quota_id: int) -> Response:
    live = _flag("live")
    if live is None:
        return back(_home(), "Send live=true or live=false.", ok=False)
    try:
        world.change_quota(quota_id, {"live": live})
    except SandboxError as e:
        return back(_home(), str(e), ok=False)
    return back(_home(), f"Quota {quota_id} is {'live' if live else 'on hold'}.")


def set_survey_state(world: World, survey_id: int) -> Response:
    status = (request.form.get("status") or "").strip().lower()
    if status not in ("open", "closed"):
        return back(_home(), "Send status=open or status=closed.", ok=False)
    body: dict[str, object] = {"status": status}
    wave = (request.form.get("wave_id") or "").strip()
    if wave:
        if not wave.isdigit():
            return back(_home(), f"wave_id {wave[:20]!r} is not a number. Fix: send a WaveID.", ok=False)
        body["WaveID"] = int(wave)
    try:
        changed, _ = world.change_survey(survey_id, body)
    except SandboxError as e:
        return back(_home(), str(e), ok=False)
    waves = ", ".join(str(s.wave_id) for s in changed)
    return back(_home(), f"Survey {survey_id} (wave {waves}) is {status}.")


def advance_clock(timeline: Timeline) -> Response:
    unit = request.form.get("unit") or ""
    amount = (request.form.get("amount") or "").strip()
    if unit not in UNITS:
        return back(_home(), f"unit is one of {', '.join(UNITS)}.", ok=False)
    try:
        seconds = float(amount) * UNITS[unit]
    except ValueError:
        return back(_home(), f"amount {amount[:20]!r} is not a number. Fix: send e.g. amount=30.", ok=False)
    if not 0 < seconds <= MAX_ADVANCE:
        return back(_home(), "The clock moves forward, by at most a year at a time.", ok=False)
    try:
        setting, fired = timeline.advance_clock(seconds, base_url())
    except SandboxError as e:
        return back(_home(), str(e), ok=False)
    now = setting.to_dict()["Now"]
    return back(_home(), f"The clock moved on by {amount} {unit}: now {now}; {len(fired)} timeline entries fired.")


def notify_quota_status(triggers: Triggers, quota_id: int) -> Response:
    live = _flag("live")
    if live is None:
        return back(_home(), "Send live=true or live=false.", ok=False)
    try:
        sent = triggers.quota_status(quota_id, live)
    except SandboxError as e:
        return back(_home(), str(e), ok=False)
    ids = ", ".join(f"#{i}" for i in sent) or "none (no panel has a quota notification URL)"
    return back(_home(), f"Quota status notification for quota {quota_id} queued: {ids}.")


def register(bp: Blueprint, services: Services) -> None:
    bind(bp, "/", overview, services.world)
    bind(bp, f"/console/quotas/<{ROW_ID}:quota_id>/state", set_quota_state, services.world, methods=["POST"])
    bind(bp, f"/console/surveys/<{ROW_ID}:survey_id>/state", set_survey_state, services.world, methods=["POST"])
    bind(bp, "/console/clock/advance", advance_clock, services.timeline, methods=["POST"])
    bind(bp, f"/console/quotas/<{ROW_ID}:quota_id>/notify", notify_quota_status, services.triggers, methods=["POST"])
