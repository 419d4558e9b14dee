"""Recontact paging: every quota's list read to its end with Toluna's cursor and page size."""

from __future__ import annotations

import json

from ..facts import Facts, Request
from ..model import Evidence, Severity
from ..registry import Verdict, check

STEP = "Recontact paging"
MAX_PAGE = 10_000


def _pages(f: Facts) -> dict[int, list[Request]]:
    out: dict[int, list[Request]] = {}
    for r in f.routes("recontact"):
        if r.quota is not None:
            out.setdefault(r.quota, []).append(r)
    return out


def _page(r: Request) -> tuple[str | None, bool]:
    """A page's last code and whether more follow, from the note the sandbox journals with every page."""
    prefix = "recontact page "
    if not r.note or not r.note.startswith(prefix):
        return None, False
    page = json.loads(r.note[len(prefix) :])
    return page["last"], bool(page["more"])


def recontact_quotas(f: Facts) -> list[int]:
    return [q["QuotaID"] for s in f.inventory.get("Surveys", []) if s.get("IsSurveyRecontact") for q in s["Quotas"]]


@check(
    "RC-01",
    "Every recontact quota paged to its end",
    STEP,
    Severity.MUST,
    "For every quota of every recontact survey, all pages are fetched until HasAdditionalMembers is false.",
)
def paged_to_end(f: Facts) -> Verdict:
    quotas = recontact_quotas(f)
    if not quotas:
        return Verdict.unexercised("the inventory lists no recontact survey")
    pages = _pages(f)
    problems = []
    for quota in quotas:
        ok = [p for p in pages.get(quota, []) if p.status == 200]
        if not ok or _page(ok[-1])[1]:
            problems.append(
                Evidence(summary=f"quota {quota}: {len(ok)} page(s) read, the list not finished", quota=quota)
            )
    return Verdict(
        problems,
        judged=len(quotas),
        passed=f"{len(quotas)} recontact quota(s) read to the end",
        failed=f"{len(problems)} recontact quota(s) not read to the end",
    )


@check(
    "RC-02",
    "The cursor is the last code of the previous page",
    STEP,
    Severity.MUST,
    "A page starts after lastMemberCodeReceived, which is the last member code of the page before.",
)
def cursor(f: Facts) -> Verdict:
    problems = []
    for quota, pages in _pages(f).items():
        previous: Request | None = None
        for page in [p for p in pages if p.status == 200]:
            got = page.param("lastMemberCodeReceived") or None
            expected = got  # no cursor starts the list again; a page after the last one is RC-04's matter
            if previous is not None and got is not None:
                last, more = _page(previous)
                expected = last if more else got
            if got != expected:
                problems.append(
                    Evidence(
                        summary=f"quota {quota}: cursor {got!r}, expected {expected!r}",
                        journal_id=page.id,
                        quota=quota,
                        request=page.describe(),
                    )
                )
            previous = page
    following = sum(1 for r in f.routes("recontact") if r.status == 200 and r.param("lastMemberCodeReceived"))
    return Verdict(
        problems,
        judged=following,
        failed=f"{len(problems)} page(s) with a wrong cursor",
        nothing="the partner never asked for a page after the first (no cursor to judge)",
    )


@check(
    "RC-03",
    "maxResults within Toluna's limit",
    STEP,
    Severity.MUST,
    f"maxResults is a whole number from 1 to {MAX_PAGE:,} (Toluna does not guarantee performance above it).",
)
def page_size(f: Facts) -> Verdict:
    problems = []
    for r in f.routes("recontact"):
        value = r.param("maxResults")
        if (r.status == 400 and r.result_code is None) or (value and (not value.isdigit() or int(value) > MAX_PAGE)):
            problems.append(Evidence(summary=f"maxResults={value!r}", journal_id=r.id, request=r.describe()))
    return Verdict(
        problems,
        judged=len(f.routes("recontact")),
        failed=f"{len(problems)} page(s) asked with a bad maxResults",
        nothing="the partner read no recontact page",
    )


@check(
    "RC-04",
    "Paging stops at HasAdditionalMembers=false",
    STEP,
    Severity.MUST,
    "Once a page says HasAdditionalMembers is false, the quota's list is complete: no further page is asked.",
)
def stops(f: Facts) -> Verdict:
    problems = []
    for quota, pages in _pages(f).items():
        done_at = None
        for page in pages:
            if done_at is not None and page.param("lastMemberCodeReceived") == done_at:
                problems.append(
                    Evidence(
                        summary=f"quota {quota}: asked past the last page",
                        journal_id=page.id,
                        quota=quota,
                        request=page.describe(),
                    )
                )
            last, more = _page(page)
            if page.status == 200 and not more:
                done_at = last or page.param("lastMemberCodeReceived")
    finished = sum(1 for pages in _pages(f).values() if any(p.status == 200 and not _page(p)[1] for p in pages))
    return Verdict(
        problems,
        judged=finished,
        failed=f"{len(problems)} page(s) past the end",
        nothing="the partner read no recontact list to its last page",
    )
