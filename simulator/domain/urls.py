"""The sandbox's own pages a partner is sent to: the invite URL a member clicks and the profile page."""

from __future__ import annotations

from urllib.parse import urlencode

INVITE_PATH = "/TrafficUI/MSCUI/Page.aspx"
PROFILE_PATH = "/TrafficUI/MSCUI/Profilepage.aspx"


def invite_url(base_url: str, token: str, custom: list[tuple[str, str]] | None = None) -> str:
    tail = "&" + urlencode(custom) if custom else ""
    return f"{base_url.rstrip('/')}{INVITE_PATH}?pgtid=20&od={token}{tail}"


def profile_url(
    base_url: str,
    panel_guid: str,
    member_code: str,
    back: str | None = None,
    cancel: str | None = None,
    category: int = 0,
) -> str:
    """Where a member fills in a profile (GetNextProfileURL; category 0: the member profile survey)."""
    params = [("guid", panel_guid), ("mc", member_code), ("pt", str(category))]
    params += [(k, v) for k, v in (("redirect", back), ("cancel", cancel)) if v]
    return f"{base_url.rstrip('/')}{PROFILE_PATH}?{urlencode(params)}"
