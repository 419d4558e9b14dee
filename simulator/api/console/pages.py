"""What console views share: the one-line note after an action (the POST's answer is a 303 back to a page, the
note in a short-lived cookie that the next console page shows once and clears: no server-side session), and the
plain message page of a refusal."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request

COOKIE = "console_note"
#: The longest message kept (a cookie stays small).
LIMIT = 600


def back(location: str, text: str, ok: bool = True) -> Response:
    """303 to ``location``, carrying ``text`` (an error when not ``ok``) for the page to show."""
    resp = redirect(location, 303)
    resp.set_cookie(COOKIE, ("ok:" if ok else "error:") + text[:LIMIT], max_age=60, httponly=True, samesite="Strict")
    return resp


def pending() -> dict[str, str] | None:
    """The message the current request carries: ``{"kind": "ok"|"error", "text": ...}``, or None."""
    raw = request.cookies.get(COOKIE)
    if not raw or ":" not in raw:
        return None
    kind, text = raw.split(":", 1)
    return {"kind": "error" if kind == "error" else "ok", "text": text}


def clear(resp: Response) -> Response:
    """After a console page that showed the message: forget it."""
    if request.method == "GET" and COOKIE in request.cookies and resp.status_code == 200:
        resp.delete_cookie(COOKIE, httponly=True, samesite="Strict")
    return resp


def message(status: int, title: str, lines: list[str]) -> Response:
    """A plain page saying why a request was refused (``message.html``, as the member's pages)."""
    html = render_template("message.html", title=title, lines=lines)
    return Response(html, status, content_type="text/html; charset=utf-8")


def template_context() -> dict[str, Any]:
    """What every console template knows besides the guard's part: the note to show, if any."""
    return {"note": pending()}
