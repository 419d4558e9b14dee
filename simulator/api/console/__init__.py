"""The sandbox's web console: HTML pages for the operator, served at ``/`` (the overview) and ``/console/...``.

Each page module has ``register(bp, services)``, which binds its views (``api/context.bind``) to the console
blueprint; a view calls services only. Pages (GET) are open to whoever reaches the sandbox; every state-changing
request passes ``guard.require_admin_for_changes`` first (the control API's admin rule, the token also taken from
the form field ``sandbox_token``). An action answers with ``pages.back``: a 303 to a page with a one-line note.
Templates live in ``web/templates/console/`` and extend ``console/base.html`` (blocks ``title`` and ``content``;
a form that changes state includes ``console/token.html`` for the token box). No console request goes to the
request journal. A page module imports its siblings by name (``from .pages import back``), never the package
(``from . import pages`` would be an import cycle through this module)."""

from __future__ import annotations

from flask import Blueprint

from simulator.services import Services

from . import guard, journal, members, outbox, overview, pages, runs


def blueprint(services: Services) -> Blueprint:
    bp = Blueprint("console", __name__)
    bp.before_request(guard.require_admin_for_changes)
    bp.add_url_rule("/console/login", "login", guard.login, methods=["POST"])
    bp.after_request(pages.clear)
    bp.context_processor(guard.template_context)
    bp.context_processor(pages.template_context)
    overview.register(bp, services)
    outbox.register(bp, services)
    runs.register(bp, services)
    members.register(bp, services)
    journal.register(bp, services)
    return bp


__all__ = ["blueprint"]
