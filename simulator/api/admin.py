"""Who may use the control API (``/_sandbox/...``): any loopback client, and any other client that sends the admin
token. Loopback means the socket's peer address (``REMOTE_ADDR``) only: ``Host``, ``X-Forwarded-For`` and
``Forwarded`` are the client's to write and are never consulted. A sandbox started with ``--require-token``, and
every workspace, asks loopback clients for the token too (a shared deployment sits behind a proxy on loopback)."""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from flask import current_app, request

from simulator.domain.errors import ForbiddenError
from simulator.store.workspaces import token_digest

#: The request header that carries the admin token.
HEADER = "X-Sandbox-Token"
#: The environment variable ``serve``, the commands that call a running sandbox and ``toluna-conformance`` read.
ENV = "TOLUNA_SANDBOX_ADMIN_TOKEN"
#: The Flask setting that holds the token a running sandbox expects.
CONFIG = "ADMIN_TOKEN"
#: The Flask setting that holds the SHA-256 (hex) of the expected token instead (a workspace: only that is kept).
DIGEST = "ADMIN_TOKEN_SHA256"
#: The Flask setting that makes loopback clients send the token too.
REQUIRED = "ADMIN_TOKEN_REQUIRED"
#: The Flask setting that tells a client without the right token where the token comes from.
HINT = "ADMIN_TOKEN_HINT"
DEFAULT_HINT = "serve prints it at start, or takes it from --admin-token"


def generate_token() -> str:
    """A fresh token for a sandbox started without one (printed in the banner)."""
    return secrets.token_urlsafe(24)


def is_loopback(address: str | None) -> bool:
    """``127.0.0.0/8``, ``::1`` and IPv4-mapped loopback (``::ffff:127.0.0.1``, what a dual-stack socket bound to
    ``::`` reports for an IPv4 client); anything else, an empty or missing address included, is not."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def is_loopback_host(host: str) -> bool:
    """Whether binding ``host`` keeps the sandbox on this machine (``localhost`` or a loopback address)."""
    return host.strip("[]").lower() == "localhost" or is_loopback(host.strip("[]"))


def require_admin() -> None:
    """Before every control call: loopback peers pass; others need ``X-Sandbox-Token`` equal to the sandbox's token
    (compared in constant time)."""
    if exempt():
        return
    given = request.headers.get(HEADER, "")
    if not expected_digest():
        raise ForbiddenError(
            "The control API answers loopback clients only: this sandbox has no admin token. Fix: start it with "
            f"--admin-token (or {ENV}) and send the token in {HEADER}."
        )
    hint = current_app.config.get(HINT) or DEFAULT_HINT
    if not given:
        who = "" if current_app.config.get(REQUIRED) else " from non-loopback clients"
        raise ForbiddenError(f"The control API needs the admin token{who}. Fix: send it in {HEADER} ({hint}).")
    if not token_matches(given):
        raise ForbiddenError(f"Wrong admin token in {HEADER}. Fix: send this sandbox's own token ({hint}).")


def exempt() -> bool:
    """Whether the current request needs no token: a loopback peer, unless this sandbox asks everyone for it."""
    return is_loopback(request.environ.get("REMOTE_ADDR")) and not current_app.config.get(REQUIRED)


def expected_digest() -> str:
    """The SHA-256 of the token this sandbox expects, or "" when it has none."""
    token = current_app.config.get(CONFIG)
    return current_app.config.get(DIGEST) or (token_digest(token) if token else "")


def token_matches(given: str) -> bool:
    """Whether ``given`` is this sandbox's admin token (digests compared in constant time)."""
    expected = expected_digest()
    return bool(expected) and hmac.compare_digest(token_digest(given), expected)


def token_headers(token: str | None) -> dict[str, str]:
    """The header a client of the control API sends (none without a token: loopback needs none)."""
    return {HEADER: token} if token else {}
