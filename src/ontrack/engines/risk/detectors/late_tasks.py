"""R140 late-task: a task behind its baseline as of the status date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def late_tasks(ctx: Context) -> list[Finding]:
    """R140: as of the status date, a task the baseline had started (not started yet) or
    finished (not done yet); one finding per driving task, one for the rest."""
    t = ctx.tracking
    if t is None or not t.baseline_tasks or ctx.status is None:
        return []
    today = ctx.status.date
    grid = ctx.grid
    late: list[dict[str, Any]] = []
    for task_id, base in t.baseline_tasks.items():
        task = ctx.plan.task_by_id.get(task_id)
        if task is None or task.is_summary or base.summary or task.milestone:
            continue
        progress = ctx.status.tasks.get(task_id)
        state = progress.state if progress is not None else "planned"
        start, finish = base.start, base.finish
        if state == "done":
            continue
        if finish <= today:
            kind, since = "not finished", finish
        elif start <= today and state == "planned":
            kind, since = "not started", start
        else:
            continue
        behind = grid.working_days_between(since, today + dt.timedelta(days=1)) - (
            1 if kind == "not finished" else 0
        )
        if behind < 1:
            continue
        late.append(
            {
                "task": task_id,
                "late": kind,
                "baseline_start": start.isoformat(),
                "baseline_finish": finish.isoformat(),
                "state": state,
                "percent_complete": round(float(progress.percent_complete) * 100, 1)
                if progress is not None and progress.percent_complete is not None
                else None,
                "working_days_behind": behind,
            }
        )
    late.sort(key=lambda d: (-d["working_days_behind"], d["task"]))
    out = []
    rest = []
    for d in late:
        if d["task"] not in ctx.driving:
            rest.append(d)
            continue
        out.append(
            Finding(
                "R140",
                Rating.HIGH,
                f"'{d['task']}' is {d['late']} {d['working_days_behind']} working days after "
                f"its baseline {'finish' if d['late'] == 'not finished' else 'start'} "
                f"({d['baseline_finish'] if d['late'] == 'not finished' else d['baseline_start']})"
                f" on a driving path",
                (d["task"],),
                d | {"baseline": t.baseline, "status_date": today.isoformat()},
                "find out what blocks it and unblock it this week; re-plan what depends on it",
                float(d["working_days_behind"]),
                ctx.loc(d["task"]),
            )
        )
    if rest:
        out.append(
            Finding(
                "R140",
                Rating.MEDIUM,
                f"{len(rest)} task(s) behind the baseline '{t.baseline}' as of {today}: "
                + ", ".join(f"{d['task']} ({d['working_days_behind']} d)" for d in rest[:6])
                + (f" and {len(rest) - 6} more" if len(rest) > 6 else ""),
                tuple(d["task"] for d in rest),
                {"baseline": t.baseline, "status_date": today.isoformat(), "tasks": rest},
                "they have float for now; check each has an owner and a date, so the float is "
                "not all used up",
                float(max(d["working_days_behind"] for d in rest)),
                ctx.loc(rest[0]["task"]),
            )
        )
    return out
