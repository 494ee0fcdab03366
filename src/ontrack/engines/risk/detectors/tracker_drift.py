"""R145 tracker-drift: linked tasks whose tracker item says something else than the plan."""

from __future__ import annotations

from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def tracker_drift(ctx: Context) -> list[Finding]:
    """R145: the drift ``ontrack sync`` would report (W620-W629), as of the status date. High
    when a driving task drifts (its forecast rests on a state nobody agrees on), else medium."""
    t = ctx.tracking
    if t is None or not t.drift:
        return []
    drift = sorted(t.drift, key=lambda d: (d.task not in ctx.driving, d.task, d.code))
    tasks = tuple(dict.fromkeys(d.task for d in drift))
    driving = [task for task in tasks if task in ctx.driving]
    shown = "; ".join(f"{d.task}: {d.message} ({d.code})" for d in drift[:4])
    more = f"; and {len(drift) - 4} more" if len(drift) > 4 else ""
    return [
        Finding(
            "R145",
            Rating.HIGH if driving else Rating.MEDIUM,
            f"{len(drift)} difference(s) between the plan and its trackers on "
            f"{len(tasks)} task(s): {shown}{more}",
            tasks,
            {"drift": [d.to_json() for d in drift], "driving": driving},
            "run `ontrack sync` and settle each difference with --accept FIELD=tracker|plan, "
            "or correct the tracker",
            0.0,
            ctx.loc(tasks[0]),
        )
    ]
