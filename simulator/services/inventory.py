"""Inventory: GetQuotas, Get Quota Details and recontact member paging, each opened by the panel's key through the
route's fault rules."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from simulator.domain.binding import include_routables, whole_number
from simulator.domain.codes import ResultCode
from simulator.domain.errors import BadRequestError, EsResultError, SandboxError
from simulator.domain.inventory_codec import quota_to_wire, survey_to_wire
from simulator.domain.listing import listed_quotas, survey_visible
from simulator.domain.model import Panel, Quota, Survey
from simulator.store import Store

from .access import Access

RECONTACT_DEFAULT_PAGE = 10_000
RECONTACT_MAX_PAGE = 10_000
CACHE_SECONDS = 60


def toluna_time(at: datetime) -> str:
    """Toluna's CacheExpires style in its real GetQuotas bodies: ISO-8601, microseconds, ``Z``."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def page_size(text: str | None) -> int:
    """``maxResults`` of a recontact page: 1 to ``RECONTACT_MAX_PAGE``, ``RECONTACT_DEFAULT_PAGE`` when absent."""
    if text is None or text.strip() == "":
        return RECONTACT_DEFAULT_PAGE
    value = whole_number(text)
    if value is None or not 1 <= value <= RECONTACT_MAX_PAGE:
        raise BadRequestError(
            f"maxResults must be a whole number from 1 to {RECONTACT_MAX_PAGE} (default {RECONTACT_DEFAULT_PAGE}); "
            f"got '{text}'."
        )
    return value


class Inventory:
    def __init__(self, store: Store, access: Access) -> None:
        self.store = store
        self.access = access
        self._quotas_cache: dict[tuple[int, str, bool], bytes] = {}

    def quotas(self, panel_guid: str, api_key: str | None, query: Iterable[tuple[str, str]]) -> tuple[bytes, bytes]:
        """GetQuotas, through the key and the ``quotas`` fault rules."""
        panel = self.access.open_es("quotas", panel_guid, api_key)
        return self.quotas_parts(panel, include_routables(query))

    def plain_quotas(
        self, panel_guid: str, api_key: str | None, query: Iterable[tuple[str, str]]
    ) -> tuple[bytes, bytes] | None:
        """GetQuotas when nothing stands in the way (the key opens the panel, ES is on, the query binds, no fault
        rule may apply); None otherwise, for ``quotas`` to answer it (a refusal in its shape, a rule counted)."""
        try:
            panel = self.access.authorize(panel_guid, api_key)
            self.access.require_es(panel)
            routables = include_routables(query)
        except SandboxError:
            return None
        if self.access.faults.any_for("quotas", panel.guid):
            return None
        return self.quotas_parts(panel, routables)

    def quotas_parts(self, panel: Panel, include_routables: bool) -> tuple[bytes, bytes]:
        """The GetQuotas body in two parts: the survey list, cached per inventory version, and the tail with the
        CountryID and the per-request CacheExpires (two parts, so a request copies no quarter-megabyte)."""
        snap = self.store.inventory.snapshot()
        key = (snap.version, panel.guid, include_routables)
        head = self._quotas_cache.get(key)
        if head is None:
            recontact = self.store.recontact.quotas_with_members(panel.guid)
            listed = []
            for s in snap.surveys_for(panel.culture):
                quotas = listed_quotas(panel, s, recontact)
                if quotas:
                    listed.append(survey_to_wire(s, quotas, include_routables))
            head = b'{"Surveys":' + json.dumps(listed, separators=(",", ":"), ensure_ascii=False).encode()
            self._quotas_cache = {k: v for k, v in self._quotas_cache.items() if k[0] == snap.version}
            self._quotas_cache[key] = head
        tail = f',"CountryID":{panel.country_id},"CacheExpires":"{self._cache_expires(panel)}"}}'
        return head, tail.encode()

    def _cache_expires(self, panel: Panel) -> str:
        seconds = CACHE_SECONDS if panel.cache_seconds is None else panel.cache_seconds
        return toluna_time(self.store.now() + timedelta(seconds=seconds))

    def quota_status(self, panel_guid: str, api_key: str | None, quota_id: int) -> dict[str, Any]:
        """Get Quota Details (``QuotaStatus``)."""
        panel = self.access.open_es("quota_status", panel_guid, api_key, None, quota_id)
        survey, quota = self._quota(panel, quota_id)
        if survey.state.status != "open":
            raise EsResultError(ResultCode.NO_QUOTA_ID, f"survey {survey.survey_id} is {survey.state.status}")
        if not survey_visible(panel, survey) or not quota.state.es_enabled:
            raise EsResultError(ResultCode.SURVEY_NOT_AVAILABLE_FOR_PARTNER)
        wire = quota_to_wire(quota)
        return {
            "QuotaID": wire["QuotaID"],
            "CountryID": panel.country_id,
            "CompletesRequired": wire["CompletesRequired"],
            "EstimatedCompletesRemaining": wire["EstimatedCompletesRemaining"],
            "Layers": wire["Layers"],
            "CacheExpires": self._cache_expires(panel),
        }

    def _quota(self, panel: Panel, quota_id: int) -> tuple[Survey, Quota]:
        found = self.store.inventory.snapshot().quota(quota_id)
        if found is None or found[0].culture != panel.culture:
            raise EsResultError(ResultCode.NO_QUOTA_ID, f"no quota {quota_id} in {panel.culture}")
        return found

    def recontact_page(
        self, panel_guid: str, api_key: str | None, quota_id: int, max_results: str | None, after: str | None
    ) -> dict[str, Any]:
        """One page of a recontact quota's member codes, after ``after`` (``lastMemberCodeReceived``)."""
        panel = self.access.open_es("recontact", panel_guid, api_key, None, quota_id)
        limit = page_size(max_results)
        survey, _ = self._quota(panel, quota_id)
        if survey.state.status == "deleted":
            raise EsResultError(ResultCode.SURVEY_DOES_NOT_EXIST)
        if survey.state.status != "open":
            raise EsResultError(ResultCode.NO_QUOTA_ID, f"survey {survey.survey_id} is {survey.state.status}")
        if not survey.is_recontact:
            raise EsResultError(ResultCode.SURVEY_NOT_FOR_RECONTACT)
        codes, more = self.store.recontact.page(panel.guid, quota_id, after, limit)
        return {"MaxResults": len(codes), "HasAdditionalMembers": more, "MemberCodes": codes}
