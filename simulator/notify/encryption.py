"""Toluna's standard encryption: SHA256, SHA1, MD5 and BASE64 (no key); HMAC-SHA256, HMAC-SHA1, HMAC-MD5 (a key).

On end-page redirects the value is the whole redirect URL with a trailing ``&``, and the result is appended as
``<parameter>=<result>``; in completion and termination notifications the value is SurveyID + WaveID + MemberCode
and the result is ``EncryptedValue``. Digests are lower-case hex (as in Toluna's two examples); BASE64 is the
standard base64 text of the value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

HASHES = {"SHA256": hashlib.sha256, "SHA1": hashlib.sha1, "MD5": hashlib.md5}
ALGORITHMS = ("SHA256", "SHA1", "MD5", "BASE64", "HMAC-SHA256", "HMAC-SHA1", "HMAC-MD5")


def normalize(algorithm: str) -> str:
    """``hmac sha256``, ``HMAC_SHA256`` and ``HMAC-SHA256`` name the same algorithm."""
    name = algorithm.strip().upper().replace("_", "-").replace(" ", "-")
    if name == "BASE64-STRING":
        name = "BASE64"
    if name not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}: use one of {', '.join(ALGORITHMS)}")
    return name


def encrypt(algorithm: str, value: str, key: str | None = None) -> str:
    name = normalize(algorithm)
    data = value.encode("utf-8")
    if name == "BASE64":
        return base64.b64encode(data).decode("ascii")
    if name.startswith("HMAC-"):
        if not key:
            raise ValueError(f"{name} needs a key")
        return hmac.new(key.encode("utf-8"), data, HASHES[name[5:]]).hexdigest()
    return HASHES[name](data).hexdigest()


def sign_redirect(url: str, algorithm: str, key: str | None, parameter: str) -> str:
    """The end-page URL with its encrypted value: the URL with a trailing ``&`` is what is encrypted."""
    value = url if url.endswith("&") else url + ("&" if "?" in url else "?")
    if value.endswith("?"):
        value += "&"
    return f"{value}{parameter}={encrypt(algorithm, value, key)}"


def notification_value(survey_id: int, wave_id: int, member_code: str) -> str:
    return f"{survey_id}{wave_id}{member_code}"
