"""The reference partner's notification endpoints acknowledge go-live preflight's probe (an empty POST marked
``X-Toluna-Preflight: 1``) without processing it, and still refuse an empty body that is not the probe."""

from __future__ import annotations

import requests

from conformance.preflight import PROBE_HEADER
from examples.reference_partner.app import PREFLIGHT, Partner
from examples.reference_partner.integration import Integration, load_members
from tests.support import free_port


def test_the_reference_partner_acknowledges_the_preflight_probe_only() -> None:
    assert PREFLIGHT == PROBE_HEADER  # the partner names the header the suite sends
    partner = Partner(Integration(None, load_members()))  # type: ignore[arg-type]  # the probe never reaches Toluna
    port = free_port()
    server = partner.serve("127.0.0.1", port)
    try:
        url = f"http://127.0.0.1:{port}/toluna/notify/complete"
        probe = requests.post(url, data=b"", headers={PROBE_HEADER: "1"}, timeout=10)
        assert probe.status_code == 200 and probe.json() == {"Preflight": True}
        assert partner.notifications == []  # acknowledged, not taken for a notification
        assert requests.post(url, data=b"", timeout=10).status_code == 400  # an empty body otherwise is refused
    finally:
        server.shutdown()
        server.server_close()
