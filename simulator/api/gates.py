"""What the HTTP layer does first with an External Sample request: note it in the journal, hand on its key, bind
its QuotaID as ASP.NET does. The key itself, the fault rules and ES being on are the services' to judge."""

from __future__ import annotations

from flask import g, has_request_context, request

from simulator.domain.binding import whole_number
from simulator.domain.codes import INT32_MAX, ResultCode
from simulator.domain.errors import EsResultError
from simulator.domain.faults import FaultRule

from .journaling import note

#: Set in a request's WSGI environ when a fault rule drops its connection without an answer (``server.py``).
DROP_CONNECTION = "toluna_sandbox.drop_connection"


def es_request(route: str, panel_guid: str, member_code: str | None = None, quota_id: int | None = None) -> str | None:
    """Note which route this is and whom it is about; the request's ``API_AUTH_KEY``."""
    note(route, panel_guid.strip().lower() or None, member_code, quota_id)
    return request.headers.get("API_AUTH_KEY")


def note_fault(rule: FaultRule) -> None:
    """The journal entry of the request a fault rule was applied to says so."""
    if has_request_context():
        g.journal_note = f"fault rule: {rule.to_dict()}"


def drop_connection() -> None:
    """Ask the server to close the client's connection before a whole answer (``server.py``)."""
    request.environ[DROP_CONNECTION] = True


def quota_id_from(text: str) -> int:
    value = whole_number(text)
    if value is None:
        value = -1
    if not 0 <= value <= INT32_MAX:
        raise EsResultError(ResultCode.NO_QUOTA_ID, f"{text[:40]!r} is not a QuotaID")
    return value
