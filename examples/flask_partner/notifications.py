"""Toluna's notifications to the panel: completions, terminations, quota status, survey closed.

They come as JSON or XML (``<confirmation>``, ``<termination>``, ``<survey>``, a quota document), field names in
Toluna's own varying casing, possibly more than once, possibly out of order, and for quotas the panel never saw.
So: any root element, fields by name in any case; a completion credits once per SurveyID+WaveID+member however often
it comes; a quota status is applied only if it is newer than the last one applied for that quota (an old "live"
arriving late must not reopen a quota Toluna has since put on hold); and anything unreadable is a 400 that leaves
the endpoint working.
"""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .config import Config
from .signing import notification_valid
from .store import Store
from .timefmt import parse_toluna_time

log = logging.getLogger("flask_partner.notifications")

KINDS = ("complete", "terminate", "quota", "survey")
COMPLETE, TERMINATED, QUOTA_FULL = 9, 3, 10
#: Fields only a pre-start rejection carries: Toluna does not sign those, unlike completions and terminations.
PRESTART_FIELDS = ("rejectionid", "rejectionname", "incidencerate")


class BadNotification(ValueError):
    """A body the panel cannot act on: the message says what is wrong (answered 400)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    message: str


def parse(raw: bytes) -> dict[str, Any]:
    """The document's fields, names lower-cased: a JSON object, or the child elements of any XML root."""
    text = raw.decode("utf-8-sig", errors="strict").strip() if raw else ""
    if not text:
        raise BadNotification("empty body")
    if text.startswith("<"):
        if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
            raise BadNotification("XML with a DOCTYPE or entities is not accepted")
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise BadNotification(f"not well-formed XML ({exc})") from None
        return {_local(child.tag).lower(): (child.text or "").strip() for child in root}
    try:
        doc = json.loads(text)
    except ValueError:
        raise BadNotification("neither JSON nor XML") from None
    if not isinstance(doc, dict):
        raise BadNotification("the JSON body is not an object")
    return {str(k).lower(): v for k, v in doc.items()}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(doc: dict[str, Any], name: str) -> str:
    """A required field as the text it was sent as (numbers as their digits)."""
    value = doc.get(name)
    if value is None or isinstance(value, dict | list) or str(value).strip() == "":
        raise BadNotification(f"missing {name}")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _int(doc: dict[str, Any], name: str) -> int:
    text = _text(doc, name)
    try:
        return int(text)
    except ValueError:
        raise BadNotification(f"{name} is not a number: {text!r}") from None


def _bool(doc: dict[str, Any], name: str) -> bool:
    text = _text(doc, name).lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise BadNotification(f"{name} is not true or false: {text!r}")


class Notifications:
    def __init__(self, config: Config, store: Store, clock: Callable[[], float]) -> None:
        self.config, self.store = config, store
        self._clock = clock

    def handle(self, kind: str, raw: bytes) -> Outcome:
        try:
            doc = parse(raw)
            return getattr(self, f"_{kind}")(doc)
        except BadNotification as exc:
            log.warning("%s notification refused: %s", kind, exc)
            return Outcome(400, str(exc))

    def _signed(self, doc: dict[str, Any], survey: str, wave: str, member: str) -> None:
        if not self.config.encrypted:
            return
        given = doc.get("encryptedvalue")
        ok = notification_valid(
            self.config.encryption_algorithm,
            self.config.encryption_key,
            survey,
            wave,
            member,
            None if given is None else str(given),
        )
        if not ok:
            raise BadNotification("EncryptedValue is missing or wrong")

    def _complete(self, doc: dict[str, Any]) -> Outcome:
        member, survey, wave = _text(doc, "uniquecode"), _text(doc, "surveyid"), _text(doc, "waveid")
        survey_id, wave_id = _int(doc, "surveyid"), _int(doc, "waveid")
        self._signed(doc, survey, wave, member)
        quota = _int(doc, "quotaid") if doc.get("quotaid") not in (None, "") else None
        revenue = _int(doc, "revenue") if doc.get("revenue") not in (None, "") else None
        first = self.store.credit(survey_id, wave_id, member, quota, revenue)
        self.store.add_history(member, survey_id, wave_id, COMPLETE, "notification")
        return Outcome(200, "credited" if first else "already credited")

    def _terminate(self, doc: dict[str, Any]) -> Outcome:
        member, survey, wave = _text(doc, "uniquecode"), _text(doc, "surveyid"), _text(doc, "waveid")
        survey_id, wave_id = _int(doc, "surveyid"), _int(doc, "waveid")
        prestart = any(doc.get(name) not in (None, "") for name in PRESTART_FIELDS)
        if not prestart or doc.get("encryptedvalue") not in (None, ""):
            self._signed(doc, survey, wave, member)
        if prestart:  # refused before the start: no participation on Toluna's side
            return Outcome(200, "pre-start rejection noted")
        reason = str(doc.get("reason") or "").lower()
        status = QUOTA_FULL if reason == "quotafull" else TERMINATED
        self.store.add_history(member, survey_id, wave_id, status, "notification")
        return Outcome(200, "termination noted")

    def _quota(self, doc: dict[str, Any]) -> Outcome:
        quota, live = _int(doc, "quotaid"), _bool(doc, "islive")
        stamp = _text(doc, "updatedatetimeutc")
        try:
            updated = parse_toluna_time(stamp).strftime("%Y-%m-%dT%H:%M:%S.%f")
        except ValueError:
            raise BadNotification(f"UpdateDateTimeUTC is not a time: {stamp!r}") from None
        applied = self.store.apply_quota_notice(quota, updated, live, self._clock())
        return Outcome(200, "applied" if applied else "older than what the panel knows: ignored")

    def _survey(self, doc: dict[str, Any]) -> Outcome:
        survey = _int(doc, "surveyid")
        status = _text(doc, "status")
        wave = _int(doc, "waveid") if doc.get("waveid") not in (None, "") else 0
        if status.lower() == "closed":
            self.store.close_wave(survey, wave)
            return Outcome(200, "closed")
        return Outcome(200, f"status {status!r} noted")
