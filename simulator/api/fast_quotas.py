"""GetQuotas answered in front of Flask's dispatch.

Partners poll GetQuotas all day, and its body is the whole inventory (a quarter of a megabyte on Toluna's real
one). Flask's request context, routing and response objects cost more than everything the sandbox itself does
to answer it from the cached body. This WSGI layer answers the plain case itself (a known panel opened by its
own key, External Sample on, a query that binds, no fault rule for the route) with the same bytes, headers and
journal entry as the blueprint view; anything else goes on to Flask, which answers it as always.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from simulator.services.inventory import Inventory
from simulator.services.journal import RequestJournal
from simulator.store.records import QUOTAS_HEAD

from .errors import JSON_TYPE
from .journaling import record

#: Matched after ``CaseInsensitiveRoutes`` has put the route words in Toluna's case and dropped a trailing slash.
_ROUTE = re.compile(r"/(?:IPExternalSamplingService/)?ExternalSample/([^/]+)/Quotas")


def cache_note(tail: bytes) -> str:
    """The journal's note for a GetQuotas answer: its CacheExpires (the body's tail outgrows the kept head)."""
    return "CacheExpires " + str(json.loads(b"{" + tail[1:])["CacheExpires"])


class FastQuotas:
    """WSGI middleware around the Flask app of one sandbox."""

    def __init__(self, app: Callable[..., Any], inventory: Inventory, journal: RequestJournal) -> None:
        self.app = app
        self.inventory = inventory
        self.journal = journal

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            match = _ROUTE.fullmatch(environ.get("PATH_INFO", ""))
            if match:
                self.journal.pin()  # one state for the whole answer, read once (a query on a shared database)
                try:
                    answer = self._answer(environ, start_response, match.group(1))
                finally:
                    self.journal.unpin()
                if answer is not None:
                    return answer
        return self.app(environ, start_response)

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any], guid: str) -> list[bytes] | None:
        started = time.perf_counter()
        query = parse_qsl(environ.get("QUERY_STRING", ""), True)
        parts = self.inventory.plain_quotas(guid, environ.get("HTTP_API_AUTH_KEY"), query)
        if parts is None:
            return None  # the blueprint answers it: a refusal in its shape, a fault rule applied and counted
        head, tail = parts
        length = len(head) + len(tail)
        start_response("200 OK", [("Content-Type", JSON_TYPE), ("Content-Length", str(length))])
        record(
            self.journal,
            environ,
            started=started,
            status=200,
            response=head if len(head) >= QUOTAS_HEAD else head + tail,
            response_length=length,
            info={"route": "quotas", "panel_guid": guid.strip().lower() or None},
            note=cache_note(tail),
        )
        return [head, tail]
