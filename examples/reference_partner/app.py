"""The partner's web side: end pages for members coming back from Toluna, endpoints for Toluna's notifications
(JSON or XML), ``POST /run`` to start a cycle of the integration, and the conformance adapter (the link a member is
sent to, credits, redirect checks, and each member's record in the partner's own terms, which ``mapping.yaml`` maps
to Toluna's ids)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import xml.etree.ElementTree as ET
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .integration import Integration

#: The header ``toluna-conformance preflight`` marks its empty probe of a notification endpoint with.
PREFLIGHT = "X-Toluna-Preflight"


def parse_notification(body: bytes, content_type: str) -> dict[str, Any]:
    """A notification's fields, from JSON or from XML (Toluna sends either, per the panel's setting)."""
    text = body.decode("utf-8-sig").strip()
    if "xml" in content_type or text.startswith("<"):
        root = ET.fromstring(text)
        return {child.tag.split("}")[-1]: (child.text or "") for child in root}
    doc = json.loads(text)
    return doc if isinstance(doc, dict) else {}


class Partner:
    def __init__(self, integration: Integration) -> None:
        self.integration = integration
        self.end_pages: list[dict[str, Any]] = []
        self.notifications: list[tuple[str, dict[str, Any]]] = []

    @staticmethod
    def redirect_is_genuine(url: str) -> bool:
        """Toluna's standard encryption on an end page: the URL up to the encrypted value (with its trailing ``&``)
        is what was encrypted with the shared key."""
        algorithm = os.environ.get("TOLUNA_ENCRYPTION_ALGORITHM", "")
        key = os.environ.get("TOLUNA_ENCRYPTION_KEY", "")
        marker = "&" + os.environ.get("TOLUNA_ENCRYPTION_PARAMETER", "encValue") + "="
        if not algorithm or marker not in url:
            return False
        signed, _, value = url.rpartition(marker)
        digest = {"HMAC-SHA256": hashlib.sha256, "HMAC-SHA1": hashlib.sha1, "HMAC-MD5": hashlib.md5}.get(algorithm)
        if digest is None:
            return False
        expected = hmac.new(key.encode(), (signed + "&").encode(), digest).hexdigest()
        return hmac.compare_digest(expected, value)

    @staticmethod
    def completion_is_genuine(doc: dict[str, Any]) -> bool:
        """With standard encryption, a completion carries EncryptedValue: SurveyID, WaveID and the member code
        concatenated, encrypted with the shared key. One without it, or with another value, is not from Toluna."""
        algorithm = os.environ.get("TOLUNA_ENCRYPTION_ALGORITHM", "")
        digest = {"HMAC-SHA256": hashlib.sha256, "HMAC-SHA1": hashlib.sha1, "HMAC-MD5": hashlib.md5}.get(algorithm)
        if not algorithm:
            return True
        value = f"{doc.get('SurveyId', '')}{doc.get('WaveId', '')}{doc.get('UniqueCode', '')}"
        key = os.environ.get("TOLUNA_ENCRYPTION_KEY", "").encode()
        expected = hmac.new(key, value.encode(), digest).hexdigest() if digest else ""
        return bool(expected) and hmac.compare_digest(expected.lower(), str(doc.get("EncryptedValue", "")).lower())

    def handler(self) -> type[BaseHTTPRequestHandler]:
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _send(self, status: int, body: str, content_type: str = "application/json") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path.startswith("/toluna/end/"):
                    params = {k: v[0] for k, v in parse_qs(url.query).items()}
                    partner.end_pages.append({"page": url.path.rsplit("/", 1)[-1], **params})
                    member = escape(params.get("mc", "member"))
                    self._send(200, f"<p>Thank you, {member}.</p>", "text/html; charset=utf-8")
                elif url.path.startswith("/adapter/credits/"):
                    member = url.path.rsplit("/", 1)[-1]
                    credits = partner.integration.credits_of(member)
                    self._send(200, json.dumps({"MemberCode": member, "Credits": credits}))
                elif url.path.startswith("/adapter/members/"):
                    m = partner.integration.members.get(unquote(url.path.rsplit("/", 1)[-1]))
                    if m is None:
                        self._send(404, json.dumps({"Message": "no such member"}))
                        return
                    answers = {str(q): sorted(ids) for q, ids in m.answers.items()}
                    record = {"code": m.code, "birth": m.birth.isoformat(), "gender": m.gender, "postal": m.postal}
                    self._send(200, json.dumps({**record, "answers": answers}))
                elif url.path.startswith("/go/"):  # the partner's own link to a survey, with its own parameters
                    target = partner.integration.links.get(url.path.rsplit("/", 1)[-1])
                    if target is None:
                        self._send(404, json.dumps({"Message": "no such link"}))
                        return
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif url.path in ("/health", "/run"):
                    self._send(200, json.dumps({"Status": "ok"}))
                else:
                    self._send(404, json.dumps({"Message": "not found"}))

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if url.path == "/run":
                    self._send(200, json.dumps(partner.integration.cycle()))
                elif url.path == "/adapter/respondent":
                    try:
                        ask = json.loads(body)
                        link = partner.integration.respondent(str(ask["MemberCode"]), ask.get("QuotaID"))
                    except (ValueError, KeyError, TypeError):
                        self._send(400, json.dumps({"Message": 'send {"MemberCode": ..., "QuotaID": optional}'}))
                        return
                    self._send(200, json.dumps({"URL": link}))
                elif url.path == "/adapter/redirect-check":
                    try:
                        page = json.loads(body)["url"]
                    except (ValueError, KeyError, TypeError):
                        self._send(400, json.dumps({"Message": "send {url}"}))
                        return
                    self._send(200, json.dumps({"Valid": partner.redirect_is_genuine(page)}))
                elif url.path.startswith("/toluna/notify/") and self.headers.get(PREFLIGHT) == "1" and not body:
                    # the go-live preflight's empty probe of this endpoint: acknowledged, not processed
                    self._send(200, json.dumps({"Preflight": True}))
                elif url.path.startswith("/toluna/notify/"):
                    kind = url.path.rsplit("/", 1)[-1]
                    try:
                        doc = parse_notification(body, self.headers.get("Content-Type", ""))
                    except (ValueError, ET.ParseError):
                        self._send(400, json.dumps({"Message": "unreadable notification"}))
                        return
                    if kind == "complete" and not partner.completion_is_genuine(doc):
                        self._send(400, json.dumps({"Message": "EncryptedValue does not match"}))
                        return
                    try:
                        partner.integration.receive(kind, doc)
                    except (KeyError, TypeError, ValueError):
                        self._send(400, json.dumps({"Message": "a notification without the fields of its kind"}))
                        return
                    partner.notifications.append((kind, doc))
                    self._send(200, json.dumps({"Received": True}))
                else:
                    self._send(404, json.dumps({"Message": "not found"}))

        return Handler

    def serve(self, host: str, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer((host, port), self.handler())
        threading.Thread(target=server.serve_forever, name="partner-http", daemon=True).start()
        return server
