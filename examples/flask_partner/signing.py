"""Toluna's standard encryption, checked on what comes back: notification ``EncryptedValue`` and signed end pages.

Anyone can POST to a public notification endpoint or type an end-page URL; with the panel's encryption on, only
Toluna can produce the value, so a completion that does not carry the right one must not credit a member.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

_HASHES: dict[str, Callable[..., object]] = {"SHA256": hashlib.sha256, "SHA1": hashlib.sha1, "MD5": hashlib.md5}


def canonical(algorithm: str) -> str:
    """``hmac_sha256``, ``HMAC SHA256`` and ``HMAC-SHA256`` are one algorithm; ``ValueError`` for an unknown one."""
    name = algorithm.strip().upper().replace("_", "-").replace(" ", "-")
    if name in _HASHES or name == "BASE64" or (name.startswith("HMAC-") and name[5:] in _HASHES):
        return name
    raise ValueError(f"unknown encryption algorithm {algorithm!r}")


def digest(algorithm: str, key: str, value: str) -> str:
    """The value Toluna computes: lower-case hex for the hashes and HMACs, standard base64 for BASE64."""
    name = canonical(algorithm)
    data = value.encode("utf-8")
    if name == "BASE64":
        return base64.b64encode(data).decode("ascii")
    if name.startswith("HMAC-"):
        return hmac.new(key.encode("utf-8"), data, _HASHES[name[5:]]).hexdigest()  # type: ignore[arg-type]
    return _HASHES[name](data).hexdigest()  # type: ignore[attr-defined]


def same(expected: str, given: str, algorithm: str) -> bool:
    """Constant-time comparison; hex digests compare without regard to case (base64 is case-sensitive)."""
    if canonical(algorithm) != "BASE64":
        expected, given = expected.lower(), given.lower()
    return hmac.compare_digest(expected.encode(), given.encode())


def notification_valid(algorithm: str, key: str, survey: str, wave: str, member: str, given: str | None) -> bool:
    """Whether ``given`` is the EncryptedValue of SurveyID + WaveID + MemberCode (texts as they were received)."""
    if not given:
        return False
    return same(digest(algorithm, key, f"{survey}{wave}{member}"), given.strip(), algorithm)


def end_page_valid(url: str, parameter: str, algorithm: str, key: str) -> bool:
    """Whether an end-page URL carries its own signature: Toluna signs the URL up to (excluding) ``&param=value``
    with a trailing ``&``, and appends the result as the last parameter."""
    if not parameter:
        return False
    marker = f"&{parameter}="
    at = url.rfind(marker)
    if at < 0:
        return False
    given = url[at + len(marker) :]
    if not given or "&" in given or "#" in given:
        return False
    return same(digest(algorithm, key, url[:at] + "&"), given, algorithm)
