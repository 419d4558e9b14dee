"""Who may change state from the console. Pages (GET) are open to whoever reaches the sandbox; a POST obeys the
control API's rule (``admin``): loopback peers pass, others send the admin token, in the ``X-Sandbox-Token`` header
or in the form field ``sandbox_token`` (the console's forms carry a password box for it when the page was served to
a non-loopback client; the page never holds the token itself). A POST that a page of another origin sent (its
``Origin`` header names another host) is refused whoever sends it, so a web page open in the operator's browser
cannot drive a loopback sandbox."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, g, redirect, render_template, request, url_for

from .. import admin
from .pages import message

#: The form field a browser form carries the admin token in (and the cookie the sign-in page sets).
FIELD = "sandbox_token"
#: The sign-in's endpoint.
LOGIN = "console.login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _netloc(url: str) -> str | None:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return None


def _foreign_origin() -> str | None:
    """The ``Origin`` of a request a page of another host sent, or None."""
    origin = request.headers.get("Origin")
    return origin if origin is not None and _netloc(origin) != request.host.lower() else None


def refusal() -> str | None:
    """Why the current request may not change state, or None when it may."""
    origin = _foreign_origin()
    if origin is not None:
        return (
            f"This form was sent from another origin ({origin[:100]}), not from the sandbox's own pages. "
            "Fix: use the console's page itself."
        )
    if admin.exempt():
        return None
    given = request.headers.get(admin.HEADER) or request.form.get(FIELD) or request.cookies.get(FIELD) or ""
    if not admin.expected_digest():
        return (
            "The console changes state for loopback clients only: this sandbox has no admin token. Fix: start it "
            f"with --admin-token (or {admin.ENV}) and type the token in the form's admin token box."
        )
    if not given:
        return (
            "A change from the console needs the admin token from non-loopback clients. Fix: type it in the form's "
            f"admin token box (or send it in {admin.HEADER})."
        )
    if not admin.token_matches(given):
        return "Wrong admin token. Fix: type this sandbox's own token."
    return None


def require_admin_for_changes() -> Response | None:
    """Before every console request: none goes to the request journal (it records the partner's traffic); a
    state-changing one that ``refusal`` names a reason for is answered with a 403 page. A sandbox that asks every
    client for the token (a workspace, ``serve --require-token``) asks it of pages too: in ``X-Sandbox-Token``, or
    in the cookie its sign-in page sets (a page asked for without one answers with that sign-in page)."""
    g.no_journal = True
    if request.endpoint == LOGIN:
        return None  # the sign-in checks the token itself
    if request.method in SAFE_METHODS and not current_app.config.get(admin.REQUIRED):
        return None
    reason = refusal()
    if reason is None:
        return None
    if request.method in SAFE_METHODS:
        return sign_in(request.script_root + (request.full_path if request.query_string else request.path))
    return message(403, "Refused", [reason])


def sign_in(next_page: str, error: str = "", status: int = 401) -> Response:
    """The sign-in page of a console that asks every client for the token."""
    html = render_template(
        "console/login.html",
        action=url_for(LOGIN),
        next=next_page,
        error=error,
        token_field=FIELD,
        workspace=current_app.config.get("WORKSPACE"),
    )
    return Response(html, status, content_type="text/html; charset=utf-8")


def login() -> Response:
    """``POST /console/login``: a right token sets the cookie (for this sandbox's own path only) and goes back to
    the page asked for; a wrong one, or a form from another origin, shows the sign-in page again."""
    next_page = request.form.get("next") or ""
    home = request.script_root + "/"
    if not next_page.startswith(home) or next_page.startswith("//") or "\\" in next_page:
        next_page = home  # only a page of this sandbox: never a redirect elsewhere
    if _foreign_origin() is not None:
        return sign_in(next_page, "This form was sent from another origin. Fix: use the sign-in page itself.", 403)
    given = request.form.get(FIELD) or ""
    if not admin.token_matches(given):
        return sign_in(next_page, "Wrong admin token. Fix: type this sandbox's own token.", 403)
    answer = redirect(next_page, 303)
    answer.set_cookie(FIELD, given, path=home, httponly=True, samesite="Strict", secure=request.is_secure)
    return answer


def template_context() -> dict[str, Any]:
    """What every console template knows: whether its forms need the token box (not for loopback clients, nor for
    a browser the sign-in page signed in)."""
    signed_in = admin.token_matches(request.cookies.get(FIELD) or "")
    return {"token_field": FIELD, "needs_token": not admin.exempt() and not signed_in}
