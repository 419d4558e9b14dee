"""Members: member management v2 (add, update, read), the answers a member saves on a profile page, and the
operator moving a member through Toluna's statuses."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from simulator.domain import registration
from simulator.domain.errors import BadRequestError, ConflictError, NotFoundError
from simulator.domain.model import Member, MemberStatus, Panel, Participation, Visit
from simulator.domain.profiles import BASIC, category_questions
from simulator.domain.reference import Culture, Question, ReferenceData
from simulator.store import Store

from .access import Access

_STATUS_NAMES = {s.name.lower(): s for s in MemberStatus}


def culture_of(data: ReferenceData, panel: Panel) -> Culture:
    """The panel's culture in the reference data (a bare one when the data does not list it)."""
    return data.culture(panel.culture) or Culture(0, panel.culture.lower(), panel.culture)


@dataclass(slots=True)
class ProfileForm:
    """What a profile page shows: the member, and the category's questions (none for the basic profile)."""

    member: Member
    questions: list[Question]
    basic: bool
    title: str


@dataclass(slots=True)
class MemberRecord:
    """Support's view of one member: its panel, the reference data (and culture) that name its answers, its
    participations and its visits (clicks on invite links), oldest first."""

    panel: Panel
    member: Member
    reference: ReferenceData
    culture_id: int
    participations: list[Participation]
    visits: list[Visit]


class Members:
    def __init__(self, store: Store, access: Access) -> None:
        self.store = store
        self.access = access

    def panel(self, guid: str | None) -> Panel:
        """The panel a member route names by its GUID (an unknown one is a 400)."""
        return self.access.member_panel(guid)

    # --- member management v2 -----------------------------------------------------------------------------
    def save(self, doc: Any, update: bool) -> Member:
        """POST (``update`` False) or PUT a member: Toluna's checks, then one write under the 1000 ms rule."""
        try:
            body = registration.parse(doc)
        except registration.RegistrationError as e:
            raise BadRequestError(str(e)) from None
        panel = self.access.member_panel(body.partner_guid)
        code = body.member_code
        missing = f"No member found with member code {code} and partner Guid {panel.guid}"
        exists = (
            f"An IP Member for MemberCode {code} and PartnerGUID {panel.guid} already exists. "
            "To update a Member, please use the PUT verb."
        )
        existing = self.store.members.get(panel.guid, code)
        if existing is not None and not update:
            raise ConflictError(exists)
        if update and (existing is None or existing.status is MemberStatus.PII_DATA_REGULATED):
            raise NotFoundError(missing)
        if existing is not None and existing.status is MemberStatus.BLOCKED_FOR_ABUSE:
            raise BadRequestError(f"The member with member code {code} is blocked.")
        snap = self.store.inventory.snapshot()
        try:
            registration.check(
                body,
                snap.reference,
                culture_of(snap.reference, panel),
                self.store.now().date(),
                update,
                panel.minimum_age,
            )
        except registration.RegistrationError as e:
            raise BadRequestError(str(e)) from None
        member = registration.apply(body, existing, snap.postal_areas)
        outcome = self.store.members.write(member, create=not update, wall=time.time())
        if outcome == "exists":
            raise ConflictError(exists)
        if outcome == "missing":
            raise NotFoundError(missing)
        if outcome == "too_soon":
            raise ConflictError(
                f"Duplicate request: member code {code} and partner Guid {panel.guid} were written less than 1000 ms "
                "ago. Write the same member at most once a second."
            )
        return member

    def view(self, guid: str | None, code: str | None) -> dict[str, Any]:
        """GET Respondent: the member, or Toluna's 400 for one it does not know (PII-regulated included)."""
        panel = self.access.member_panel(guid)
        return registration.to_wire(self.known(panel, code or ""))

    def known(self, panel: Panel, member_code: str) -> Member:
        """A member the partner may ask about; unknown, PII-regulated and blocked members are 400s."""
        member = self.store.members.get(panel.guid, member_code)
        if member is None or member.status is MemberStatus.PII_DATA_REGULATED:
            raise BadRequestError(f"No member found with member code {member_code} and partner Guid {panel.guid}")
        if member.status is MemberStatus.BLOCKED_FOR_ABUSE:
            raise BadRequestError(f"The member with member code {member_code} is blocked.")
        return member

    # --- profile pages ------------------------------------------------------------------------------------
    def profile_form(self, panel: Panel, member_code: str, category: int) -> ProfileForm:
        member = self.known(panel, member_code)
        data = self.store.inventory.snapshot().reference
        questions = [] if category == BASIC else category_questions(data, culture_of(data, panel), category)
        name = next((c["Name"] for c in data.lists.get("QuestionCategories", []) if c["CategoryID"] == category), "")
        title = "Member profile" if category == BASIC else f"Your profile: {name}"
        return ProfileForm(member, questions, category == BASIC, title)

    def save_profile(self, panel: Panel, member_code: str, doc: dict[str, Any]) -> Member:
        """A profile page's answers (a RegistrationAnswers-shaped document), written by Toluna's side: no 1000 ms
        rule (the partner is not writing)."""
        member = self.known(panel, member_code)
        try:
            body = registration.parse({"PartnerGUID": panel.guid, "MemberCode": member_code, **doc})
            snap = self.store.inventory.snapshot()
            culture = culture_of(snap.reference, panel)
            registration.check(body, snap.reference, culture, self.store.now().date(), True, panel.minimum_age)
        except registration.RegistrationError as e:
            raise BadRequestError(str(e)) from None
        saved = registration.apply(body, member, snap.postal_areas)
        self.store.members.put(saved)
        return saved

    # --- the operator -------------------------------------------------------------------------------------
    def held(self, panel_guid: str | None, code: str) -> Member:
        """A member as the sandbox holds it, whatever its status (support's view)."""
        panel = (panel_guid or self.access.default_panel()).lower()
        member = self.store.members.get(panel, code)
        if member is None:
            raise NotFoundError(f"No member {code} in panel {panel}.")
        return member

    def set_status(self, panel_guid: str | None, code: str, status: Any, active: bool | None) -> Member:
        """Toluna moving a member through its statuses (a name or 1-5) and/or (in)active; a PII-regulated member
        loses its data for good."""
        member = self.held(panel_guid, code)
        if status is not None:
            member.status = MemberStatus(int(status)) if isinstance(status, int | float) else _STATUS_NAMES[status]
        if active is not None:
            member.is_active = active
        if member.status is MemberStatus.PII_DATA_REGULATED:
            member = Member(member.panel_guid, member.member_code, status=member.status, is_active=False)
        self.store.members.put(member)
        return member

    # --- the console --------------------------------------------------------------------------------------
    def find(self, code: str, panel_guid: str | None = None) -> tuple[list[Panel], list[Member]]:
        """Support's search: every panel, and the members holding ``code`` (in the panel named, else in any)."""
        panels = list(self.store.inventory.snapshot().panels.values())
        wanted = (panel_guid or "").strip().lower()
        code = code.strip()
        found = [self.store.members.get(p.guid, code) for p in panels if code and (not wanted or p.guid == wanted)]
        return panels, [m for m in found if m is not None]

    def record(self, panel_guid: str | None, code: str) -> MemberRecord:
        """One member, whatever its status, with what names its answers and what it took part in."""
        member = self.held(panel_guid, code)
        snap = self.store.inventory.snapshot()
        panel = snap.panels[member.panel_guid]
        return MemberRecord(
            panel,
            member,
            snap.reference,
            culture_of(snap.reference, panel).culture_id,
            sorted(self.store.members.member_history(member).participations, key=lambda p: p.at),
            self.store.visits.for_member(panel.guid, member.member_code),
        )
