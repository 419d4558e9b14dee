"""The control API's answer to a path no route has (404) or a method no route takes (405, with ``Allow``); either
way the answer lists the routes that exist."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule

from .. import control_keys
from ..errors import json_response

_ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def unknown_route(rest: str) -> Response:
    prefix = f"{request.blueprint}."
    rules = [r for r in current_app.url_map.iter_rules() if r.endpoint.startswith(prefix)]
    real = [r for r in rules if r.endpoint != request.endpoint]
    routes = sorted(
        control_keys.route_label(m, r.rule) for r in real for m in sorted((r.methods or set()) - {"HEAD", "OPTIONS"})
    )
    known = Map([Rule(r.rule, methods=r.methods, endpoint=r.endpoint) for r in real], merge_slashes=False)
    try:
        known.bind("sandbox").match(request.path, method=request.method)
    except MethodNotAllowed as exc:
        allowed = sorted(set(exc.valid_methods or ()) - {"HEAD", "OPTIONS"})
        answer = json_response(
            {
                "Message": f"{request.path} does not take {request.method}. Fix: use {', '.join(allowed)}.",
                "Routes": routes,
            },
            405,
        )
        answer.headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
        return answer
    except (NotFound, RequestRedirect):
        pass
    return json_response(
        {"Message": f"No control route {request.method} {request.path}. Fix: use one of Routes.", "Routes": routes},
        404,
    )


def register(bp: Blueprint) -> None:
    bp.add_url_rule(
        "/", "unknown_route", unknown_route, defaults={"rest": ""}, methods=_ANY_METHOD, strict_slashes=False
    )
    bp.add_url_rule("/<path:rest>", "unknown_route", unknown_route, methods=_ANY_METHOD)
