"""``create_app``: the Flask application of one sandbox (one store). ``build_services`` is the one place where every
service gets its collaborators; ``create_app`` builds the store, the dispatcher and the services, and hands each
blueprint the services it uses."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from simulator import __version__
from simulator.background import start_pruner, start_ticker
from simulator.notify.dispatcher import Dispatcher
from simulator.services import Services
from simulator.services.access import Access
from simulator.services.capsules import Capsules
from simulator.services.dashboard import Dashboard
from simulator.services.eligibility import Eligibility
from simulator.services.explain import Explain
from simulator.services.faults import FaultGate
from simulator.services.inventory import Inventory
from simulator.services.invites import Invites
from simulator.services.journal import RequestJournal
from simulator.services.members import Members
from simulator.services.notifications import Notifications
from simulator.services.replies import Replies
from simulator.services.reports import Reports
from simulator.services.survey_flow import SurveyFlow
from simulator.services.timeline import Timeline
from simulator.services.triggers import Triggers
from simulator.services.workspaces import Workspaces
from simulator.services.world import World
from simulator.store import Store, open_store
from simulator.store.records import DEFAULT_LIMITS, Limits

from .api import (
    console,
    control,
    dashboard,
    errors,
    external_sample,
    journaling,
    landing,
    members,
    openapi,
    profile,
    reference_data,
    reports,
    settings,
)
from .api.fast_quotas import FastQuotas
from .api.gates import note_fault
from .api.limits import DEFAULTS as INPUT_LIMITS
from .api.limits import RequestLimits
from .api.routing import CaseInsensitiveRoutes, SegmentConverter


def build_services(store: Store, dispatcher: Dispatcher | None = None) -> Services:
    """Every service of one sandbox, each given exactly the collaborators it uses (``dispatcher``: this process's
    deliverer of notifications, woken when some are queued)."""
    faults = FaultGate(store, on_applied=note_fault)
    access = Access(store, faults)
    eligibility = Eligibility(store)
    notifications = Notifications(store, dispatcher.wake.set if dispatcher else None)
    flow = SurveyFlow(store, eligibility, notifications)
    member_service = Members(store, access)
    world = World(store, access, notifications)
    return Services(
        faults=faults,
        access=access,
        eligibility=eligibility,
        inventory=Inventory(store, access),
        invites=Invites(store, access, eligibility),
        members=member_service,
        dashboard=Dashboard(store, access, member_service, eligibility),
        notifications=notifications,
        flow=flow,
        world=world,
        timeline=Timeline(store, world, flow),
        triggers=Triggers(store, access, world, flow, notifications),
        explain=Explain(store, access, eligibility),
        journal=RequestJournal(store),
        replies=Replies(store),
        reports=Reports(store, access),
        capsules=Capsules(store, __version__),
    )


#: Where ``create_app`` keeps what stops its background threads (``stop_background``).
BACKGROUND = "toluna_sandbox_background"


def create_app(
    store: Store | str | None = None,
    test_config: dict[str, Any] | None = None,
    workspace_admin: Workspaces | None = None,
) -> Flask:
    """One sandbox on ``store``; ``workspace_admin``: the workspaces it manages when it is the default sandbox of a
    workspace router (``simulator.workspaces``)."""
    app = Flask(__name__, static_folder=None, template_folder="web/templates")
    app.config.update(
        PUBLIC_URL=None,
        CONTROL_ALLOW_REMOTE=False,
        JSON_SORT_KEYS=False,
        FAST_QUOTAS=True,
        TIMELINE_SECONDS=0,
        DISPATCH=False,
        RETENTION_SECONDS=0,  # how often this process prunes (0: never; ``serve`` prunes every 10 s)
        KEEP_JOURNAL=DEFAULT_LIMITS.journal_entries,
        KEEP_OUTBOX=DEFAULT_LIMITS.outbox_finished,
        KEEP_DAYS=DEFAULT_LIMITS.max_age_days,
        **INPUT_LIMITS,  # MAX_BODY_BYTES, MAX_UPLOAD_BYTES, MAX_JSON_DEPTH, MAX_HEADER_COUNT, MAX_HEADER_LINE_BYTES
    )
    if test_config:
        app.config.update(test_config)
    app.url_map.merge_slashes = False
    app.url_map.converters["seg"] = SegmentConverter
    if store is None or isinstance(store, str):
        store = open_store(store or ":memory:")
    dispatcher = Dispatcher(store.outbox) if app.config["DISPATCH"] else None
    services = app.extensions["toluna_sandbox"] = build_services(store, dispatcher)
    errors.register(app)
    journaling.register(app, services.journal)
    for prefix, name in zip(external_sample.PREFIXES, ("es", "es_legacy"), strict=True):
        app.register_blueprint(external_sample.blueprint(prefix, name, services.inventory, services.invites))
    for prefix, name in zip(reports.PREFIXES, ("reports", "reports_typo"), strict=True):
        app.register_blueprint(reports.blueprint(prefix, name, services.reports))
    app.register_blueprint(settings.blueprint(services.access))
    app.register_blueprint(dashboard.blueprint(services.dashboard))
    app.register_blueprint(members.blueprint(services.members))
    app.register_blueprint(reference_data.blueprint(services.access))
    app.register_blueprint(control.blueprint(services, workspace_admin))
    app.register_blueprint(landing.blueprint(services.flow))
    app.register_blueprint(profile.blueprint(services.members))
    app.register_blueprint(openapi.blueprint())
    app.register_blueprint(console.blueprint(services))
    if app.config["FAST_QUOTAS"]:
        app.wsgi_app = FastQuotas(app.wsgi_app, services.inventory, services.journal)  # type: ignore[method-assign]
    app.wsgi_app = CaseInsensitiveRoutes(app.wsgi_app, app.url_map)  # type: ignore[method-assign]
    app.wsgi_app = RequestLimits(app.wsgi_app, app)  # type: ignore[method-assign]
    stop = threading.Event()
    threads = []
    if dispatcher is not None:
        dispatcher.start()
    if app.config["TIMELINE_SECONDS"]:
        ticker = start_ticker(services.timeline, app.config["TIMELINE_SECONDS"], app.config["PUBLIC_URL"] or "", stop)
        threads.append(ticker)
    if app.config["RETENTION_SECONDS"]:
        limits = Limits(app.config["KEEP_JOURNAL"], app.config["KEEP_OUTBOX"], app.config["KEEP_DAYS"])
        threads.append(start_pruner(store, app.config["RETENTION_SECONDS"], limits, stop))
    app.extensions[BACKGROUND] = (stop, dispatcher, threads)
    return app


def stop_background(app: Flask, timeout: float = 2.0) -> None:
    """Stop the threads ``create_app`` started for ``app`` (a deleted workspace's), waiting up to ``timeout`` for
    each to finish its turn."""
    stop, dispatcher, threads = app.extensions[BACKGROUND]
    stop.set()
    if dispatcher is not None:
        dispatcher.stop(timeout)
    for thread in threads:
        thread.join(timeout)
