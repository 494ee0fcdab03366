"""R121 cross-team-handoff: a driving task waits on another team's driving task."""

from __future__ import annotations

from collections import defaultdict

from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def _driving_any(ctx: Context) -> set[str]:
    """Driving leaf tasks and every summary above one."""
    out = set(ctx.driving)
    for task_id in ctx.driving:
        parent = ctx.plan.task_by_id[task_id].parent
        while parent is not None and parent not in out:
            out.add(parent)
            parent = ctx.plan.task_by_id[parent].parent
    return out


def cross_team(ctx: Context) -> list[Finding]:
    """R121: a dependency between two teams' tasks (or summaries) where both ends are on a
    driving path: a hand-off that sets the finish (one finding per pair of teams; links as
    written in the plan)."""
    driving = _driving_any(ctx)
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for task in ctx.plan.tasks:
        if task.team is None or task.id not in driving:
            continue
        for dep in task.depends:
            pred = ctx.plan.task_by_id.get(dep.task)
            if pred is None or pred.team is None or pred.team == task.team:
                continue
            if pred.id in driving:
                pairs[(pred.team, task.team)].append((pred.id, task.id))
    out = []
    for (src, dst), links in sorted(pairs.items()):
        links.sort()
        crit = max(
            (
                1.0 if ctx.scheduled.get(b) and ctx.scheduled[b].critical else ctx.criticality(b)
                for _, b in links
            ),
            default=0.0,
        )
        # Hand-offs on the critical path itself matter more than ones with some float.
        out.append(
            Finding(
                "R121",
                Rating.MEDIUM,
                f"team '{dst}' waits on team '{src}' on the driving path: "
                + ", ".join(f"{a} → {b}" for a, b in links[:4])
                + (f" and {len(links) - 4} more" if len(links) > 4 else ""),
                (src, dst, *sorted({t for link in links for t in link})),
                {
                    "from_team": src,
                    "to_team": dst,
                    "links": [{"from": a, "to": b} for a, b in links],
                    "max_criticality": round(crit, 3),
                },
                "agree the hand-off explicitly: a named owner on each side, a date, and what "
                "'done' means; review it in the cross-team sync",
                0.0,
                ctx.loc(links[0][1]),
            )
        )
    return out
