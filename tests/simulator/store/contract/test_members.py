"""Members: the partner's writes under the 1000 ms rule, invites (one quota per survey), participations."""

from __future__ import annotations

from datetime import date

from simulator.domain import questions as q
from simulator.domain.model import Member, Participation
from simulator.store import Store

from .samples import (
    LAST_WAVE,
    LAST_WAVE_QUOTA,
    OTHER_QUOTA,
    PANEL,
    QUOTA,
    SECOND_PANEL,
    START,
    SURVEY,
    WAVE,
    invite,
    visit,
)

REFUSALS = {"exists", "missing", "too_soon"}


def test_get_count_and_put(store: Store) -> None:
    assert store.members.count() == 3 and store.members.count(PANEL) == 2 and store.members.count(SECOND_PANEL) == 1
    assert store.members.get(PANEL, "M-C") is None  # a code belongs to one panel
    member = Member(PANEL, "M-NEW", birth_date=date(1990, 6, 15), postal_code="07001", answers={1: frozenset({2})})
    store.members.put(member)
    assert store.members.get(PANEL, "M-NEW") == member and store.members.count(PANEL) == 3
    member.postal_code = "10001"
    store.members.put(member)  # a put replaces
    assert store.members.get(PANEL, "M-NEW") == member and store.members.count(PANEL) == 3


def test_a_write_creates_once_and_updates_only_a_known_member(store: Store) -> None:
    new = Member(PANEL, "W-1", postal_code="07001")
    assert store.members.write(new, create=True, wall=1000.0) not in REFUSALS
    assert store.members.get(PANEL, "W-1") == new
    assert store.members.write(new, create=True, wall=2000.0) == "exists"
    assert store.members.write(Member(PANEL, "W-GONE"), create=False, wall=2000.0) == "missing"
    assert store.members.get(PANEL, "W-GONE") is None


def test_a_member_is_written_at_most_once_a_second_on_the_wall_clock(store: Store) -> None:
    store.members.write(Member(PANEL, "W-1", postal_code="1"), create=True, wall=1000.0)
    assert store.members.write(Member(PANEL, "W-1", postal_code="2"), create=False, wall=1000.999) == "too_soon"
    assert store.members.get(PANEL, "W-1").postal_code == "1"  # refused: nothing changed
    assert store.members.write(Member(PANEL, "W-1", postal_code="3"), create=False, wall=1001.0) not in REFUSALS
    assert store.members.get(PANEL, "W-1").postal_code == "3"
    assert store.members.write(Member(PANEL, "W-1"), create=False, wall=1001.5, gap=0.25) not in REFUSALS
    other = Member(PANEL, "M-B", postal_code="9")  # another member: its own second
    assert store.members.write(other, create=False, wall=1001.5) not in REFUSALS


def test_a_successful_write_answers_written(store: Store) -> None:
    assert store.members.write(Member(PANEL, "W-1"), create=True, wall=1000.0) == "written"


def test_an_invite_claims_one_quota_per_survey(store: Store) -> None:
    first = invite("tok-1")
    assert store.members.claim_invite(first) == first
    assert store.members.claim_invite(invite("tok-2")) == first  # the same quota: the invite already held
    assert store.members.claim_invite(invite("tok-3", quota=OTHER_QUOTA)) is None  # another quota of the survey
    assert store.members.invite("tok-2") is None and store.members.invite("tok-3") is None
    assert store.members.open_invites(PANEL, "M-A") == [first]
    other = invite("tok-4", quota=OTHER_QUOTA, member="M-B")  # another member is free to take it
    assert store.members.claim_invite(other) == other


def test_an_invite_knows_when_its_link_was_used_and_then_frees_the_survey(store: Store) -> None:
    first = invite("tok-1")
    store.members.claim_invite(first)
    assert store.members.invite("tok-1") == (first, False)
    assert store.members.invite("nope") is None
    with store.transaction() as tx:
        store.visits.record(tx, visit("ref-1", "tok-1"))
    assert store.members.invite("tok-1") == (first, True)
    assert store.members.open_invites(PANEL, "M-A") == []
    second = invite("tok-2", quota=OTHER_QUOTA)
    assert store.members.claim_invite(second) == second


def test_history_holds_participations_and_open_invites(store: Store) -> None:
    held = invite("tok-1", quota=LAST_WAVE_QUOTA, wave=LAST_WAVE)
    store.members.claim_invite(held)
    member = store.members.get(PANEL, "M-A")
    assert member is not None
    h = store.members.history(member, SURVEY, WAVE)
    assert [(p.survey_id, p.wave_id, p.status_id) for p in h.participations] == [(SURVEY, WAVE, q.TERMINATED)]
    assert h.open_invites == [held]
    assert (h.survey_starts, h.survey_es_completes, h.partner_completes) == (1, 0, 0)
    assert store.members.member_history(member).participations == h.participations


def test_survey_counts_count_starts_es_completes_and_the_panels_completes(store: Store) -> None:
    assert store.members.survey_counts(PANEL, SURVEY, WAVE) == {(SURVEY, WAVE): (1, 0, 0)}
    done = [
        (Participation(PANEL, "M-B", SURVEY, WAVE, q.QUALIFIED, START, QUOTA), None),
        (Participation(SECOND_PANEL, "M-C", SURVEY, WAVE, q.QUALIFIED, START, QUOTA), None),
        (Participation(PANEL, "M-B", SURVEY, LAST_WAVE, q.TERMINATED, START, LAST_WAVE_QUOTA), None),
    ]
    with store.transaction() as tx:
        store.members.add_participations(tx, done)
    assert store.members.survey_counts(PANEL, SURVEY, WAVE) == {(SURVEY, WAVE): (3, 2, 1)}
    assert store.members.survey_counts(SECOND_PANEL) == {(SURVEY, WAVE): (3, 2, 1), (SURVEY, LAST_WAVE): (1, 0, 0)}


def test_an_account_groups_participations_are_in_a_members_history(store: Store) -> None:
    store.members.put(Member(PANEL, "G-1", account_group="family"))
    store.members.put(Member(PANEL, "G-2", account_group="family"))
    with store.transaction() as tx:
        store.members.add_participations(
            tx, [(Participation(PANEL, "G-2", SURVEY, WAVE, q.QUALIFIED, START), "family")]
        )
    h = store.members.member_history(Member(PANEL, "G-1", account_group="family"))
    assert h.participations == [] and [p.member_code for p in h.group_participations] == ["G-2"]
