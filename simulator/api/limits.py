"""Bounded input on every route: a WSGI layer in front of the app refuses what no route should read (a body over
its limit, too many or too long headers, a path, query or header that is not UTF-8, a ``.`` or ``..`` path
segment) before anything reads it; ``json_body`` is the one JSON reader of the views (UTF-8, nesting bounded);
``ConfinedDir`` keeps the files a posted scenario names inside the sandbox's working directory.

Refusals are answered in the route family's shape (``errors.REFUSAL_SHAPES``). The production server may refuse
some of these itself before the app sees them (granian: more than 100 headers, or a head over its 400 KiB buffer,
get its own 431).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, current_app, request

from simulator.domain.errors import ScenarioError

from .errors import RequestRefused, refusal

#: Flask config keys and their defaults (``create_app`` puts them in the app's config).
DEFAULTS: dict[str, int] = {
    "MAX_BODY_BYTES": 1024 * 1024,  # every route but the two below
    "MAX_UPLOAD_BYTES": 32 * 1024 * 1024,  # whole scenario files and QuestionsAndAnswersData bodies
    "MAX_JSON_DEPTH": 64,
    "MAX_HEADER_COUNT": 100,  # the server's own limit too
    "MAX_HEADER_LINE_BYTES": 8190,  # a common servers' line limit
}

#: The routes that take whole files, up to ``MAX_UPLOAD_BYTES``.
UPLOAD_ROUTES = frozenset({("POST", f"/_sandbox/{name}") for name in ("scenario", "reference", "capsule")})

_READ_SIZE = 64 * 1024


def _utf8(wsgi_text: str) -> bool:
    """Whether a WSGI string (bytes as latin-1) holds UTF-8; a server that already decoded it gave text."""
    if wsgi_text.isascii():  # nearly every request: nothing to decode
        return True
    try:
        wsgi_text.encode("latin-1").decode("utf-8")
    except UnicodeEncodeError:
        return True
    except UnicodeDecodeError:
        return False
    return True


class RequestLimits:
    """WSGI middleware, outermost: checks the request line and headers, then reads the body (at most the limit
    and one byte, whatever Content-Length says, chunked or not) and hands the app a body it can read at once."""

    def __init__(self, wsgi_app: Callable[..., Any], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.pages = app.jinja_env
        config = app.config
        self.max_body = int(config["MAX_BODY_BYTES"])
        self.max_upload = int(config["MAX_UPLOAD_BYTES"])
        self.max_headers = int(config["MAX_HEADER_COUNT"])
        self.max_header_line = int(config["MAX_HEADER_LINE_BYTES"])

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            self.check_head(environ)
            self.read_body(environ)
        except RequestRefused as e:
            path = environ.get("PATH_INFO", "")
            body, content_type = refusal(path, e.status, str(e), self.pages)
            status = f"{e.status} {HTTPStatus(e.status).phrase}"
            start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]
        return self.wsgi_app(environ, start_response)

    def check_head(self, environ: dict[str, Any]) -> None:
        count = 0
        for key, value in environ.items():
            if not (key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")):
                continue
            count += 1
            name = key[5:] if key.startswith("HTTP_") else key
            if len(name) + len(value) + 2 > self.max_header_line:
                raise RequestRefused(431, f"The header {name[:40]} is longer than {self.max_header_line} bytes.")
            if not _utf8(value):
                raise RequestRefused(400, f"The header {name[:40]} is not valid UTF-8.")
        if count > self.max_headers:
            raise RequestRefused(431, f"The request has {count} headers; at most {self.max_headers} are taken.")
        path = environ.get("PATH_INFO", "")
        if not _utf8(path):
            raise RequestRefused(400, "The request path is not valid UTF-8.")
        if "." in path and any(segment in (".", "..") for segment in path.split("/")):
            raise RequestRefused(400, "The request path has a '.' or '..' segment.")
        query = environ.get("QUERY_STRING", "")
        if query.isascii() and "%" not in query:
            return
        try:
            unquote_to_bytes(query.encode("latin-1")).decode("utf-8")
        except UnicodeEncodeError:
            pass  # already text
        except UnicodeDecodeError:
            raise RequestRefused(400, "The query string is not valid UTF-8.") from None

    def read_body(self, environ: dict[str, Any]) -> None:
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not declared and not chunked:
            return
        route = (environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
        limit = self.max_upload if route in UPLOAD_ROUTES else self.max_body
        length = None
        if declared and not chunked:
            if not declared.isdigit():
                raise RequestRefused(400, "The Content-Length header is not a whole number.")
            length = int(declared)
            if length > limit:
                raise RequestRefused(413, f"The body is {length} bytes; at most {limit} are taken.")
        data = _read(environ["wsgi.input"], limit + 1 if length is None else length)
        if len(data) > limit:
            raise RequestRefused(413, f"The body is more than {limit} bytes; at most {limit} are taken.")
        if length is not None and len(data) < length:
            raise RequestRefused(400, f"The body ended after {len(data)} of its {length} bytes.")
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        environ["wsgi.input_terminated"] = True
        environ.pop("HTTP_TRANSFER_ENCODING", None)


def _read(stream: Any, most: int) -> bytes:
    """Up to ``most`` bytes, fewer only at the end of the stream."""
    parts, got = [], 0
    while got < most:
        part = stream.read(min(_READ_SIZE, most - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def json_body(force: bool = False) -> Any:
    """The request's JSON body, or ``None`` when it has none, is not JSON or (unless ``force``) is not sent as
    JSON, like ``get_json(silent=True)``; a body that is not UTF-8 or nests deeper than ``MAX_JSON_DEPTH`` is a 400."""
    if not (force or request.is_json):
        return None
    try:
        text = request.get_data(cache=True).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RequestRefused(400, "The body is not valid UTF-8.") from None
    limit = int(current_app.config["MAX_JSON_DEPTH"])
    too_deep = RequestRefused(400, f"The JSON body is nested too deeply (at most {limit} levels).")
    try:
        value = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except ValueError:
        return None
    if isinstance(value, (dict, list)) and _deeper_than(value, limit):
        raise too_deep
    return value


def file_name(value: str | None, default: str) -> str:
    """A name the request gives a file (``?name=``): a plain file name, never a path, or a 400."""
    if value is None:
        return default
    if not value or value in (".", "..") or len(value) > 255 or any(c in value for c in "/\\\0"):
        raise RequestRefused(400, "name is a plain file name: no '/', '\\', NUL, '.' or '..', at most 255 characters.")
    return value


class ConfinedDir(type(Path())):  # type: ignore[misc]
    """A directory whose ``/`` refuses a name outside it (absolute, climbing out with ``..``, or through a link):
    where the files named by a scenario posted over HTTP are looked for."""

    def __truediv__(self, name: Any) -> Path:
        inside = Path(self).resolve()
        path = Path(self, name)
        if not path.resolve().is_relative_to(inside):
            raise ScenarioError(
                "<posted scenario>",
                "file",
                f"{str(name)[:200]!r} is outside the sandbox's working directory",
                "name a file inside it by a relative path, or give the data in the scenario itself",
            )
        return path
