"""R142 stale-update: tasks under way with no progress reported recently."""

from __future__ import annotations

import datetime as dt

from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def stale_updates(ctx: Context) -> list[Finding]:
    """R142: tasks under way whose latest progress report is more than ``stale_days`` calendar
    days older than the status date."""
    t = ctx.tracking
    if t is None or not t.facts or ctx.status is None:
        return []
    latest: dict[str, dt.date] = {}
    for f in t.facts:
        if f.status_date <= ctx.status.date and f.status_date > latest.get(f.task_id, dt.date.min):
            latest[f.task_id] = f.status_date
    stale = []
    for task_id, p in ctx.status.tasks.items():
        if p.state != "in-progress" or task_id not in latest:
            continue
        age = (ctx.status.date - latest[task_id]).days
        if age > ctx.options.stale_days:
            stale.append((task_id, latest[task_id], age))
    if not stale:
        return []
    stale.sort(key=lambda x: (-x[2], x[0]))
    driving = [s for s in stale if s[0] in ctx.driving]
    return [
        Finding(
            "R142",
            Rating.MEDIUM if driving else Rating.LOW,
            f"{len(stale)} task(s) under way have no progress report for more than "
            f"{ctx.options.stale_days} days: "
            + ", ".join(f"{x[0]} (last {x[1]})" for x in stale[:6])
            + (f" and {len(stale) - 6} more" if len(stale) > 6 else ""),
            tuple(x[0] for x in stale),
            {
                "status_date": ctx.status.date.isoformat(),
                "tasks": [
                    {"task": x[0], "last_report": x[1].isoformat(), "days": x[2]} for x in stale
                ],
            },
            "ask the owners for an update; a task nobody reports on is often a stuck one",
            0.0,
            ctx.loc(stale[0][0]),
        )
    ]
