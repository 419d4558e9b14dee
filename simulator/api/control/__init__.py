"""The operator's control API (``/_sandbox/...``): scenario, reset, quota and survey states, clock, timeline, events,
journal, explain, participations, members, faults, the outbox, workspaces. Loopback clients, and others that send
the admin token (``admin``); each route takes the query parameters and body keys ``control_keys`` declares for it,
and refuses any other."""

from __future__ import annotations

from flask import Blueprint

from simulator.services import Services
from simulator.services.workspaces import Workspaces

from .. import admin
from . import capsule, events, idempotency, records, requests, unknown, workspaces, world
from .idempotency import IDEMPOTENCY_HEADER


def blueprint(services: Services, workspace_admin: Workspaces | None = None) -> Blueprint:
    """``workspace_admin``: the workspaces the default sandbox of ``serve`` manages (None: the routes say where
    workspaces are managed)."""
    bp = Blueprint("control", __name__, url_prefix="/_sandbox")
    bp.before_request(admin.require_admin)
    bp.before_request(requests.strict_request)
    idempotency.register(bp, services.replies)
    world.register(bp, services.world, services.members)
    events.register(bp, services.timeline, services.triggers)
    records.register(bp, services.journal, services.explain, services.notifications, services.triggers)
    capsule.register(bp, services.capsules)
    workspaces.register(bp, workspace_admin)
    unknown.register(bp)
    return bp


__all__ = ["IDEMPOTENCY_HEADER", "blueprint"]
