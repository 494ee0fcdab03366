"""R146 stale-tracker-item: driving tasks whose tracker item nobody has touched for a while."""

from __future__ import annotations

from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def stale_tracker_items(ctx: Context) -> list[Finding]:
    """R146: open tracker items linked to driving tasks, last updated more than ``stale_days``
    calendar days before the status date: the work the finish hangs on has gone quiet."""
    t = ctx.tracking
    if t is None or not t.linked or ctx.status is None:
        return []
    day = ctx.status.date
    quiet = []
    for task_id, item in t.linked.items():
        if item.done or task_id not in ctx.driving:
            continue
        age = (day - item.updated.date()).days
        if age > ctx.options.stale_days:
            quiet.append((task_id, item, age))
    if not quiet:
        return []
    quiet.sort(key=lambda x: (-x[2], x[0]))
    return [
        Finding(
            "R146",
            Rating.MEDIUM,
            f"{len(quiet)} driving task(s) have tracker items untouched for more than "
            f"{ctx.options.stale_days} days: "
            + ", ".join(f"{x[0]} ({x[1].url or x[1].key}, {x[2]} days)" for x in quiet[:5])
            + (f" and {len(quiet) - 5} more" if len(quiet) > 5 else ""),
            tuple(x[0] for x in quiet),
            {
                "status_date": day.isoformat(),
                "items": [
                    {
                        "task": x[0],
                        "item": x[1].key,
                        "url": x[1].url,
                        "state": x[1].state,
                        "updated": x[1].updated.isoformat(),
                        "days": x[2],
                    }
                    for x in quiet
                ],
            },
            "ask the assignees where the work stands: the finish depends on it",
            0.0,
            ctx.loc(quiet[0][0]),
        )
    ]
