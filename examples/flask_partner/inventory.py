"""The panel's copy of Toluna's inventory (GetQuotas) and of the recontact lists of its recontact quotas.

Toluna says how long its answer stays good (``CacheExpires``); the panel keeps the copy until then and reads again
only when a member needs a survey after it has expired, and never more than once every two seconds however many
members ask at once or however wrong the clocks are. Each read's quotas also lift the panel's own holds (a quota that
was refused as not live or full, or announced on hold, becomes askable again once Toluna lists it again).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .sampling import key
from .store import Store
from .timefmt import parse_toluna_time
from .toluna_client import TolunaClient

log = logging.getLogger("flask_partner.inventory")

#: Never two GetQuotas reads closer than this, whatever CacheExpires says.
MIN_READ_GAP = 2.0
#: When CacheExpires is missing or unreadable, the copy is kept this long (Toluna advises about a minute).
DEFAULT_LIFETIME = 60.0
#: Recontact page size: Toluna's default, and the most it guarantees to serve well.
RECONTACT_PAGE = 10_000


class Inventory:
    def __init__(self, store: Store, client: TolunaClient, clock: Callable[[], float] = time.time) -> None:
        self.store, self.client = store, client
        self._clock = clock
        self._lock = threading.Lock()
        self._last_attempt: float | None = None

    def surveys(self) -> list[dict[str, Any]]:
        """The open surveys, from the copy while it is fresh, else read again (and the recontact lists with it)."""
        with self._lock:
            cached = self.store.inventory()
            now = self._clock()
            fresh = cached is not None and now < cached[1]
            may_read = self._last_attempt is None or now - self._last_attempt >= MIN_READ_GAP
            if not fresh and may_read:
                self._last_attempt = now
                self._read(now)
                cached = self.store.inventory()
            if cached is not None:
                self._read_recontact_lists(cached[0], cached[2])
            return list(key(cached[0], "Surveys") or []) if cached else []

    def _read(self, started: float) -> None:
        answer = self.client.quotas()
        if answer.status != 200 or not isinstance(answer.body, dict):
            log.warning("GetQuotas failed: HTTP %s %s", answer.status, answer.message)
            return
        body = answer.body
        try:
            expires = parse_toluna_time(str(key(body, "CacheExpires"))).timestamp()
        except ValueError:
            expires = started + DEFAULT_LIFETIME
        listed = {int(key(q, "QuotaID")) for s in key(body, "Surveys") or [] for q in key(s, "Quotas") or []}
        self.store.save_inventory(body, expires, started, listed)
        log.info(
            "GetQuotas: %d surveys, %d quotas, good until %s", len(key(body, "Surveys") or []), len(listed), expires
        )

    def _read_recontact_lists(self, body: dict[str, Any], read_at: float) -> None:
        """Each recontact quota's member codes, paged to the end once per inventory read."""
        for survey in key(body, "Surveys") or []:
            if not key(survey, "IsSurveyRecontact", False):
                continue
            for quota in key(survey, "Quotas") or []:
                quota_id = int(key(quota, "QuotaID"))
                if self.store.recontact_read_for(quota_id) == read_at:
                    continue
                codes = self._page(quota_id)
                if codes is not None:
                    self.store.save_recontact(quota_id, codes, read_at)

    def _page(self, quota_id: int) -> list[str] | None:
        """Every code of one quota's list: each page starts after the last code of the one before, until Toluna
        says there are no more; None when a page failed (the previous list is kept)."""
        codes: list[str] = []
        after: str | None = None
        while True:
            answer = self.client.recontact_page(quota_id, after, RECONTACT_PAGE)
            if answer.status != 200 or not isinstance(answer.body, dict):
                log.warning("recontact list of quota %s: HTTP %s %s", quota_id, answer.status, answer.message)
                return None
            page = [str(c) for c in key(answer.body, "MemberCodes") or []]
            codes += page
            if not key(answer.body, "HasAdditionalMembers", False):
                return codes
            if not page or page[-1] == after:  # Toluna says "more" but gave nothing new: stop rather than loop
                log.warning("recontact list of quota %s: paging made no progress after %r", quota_id, after)
                return codes
            after = page[-1]
