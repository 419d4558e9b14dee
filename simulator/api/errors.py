"""The one place where sandbox errors become HTTP answers, in the shapes Toluna's stack answers with."""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, g
from werkzeug.exceptions import HTTPException

from simulator.domain.errors import EsResultError, SandboxError

log = logging.getLogger("simulator")
JSON_TYPE = "application/json; charset=utf-8"


def json_response(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status, content_type=JSON_TYPE)


def register(app: Flask) -> None:
    @app.errorhandler(SandboxError)
    def sandbox_error(e: SandboxError) -> Response:
        if isinstance(e, EsResultError):
            g.result_code = int(e.code)
            g.journal_note = getattr(g, "journal_note", None) or e.reason or None
        return json_response(e.body(), e.status)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Response:
        from flask import request

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
