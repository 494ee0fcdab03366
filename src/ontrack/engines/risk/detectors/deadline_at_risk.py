"""R101 deadline-at-risk: a deadline's chance of being met is below the threshold."""

from __future__ import annotations

from collections import defaultdict

from ontrack.engines.calendar import WorkGrid
from ontrack.engines.forecast.result import ItemForecast
from ontrack.engines.risk.context import Context, fmt, moot, pct, upstream
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def _expected_late_days(grid: WorkGrid, item: ItemForecast) -> float:
    """E[max(0, finish - deadline)] in working days, from the S-curve (one point per day)."""
    if item.deadline is None:
        return 0.0
    due = grid.index_on_or_before(item.deadline)
    total, previous = 0.0, 0.0
    for point in item.curve:
        late = grid.index_on_or_before(point.date) - due
        if late > 0:
            total += (point.probability - previous) * late
        previous = point.probability
    return total


def deadline_at_risk(ctx: Context) -> list[Finding]:
    """R101: a milestone, deadline or release whose chance of being met (forecast) is below the
    threshold. A release due the same day as one of its milestones that is flagged is named in
    that milestone's finding rather than repeated."""
    forecast = ctx.forecast
    if forecast is None:
        return []
    threshold = ctx.options.deadline_threshold
    at_risk = [
        m
        for m in forecast.milestones
        if m.probability_on_time is not None and m.probability_on_time < threshold
    ]
    flagged = {m.id: m for m in at_risk if m.kind != "release"}
    folded: dict[str, list[str]] = defaultdict(list)  # milestone -> releases named with it
    skipped: set[str] = set()
    releases = {r.id: r for r in ctx.plan.releases}
    for m in at_risk:
        if m.kind != "release" or m.id not in releases:
            continue
        same = [
            t for t in releases[m.id].includes if t in flagged and flagged[t].deadline == m.deadline
        ]
        if same:
            folded[same[0]].append(m.id)
            skipped.add(m.id)
    out: list[Finding] = []
    for m in at_risk:
        if m.id in skipped:
            continue
        p = m.probability_on_time or 0.0
        late = _expected_late_days(ctx.grid, m)
        severity = Rating.CRITICAL if p < 0.2 else Rating.HIGH if p < 0.5 else Rating.MEDIUM
        behind: set[str] = set()
        if m.kind == "release" and m.id in releases:
            for t in releases[m.id].includes:
                if t in ctx.plan.task_by_id:
                    behind |= upstream(ctx, t)
        elif m.id in ctx.plan.task_by_id:
            behind = upstream(ctx, m.id) | (
                {m.id} if not ctx.plan.task_by_id[m.id].milestone else set()
            )
        movers = sorted(
            (
                ctx.forecasts[t]
                for t in behind
                if t in ctx.forecasts and not ctx.done(t) and ctx.forecasts[t].sensitivity > 0.01
            ),
            key=lambda f: (-f.sensitivity, f.id),
        )[:3]
        risks = sorted(
            (
                s
                for s in ctx.register
                if s.active and behind.intersection(s.risk.affects) and not moot(ctx, s)
            ),
            key=lambda s: (-s.exposure_days, s.risk.id),
        )[:3]
        what = {"milestone": "milestone", "deadline": "deadline of", "release": "release"}[m.kind]
        also = folded.get(m.id, [])
        message = (
            f"{what} '{m.id}' has a {pct(p)} chance of meeting {m.deadline} "
            f"(P50 {m.p50}, P80 {m.p80}; {fmt(late)} working days late on average)"
            + (f"; release {', '.join(also)} with it" if also else "")
        )
        suggestion = (
            "protect the date: "
            + (
                "shorten or de-risk " + ", ".join(f"'{f.id}'" for f in movers) + "; "
                if movers
                else ""
            )
            + ("act on " + ", ".join(f"'{s.risk.id}'" for s in risks) + "; " if risks else "")
            + f"or agree a new date (the P80 is {m.p80})"
        )
        out.append(
            Finding(
                "R101",
                severity,
                message,
                (m.id, *also),
                {
                    "kind": m.kind,
                    "deadline": m.deadline.isoformat() if m.deadline else None,
                    "probability_on_time": round(p, 4),
                    "threshold": threshold,
                    "planned": m.planned.isoformat(),
                    "p50": m.p50.isoformat(),
                    "p80": m.p80.isoformat(),
                    "p95": m.p95.isoformat(),
                    "expected_late_days": round(late, 2),
                    "drivers": [
                        {"task": f.id, "sensitivity": round(f.sensitivity, 3)} for f in movers
                    ],
                    "risks": [s.risk.id for s in risks],
                    "releases": also,
                },
                suggestion,
                late,
                ctx.loc(m.id, "deadline"),
            )
        )
    return out
