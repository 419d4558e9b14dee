"""Recontact lists: paged in byte-wise code order with a ``HasAdditionalMembers``-style flag."""

from __future__ import annotations

import pytest

from simulator.store import Store

from .samples import LISTED, OTHER_QUOTA, PANEL, QUOTA, SECOND_PANEL


def test_a_page_holds_up_to_limit_codes_after_the_cursor_and_says_whether_more_follow(store: Store) -> None:
    assert store.recontact.page(PANEL, QUOTA, None, 3) == (LISTED[:3], True)
    assert store.recontact.page(PANEL, QUOTA, "G-02", 3) == (LISTED[3:6], True)
    assert store.recontact.page(PANEL, QUOTA, "R-2", 3) == (["R-3"], False)
    assert store.recontact.page(PANEL, QUOTA, "R-1", 2) == (["R-2", "R-3"], False)  # exactly the rest: no more
    assert store.recontact.page(PANEL, QUOTA, "R-3", 3) == ([], False)
    assert store.recontact.page(PANEL, QUOTA, "H", 1) == (["R-1"], True)  # a cursor need not be listed


@pytest.mark.parametrize("limit", [1, 2, 7, 100])
def test_feeding_back_each_pages_last_code_walks_the_list_once(store: Store, limit: int) -> None:
    walked: list[str] = []
    cursor, more = None, True
    while more:
        codes, more = store.recontact.page(PANEL, QUOTA, cursor, limit)
        walked += codes
        cursor = codes[-1] if codes else cursor
    assert walked == LISTED


def test_lists_are_per_panel_and_quota(store: Store) -> None:
    assert store.recontact.page(PANEL, OTHER_QUOTA, None, 10) == ([], False)
    assert store.recontact.page(SECOND_PANEL, QUOTA, None, 10) == ([], False)
    assert store.recontact.listed(PANEL, QUOTA, "R-2") and not store.recontact.listed(PANEL, QUOTA, "R-9")
    assert not store.recontact.listed(SECOND_PANEL, QUOTA, "R-2")
    assert store.recontact.quotas_with_members(PANEL) == {QUOTA}
    assert store.recontact.quotas_with_members(SECOND_PANEL) == set()


def test_codes_added_in_a_transaction_join_the_order_once(store: Store) -> None:
    with store.transaction() as tx:
        store.recontact.add(tx, PANEL, QUOTA, ["A-1", "R-1", "Z-1"])  # R-1 is listed already
        store.recontact.add(tx, SECOND_PANEL, OTHER_QUOTA, ["C-1"])
    assert store.recontact.page(PANEL, QUOTA, None, 100) == (["A-1", *LISTED, "Z-1"], False)
    assert store.recontact.quotas_with_members(SECOND_PANEL) == {OTHER_QUOTA}
    assert store.recontact.listed(SECOND_PANEL, OTHER_QUOTA, "C-1")
