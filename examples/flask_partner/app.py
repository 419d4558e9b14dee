"""The panel's HTTP face: members' links and end pages, Toluna's notification hooks, upkeep, and the adapter the
conformance suite asks (a member wants a survey, credits, redirect checks, the panel's own member records)."""

from __future__ import annotations

import hmac
import html
import logging
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, request

from .notifications import KINDS, Notifications
from .service import Panel, UnknownMember
from .signing import end_page_valid
from .store import Invite

log = logging.getLogger("flask_partner.app")

#: The end pages the panel serves, by the outcome in their path.
OUTCOMES = {
    "qualified": "Thank you: your survey is complete and your reward is on its way.",
    "terminate": "Thank you for your time: the survey was not for you this time.",
    "quotafull": "Thank you: this survey already has all the answers it needs.",
    "fraud": "This survey could not accept your answers.",
    "dfp": "This survey could not verify your device.",
    "nosurveys": "There is no survey for you right now.",
    "taken": "You have already taken this survey.",
    "nocookies": "This survey needs cookies to run.",
    "notavailable": "This survey is no longer available.",
    "notqualified": "You did not qualify for this survey.",
    "max": "You have taken the most surveys allowed today.",
}
SOURCE = "flask"
SECRET_HEADER = "X-Partner-Secret"


def _page(title: str, text: str, status: int = 200) -> Response:
    title, text = html.escape(title), html.escape(text)
    body = f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    return Response(body, status=status, mimetype="text/html")


def create_app(panel: Panel, notifications: Notifications, public_url: str | None = None) -> Flask:
    app = Flask("flask_partner")
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    config = panel.config

    def base_url() -> str:
        return (public_url or request.host_url).rstrip("/")

    def received_url() -> str:
        """The URL as the member's browser asked for it (query string untouched, as Toluna signed it)."""
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
        if not raw:
            raw = request.path + ("?" + request.query_string.decode("latin-1") if request.query_string else "")
        return base_url() + raw

    def signature_ok(url: str) -> bool:
        if not config.encrypted:
            return True
        return end_page_valid(url, panel.encryption_parameter(), config.encryption_algorithm, config.encryption_key)

    @app.get("/healthz")
    def health() -> Response:
        return jsonify({"ok": True, "halted": panel.client.halted_reason})

    @app.post("/run")
    def run() -> Response:
        return jsonify(panel.upkeep())

    # --- members ------------------------------------------------------------------------------------------------
    @app.get("/go/<token>")
    def go(token: str) -> Response:
        invite = panel.store.invite_by_token(token)
        if invite is None:
            return _page("Link not found", "This survey link is not valid.", 404)
        panel.store.clicked(token)
        joiner = "&" if "?" in invite.url else "?"
        return redirect(invite.url + joiner + urlencode({"rid": invite.rid, "src": SOURCE}), code=302)

    @app.get("/return/<outcome>")
    def end_page(outcome: str) -> Response:
        if outcome not in OUTCOMES:
            return _page("Page not found", "There is no such page.", 404)
        if not signature_ok(received_url()):
            log.warning("end page %s with a wrong or missing signature: %s", outcome, received_url())
            return _page("Link not valid", "This page could not be verified.", 403)
        invite = _session(panel, request.args)
        if invite is not None:
            panel.store.returned(invite.token, outcome)
        return _page("Thank you", OUTCOMES[outcome])

    # --- Toluna's notifications ---------------------------------------------------------------------------------
    @app.post("/hooks/toluna/<kind>")
    def hook(kind: str) -> Response:
        if kind not in KINDS:
            return jsonify({"Received": False, "Message": f"no notification kind {kind!r}"}), 404
        if config.hook_secret:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), config.hook_secret.encode()):
                return jsonify({"Received": False, "Message": f"missing or wrong {SECRET_HEADER}"}), 401
        outcome = notifications.handle(kind, request.get_data(cache=False))
        return jsonify({"Received": outcome.status == 200, "Message": outcome.message}), outcome.status

    # --- the conformance adapter --------------------------------------------------------------------------------
    @app.post("/adapter/respondent")
    def respondent() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("MemberCode"), str) or not body["MemberCode"]:
            return jsonify({"URL": None, "Message": 'send {"MemberCode": "...", "QuotaID": optional number}'}), 400
        quota = body.get("QuotaID")
        if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int)):
            return jsonify({"URL": None, "Message": "QuotaID is a number"}), 400
        try:
            invite = panel.respondent(body["MemberCode"], quota)
        except UnknownMember:
            return jsonify({"URL": None, "Message": f"no member {body['MemberCode']}"}), 404
        return jsonify({"URL": f"{base_url()}/go/{invite.token}" if invite else None})

    @app.get("/adapter/credits/<code>")
    def credits(code: str) -> Response:
        return jsonify({"Credits": panel.store.credits(code)})

    @app.post("/adapter/redirect-check")
    def redirect_check() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            return jsonify({"Message": 'send {"url": "..."}'}), 400
        return jsonify({"Valid": signature_ok(body["url"])})

    @app.get("/adapter/members/<code>")
    def member(code: str) -> Response:
        row = panel.store.member(code)
        if row is None:
            return jsonify({"Message": f"no member {code}"}), 404
        return jsonify(row.panelist.record())

    return app


def _session(panel: Panel, args: Any) -> Invite | None:
    """The invite an end page is about: by the panel's own session id, else by member, survey and wave."""
    rid = args.get("rid")
    if rid:
        found = panel.store.invite_by_rid(rid)
        if found is not None:
            return found
    member = args.get("uid") or args.get("mc") or args.get("pid")
    if not member:
        return None
    survey, wave = args.get("sid"), args.get("wid")
    return panel.store.latest_invite(
        member, int(survey) if survey and survey.isdigit() else None, int(wave) if wave and wave.isdigit() else None
    )
