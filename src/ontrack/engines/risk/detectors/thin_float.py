"""R103 thin-float: several paths besides the critical one are (nearly) critical."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from ontrack.engines.risk.context import Context, pct
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def _components(nodes: set[str], ctx: Context) -> list[list[str]]:
    """Groups of tasks linked by dependencies among themselves."""
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for n in sorted(nodes):
        for p in ctx.preds.get(n, ()):
            if p in parent:
                a, b = root(n), root(p)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        groups[root(n)].append(n)

    def order(t: str) -> tuple[dt.date, str]:
        s = ctx.scheduled.get(t)
        return (s.start if s else dt.date.min, t)

    return sorted((sorted(g, key=order) for g in groups.values()), key=lambda g: order(g[0]))


def thin_float(ctx: Context) -> list[Finding]:
    """R103: paths off the critical path that are near-critical (float within the schedule's
    near-critical days) or drive the finish in many iterations (criticality): at least
    ``thin_float_paths`` of them, or one critical in half the iterations or more (its float is
    thinner than it looks). A path is a group of such tasks linked by dependencies; milestones
    join paths but are not counted as tasks."""
    if ctx.schedule is None:
        return []
    near = {t for t in ctx.driving if t in ctx.scheduled and not ctx.scheduled[t].critical}
    paths = [
        p
        for p in (
            [t for t in group if not ctx.plan.task_by_id[t].milestone]
            for group in _components(near, ctx)
        )
        if p
    ]
    if not paths:
        return []
    described: list[dict[str, Any]] = [
        {
            "tasks": len(p),
            "first": p[0],
            "last": p[-1],
            "min_float_days": min(ctx.scheduled[t].total_float_days for t in p),
            "max_criticality": round(max(ctx.criticality(t) for t in p), 3),
        }
        for p in paths
    ]
    hottest = max(d["max_criticality"] for d in described)
    if len(paths) < ctx.options.thin_float_paths and hottest < 0.5:
        return []
    return [
        Finding(
            "R103",
            Rating.HIGH if hottest >= 0.5 else Rating.MEDIUM,
            f"{len(paths)} path(s) besides the critical path can take it over "
            f"({sum(len(p) for p in paths)} tasks): "
            + "; ".join(
                (f"{d['first']} … {d['last']}" if d["tasks"] > 1 else d["first"])
                + f" (float {d['min_float_days']} d, critical in "
                f"{pct(d['max_criticality'])} of iterations)"
                for d in described[:5]
            ),
            tuple(t for p in paths for t in p),
            {"paths": described, "critical_path_tasks": len(ctx.schedule.critical_path)},
            "watch these paths as closely as the critical path; add float where it is cheap "
            "(start them earlier, remove a dependency that is only a preference)",
            0.0,
            ctx.plan.program.loc,
        )
    ]
