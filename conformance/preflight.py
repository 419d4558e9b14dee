"""``toluna-conformance preflight``: before go-live, check a profile of the partner configuration against the
environment it names, sending no member data: the base URLs answer, the keys are accepted, every culture's panel
exists, and the notification endpoints the partner registered answer a harmless probe.

    toluna-conformance preflight --config partner-profiles.yaml --profile production [--json [FILE]]

Exit status: 0 every check passed, 1 a check failed, 2 the configuration cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from . import __version__
from . import http as suite_http
from .codes import name as code_name
from .config import ConfigError
from .profiles import KEY_NAMES, URL_NAMES, Profile, load_config
from .secrets import Masker

USER_AGENT = f"toluna-conformance-preflight/{__version__}"
#: The header that marks the notification probe, so that a receiver (or its logs) can tell it from a notification.
PROBE_HEADER = "X-Toluna-Preflight"
PROBE_HELP = f"""\
The notification probe: by default an HTTP POST with an empty body (Content-Length: 0), the header
`{PROBE_HEADER}: 1`, the User-Agent {USER_AGENT.split("/")[0]} and the profile's notification_headers. POST because
Toluna delivers notifications by POST, so it reaches the handler the partner registered (a GET or HEAD is often
refused with 405 by a POST-only route, which would say nothing of the endpoint); an empty body because it carries
no member, survey or quota, so it cannot be taken for a notification. The endpoint passes when it answers 2xx:
acknowledge the marked, empty request without processing it. A receiver that cannot be changed can be probed with
--notification-probe head instead (an HTTP HEAD, safe by definition, which must then answer 2xx).
"""
ES_QUOTAS = "{base}/IPExternalSamplingService/ExternalSample/{guid}/Quotas"
CULTURES = "{base}/IPUtilityService/ReferenceData/Cultures"
SETTINGS = "{base}/IntegratedPanelService/api/Settings"
REFUSED = (401, 403)


@dataclass(slots=True, frozen=True)
class Answer:
    """One HTTP exchange as evidence: what was asked and what came back (or why nothing did)."""

    method: str
    url: str
    status: int | None = None
    body: Any = None  # the JSON answer, when it was JSON
    text: str = ""
    error: str = ""

    @property
    def result_code(self) -> int | None:
        code = self.body.get("ResultCode") if isinstance(self.body, dict) else None
        return code if isinstance(code, int) else None

    def evidence(self) -> str:
        if self.status is None:
            return f"{self.method} {self.url} -> no answer ({self.error})"
        out = f"{self.method} {self.url} -> {self.status}"
        if self.result_code is not None:
            out += f", result code {self.result_code} ({code_name(self.result_code)})"
        elif isinstance(self.body, dict) and self.body.get("Message"):
            out += f": {str(self.body['Message'])[:120]}"
        return out


@dataclass(slots=True, frozen=True)
class Check:
    id: str
    passed: bool
    evidence: str
    fix: str = ""
    status: int | None = None
    result_code: int | None = None
    url: str = ""

    def line(self) -> str:
        text = f"{'PASS' if self.passed else 'FAIL'}  {self.id}: {self.evidence}"
        return text + (f". Fix: {self.fix}" if self.fix and not self.passed else "")


def _check(check_id: str, answer: Answer, passed: bool, evidence: str = "", fix: str = "") -> Check:
    return Check(
        check_id,
        passed,
        evidence or answer.evidence(),
        fix,
        answer.status,
        answer.result_code,
        answer.url,
    )


class Preflight:
    """The checks of one profile. Answers are kept by request, so a URL asked by two checks is asked once."""

    def __init__(
        self,
        profile: Profile,
        keys: dict[str, str],
        headers: dict[str, str] | None = None,
        probe: str = "post",
        timeout: float = 10.0,
    ) -> None:
        self.profile, self.keys, self.headers = profile, keys, headers or {}
        self.probe, self.timeout = probe, timeout
        self.http = suite_http.session(repeat_sent=False, retries=1)
        self.http.headers["User-Agent"] = USER_AGENT
        self.answers: dict[tuple[str, str, str], Answer] = {}

    def run(self) -> list[Check]:
        checks = [self._reach(name) for name in URL_NAMES]
        checks.append(self._api_key())
        checks.append(self._partner_key())
        for culture in self.profile.panels:
            checks.append(self._panel(culture))
        for culture in self.profile.panels:
            checks.append(self._settings(culture))
        by_url: dict[str, list[str]] = {}
        for setting, url in self.profile.notifications.items():
            by_url.setdefault(url, []).append(setting)
        checks += [self._notification(url, settings) for url, settings in by_url.items()]
        return checks

    # --- HTTP -------------------------------------------------------------------------------------------------
    def _ask(self, method: str, url: str, key: str | None = None, **kw: Any) -> Answer:
        memo = (method, url, key or "")
        if memo in self.answers:
            return self.answers[memo]
        headers = dict(kw.pop("headers", {}))
        if key:
            headers[key] = self.keys[key]
        try:
            resp = self.http.request(method, url, headers=headers, timeout=self.timeout, allow_redirects=False, **kw)
        except requests.RequestException as exc:
            answer = Answer(method, url, error=_reason(exc))
        else:
            try:
                body = resp.json()
            except ValueError:
                body = None
            answer = Answer(method, url, resp.status_code, body, resp.text[:500])
        self.answers[memo] = answer
        return answer

    def _quotas(self, culture: str) -> Answer:
        url = ES_QUOTAS.format(base=_base(self.profile.urls["IP_ES_URL"]), guid=self.profile.panels[culture])
        return self._ask("GET", url, "API_AUTH_KEY")

    # --- the checks -------------------------------------------------------------------------------------------
    def _reach(self, name: str) -> Check:
        """The base URL answers HTTP at all (any status below 500: the root of an API is often a 404)."""
        answer = self._ask("GET", self.profile.urls[name])
        if answer.status is not None and answer.status < 500:
            return _check(f"url {name}", answer, True, f"GET {answer.url} -> {answer.status} (the server answers)")
        return _check(f"url {name}", answer, False, fix=f"check {name} (host, port, scheme) and that it is reachable")

    def _api_key(self) -> Check:
        """API_AUTH_KEY opens External Sample: some culture's GetQuotas answers 200 with it."""
        answers = [self._quotas(c) for c in self.profile.panels]
        ok = next((a for a in answers if a.status == 200), None)
        if ok is not None:
            return _check("key API_AUTH_KEY", ok, True)
        refused = next((a for a in answers if a.status in REFUSED), None)
        if refused is not None:
            return _check(
                "key API_AUTH_KEY",
                refused,
                False,
                f"API_AUTH_KEY refused: {refused.evidence()}",
                "use the API_AUTH_KEY Toluna issued for this environment",
            )
        return _check(
            "key API_AUTH_KEY",
            answers[0],
            False,
            f"API_AUTH_KEY not confirmed, no GetQuotas answered 200: {answers[0].evidence()}",
            "see the panel checks below",
        )

    def _partner_key(self) -> Check:
        """PARTNER_AUTH_KEY opens reference data, and lists every culture of the profile."""
        answer = self._ask("GET", CULTURES.format(base=_base(self.profile.urls["IP_REF_DATA_URL"])), "PARTNER_AUTH_KEY")
        if answer.status in REFUSED:
            return _check(
                "key PARTNER_AUTH_KEY",
                answer,
                False,
                f"PARTNER_AUTH_KEY refused: {answer.evidence()}",
                "use the PARTNER_AUTH_KEY (Reference Data API Auth Key) Toluna issued for this environment",
            )
        if answer.status != 200 or not isinstance(answer.body, list):
            return _check("key PARTNER_AUTH_KEY", answer, False, fix="check IP_REF_DATA_URL and PARTNER_AUTH_KEY")
        known = {str(c.get("Name", "")).upper() for c in answer.body if isinstance(c, dict)}
        missing = [c for c in self.profile.panels if c not in known]
        if missing:
            return _check(
                "key PARTNER_AUTH_KEY",
                answer,
                False,
                f"{answer.evidence()}, but {', '.join(missing)} not among its cultures",
                "name each culture as Toluna's reference data does",
            )
        return _check("key PARTNER_AUTH_KEY", answer, True, f"{answer.evidence()}, {len(known)} cultures")

    def _panel(self, culture: str) -> Check:
        answer = self._quotas(culture)
        check_id = f"panel {culture}"
        if answer.status == 200:
            surveys = answer.body.get("Surveys") if isinstance(answer.body, dict) else None
            count = f", {len(surveys)} survey(s)" if isinstance(surveys, list) else ""
            return _check(check_id, answer, True, f"{answer.evidence()}{count}")
        if answer.result_code == 3:
            fix = f"use the panel GUID Toluna issued for {culture} in this environment"
        elif answer.status in REFUSED:
            fix = f"the API_AUTH_KEY does not open the {culture} panel: check the key and the GUID belong together"
        else:
            fix = "ask Toluna to enable External Sample for this panel, or see the result code's meaning"
        return _check(check_id, answer, False, fix=fix)

    def _settings(self, culture: str) -> Check:
        """Get Settings answers 200 for the panel, and Toluna has the profile's notification endpoints on record."""
        guid = self.profile.panels[culture]
        url = f"{SETTINGS.format(base=_base(self.profile.urls['IP_CORE_URL']))}?partnerGUID={guid}"
        answer = self._ask("GET", url, "API_AUTH_KEY")
        check_id = f"settings {culture}"
        if answer.status != 200 or not isinstance(answer.body, list):
            return _check(check_id, answer, False, fix="check IP_CORE_URL, the API_AUTH_KEY and the panel GUID")
        registered = {str(s.get("Name")): s.get("Value") for s in answer.body if isinstance(s, dict)}
        differ = [
            f"{setting} is {registered.get(setting)!r} at Toluna, {url_!r} in the profile"
            for setting, url_ in self.profile.notifications.items()
            if (registered.get(setting) or "").strip() != url_
        ]
        if differ:
            return _check(
                check_id,
                answer,
                False,
                f"{answer.evidence()}, but " + "; ".join(differ),
                "ask Toluna to register the profile's endpoints, or correct the profile",
            )
        matched = f"{answer.evidence()}, {len(self.profile.notifications)} endpoint(s) as registered"
        return _check(check_id, answer, True, matched)

    def _notification(self, url: str, settings: list[str]) -> Check:
        headers = {**self.headers, PROBE_HEADER: "1"}
        if self.probe == "head":
            answer = self._ask("HEAD", url, headers=headers)
        else:
            answer = self._ask("POST", url, headers=headers, data=b"")
        check_id = f"notify {' + '.join(settings)}"
        if answer.status is not None and 200 <= answer.status < 300:
            return _check(check_id, answer, True)
        fix = (
            "start the receiver, and make it reachable from Toluna"
            if answer.status is None
            else f"answer 2xx to a {answer.method} marked {PROBE_HEADER}: 1 (see --help for the probe)"
        )
        return _check(check_id, answer, False, fix=fix)


def _base(url: str) -> str:
    return url.rstrip("/")


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed: nothing listens there, or the host is unknown"
    return type(exc).__name__


# --- command line ----------------------------------------------------------------------------------------------
def add_preflight_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "preflight",
        help="check a go-live profile (URLs, keys, panels, notification endpoints) without sending member data",
        description=(__doc__ or "").split("\n\n")[0],
        epilog=PROBE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, required=True, help="the partner configuration (YAML or JSON)")
    parser.add_argument("--profile", required=True, help="the profile to check, e.g. production")
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="write the result as JSON to FILE (alone: to stdout)"
    )
    parser.add_argument("--notification-probe", choices=("post", "head"), default="post", help="see below")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds each request may take (default 10)")
    return parser


def preflight_main(args: argparse.Namespace) -> int:
    try:
        profile = load_config(args.config).profile(args.profile)
        keys, headers = profile.secrets()
    except ConfigError as exc:
        print(f"toluna-conformance preflight: {exc}", file=sys.stderr)
        return 2
    masker = Masker([*keys.values(), *headers.values()])
    checks = Preflight(profile, keys, headers, args.notification_probe, args.timeout).run()
    passed = all(c.passed for c in checks)
    if args.json:
        doc = masker.deep({"profile": profile.record(), "passed": passed, "checks": [asdict(c) for c in checks]})
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            Path(args.json).write_text(text, encoding="utf-8")
    if args.json != "-":
        print(f"preflight of profile {profile.name!r} ({profile.file}), keys {', '.join(KEY_NAMES)} not shown")
        for check in checks:
            print(masker(check.line()))
        failed = sum(not c.passed for c in checks)
        print(f"{len(checks) - failed} passed, {failed} failed: preflight {'passed' if passed else 'failed'}")
    return 0 if passed else 1
