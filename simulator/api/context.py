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


def base_url() -> str:
    return current_app.config.get("PUBLIC_URL") or request.host_url
