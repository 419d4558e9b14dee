"""What the commands that call a running sandbox share: where it is, its admin token, and one control API call."""

from __future__ import annotations

import argparse
import os
import urllib.parse
from typing import Any

import requests

from simulator.api.admin import ENV as ADMIN_TOKEN_ENV
from simulator.api.admin import token_headers

DEFAULT_URL = "http://127.0.0.1:8080"


def control(
    args: argparse.Namespace, path: str, params: dict[str, object] | None = None, method: str = "GET", **kw: Any
) -> dict:
    """A call to a running sandbox's control API; a refusal or no sandbox ends the command with its message."""
    query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
    kw["headers"] = {**token_headers(getattr(args, "admin_token", None)), **kw.get("headers", {})}
    try:
        resp = requests.request(method, f"{args.url.rstrip('/')}/_sandbox/{path}?{query}", timeout=60, **kw)
    except requests.RequestException as exc:
        raise SystemExit(f"toluna-sandbox: no sandbox answers at {args.url} ({exc.__class__.__name__})") from None
    body = resp.json()
    if resp.status_code >= 400:
        raise SystemExit(f"toluna-sandbox: {resp.status_code} {body.get('Message', body)}")
    return body


def add_sandbox_arguments(p: argparse.ArgumentParser, default_url: str = DEFAULT_URL) -> None:
    """What a command that calls a running sandbox's control API takes: where it is, and its admin token."""
    p.add_argument("--url", default=default_url, help=f"the sandbox (default {default_url})")
    p.add_argument(
        "--admin-token",
        default=os.environ.get(ADMIN_TOKEN_ENV),
        help=f"the sandbox's admin token, sent as X-Sandbox-Token (default: ${ADMIN_TOKEN_ENV}; loopback needs none)",
    )
