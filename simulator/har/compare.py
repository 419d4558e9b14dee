"""What counts as a difference between a recorded answer and a replayed one.

Compared: the status, the ES result code (``{"Result", "ResultCode"}`` bodies) and the body. Not compared, because
they change from one run to the next: ISO-8601 times (``CacheExpires`` and the others), invite tokens (the ``od=``
and ``token=`` values of URLs), GUIDs the sandbox mints (reference ids; a GUID the request itself carries, such as a
PanelGUID, is compared), and the sandbox's own address in the URLs it writes. A body recorded only in part is
compared on the part kept, and on its length."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
TOKEN = re.compile(r"([?&;](?:od|token)=)([A-Za-z0-9_.~%-]+)")
GUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
#: Where a cut body may safely end for a prefix comparison (a cut inside a token or a time would not mask alike).
_BOUNDARY = re.compile(r"[,;>\n\s{}\[\]]")
_SHOWN = 3  # differing places shown per answer


@dataclass
class Answer:
    """One side of a comparison: a status and a body, with what the request carried and where it was sent."""

    status: int
    text: str
    size: int  # the whole body's length in bytes
    truncated: bool = False  # ``text`` is only the head of the body
    origin: str = ""  # scheme://host of the sandbox that answered (it writes it into invite URLs)
    known: set[str] = field(default_factory=set)  # GUIDs the request carried: compared, never masked
    result_code: int | None = None  # the journal's code, when the body carries none (a successful invite)


def guids_in(*texts: str) -> set[str]:
    return {g.lower() for t in texts for g in GUID.findall(t)}


def volatiles(text: str, known: set[str]) -> list[str]:
    """The values of ``text`` that change between runs, in order: invite tokens and minted GUIDs."""
    found = [(m.start(2), m.group(2)) for m in TOKEN.finditer(text)]
    found += [(m.start(), m.group()) for m in GUID.finditer(text) if m.group().lower() not in known]
    return [value for _, value in sorted(found)]


def mask(text: str, known: set[str], origin: str = "") -> str:
    """``text`` with what changes between runs written as placeholders."""
    if origin:
        text = text.replace(origin, "<sandbox>")
    text = TOKEN.sub(r"\1<token>", text)
    text = GUID.sub(lambda m: m.group() if m.group().lower() in known else "<guid>", text)
    return TIME.sub("<time>", text)


def learned(recorded: Answer, replayed: Answer) -> dict[str, str]:
    """Recorded token or GUID -> the one the replayed answer gave in its place (when both list as many), so that a
    later request carrying the recorded value (a click on the invite URL, a form's ``ref``) carries the new one."""
    old, new = volatiles(recorded.text, recorded.known), volatiles(replayed.text, replayed.known)
    if recorded.truncated:  # the last value kept may have been cut
        old = old[:-1]
        new = new[: len(old)]
    if len(old) != len(new):
        return {}
    return {o: n for o, n in zip(old, new, strict=True) if o != n}


def result_code(text: str) -> tuple[int, str] | None:
    """The ES result code and name of a ``{"Result", "ResultCode"}`` body."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("ResultCode"), int):
        return body["ResultCode"], str(body.get("Result", ""))
    return None


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _json_places(old: Any, new: Any, path: str = "$") -> list[str]:
    """Where two JSON documents differ (``$.Surveys[0].LOI: 15 -> 22``), first ones first."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                out.append(f"{path}.{key}: removed")
            elif key not in old:
                out.append(f"{path}.{key}: added {_short(new[key])}")
            else:
                out += _json_places(old[key], new[key], f"{path}.{key}")
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = [p for i, (a, b) in enumerate(zip(old, new, strict=False)) for p in _json_places(a, b, f"{path}[{i}]")]
        if len(old) != len(new):
            out.append(f"{path}: {len(old)} items -> {len(new)}")
        return out
    return [] if old == new else [f"{path}: {_short(old)} -> {_short(new)}"]


def _text_place(old: str, new: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    return f"body differs at character {at}: {_short(old[at : at + 40])} -> {_short(new[at : at + 40])}"


def _body(recorded: Answer, replayed: Answer) -> list[str]:
    old = mask(recorded.text, recorded.known, recorded.origin)
    new = mask(replayed.text, replayed.known, replayed.origin)
    if recorded.truncated:
        cut = max((m.end() for m in _BOUNDARY.finditer(old)), default=0)
        old = old[:cut]
        out = [] if new.startswith(old) else [_text_place(old, new) + " (in the part recorded)"]
        if recorded.size != replayed.size:
            out.append(f"length {recorded.size} -> {replayed.size} bytes")
        return out
    if old == new:
        return []
    try:
        places = _json_places(json.loads(old), json.loads(new))
    except ValueError:
        return [_text_place(old, new)]
    return places[:_SHOWN] + ([f"... {len(places) - _SHOWN} more"] if len(places) > _SHOWN else [])


#: How a difference line starts when the status or the ES result code differs (not the body alone).
STATUS, RESULT_CODE = "status ", "ResultCode "


def decisive(line: str) -> bool:
    """A difference in the status or the ES result code: what a replay on a later state must still agree on."""
    return line.startswith((STATUS, RESULT_CODE))


def differences(recorded: Answer, replayed: Answer) -> list[str]:
    """What differs between a recorded answer and a replayed one, one short line each; none when they agree."""
    out = []
    if recorded.status != replayed.status:
        out.append(f"{STATUS}{recorded.status} -> {replayed.status}")
    old, new = result_code(recorded.text), result_code(replayed.text)
    if old is None and new is not None and recorded.result_code is not None:
        old = (recorded.result_code, "")  # a successful invite: its code is the journal's, not the body's
    if (old or new) and (old and old[0]) != (new and new[0]):
        shown = [f"{c[0]}{f' ({c[1]})' if c[1] else ''}" if c else "none" for c in (old, new)]
        return [*out, f"{RESULT_CODE}{shown[0]} -> {shown[1]}"]  # the code says what the body would
    return out + _body(recorded, replayed)
