"""Properties of recontact paging: the store's cursor query on generated lists, and the External Sample route
(``GET .../Recontact/{QuotaID}/MemberCodes``) on a real server.

The order is byte-wise on the UTF-8 member code; a page holds up to ``maxResults`` codes after
``lastMemberCodeReceived``; ``HasAdditionalMembers`` is true exactly when codes follow the page, so a partner
that feeds each page's last code back walks the whole list once.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulator.scenario.model import Scenario
from simulator.services.inventory import RECONTACT_DEFAULT_PAGE, RECONTACT_MAX_PAGE
from simulator.store.sql.inventory import Inventory
from simulator.store.sql.recontact import Recontact
from simulator.store.sqlite.db import Database
from tests.properties import PROPERTY
from tests.support import ES, PANEL, Sandbox

LISTED = (PANEL, 7)
#: Lists the walk must never leak into: another quota of the panel, the same quota of another panel.
NEIGHBOURS = ((PANEL, 8), ("another-panel", 7))
QUOTA = 4200061  # the default scenario's recontact quota holding R-LISTED
PAGE_PATH = f"{ES}/{PANEL}/Recontact/{QUOTA}/MemberCodes"

member_codes = st.text(min_size=1, max_size=6) | st.text(alphabet="Aa09-_ é\0", min_size=1, max_size=4)
page_sizes = st.integers(1, 12) | st.integers(1, 100)


def ordinal(codes: Iterable[str]) -> list[str]:
    """Distinct codes in Toluna's paging order as the sandbox documents it: byte-wise on UTF-8."""
    return sorted(set(codes), key=str.encode)


def after(ordered: list[str], cursor: str | None) -> list[str]:
    """The codes of an ordered list that come after ``cursor`` (all of them without one)."""
    if not cursor:
        return ordered
    return ordered[bisect.bisect_right([c.encode() for c in ordered], cursor.encode()) :]


@pytest.fixture(scope="module")
def recontact() -> Iterator[Recontact]:
    db = Database(":memory:")
    yield Recontact(db, Inventory(db))
    db.close()


def _fill(recontact: Recontact, codes: list[str], others: list[str]) -> None:
    with recontact.db.write() as conn:
        conn.execute("DELETE FROM recontact")
        recontact.add(conn, *LISTED, codes)
        for panel, quota in NEIGHBOURS:
            recontact.add(conn, panel, quota, others)


def _walk(recontact: Recontact, size: int, cursor: str | None, most: int) -> list[tuple[list[str], bool]]:
    """The pages a partner reads from ``cursor`` on, feeding back each page's last code; at most ``most``."""
    pages = []
    while len(pages) < most:
        codes, more = recontact.page(*LISTED, cursor, size)
        pages.append((codes, more))
        if not more:
            break
        cursor = codes[-1]
    return pages


@PROPERTY
@given(
    codes=st.lists(member_codes, max_size=40),
    others=st.lists(member_codes, max_size=5),
    size=page_sizes,
    start=st.none() | member_codes,
)
@example(codes=["b", "a", "b", "B", "é", "z", "10", "9"], others=["a0"], size=3, start=None)
@example(codes=["a", "a\0", "a\0b", "ab"], others=[], size=1, start="a")
@example(codes=["x"] * 4, others=[], size=1, start=None)  # one distinct code, a page of one
def test_the_cursor_walks_every_code_once_in_byte_order(
    recontact: Recontact, codes: list[str], others: list[str], size: int, start: str | None
) -> None:
    _fill(recontact, codes, others)
    expected = after(ordinal(codes), start)
    pages = _walk(recontact, size, start, most=len(expected) + 2)
    assert [c for page, _ in pages for c in page] == expected
    assert len(pages) == max(1, -(-len(expected) // size))
    assert [more for _, more in pages] == [True] * (len(pages) - 1) + [False]
    assert all(len(page) == size for page, _ in pages[:-1])
    assert 0 < len(pages[-1][0]) <= size or not expected  # only an exhausted list ends on an empty page
    assert recontact.count(*LISTED) == len(set(codes))
    assert all(recontact.listed(*LISTED, c) for c in codes)


@PROPERTY
@given(codes=st.lists(member_codes, min_size=1, max_size=30), size=page_sizes, data=st.data())
def test_a_page_starts_after_any_cursor_listed_or_not(
    recontact: Recontact, codes: list[str], size: int, data: st.DataObject
) -> None:
    """A cursor need not be on the list (a code removed since, a typo): the page starts after it in order."""
    _fill(recontact, codes, [])
    cursor = data.draw(st.sampled_from(codes) | member_codes | st.sampled_from(codes).map(lambda c: c + "\0"))
    page, more = recontact.page(*LISTED, cursor, size)
    rest = after(ordinal(codes), cursor)
    assert (page, more) == (rest[:size], len(rest) > size)


# --- the route, on a real server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def listed(default_scenario: Scenario) -> list[str]:
    """Quota 4200061's codes as the scenario lists them, in paging order."""
    return ordinal(c for r in default_scenario.recontact if r.quota_id == QUOTA for c in r.iter_codes())


def _get(sandbox: Sandbox, size: int | None, cursor: str | None) -> dict:
    params = {"maxResults": size, "lastMemberCodeReceived": cursor}
    resp = sandbox.get(PAGE_PATH, params={k: v for k, v in params.items() if v is not None})
    assert resp.status_code == 200, resp.text
    return resp.json()


@settings(PROPERTY, max_examples=20)
@given(
    size=st.none() | st.integers(1, 30) | st.integers(1, RECONTACT_MAX_PAGE),
    pick=st.integers(0, 25_000),
    cursor_form=st.sampled_from(("none", "listed", "past", "short", "text")),
    text=st.text(min_size=1, max_size=8),
)
@example(size=5, pick=0, cursor_form="text", text="RC61-024999")  # the last code: an empty, final page
@example(size=1, pick=0, cursor_form="listed", text="x")  # R-LISTED sorts before every RC61- code
@example(size=RECONTACT_MAX_PAGE, pick=25_000 - RECONTACT_MAX_PAGE, cursor_form="listed", text="x")  # exactly a page
def test_a_page_is_the_next_max_results_codes_after_the_cursor(
    sandbox: Sandbox, listed: list[str], size: int | None, pick: int, cursor_form: str, text: str
) -> None:
    code = listed[pick % len(listed)]
    cursor = {"none": None, "listed": code, "past": code + "~", "short": code[:-1], "text": text}[cursor_form]
    body = _get(sandbox, size, cursor)
    rest = after(listed, cursor)
    wanted = RECONTACT_DEFAULT_PAGE if size is None else size
    assert body == {
        "MaxResults": min(wanted, len(rest)),
        "HasAdditionalMembers": len(rest) > wanted,
        "MemberCodes": rest[:wanted],
    }


@settings(PROPERTY, max_examples=3)
@given(size=st.integers(2_000, RECONTACT_MAX_PAGE))
def test_feeding_back_the_last_code_walks_the_whole_list(sandbox: Sandbox, listed: list[str], size: int) -> None:
    seen: list[str] = []
    more, cursor = [], None
    while len(more) < -(-len(listed) // size):  # as many pages as it takes, and no more
        body = _get(sandbox, size, cursor)
        seen += body["MemberCodes"]
        more.append(body["HasAdditionalMembers"])
        if not more[-1]:
            break
        cursor = body["MemberCodes"][-1]
    assert seen == listed
    assert more == [True] * (len(more) - 1) + [False]


#: What ASP.NET binds to an int parameter: ASCII digits, an optional sign, surrounding white space.
WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)


@settings(PROPERTY, max_examples=30)
@given(text=st.text(alphabet="0123456789+- _.\tx٥", min_size=1, max_size=6))
@example(text="1_000")
@example(text="٥")
@example(text=" +7 ")
def test_max_results_is_a_whole_number_within_the_cap(sandbox: Sandbox, text: str) -> None:
    resp = sandbox.get(PAGE_PATH, params={"maxResults": text})
    if not text.strip():
        expected = RECONTACT_DEFAULT_PAGE
    elif WHOLE_NUMBER.fullmatch(text) and 1 <= int(text) <= RECONTACT_MAX_PAGE:
        expected = int(text)
    else:
        assert resp.status_code == 400, f"{text!r} was taken as {resp.json().get('MaxResults')}"
        assert f"maxResults must be a whole number from 1 to {RECONTACT_MAX_PAGE}" in resp.json()["Message"]
        return
    assert resp.status_code == 200, resp.text
    assert resp.json()["MaxResults"] == expected
