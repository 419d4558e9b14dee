"""What each GenerateInvite result code asks of a partner, from Toluna's documentation: one place for the suite's
checks, its coverage matrix and its reports.

- *transient*: may clear during a run (a technical error, an interval, a daily or weekly limit): asking again
  later is fine, in a storm it is not (INV-04);
- *member*: Toluna will not route this member (unknown, not routable, blocked, inactive): no invite for the member
  again (SMP-08);
- *quota*: the quota (or its survey) takes no one now (not live, closed, full, not for this partner): no invite for
  the quota until the inventory lists it again (INV-07);
- *pair*: final for this member and this quota (does not match, took it, excluded, ...): never asked again
  (INV-03).
"""

from __future__ import annotations

from simulator.domain.codes import ResultCode

TRANSIENT = frozenset({17, 27, 36, 37, 39, 40, 45})
MEMBER = frozenset({12, 13, 14, 22})
QUOTA = frozenset({5, 8, 9, 10, 15, 28, 29, 41, 42, 46, 47})
#: Everything else Toluna answers a GenerateInvite with is final for the member and the quota.
PAIR = frozenset(int(c) for c in ResultCode if c >= 3) - TRANSIENT - MEMBER - QUOTA

#: The check that judges the partner's reaction to a code of each class.
JUDGED_BY = {"transient": "INV-04", "member": "SMP-08", "quota": "INV-07", "pair": "INV-03"}

EXPECTED = {
    "transient": "may be asked again later, spaced out (not within 150 ms, at most 6 tries)",
    "member": "the member is not invited again",
    "quota": "the quota is not asked again until the partner's next GetQuotas lists it",
    "pair": "this member is never asked for this quota again",
}


def kind(code: int) -> str:
    """The class of a refusal code: transient, member, quota or pair (0, no code at all: a 5xx, is transient)."""
    if code in TRANSIENT or code == 0:
        return "transient"
    if code in MEMBER:
        return "member"
    if code in QUOTA:
        return "quota"
    return "pair"


def name(code: int) -> str:
    try:
        return ResultCode(code).name
    except ValueError:
        return f"code {code}"
