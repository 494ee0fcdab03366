"""Whether the plan's work can be dated at all: each value may be in range (E110, E113) and
the whole still run off the calendar, say many ten-year tasks in a chain, done by someone at 1 %.

The bound is deliberately crude and safe: every task done one after another, each at its
slowest (its pessimistic work, widened by the program's uncertainty and a forecast's tail, by
the slowest person who may do it), with every lag and every risk's impact added, on the
calendar with the fewest working days a week, after the last fixed date of the plan. Real
plans end thousands of years before it matters; a plan past it cannot be scheduled or
forecast, so it is refused here, with the task that weighs most.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

from ontrack.checks.limits import LATEST_REACHABLE
from ontrack.diagnostics import Diagnostic, error
from ontrack.model import Person, Plan, Task

CODES = ("E227",)

#: How far a forecast's draws may run past a pessimistic estimate (the lognormal's tail reaches
#: about 2.2 times it at the last level the simulation draws).
TAIL = 3


def check_reach(plan: Plan) -> Iterator[Diagnostic]:
    per_day = float(plan.calendar.minutes_per_day) or 1.0
    above = float(plan.program.uncertainty[1]) if plan.program.uncertainty else 0.0
    pools: dict[tuple[str | None, frozenset[str]], float] = {}
    total = 0.0
    heaviest: tuple[float, str] = (0.0, "")
    for task in plan.tasks:
        days = _task_days(plan, task, per_day, above, pools)
        days += sum(max(0, d.lag.minutes) for d in task.depends) / per_day
        total += days
        heaviest = max(heaviest, (days, task.id))
    for risk in plan.risks:
        if risk.impact is not None:
            total += TAIL * risk.impact.pessimistic.minutes / per_day * max(1, len(risk.affects))
    calendars = [plan.calendar, *(plan.calendar_of(p) for p in plan.people)]
    per_week = min((len(c.workweek) for c in calendars if c.workweek), default=5)
    latest = max(_fixed_dates(plan), default=plan.program.start)
    reach = latest.toordinal() + math.ceil(total * 7 / per_week) + 7
    if reach <= LATEST_REACHABLE.toordinal():
        return
    year = round(reach / 365.2425) + 1
    yield error(
        "E227",
        plan.program.locs.get("start", plan.program.loc),
        f"the plan's work, done one task after another at its slowest, could run to about the "
        f"year {year:,}: past {LATEST_REACHABLE.year}, the last year ontrack dates work in",
        f"check the largest estimates, lags and the lowest allocations (task '{heaviest[1]}' "
        f"weighs most: {heaviest[0]:,.0f} working days at its slowest)",
    )


def _task_days(
    plan: Plan,
    task: Task,
    per_day: float,
    above: float,
    pools: dict[tuple[str | None, frozenset[str]], float],
) -> float:
    if task.milestone or task.is_summary or task.work is None:
        return 0.0
    work = task.work
    minutes = float(work.pessimistic.minutes)
    if work.is_single:
        minutes *= 1 + above
    minutes = max(minutes * TAIL, float(task.remaining.minutes if task.remaining else 0))
    days = math.ceil(minutes / per_day)
    if task.estimate is None:  # a fixed duration: people do not shorten or lengthen it
        return float(days)
    return days / _slowest(plan, task, pools)


def _slowest(
    plan: Plan, task: Task, pools: dict[tuple[str | None, frozenset[str]], float]
) -> float:
    """The smallest share of time the task may be done at (1 with nobody to do it: the
    scheduler then lays it out on its network alone, or refuses it with E301)."""
    if task.assignees:
        share = sum(
            float(plan.person_by_id[a].allocation) for a in task.assignees if a in plan.person_by_id
        )
        return share if share > 0 else 1.0
    key = (task.team, frozenset(task.skills))
    if key not in pools:
        team = plan.team_by_id.get(task.team) if task.team else None
        pool: list[Person] = (
            [plan.person_by_id[m] for m in team.members if m in plan.person_by_id]
            if team
            else list(plan.people)
        )
        shares = [
            float(p.allocation) for p in pool if p.allocation > 0 and key[1].issubset(p.skills)
        ]
        pools[key] = min(shares, default=1.0)
    return pools[key]


def _fixed_dates(plan: Plan) -> Iterator[dt.date]:
    """Every date the plan fixes that work may wait for."""
    yield plan.program.start
    if plan.program.status_date is not None:
        yield plan.program.status_date
    for task in plan.tasks:
        for day in (task.start_no_earlier_than, task.actual_start, task.actual_finish):
            if day is not None:
                yield day
    for calendar in (plan.calendar, *plan.calendars):
        if calendar.holidays:
            yield max(calendar.holidays)
    for person in plan.people:
        for period in person.time_off:
            yield period.end
