"""Access: which panel a request is about and whether its key opens it (``API_AUTH_KEY`` for External Sample and
Settings, ``PARTNER_AUTH_KEY`` for reference data, the partner's GUID alone for member management and the
dashboard), with the fault rules a route's requests go through."""

from __future__ import annotations

from simulator.domain.codes import ResultCode
from simulator.domain.errors import BadRequestError, EsResultError, ForbiddenError, NotFoundError
from simulator.domain.model import Panel
from simulator.domain.reference import ReferenceData
from simulator.domain.settings import settings_list
from simulator.store import Store

from .faults import FaultGate


class Access:
    def __init__(self, store: Store, faults: FaultGate) -> None:
        self.store = store
        self.faults = faults

    def authorize(self, panel_guid: str, api_key: str | None) -> Panel:
        """API_AUTH_KEY opens only its own panels: a wrong key is 403, an unknown panel 400/3."""
        snap = self.store.inventory.snapshot()
        if not panel_guid.strip():
            raise EsResultError(ResultCode.NO_PANEL_GUID)
        if not api_key or not any(p.api_key == api_key for p in snap.panels.values()):
            raise ForbiddenError("Forbidden: invalid API_AUTH_KEY.")
        panel = snap.panels.get(panel_guid.strip().lower())
        if panel is None:
            raise EsResultError(ResultCode.PANEL_DOES_NOT_EXIST)
        if panel.api_key != api_key:
            raise ForbiddenError("Forbidden: this API_AUTH_KEY does not open this panel.")
        return panel

    @staticmethod
    def require_es(panel: Panel) -> None:
        if not panel.es_enabled:
            raise EsResultError(ResultCode.PANEL_NOT_ES_ENABLED)

    def open_es(
        self,
        route: str,
        panel_guid: str,
        api_key: str | None,
        member_code: str | None = None,
        quota_id: int | None = None,
        need_es: bool = True,
    ) -> Panel:
        """What every External Sample request goes through first: the key, the route's fault rules, ES on."""
        panel = self.authorize(panel_guid, api_key)
        self.faults.apply(route, panel.guid, member_code, quota_id)
        if need_es:
            self.require_es(panel)
        return panel

    def settings(self, panel_guid: str, api_key: str | None) -> list[dict[str, str | None]]:
        """Get Settings: the panel's settings, opened by its key (ES need not be on)."""
        return settings_list(self.open_es("settings", panel_guid, api_key, need_es=False))

    def reference_data(self, partner_key: str | None) -> ReferenceData:
        """Reference data, for a ``PARTNER_AUTH_KEY`` some panel holds."""
        panels = self.store.inventory.snapshot().panels.values()
        if not partner_key or not any(p.reference_data_key and p.reference_data_key == partner_key for p in panels):
            raise ForbiddenError("Forbidden: invalid PARTNER_AUTH_KEY.")
        return self.store.inventory.snapshot().reference

    def panel(self, guid: str | None) -> Panel | None:
        """The panel a partner's GUID names (any case, spaces around it ignored)."""
        return self.store.inventory.snapshot().panels.get((guid or "").strip().lower())

    def partner(self, guid: str | None, unnamed: str) -> Panel:
        """The dashboard's and the reports' lookup: an unknown partner is a 400 naming it (or ``unnamed``)."""
        panel = self.panel(guid)
        if panel is None:
            raise BadRequestError(f"Could not find Partner for {guid or unnamed}")
        return panel

    def member_panel(self, guid: str | None) -> Panel:
        """Member management's panel lookup: an unknown GUID is a 400."""
        panel = self.panel(guid)
        if panel is None:
            raise BadRequestError(f"Invalid PartnerGUID {guid}.")
        return panel

    def panel_or_first(self, guid: str | None) -> Panel:
        """An operator's panel: the one named, else the first the scenario declares."""
        panels = self.store.inventory.snapshot().panels
        panel = panels.get((guid or "").lower()) if guid else next(iter(panels.values()), None)
        if panel is None:
            raise NotFoundError(f"No panel {guid or ''} in this sandbox.")
        return panel

    def default_panel(self) -> str:
        """Without ``panel=``, the first panel the scenario declares (as in scenario files)."""
        panels = list(self.store.inventory.snapshot().panels)
        if not panels:
            raise BadRequestError("No panel is loaded.")
        return panels[0]
