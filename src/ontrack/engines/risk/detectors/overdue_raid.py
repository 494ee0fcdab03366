"""R133 overdue-raid: an assumption, issue or decision past its due date, still open."""

from __future__ import annotations

from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating

_RAID_SEVERITY = {
    "low": Rating.LOW,
    "medium": Rating.MEDIUM,
    "high": Rating.HIGH,
    "critical": Rating.CRITICAL,
}


def overdue_raid(ctx: Context) -> list[Finding]:
    """R133: an assumption, issue or decision past its due date and still open."""
    out = []
    for e in ctx.raid:
        if e.overdue_days is None:
            continue
        i = e.item
        out.append(
            Finding(
                "R133",
                _RAID_SEVERITY.get(i.severity, Rating.MEDIUM),
                f"{e.kind} '{i.id}' ({i.title}) was due {i.due}, still open "
                f"({e.overdue_days} days overdue)" + ("" if i.owner else "; no owner"),
                (i.id, *i.affects),
                {
                    "kind": e.kind,
                    "due": i.due.isoformat() if i.due else None,
                    "days_overdue": e.overdue_days,
                    "owner": i.owner,
                    "severity": i.severity,
                    "affects": list(i.affects),
                },
                {
                    "assumption": "validate it now, or plan for it being false",
                    "issue": "escalate it: agree the fix, its owner and a new date",
                    "decision": "get the decision made, or escalate to whoever can make it",
                }[e.kind],
                0.0,
                i.locs.get("due", i.loc),
            )
        )
    return out
