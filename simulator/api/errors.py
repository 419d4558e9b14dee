"""The one place where sandbox errors become HTTP answers, in the shapes Toluna's stack answers with."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from flask import Flask, Response, g, request
from jinja2 import Environment
from werkzeug.exceptions import HTTPException

from simulator.domain.errors import DroppedConnectionError, EsResultError, SandboxError

from .gates import drop_connection

log = logging.getLogger("simulator")
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


def json_response(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status, content_type=JSON_TYPE)


class RequestRefused(SandboxError):
    """A request outside the sandbox's limits (a body too large, JSON nested too deeply, a path, query, header or
    body that is not UTF-8, too many or too long headers), answered in its route family's shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


#: The shape each route family refuses a request in: the one it already answers a malformed request with.
#: Matched on the lower-cased path, first match wins; any other path answers ``{"Message": ...}`` as ASP.NET does.
REFUSAL_SHAPES: tuple[tuple[str, str], ...] = (
    ("/trafficui/", "page"),  # the survey and profile pages a member's browser shows: an HTML page
    ("/ipexternalsamplingservice/", "message"),  # External Sample: as bulk Invites' malformed body
    ("/externalsample/", "message"),
    ("/integratedpanelservice/", "message"),  # member management, dashboard, settings, reports
    ("/intergratedpanelservice/", "message"),
    ("/iputilityservice/", "message"),  # reference data
    ("/_sandbox/", "message"),  # the control API
)


def refusal(path: str, status: int, message: str, pages: Environment) -> tuple[bytes, str]:
    """The body and content type that refuse a request to ``path`` (rendered without a request context, so the
    WSGI layer in front of Flask answers with the same bytes as a view)."""
    lowered = path.lower()
    shape = next((shape for prefix, shape in REFUSAL_SHAPES if lowered.startswith(prefix)), "message")
    if shape == "page":
        page = pages.get_template("message.html").render(title=HTTPStatus(status).phrase, lines=[message])
        return page.encode(), HTML_TYPE
    return json.dumps({"Message": message}, ensure_ascii=False).encode(), JSON_TYPE


def register(app: Flask) -> None:
    @app.errorhandler(RequestRefused)
    def refused(e: RequestRefused) -> Response:
        g.journal_note = str(e)
        body, content_type = refusal(request.path, e.status, str(e), app.jinja_env)
        return Response(body, e.status, content_type=content_type)

    @app.errorhandler(DroppedConnectionError)
    def dropped(e: DroppedConnectionError) -> Response:
        drop_connection()  # the server closes the connection; anywhere else the answer is this 500
        return json_response(e.body(), e.status)

    @app.errorhandler(SandboxError)
    def sandbox_error(e: SandboxError) -> Response:
        if isinstance(e, EsResultError):
            g.result_code = int(e.code)
            g.journal_note = getattr(g, "journal_note", None) or e.reason or None
        return json_response(e.body(), e.status)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Response:
        if e.code == 404:
            message = f"No HTTP resource was found that matches the request URI '{request.url}'."
        elif e.code == 405:
            message = f"The requested resource does not support http method '{request.method}'."
        else:
            message = e.description or e.name
        return json_response({"Message": message}, e.code or 500)

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Response:
        log.exception("unhandled error")
        return json_response({"Message": "An error has occurred."}, 500)
