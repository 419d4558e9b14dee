"""``create_app``: the Flask application of one sandbox (one database file)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from simulator.backend import Backend
from simulator.background import start_pruner, start_ticker
from simulator.store import Store
from simulator.store.retention import DEFAULT_LIMITS, Limits

from .api import (
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
from .api.limits import DEFAULTS as INPUT_LIMITS
from .api.limits import RequestLimits
from .api.routing import CaseInsensitiveRoutes, SegmentConverter


def create_app(store: Store | str | None = None, test_config: dict[str, Any] | None = None) -> Flask:
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
    if not isinstance(store, Store):
        store = Store(store or ":memory:")
    backend = app.extensions["toluna_sandbox"] = Backend(store)
    errors.register(app)
    journaling.register(app)
    for prefix, name in zip(external_sample.PREFIXES, ("es", "es_legacy"), strict=True):
        app.register_blueprint(external_sample.blueprint(prefix, name))
    for prefix, name in zip(reports.PREFIXES, ("reports", "reports_typo"), strict=True):
        app.register_blueprint(reports.blueprint(prefix, name))
    blueprints = (
        settings.bp,
        dashboard.bp,
        members.bp,
        reference_data.bp,
        control.bp,
        landing.bp,
        profile.bp,
        openapi.bp,
    )
    for bp in blueprints:
        app.register_blueprint(bp)
    if app.config["FAST_QUOTAS"]:
        app.wsgi_app = FastQuotas(app.wsgi_app, backend)  # type: ignore[method-assign]
    app.wsgi_app = CaseInsensitiveRoutes(app.wsgi_app, app.url_map)  # type: ignore[method-assign]
    app.wsgi_app = RequestLimits(app.wsgi_app, app)  # type: ignore[method-assign]
    if app.config["DISPATCH"]:
        backend.start_dispatcher()
    if app.config["TIMELINE_SECONDS"]:
        start_ticker(backend, app.config["TIMELINE_SECONDS"], app.config["PUBLIC_URL"] or "")
    if app.config["RETENTION_SECONDS"]:
        limits = Limits(app.config["KEEP_JOURNAL"], app.config["KEEP_OUTBOX"], app.config["KEEP_DAYS"])
        start_pruner(backend, app.config["RETENTION_SECONDS"], limits)
    return app
