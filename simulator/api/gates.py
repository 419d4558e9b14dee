"""What every External Sample request goes through first: the journal note, the API key, fault rules."""

from __future__ import annotations

import re
import time

from flask import g, request

from simulator.domain.codes import ResultCode
from simulator.domain.errors import BadRequestError, EsResultError, SandboxError
from simulator.domain.model import Panel

from .context import backend
from .journaling import note

#: Set in a request's WSGI environ when a fault rule drops its connection without an answer (``server.py``).
DROP_CONNECTION = "toluna_sandbox.drop_connection"


class FaultStatusError(SandboxError):
    """A fault rule's forced HTTP status, answered with ASP.NET's generic body."""

    def __init__(self, status: int) -> None:
        super().__init__("An error has occurred." if status >= 500 else "The request is invalid.")
        self.status = status


def es_gate(
    route: str, panel_guid: str, member_code: str | None = None, quota_id: int | None = None, need_es: bool = True
) -> Panel:
    note(route, panel_guid.strip().lower() or None, member_code, quota_id)
    b = backend()
    panel = b.authorize(panel_guid, request.headers.get("API_AUTH_KEY"))
    apply_faults(route, panel.guid, member_code, quota_id)
    if need_es:
        b.require_es(panel)
    return panel


def apply_faults(route: str, panel: str, member: str | None, quota: int | None) -> None:
    rule = backend().faults_for(route, panel, member, quota)
    if rule is None:
        return
    g.journal_note = f"fault rule: {rule.to_dict()}"
    if rule.latency_ms:
        time.sleep(rule.latency_ms / 1000)
    if rule.drop_connection:
        _drop_connection()
    if rule.http_status:
        raise FaultStatusError(rule.http_status)
    if rule.result_code is not None:
        raise EsResultError(rule.result_code, "forced by a fault rule")


def _drop_connection() -> None:
    """Close the client's connection before a whole answer. The production server does it (``server.py``: the
    response body fails before its first byte, so the client gets no status line, or one whose body never comes);
    elsewhere, e.g. under a test client, the answer is a 500."""
    request.environ[DROP_CONNECTION] = True
    raise FaultStatusError(500)


INT32_MAX = 2**31 - 1  # Toluna's ids are .NET ints


#: ASP.NET's int binding: ASCII digits only (Python's int() would also take "1_000" and non-ASCII digits).
WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)


def whole_number(text: str) -> int | None:
    """``text`` as ASP.NET binds an int parameter, or None when it would refuse it."""
    return int(text) if WHOLE_NUMBER.fullmatch(text) else None


def quota_id_from(text: str) -> int:
    value = whole_number(text)
    if value is None:
        value = -1
    if not 0 <= value <= INT32_MAX:
        raise EsResultError(ResultCode.NO_QUOTA_ID, f"{text[:40]!r} is not a QuotaID")
    return value


def member_code_from(text: str) -> str:
    if not text.strip():
        raise EsResultError(ResultCode.NO_MEMBER_CODE)
    return text


def bool_arg(value: str | None, name: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise BadRequestError(f"The value '{value}' is not valid for {name}: use true or false.")
    return lowered == "true"
