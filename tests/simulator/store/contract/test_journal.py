"""The journal: an entry added is seen by the next ``query`` and ``count`` of the same process."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from simulator.store import Store
from simulator.store.records import BODY_LIMIT, RESPONSE_LIMIT

from .samples import PANEL, QUOTA, SECOND_PANEL, START, entry


def test_an_added_entry_is_seen_at_once_with_its_id(store: Store) -> None:
    assert store.journal.count() == (0, 0) and store.journal.query() == []
    added = entry("/first", member_code="M-A", quota_id=QUOTA, request_body='{"a": 1}', response='{"ok": true}')
    store.journal.add(added)
    [found] = store.journal.query()
    assert found.id is not None and found.id > 0
    assert found.to_dict() == {**added.to_dict(), "id": found.id}
    assert store.journal.count() == (1, found.id)


def test_entries_come_in_the_order_added_and_count_after_an_id(store: Store) -> None:
    for n in range(5):
        store.journal.add(entry(f"/{n}"))
    found = store.journal.query()
    ids = [e.id for e in found]
    assert [e.path for e in found] == [f"/{n}" for n in range(5)] and ids == sorted(ids)
    assert store.journal.count(after_id=ids[1]) == (3, ids[-1])
    assert [e.path for e in store.journal.query(after_id=ids[1], limit=2)] == ["/2", "/3"]


def test_filters_combine(store: Store) -> None:
    store.journal.add(entry("/a", route="invite", member_code="M-A", quota_id=QUOTA))
    store.journal.add(entry("/b", route="invite", member_code="M-B", quota_id=QUOTA))
    store.journal.add(entry("/c", route="quotas", panel_guid=SECOND_PANEL))
    store.journal.add(entry("/d", route="invite", member_code="M-A", quota_id=10))

    def paths(**filters: object) -> list[str]:
        return [e.path for e in store.journal.query(**filters)]  # type: ignore[arg-type]

    assert paths(route="invite") == ["/a", "/b", "/d"]
    assert paths(route="invite", member_code="M-A") == ["/a", "/d"]
    assert paths(member_code="M-A", quota_id=QUOTA) == ["/a"]
    assert paths(panel_guid=SECOND_PANEL) == ["/c"] and paths(panel_guid=PANEL, route="quotas") == []


def test_result_code_filters_and_newest_first_gives_the_last_entries(store: Store) -> None:
    for n, code in enumerate([None, 16, 28, 16, None, 16]):
        store.journal.add(replace(entry(f"/{n}", route="invite"), result_code=code))
    assert [e.path for e in store.journal.query(result_code=16)] == ["/1", "/3", "/5"]
    assert [e.path for e in store.journal.query(result_code=16, newest_first=True, limit=2)] == ["/5", "/3"]
    assert [e.path for e in store.journal.query(newest_first=True, limit=3)] == ["/5", "/4", "/3"]
    assert [e.path for e in store.journal.query(limit=2)] == ["/0", "/1"]  # oldest first without it


def test_since_and_until_compare_on_the_sandbox_clock(store: Store) -> None:
    for hours in range(4):
        store.journal.add(entry(f"/{hours}", at=START + timedelta(hours=hours)))
    since, until = (START + timedelta(hours=1)).isoformat(), (START + timedelta(hours=2)).isoformat()
    assert [e.path for e in store.journal.query(since=since, until=until)] == ["/1", "/2"]


def test_bodies_are_kept_up_to_their_limits(store: Store) -> None:
    long_response = '{"Surveys": "' + "x" * (RESPONSE_LIMIT + 100) + '"}'
    store.journal.add(entry("/big", request_body="r" * (BODY_LIMIT + 10), response=long_response))
    store.journal.add(entry("/same", response=long_response[:2000]))
    big, same = store.journal.query()
    assert big.request_body == "r" * BODY_LIMIT
    assert big.response_body == long_response[:RESPONSE_LIMIT] and big.response_length == len(long_response)
    assert same.response_body == long_response[:2000]
