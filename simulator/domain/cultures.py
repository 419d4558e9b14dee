"""Cultures the sandbox knows by name. A panel in any other culture gives its ``country_id`` itself."""

from __future__ import annotations

#: culture name -> (Toluna CultureID, Toluna CountryID): EN-US's CultureID is 1 in Toluna's SDK documentation
#: (5 is United Kingdom English), its CountryID the one Toluna's GetQuotas bodies carry.
KNOWN: dict[str, tuple[int, int]] = {
    "EN-US": (1, 2000223),
}


def country_id(culture: str) -> int | None:
    known = KNOWN.get(culture.upper())
    return known[1] if known else None
