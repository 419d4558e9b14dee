"""The survey page as a person meets it: a real chromium opens an invite URL, reads the page, presses an outcome
and lands on the partner's end page (a real server on a real port)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser

from tests.support import PANEL, Sandbox, invite


@pytest.fixture
def end_pages() -> Iterator[tuple[str, list[str]]]:
    """A partner's end pages: answers every GET with a page naming the path, and remembers the URLs."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            hits.append(self.path)
            body = f"<h1 id='end'>{urlsplit(self.path).path}</h1>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_a_person_takes_the_survey_and_lands_on_the_end_page(
    fresh_sandbox: Sandbox,
    end_pages: tuple[str, list[str]],
    browser: Browser,
    tmp_path: Path,
) -> None:
    base, hits = end_pages
    template = f"{base}/done/[SurveyID]?mc=[MemberCode]&wave=[WaveID]"
    fresh_sandbox.control("PUT", f"panels/{PANEL}", json={"settings": {"Qualified URL": template}}).raise_for_status()
    url = invite(fresh_sandbox, "M-ANNA", 4200001) + "&clickid=web-1"

    page = browser.new_page()
    page.goto(url)
    assert page.title().startswith("3100001-US")
    assert page.inner_text("#member") == "M-ANNA" and page.inner_text("#quota") == "4200001"
    assert page.locator("button[name=outcome]").count() == 11
    page.screenshot(path=str(tmp_path / "survey.png"), full_page=True)

    page.click("button[value=qualified]")
    page.wait_for_url(f"{base}/**")
    assert page.inner_text("#end") == "/done/3100001"
    [hit] = [h for h in hits if h.startswith("/done/")]  # the browser asks for a favicon too
    assert parse_qs(urlsplit(hit).query) == {"mc": ["M-ANNA"], "wave": ["900001"], "clickid": ["web-1"]}
    page.close()
