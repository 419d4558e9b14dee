"""Small request helpers the blueprints share, and ``bind``: how a view gets the services it needs (passed in when
the app factory builds the blueprint, never looked up)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from flask import Blueprint, current_app, request


def bind(
    bp: Blueprint,
    rule: str,
    view: Callable[..., Any],
    *services: Any,
    methods: Iterable[str] = ("GET",),
    **options: Any,
) -> None:
    """Route ``rule`` to ``view`` called with ``services`` first, then the rule's arguments; the endpoint is the
    view's name."""
    endpoint = options.pop("endpoint", view.__name__)
    target = partial(view, *services) if services else view
    bp.add_url_rule(rule, endpoint, target, methods=list(methods), **options)


def arg(name: str) -> str | None:
    """A query parameter, its name matched case-insensitively (ASP.NET binds ``partnerGuid`` = ``partnerGUID``)."""
    wanted = name.lower()
    for key, value in request.args.items(multi=True):
        if key.lower() == wanted:
            return value
    return None


def base_url() -> str:
    """Where invite URLs point: the configured public URL, or the base the partner called (with a workspace's
    ``/w/{name}`` prefix, which the workspace router moves into ``SCRIPT_NAME``)."""
    return current_app.config.get("PUBLIC_URL") or request.url_root
