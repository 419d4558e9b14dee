"""How paths reach the views as Toluna's servers (IIS) match them: route words in any case, a trailing slash
ignored, an empty segment still routed (so ``/ExternalSample//Quotas`` gets code 18, not a 404)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.routing import BaseConverter, Map


class SegmentConverter(BaseConverter):
    """A path segment that may be empty."""

    regex = "[^/]*"


Template = tuple[tuple[int, str, str], ...]  # (segment index, lower case, Toluna's case) of each literal word


def _templates(url_map: Map) -> dict[int, list[Template]]:
    """Per segment count, the literal words of every route, most literal words first."""
    out: dict[int, list[Template]] = {}
    for rule in url_map.iter_rules():
        if rule.rule.startswith("/_sandbox"):
            continue
        parts = rule.rule.split("/")
        literals = tuple((i, p.lower(), p) for i, p in enumerate(parts) if p and "<" not in p)
        out.setdefault(len(parts), []).append(literals)
    for templates in out.values():
        templates.sort(key=len, reverse=True)
    return out


class CaseInsensitiveRoutes:
    """WSGI middleware: puts a path's route words in the case of the route they match, and only those, so a
    member code that happens to read ``quotas`` stays as the partner sent it."""

    def __init__(self, wsgi_app: Callable[..., Any], url_map: Map) -> None:
        self.wsgi_app = wsgi_app
        self.templates = _templates(url_map)

    def canonical(self, path: str) -> str:
        if len(path) > 1 and path.endswith("/"):  # IIS ignores a trailing slash (``/Respondent/``)
            path = path[:-1]
        parts = path.split("/")
        lowered = [p.lower() for p in parts]
        for literals in self.templates.get(len(parts), ()):
            if all(lowered[i] == low for i, low, _ in literals):
                for i, _, word in literals:
                    parts[i] = word
                return "/".join(parts)
        return path

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_sandbox"):
            environ["PATH_INFO"] = self.canonical(path)
        return self.wsgi_app(environ, start_response)
