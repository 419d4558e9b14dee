"""Bounded input, as the application answers it: body size (chunked and lying Content-Length included), JSON
nesting, UTF-8, header count and length, dot segments, and the names and files a control call takes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from simulator import cli
from simulator.api.limits import DEFAULTS, UPLOAD_ROUTES, ConfinedDir
from simulator.app import create_app
from simulator.domain.errors import ScenarioError
from simulator.scenario.loader import load_file
from simulator.store import Store, open_store
from tests.support import DEFAULT_SCENARIO, ES, KEY, PANEL

SMALL = {"MAX_BODY_BYTES": 1000, "MAX_UPLOAD_BYTES": 200_000, "MAX_JSON_DEPTH": 8}
REF_KEY = "e3b7c1d9-2a6f-4d8b-9c4e-6a1f3b7d5c28"
V2 = "application/json;version=2.0"
JSON_HEADERS = {"API_AUTH_KEY": KEY, "PARTNER_AUTH_KEY": REF_KEY, "Accept": V2, "Content-Type": "application/json"}
INVITES = f"{ES}/{PANEL}/M-ANNA/Invites"
TINY = f"panels:\n  - {{guid: {PANEL}, culture: EN-US, api_key: {KEY}}}\n"  # a scenario quick to load

#: Every route that reads a JSON body, and the route family's refusal shape.
JSON_ROUTES = [
    ("POST", INVITES),
    ("POST", "/ExternalSample/" + PANEL + "/M-ANNA/invites"),
    ("POST", "/IntegratedPanelService/api/Respondent"),
    ("PUT", "/IntegratedPanelService/api/Respondent"),
    ("POST", "/IntegratedPanelService/api/Surveys/RegisterMemberAndGetSurveys"),
    ("POST", "/IPUtilityService/ReferenceData/QuestionsAndAnswersData"),
    ("POST", "/_sandbox/faults"),
    ("POST", "/_sandbox/reference"),
    ("PUT", "/_sandbox/quotas/4200001"),
]


@pytest.fixture(scope="module")
def loaded() -> Iterator[Store]:
    """One store for the tests whose requests are refused or change nothing."""
    store = open_store(":memory:")
    store.load(load_file(DEFAULT_SCENARIO))
    yield store
    store.close()


@pytest.fixture(scope="module")
def app(loaded: Store) -> Flask:
    return create_app(loaded, SMALL)


@pytest.fixture(scope="module")
def small(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def plain(loaded: Store) -> FlaskClient:
    return create_app(loaded).test_client()


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def message(resp: Any) -> str:
    assert resp.content_type.startswith("application/json"), resp.content_type
    return resp.get_json()["Message"]


class Stream(io.RawIOBase):
    """A request body stream that never ends (``size`` None) or ends after ``size`` bytes, counting what is read."""

    def __init__(self, size: int | None = None) -> None:
        self.size, self.taken = size, 0

    def read(self, n: int = -1) -> bytes:
        n = 65536 if n is None or n < 0 else n
        if self.size is not None:
            n = min(n, self.size - self.taken)
        self.taken += n
        return b" " * n


def test_the_limits_are_flask_config_keys_with_defaults(plain: FlaskClient) -> None:
    config = plain.application.config
    assert {k: config[k] for k in DEFAULTS} == DEFAULTS
    assert DEFAULTS["MAX_BODY_BYTES"] == 1024 * 1024 and DEFAULTS["MAX_JSON_DEPTH"] == 64


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_a_body_over_the_limit_is_413_and_one_at_it_is_read(small: FlaskClient, method: str, path: str) -> None:
    limit = SMALL["MAX_UPLOAD_BYTES" if (method, path) in UPLOAD_ROUTES else "MAX_BODY_BYTES"]
    over = small.open(path, method=method, data=b" " * (limit + 1), headers=JSON_HEADERS)
    assert over.status_code == 413
    assert message(over) == f"The body is {limit + 1} bytes; at most {limit} are taken."
    at_limit = small.open(path, method=method, data=b" " * limit, headers=JSON_HEADERS)
    assert at_limit.status_code == 400  # read, and refused by the route as an empty body


def test_the_survey_pages_refuse_with_a_page(small: FlaskClient) -> None:
    resp = small.post("/TrafficUI/MSCUI/Page.aspx?od=x", data=b"outcome=qualified&" + b"x" * 2000)
    assert resp.status_code == 413
    assert resp.content_type.startswith("text/html")
    assert "<h1>Request Entity Too Large</h1>" in resp.get_data(as_text=True)
    assert "at most 1000 are taken" in resp.get_data(as_text=True)


def test_get_quotas_is_refused_too_before_its_fast_path(small: FlaskClient) -> None:
    resp = small.get(f"{ES}/{PANEL}/Quotas", data=b"x" * 1001, headers={"API_AUTH_KEY": KEY})
    assert resp.status_code == 413
    assert small.get(f"{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY}).status_code == 200


def test_scenario_and_reference_imports_take_up_to_the_upload_limit(store: Store) -> None:
    small = create_app(store, SMALL).test_client()
    padded = TINY.encode() + b"#" + b"x" * 150_000
    resp = small.post("/_sandbox/scenario", data=padded)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert small.post("/_sandbox/scenario", data=padded + b"x" * 60_000).status_code == 413
    reference = json.dumps([]).encode() + b" " * 5000
    assert small.post("/_sandbox/reference", data=reference).status_code == 200


def test_a_chunked_body_is_read_only_to_the_limit_and_one_byte(app: Flask) -> None:
    endless = Stream()
    environ = {"wsgi.input": endless, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"}
    resp = app.test_client().post(INVITES, headers=JSON_HEADERS, environ_overrides=environ)
    assert resp.status_code == 413
    assert message(resp) == "The body is more than 1000 bytes; at most 1000 are taken."
    assert endless.taken == 1001


def test_a_chunked_body_within_the_limit_reaches_the_route(app: Flask) -> None:
    body = json.dumps({"QuotaIDs": [4200001]}).encode()
    environ = {"wsgi.input": io.BytesIO(body), "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True}
    resp = app.test_client().post(INVITES, headers=JSON_HEADERS, environ_overrides=environ)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["Invites"][0]["QuotaID"] == 4200001


def test_a_content_length_over_the_limit_is_refused_unread(app: Flask) -> None:
    endless = Stream()
    environ = {"wsgi.input": endless, "CONTENT_LENGTH": "10000000"}
    resp = app.test_client().post(INVITES, headers=JSON_HEADERS, environ_overrides=environ)
    assert resp.status_code == 413 and endless.taken == 0


def test_a_lying_content_length_bounds_what_is_read(app: Flask) -> None:
    longer = Stream()  # more bytes than Content-Length says
    environ = {"wsgi.input": longer, "CONTENT_LENGTH": "5"}
    resp = app.test_client().post(INVITES, headers=JSON_HEADERS, environ_overrides=environ)
    assert resp.status_code == 400 and longer.taken == 5
    shorter = Stream(size=10)  # fewer
    environ = {"wsgi.input": shorter, "CONTENT_LENGTH": "500"}
    resp = app.test_client().post(INVITES, headers=JSON_HEADERS, environ_overrides=environ)
    assert resp.status_code == 400
    assert message(resp) == "The body ended after 10 of its 500 bytes."
    environ = {"wsgi.input": Stream(), "CONTENT_LENGTH": "-1"}
    resp = app.test_client().post(INVITES, headers=JSON_HEADERS, environ_overrides=environ)
    assert resp.status_code == 400


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_json_nested_too_deeply_is_400_on_every_json_route(plain: FlaskClient, method: str, path: str) -> None:
    for body in (b"[" * 100_000 + b"]" * 100_000, nested(100_000), nested(65)):
        resp = plain.open(path, method=method, data=body, headers=JSON_HEADERS)
        assert resp.status_code == 400
        assert message(resp) == "The JSON body is nested too deeply (at most 64 levels)."


def test_json_as_deep_as_the_limit_reaches_the_route(small: FlaskClient) -> None:
    assert message(small.post("/_sandbox/faults", data=nested(9), headers=JSON_HEADERS)).endswith("(at most 8 levels).")
    resp = small.post("/_sandbox/faults", data=nested(8), headers=JSON_HEADERS)
    assert resp.status_code == 400 and "nested" not in message(resp)  # the route's own check refuses it
    deep_list = json.dumps({"QuotaIDs": [4200001]})  # depth 2
    assert small.post(INVITES, data=deep_list, headers=JSON_HEADERS).status_code == 200


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_a_json_body_that_is_not_utf8_is_400(plain: FlaskClient, method: str, path: str) -> None:
    resp = plain.open(path, method=method, data=b'{"QuotaIDs": ["\xff\xfe"]}', headers=JSON_HEADERS)
    assert resp.status_code == 400 and message(resp) == "The body is not valid UTF-8."


def test_a_posted_scenario_that_is_not_utf8_is_400(plain: FlaskClient) -> None:
    resp = plain.post("/_sandbox/scenario", data=TINY.encode() + b"# caf\xe9\n")
    assert resp.status_code == 400 and "UTF-8" in message(resp)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (f"{ES}/{PANEL}/M-%FF/Invite/4200001", "The request path is not valid UTF-8."),
        (f"{ES}/{PANEL}/Quotas?includeRoutables=%FF%FE", "The query string is not valid UTF-8."),
        (f"{ES}/{PANEL}/../{PANEL}/Quotas", "The request path has a '.' or '..' segment."),
        (f"{ES}/{PANEL}/%2e%2e/%2E%2E/Quotas", "The request path has a '.' or '..' segment."),
        ("/_sandbox/./health", "The request path has a '.' or '..' segment."),
        ("/IntegratedPanelService/api/..%2f..%2fetc%2fpasswd", "The request path has a '.' or '..' segment."),
    ],
)
def test_paths_and_queries_that_are_not_utf8_or_climb_are_400(plain: FlaskClient, path: str, text: str) -> None:
    path, _, query = path.partition("?")
    environ = {"PATH_INFO": unquote(path, "latin-1"), "QUERY_STRING": query}  # as a WSGI server hands them
    resp = plain.get("/", headers={"API_AUTH_KEY": KEY}, environ_overrides=environ)
    assert resp.status_code == 400 and message(resp) == text


def test_a_survey_page_with_a_bad_query_answers_a_page(plain: FlaskClient) -> None:
    resp = plain.get("/TrafficUI/MSCUI/Page.aspx?od=%C3%28")
    assert resp.status_code == 400 and resp.content_type.startswith("text/html")
    assert "The query string is not valid UTF-8." in resp.get_data(as_text=True)


def test_header_floods_and_bad_headers_are_refused(plain: FlaskClient) -> None:
    many = {f"X-H{i}": "v" for i in range(100)}
    resp = plain.get(f"{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY, **many})
    assert resp.status_code == 431 and message(resp).startswith("The request has 10")
    resp = plain.get(f"{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY, "X-Long": "v" * 8200})
    assert resp.status_code == 431 and message(resp) == "The header X_LONG is longer than 8190 bytes."
    bad = "\xff\xfe".encode().decode("latin-1")  # the bytes C3 BF C3 BE as WSGI hands them: valid UTF-8
    assert plain.get(f"{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY, "X-Name": bad}).status_code == 200
    resp = plain.get(f"{ES}/{PANEL}/Quotas", headers={"API_AUTH_KEY": KEY, "X-Name": "\xff"})
    assert resp.status_code == 400 and message(resp) == "The header X_NAME is not valid UTF-8."


@pytest.mark.parametrize("name", ["../../tmp/x.yaml", "/etc/passwd", "a/b.yaml", "a\\b.yaml", "..", "x\0.yaml"])
def test_a_posted_scenario_name_is_a_plain_file_name(plain: FlaskClient, name: str) -> None:
    resp = plain.post("/_sandbox/scenario", query_string={"name": name}, data=TINY)
    assert resp.status_code == 400 and message(resp).startswith("name is a plain file name")


def test_files_a_posted_scenario_names_stay_inside_the_working_directory(
    client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, outside = tmp_path / "work", tmp_path / "outside.json"
    work.mkdir()
    (work / "ref.json").write_text("[]")
    outside.write_text("[]")
    (work / "link.json").symlink_to(outside)
    monkeypatch.chdir(work)
    text = TINY
    for file in (str(outside), "../outside.json", "sub/../../outside.json", "link.json"):
        resp = client.post("/_sandbox/scenario", data=f"{text}\nreference_data:\n  file: {json.dumps(file)}\n")
        assert resp.status_code == 400
        assert "is outside the sandbox's working directory" in message(resp)
    resp = client.post(
        "/_sandbox/scenario", query_string={"name": "mine.yaml"}, data=f"{text}\nreference_data:\n  file: ref.json\n"
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert client.get("/_sandbox/scenario").get_json()["Source"] == "mine.yaml"


def test_a_confined_directory_hands_out_paths_inside_it_only(tmp_path: Path) -> None:
    base = ConfinedDir(tmp_path)
    assert base / "a.json" == tmp_path / "a.json"
    assert base / "sub/../a.json" == tmp_path / "sub/../a.json"
    for name in ("/etc/passwd", "../a.json", "sub/../../a.json"):
        with pytest.raises(ScenarioError):
            base / name


def test_serve_passes_the_limits_to_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("simulator.server.serve", lambda *a, **kw: seen.update(kw))
    (tmp_path / "s.yaml").write_text(TINY)
    args = ["serve", "--scenario", str(tmp_path / "s.yaml"), "--db", str(tmp_path / "s.db")]
    limits = ["--max-body-bytes", "2048", "--max-upload-bytes", "4096", "--max-json-depth", "5"]
    parsed = cli.build_parser().parse_args(args + limits)
    assert parsed.func(parsed) == 0
    assert (seen["MAX_BODY_BYTES"], seen["MAX_UPLOAD_BYTES"], seen["MAX_JSON_DEPTH"]) == (2048, 4096, 5)
    parsed = cli.build_parser().parse_args(args)
    assert parsed.max_body_bytes == DEFAULTS["MAX_BODY_BYTES"] and parsed.max_json_depth == DEFAULTS["MAX_JSON_DEPTH"]
