"""``create_app``: the Flask application of one sandbox (one database file)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter

from simulator.backend import Backend
from simulator.store import Store

from .api import control, errors, external_sample, journaling, landing, openapi, settings
from .api.fast_quotas import FastQuotas

#: Literal path segments of Toluna's routes. IIS matches them in any case, so partners' code may not.
_LITERALS = {
    s.lower(): s
    for s in (
        "IPExternalSamplingService",
        "ExternalSample",
        "Quotas",
        "Invite",
        "Invites",
        "Recontact",
        "MemberCodes",
        "QuotaStatus",
        "IntegratedPanelService",
        "api",
        "Settings",
        "TrafficUI",
        "MSCUI",
        "Page.aspx",
    )
}


class SegmentConverter(BaseConverter):
    """A path segment that may be empty, so ``/ExternalSample//Quotas`` reaches the view and gets code 18."""

    regex = "[^/]*"


def _canonical_path(path: str) -> str:
    parts = path.split("/")
    return "/".join(_LITERALS.get(p.lower(), p) if not p.startswith("{") else p for p in parts)


class CaseInsensitiveRoutes:
    """WSGI middleware: Toluna's literal route words match in any case, as they do on Toluna's servers."""

    def __init__(self, wsgi_app: Callable[..., Any]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_sandbox"):
            if len(path) > 1 and path.endswith("/"):  # IIS ignores a trailing slash (``/Respondent/``)
                path = path[:-1]
            environ["PATH_INFO"] = _canonical_path(path)
        return self.wsgi_app(environ, start_response)


def create_app(store: Store | str | None = None, test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=None, template_folder="web/templates")
    app.config.update(PUBLIC_URL=None, CONTROL_ALLOW_REMOTE=False, JSON_SORT_KEYS=False, FAST_QUOTAS=True)
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
    for bp in (settings.bp, control.bp, landing.bp, openapi.bp):
        app.register_blueprint(bp)
    if app.config["FAST_QUOTAS"]:
        app.wsgi_app = FastQuotas(app.wsgi_app, backend)  # type: ignore[method-assign]
    app.wsgi_app = CaseInsensitiveRoutes(app.wsgi_app)  # type: ignore[method-assign]
    return app
