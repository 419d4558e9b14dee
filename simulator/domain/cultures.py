"""Cultures the sandbox knows by name. A panel in any other culture gives its ``country_id`` itself."""

from __future__ import annotations

#: culture name -> (Toluna CultureID, Toluna CountryID); ids as seen in Toluna's bodies and collections.
KNOWN: dict[str, tuple[int, int]] = {
    "EN-US": (5, 2000223),
}


def country_id(culture: str) -> int | None:
    known = KNOWN.get(culture.upper())
    return known[1] if known else None
