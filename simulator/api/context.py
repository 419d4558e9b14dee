"""Access to the process's backend and small request helpers shared by the blueprints."""

from __future__ import annotations

from flask import current_app, request

from simulator.backend import Backend


def backend() -> Backend:
    return current_app.extensions["toluna_sandbox"]


def arg(name: str) -> str | None:
    """A query parameter, its name matched case-insensitively (ASP.NET binds ``partnerGuid`` = ``partnerGUID``)."""
    wanted = name.lower()
    for key, value in request.args.items(multi=True):
        if key.lower() == wanted:
            return value
    return None


_HOST_URLS: dict[tuple[str, str], str] = {}


def base_url() -> str:
    """Where invite URLs point: the configured public URL, or the host the partner called (cached per Host)."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured
    key = (request.scheme, request.host)
    url = _HOST_URLS.get(key)
    if url is None:
        if len(_HOST_URLS) > 64:  # Host is the client's to choose: keep the cache small
            _HOST_URLS.clear()
        url = _HOST_URLS[key] = request.host_url
    return url
