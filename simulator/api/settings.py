"""Get Settings: ``/IntegratedPanelService/api/Settings?partnerGUID=`` with ``API_AUTH_KEY``."""

from __future__ import annotations

from flask import Blueprint, Response

from simulator.services.access import Access

from .context import arg, bind
from .errors import json_response
from .gates import es_request


def get_settings(access: Access) -> Response:
    guid = arg("partnerGUID") or ""
    return json_response(access.settings(guid, es_request("settings", guid)))


def blueprint(access: Access) -> Blueprint:
    bp = Blueprint("settings", __name__)
    bind(bp, "/IntegratedPanelService/api/Settings", get_settings, access, strict_slashes=False)
    return bp
