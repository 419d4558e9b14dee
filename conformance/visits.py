"""Playing a member: from the URL the member would be sent to (the partner's own link, or the sandbox's invite URL),
through the partner's redirects to the sandbox's survey, an outcome, and back to the partner's end page.

The partner's own parameters ride on its redirect to the invite URL and must come back on the end page; the suite
only adds the outcome it chose, on the sandbox's survey page, as a member pressing its button would.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from . import http as suite_http
from .facts import PlayedVisit
from .sandbox import SandboxClient, SandboxError

#: Toluna's survey entry path on the sandbox (the invite URL and the survey pages).
SURVEY_PATH = "/TrafficUI/MSCUI/Page.aspx"
MAX_HOPS = 10


def with_outcome(url: str, outcome: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "outcome"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("outcome", outcome)])))


class Player:
    def __init__(self, sandbox: SandboxClient, timeout: float = 30) -> None:
        self.client = sandbox
        self.sandbox = urlsplit(sandbox.base_url).netloc
        self.timeout = timeout
        # a member's click is not repeated once it reached a server: the sandbox would count a second visit
        self.http = suite_http.session(repeat_sent=False)

    def _on_survey(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.netloc == self.sandbox and parts.path == SURVEY_PATH

    def play(self, member: str, quota: int | None, start: str, outcome: str, phase: int = 0) -> PlayedVisit:
        """Follow ``start`` to the partner's end page; what happened on the way is the visit's evidence."""
        url, invite_url = start, start if self._on_survey(start) else None

        def visit(end: str | None = None, status: int | None = None, error: str | None = None) -> PlayedVisit:
            return PlayedVisit(member, quota, outcome, invite_url or start, end, status, start, error, phase)

        end = None
        try:
            for _ in range(MAX_HOPS):
                on_survey = self._on_survey(url)
                if on_survey:
                    invite_url = invite_url or url
                    url = with_outcome(url, outcome)
                resp = (
                    self._click(url) if on_survey else self.http.get(url, allow_redirects=False, timeout=self.timeout)
                )
                location = resp.headers.get("Location")
                if resp.status_code not in (301, 302, 303, 307, 308) or not location:
                    where = "the sandbox" if on_survey else "the partner's link"
                    return visit(error=f"{where} answered {resp.status_code} at {url}")
                following = urljoin(url, location)
                if on_survey and not self._on_survey(following):
                    end = following
                    return visit(end, self.http.get(end, allow_redirects=False, timeout=self.timeout).status_code)
                url = following
            return visit(error="too many hops")
        except requests.RequestException as exc:
            return visit(end, error=exc.__class__.__name__)

    def _click(self, url: str) -> requests.Response | _ReadBack:
        """The member's click on the sandbox's survey link. A click whose answer was lost is not repeated blindly
        (the sandbox would count a second visit): the sandbox is asked whether it arrived, and where it sent the
        member; only a click that never arrived is made again."""
        try:
            return self.http.get(url, allow_redirects=False, timeout=self.timeout)
        except requests.ConnectionError:
            token = dict(parse_qsl(urlsplit(url).query)).get("od", "")
            try:
                arrived = self.client.call("GET", "visits", params={"token": token})["Visits"]
            except SandboxError:
                raise requests.ConnectionError(
                    f"the click on {url} lost its answer, and the sandbox cannot say"
                ) from None
            if arrived and arrived[0].get("EndPage"):
                return _ReadBack(arrived[0]["EndPage"])
            if arrived:
                raise requests.ConnectionError(f"the click on {url} arrived but its answer was lost") from None
            return self.http.get(url, allow_redirects=False, timeout=self.timeout)


class _ReadBack:
    """Where the sandbox sent a member whose click lost its answer, as if the answer had come."""

    status_code = 302

    def __init__(self, location: str) -> None:
        self.headers = {"Location": location}
