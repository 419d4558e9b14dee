"""Get Settings: ``/IntegratedPanelService/api/Settings?partnerGUID=`` with ``API_AUTH_KEY``."""

from __future__ import annotations

from flask import Blueprint, Response

from .context import arg, backend
from .errors import json_response
from .gates import es_gate

bp = Blueprint("settings", __name__)


@bp.get("/IntegratedPanelService/api/Settings", strict_slashes=False)
def get_settings() -> Response:
    panel = es_gate("settings", arg("partnerGUID") or "", need_es=False)
    return json_response(backend().settings(panel))
