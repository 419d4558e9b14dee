"""How Toluna's ASP.NET stack binds query values: which texts it takes as an int or a bool, and which it refuses."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import BadRequestError

#: ASP.NET's int binding: ASCII digits only (Python's int() would also take "1_000" and non-ASCII digits).
WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)


def whole_number(text: str) -> int | None:
    """``text`` as ASP.NET binds an int parameter, or None when it would refuse it."""
    return int(text) if WHOLE_NUMBER.fullmatch(text) else None


def bool_arg(value: str | None, name: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise BadRequestError(f"The value '{value}' is not valid for {name}: use true or false.")
    return lowered == "true"


def include_routables(pairs: Iterable[tuple[str, str]]) -> bool:
    """GetQuotas' ``includeRoutables=false``, and Postman's ``includeRoutables:TRUE`` spelling, both bind."""
    for key, value in pairs:
        name, _, inline = key.partition(":")
        if name.lower() == "includeroutables":
            return bool_arg(inline or value, "includeRoutables", True)
    return True
