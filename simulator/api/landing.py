"""Where invite URLs lead: Toluna's survey entry path. For now a plain page naming the invite; the full survey
flow (outcomes, end pages, notifications) builds on it."""

from __future__ import annotations

from html import escape

from flask import Blueprint, Response, request

from simulator.backend import INVITE_PATH

from .journaling import note

bp = Blueprint("landing", __name__)


@bp.get(INVITE_PATH)
def survey_entry() -> Response:
    token = request.args.get("od", "")
    note("survey_entry")
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in request.args.items(multi=True))
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Toluna sandbox survey</title></head><body>"
        f"<h1>Survey entry</h1><p>Invite <code>{escape(token)}</code></p><table>{rows}</table></body></html>"
    )
    return Response(html, 200, content_type="text/html; charset=utf-8")
