"""Control routes of repro capsules: the sandbox as it is now in one document (state, clock, scenario, journal
tape, versions), and a capsule put back into this sandbox."""

from __future__ import annotations

from flask import Blueprint, Response, request

from simulator.services.capsules import Capsules, unpack

from ..context import bind
from ..errors import json_response


def export_capsule(capsules: Capsules) -> Response:
    return json_response(capsules.export())


def open_capsule(capsules: Capsules) -> Response:
    """Body: a capsule file (zip) or its JSON document. The whole state is replaced; the journal stays."""
    doc = unpack(request.get_data(cache=True), "the request body")
    return json_response(capsules.open(doc))


def register(bp: Blueprint, capsules: Capsules) -> None:
    bind(bp, "/capsule", export_capsule, capsules)
    bind(bp, "/capsule", open_capsule, capsules, methods=["POST"])
