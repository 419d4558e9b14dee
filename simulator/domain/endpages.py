"""The partner's end-page URL for one visit: placeholders filled, custom invite parameters returned.

Toluna fills ``[SurveyID]``, ``[SurveyName]``, ``[WaveID]`` and ``[MemberCode]`` in the partner's end-page
templates, fills ``[name]`` with the value of a parameter the partner appended to the invite URL, and returns the
partner's parameters. ``[pid]`` is a partner parameter when the invite carried one, else the member code.
Parameters a template does not name are appended, so a partner gets back what it sent either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlencode

_PLACEHOLDER = re.compile(r"\[([A-Za-z0-9_]+)\]")

#: The invite URL's own parameters (Toluna's), never returned as the partner's.
INVITE_PARAMETERS = frozenset({"pgtid", "od", "di", "outcome"})


def custom_parameters(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The parameters the partner appended to an invite URL (everything but Toluna's own)."""
    return [(k, v) for k, v in pairs if k.lower() not in INVITE_PARAMETERS]


def fill(
    template: str,
    *,
    survey_id: int,
    survey_name: str | None,
    wave_id: int,
    member_code: str,
    custom: list[tuple[str, str]],
    rejection_id: int | None = None,
) -> str:
    """The end-page URL; ``rejection_id`` is added for enhanced terminates on non-qualified pages."""
    known = {
        "surveyid": str(survey_id),
        "surveyname": survey_name or "",
        "waveid": str(wave_id),
        "membercode": member_code,
        "pid": member_code,
    }
    partner = {k.lower(): v for k, v in custom}
    used: set[str] = set()

    def value(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name in partner:
            used.add(name)
            return quote(partner[name], safe="")
        if name in known:
            return quote(known[name], safe="")
        return match.group(0)  # a placeholder nobody can fill stays as the partner wrote it

    url = _PLACEHOLDER.sub(value, template)
    extra = [(k, v) for k, v in custom if k.lower() not in used]
    if rejection_id is not None:
        extra.append(("rejectionID", str(rejection_id)))
    if extra:
        url += ("" if url.endswith(("?", "&")) else "&" if "?" in url else "?") + urlencode(extra)
    return url
