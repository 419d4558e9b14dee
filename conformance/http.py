"""How the suite talks HTTP: transient transport errors (a kept connection the server closed as idle, a proxy's
502/503) must never cost a partner its run.

- Reads are retried on connection errors and 502/503 with a short backoff.
- Calls that change the sandbox carry an ``Idempotency-Key``: the control API carries out a key once and answers a
  repeat with the first answer, so they are retried the same way.
- Calls to the partner that would start work twice if repeated (``POST /run``, a member's click) are retried only
  when the request never left (the connection could not be made); any other failure is reported as a finding.
"""

from __future__ import annotations

import uuid
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

#: The suite's own requests carry this User-Agent, so the partner's are told apart in the journal.
USER_AGENT = "toluna-conformance"
#: Every method: repeats of state changes are made safe by the idempotency key (the sandbox) or by the caller.
_ANY_METHOD = None


def _retry(total: int, *, repeat_sent: bool) -> Retry:
    """``repeat_sent``: a request that reached the server but got no answer may be sent again."""
    return Retry(
        total=total,
        connect=total,
        read=total if repeat_sent else 0,
        other=total if repeat_sent else 0,
        status=total if repeat_sent else 0,
        status_forcelist=(502, 503) if repeat_sent else (),
        allowed_methods=_ANY_METHOD,
        backoff_factor=0.1,
        backoff_max=2.0,
        raise_on_status=False,
        respect_retry_after_header=True,
    )


def session(*, repeat_sent: bool, retries: int = 5) -> requests.Session:
    """A session that survives dropped connections (see the module's docstring for what is repeated)."""
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(max_retries=_retry(retries, repeat_sent=repeat_sent))
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


def idempotent(headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Headers for one state-changing control call: a fresh key, kept across the retries of that call."""
    return {**(headers or {}), "Idempotency-Key": uuid.uuid4().hex}
