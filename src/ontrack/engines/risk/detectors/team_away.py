"""R114 team-away: most of a team is away in a week with work scheduled."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ontrack.engines.calendar import unavailability_by_person
from ontrack.engines.risk.context import Context
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def team_away(ctx: Context) -> list[Finding]:
    """R114: a week in which more than ``away_share`` of a team is away (each for at least half
    the week's working days) while the team has work scheduled."""
    if ctx.schedule is None:
        return []
    grid = ctx.grid
    start = (
        grid.index_on_or_after(ctx.status.date + dt.timedelta(days=1))
        if ctx.status is not None
        else 0
    )
    end = ctx.schedule.makespan_days
    if end <= start:
        return []
    off = unavailability_by_person(ctx.plan, ctx.grid, end)
    weeks: dict[dt.date, list[int]] = defaultdict(list)  # Monday -> grid days
    for i in range(start, end):
        day = grid.date_of(i)
        weeks[day - dt.timedelta(days=day.weekday())].append(i)
    out = []
    for team in ctx.plan.teams:
        members = [m for m in team.members if m in ctx.plan.person_by_id]
        if len(members) < 2:
            continue
        running = [
            s
            for s in ctx.scheduled.values()
            if not s.summary
            and s.state != "done"
            and s.duration_days > 0
            and ctx.plan.task_by_id[s.id].team == team.id
        ]
        for monday, days in sorted(weeks.items()):
            lo, hi = days[0], days[-1] + 1
            away = []
            for m in members:
                gone = sum(max(0, min(y, hi) - max(x, lo)) for x, y in off.get(m, ()))
                if gone * 2 >= len(days):
                    away.append(m)
            if len(away) <= ctx.options.away_share * len(members):
                continue
            work = sorted(
                s.id
                for s in running
                if grid.index_on_or_after(s.start) < hi and grid.index_on_or_before(s.finish) >= lo
            )
            if not work:
                continue
            driving = [t for t in work if t in ctx.driving]
            out.append(
                Finding(
                    "R114",
                    Rating.HIGH if driving else Rating.MEDIUM,
                    f"week of {monday}: {len(away)} of {len(members)} people of team "
                    f"'{team.id}' are away ({', '.join(away)}) while {len(work)} of its tasks "
                    f"are scheduled" + (f", {len(driving)} driving" if driving else ""),
                    (team.id, *away, *work),
                    {
                        "team": team.id,
                        "week": monday.isoformat(),
                        "away": away,
                        "members": len(members),
                        "tasks": work,
                        "driving": driving,
                    },
                    "stagger the time off, or plan lighter work (or none on the driving path) "
                    "that week",
                    float(len(driving)),
                    team.loc,
                )
            )
    return out
