"""Fault rules: make a route misbehave on purpose (force a result code, add latency, answer 500, drop the
connection), for everything or only for one panel, member or quota."""

from __future__ import annotations

from dataclasses import dataclass

from .codes import INT32_MAX, ResultCode  # a count beyond INT32_MAX is no count a run could use up

#: Route names as the journal records them; fault rules and journal queries use the same names.
ROUTES = ("quotas", "invite", "invites", "recontact", "quota_status", "settings")


@dataclass(slots=True, frozen=True)
class FaultRule:
    route: str = "any"
    panel_guid: str | None = None
    member_code: str | None = None
    quota_id: int | None = None
    result_code: ResultCode | None = None
    http_status: int | None = None
    latency_ms: int = 0
    drop_connection: bool = False
    times: int | None = None  # None: every matching request

    def applies(self, route: str, panel_guid: str | None, member_code: str | None, quota_id: int | None) -> bool:
        return (
            self.route in ("any", route)
            and self.panel_guid in (None, panel_guid)
            and self.member_code in (None, member_code)
            and self.quota_id in (None, quota_id)
        )

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"route": self.route}
        for key in ("panel_guid", "member_code", "quota_id", "http_status", "times"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.result_code is not None:
            out["result_code"] = int(self.result_code)
        if self.latency_ms:
            out["latency_ms"] = self.latency_ms
        if self.drop_connection:
            out["drop_connection"] = True
        return out

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> FaultRule:
        """A rule from its fields; a ``ValueError`` names the first one out of the bounds a scenario file's fault
        rules have (``scenario.json``)."""
        _check(d)
        code = d.get("result_code")
        return cls(
            route=str(d.get("route", "any")),
            panel_guid=d.get("panel_guid"),  # type: ignore[arg-type]
            member_code=d.get("member_code"),  # type: ignore[arg-type]
            quota_id=d.get("quota_id"),  # type: ignore[arg-type]
            result_code=ResultCode(code) if code is not None else None,  # type: ignore[arg-type]
            http_status=d.get("http_status"),  # type: ignore[arg-type]
            latency_ms=int(d.get("latency_ms", 0) or 0),  # type: ignore[call-overload]
            drop_connection=bool(d.get("drop_connection", False)),
            times=d.get("times"),  # type: ignore[arg-type]
        )


#: Each field's type and bounds, as ``scenario.json`` has them for a scenario file's fault rules.
FIELDS: dict[str, tuple[type, int | None, int | None]] = {
    "panel_guid": (str, None, None),
    "member_code": (str, None, None),
    "quota_id": (int, 0, INT32_MAX),
    "result_code": (int, None, None),
    "http_status": (int, 400, 599),
    "latency_ms": (int, 0, 120_000),
    "drop_connection": (bool, None, None),
    "times": (int, 1, INT32_MAX),
}


def _check(d: dict[str, object]) -> None:
    route = d.get("route", "any")
    if route not in ("any", *ROUTES):
        raise ValueError(f"route is one of any, {', '.join(ROUTES)}; got {route!r}")
    for name, (kind, low, high) in FIELDS.items():
        value = d.get(name)
        if value is None:
            continue
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{name} is {'a whole number' if kind is int else kind.__name__}; got {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):  # type: ignore[operator]
            raise ValueError(f"{name} is from {low} to {high if high is not None else 'any'}; got {value!r}")
