"""Earned value inputs from tracking data: the baseline's planned value curve, and earned value and
actual cost from dated progress facts, per weekly period.

* Each task's budget is its planned cost in the baseline; when the program has no rates, its
  planned working days (EVM in days of work, as teams without rates do).
* PV at a period's end: each task's budget times the share of its baseline working days done by
  then (work is planned evenly over a task's days).
* EV: each task's budget times its percent complete in its latest fact on or before the period's
  end (an actual finish is 100 %).
* AC: the sum of each task's latest reported actual cost; none when no fact reports a cost.

Periods end on the status dates of the progress facts (EV is measured where it was reported),
continuing at the status cadence until the baseline is done (weekly when nothing is reported
yet). PV is given for every period; EV and AC up to the latest status date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from ontrack.engines.calendar import WorkCalendar, WorkGrid
from ontrack.engines.evm import DailyPv, EvmPoint, PlannedWork, daily_pv
from ontrack.model import BaselineTask, Plan, ProgressFact

PERIOD_DAYS = 7


def budgets(baseline: Mapping[str, BaselineTask]) -> tuple[dict[str, Decimal], str]:
    """Per leaf task its budget, and the unit: money when the baseline has costs, else days."""
    leaves = {k: t for k, t in baseline.items() if not t.summary}
    costs = {k: t.cost for k, t in leaves.items()}
    if sum(costs.values(), Decimal(0)) > 0:
        return costs, "money"
    return {k: Decimal(t.days) for k, t in leaves.items()}, "days"


def evm_points(
    plan: Plan,
    baseline: Mapping[str, BaselineTask],
    facts: Sequence[ProgressFact],
    *,
    period_days: int = PERIOD_DAYS,
) -> tuple[list[EvmPoint], str]:
    """Weekly cumulative PV, EV and AC; and the unit of the amounts ("money" or "days")."""
    budget, unit = budgets(baseline)
    calendar = WorkGrid.for_plan(plan).calendar  # the program's working days
    tasks = {k: (t.start, t.finish, t.days) for k, t in baseline.items() if k in budget}
    if not tasks:
        return [], unit
    start = min(s for s, _, _ in tasks.values())
    planned_end = max(f for _, f, _ in tasks.values())
    latest_status = max((f.status_date for f in facts), default=None)
    by_task: dict[str, list[ProgressFact]] = {}
    for fact in sorted(facts, key=lambda f: f.status_date):
        by_task.setdefault(fact.task_id, []).append(fact)
    costed = any(f.actual_cost is not None for f in facts)
    points: list[EvmPoint] = []
    for period, end in enumerate(_period_ends(start, planned_end, facts, period_days), start=1):
        pv = sum(
            (
                _planned_share(calendar, s, f, days, end) * budget[k]
                for k, (s, f, days) in tasks.items()
            ),
            Decimal(0),
        )
        ev: Decimal | None = None
        ac: Decimal | None = None
        if latest_status is not None and end <= latest_status:
            ev = Decimal(0)
            ac = Decimal(0) if costed else None
            for k, history in by_task.items():
                known = [f for f in history if f.status_date <= end]
                if not known or k not in budget:
                    continue
                ev += budget[k] * _percent(known) / 100
                if ac is not None:
                    cost = next(
                        (f.actual_cost for f in reversed(known) if f.actual_cost is not None), None
                    )
                    ac += cost or Decimal(0)
        points.append(EvmPoint(period, end.isoformat(), end, pv, ev, ac))
    return points, unit


def _period_ends(
    start: dt.date, planned_end: dt.date, facts: Sequence[ProgressFact], period_days: int
) -> list[dt.date]:
    """Period ends: the status dates themselves (so EV is measured where it was reported, not
    carried stale into weeks without news), at the status cadence before the first and after
    the last until the baseline is done; weekly from the start when nothing is reported yet."""
    statuses = sorted({f.status_date for f in facts if f.status_date >= start})
    step = dt.timedelta(days=period_days)
    if not statuses:
        ends = [start + step - dt.timedelta(days=1)]
    else:
        if len(statuses) > 1:
            step = statuses[-1] - statuses[-2]
        ends = list(statuses)
        while ends[0] - step >= start:
            ends.insert(0, ends[0] - step)
    while ends[-1] < planned_end:
        ends.append(ends[-1] + step)
    return ends


def _planned_share(
    calendar: WorkCalendar, start: dt.date, finish: dt.date, days: int, end: dt.date
) -> Decimal:
    if end < start or days <= 0:
        return Decimal(1) if days <= 0 and end >= start else Decimal(0)
    if end >= finish:
        return Decimal(1)
    done = calendar.working_days_between(start, end + dt.timedelta(days=1))
    return min(Decimal(1), Decimal(done) / Decimal(days))


def _percent(history: Sequence[ProgressFact]) -> Decimal:
    latest = history[-1]
    if latest.actual_finish is not None:
        return Decimal(100)
    return latest.percent_complete if latest.percent_complete is not None else Decimal(0)


def baseline_daily_pv(plan: Plan, baseline: Mapping[str, BaselineTask]) -> DailyPv | None:
    """The baseline's PV per working day of its calendar (earned schedule reads ES off it):
    each task's budget spread over its frozen working days, as :func:`evm_points` spreads it
    over periods."""

    budget, _ = budgets(baseline)
    work = [
        PlannedWork(t.start, t.finish, t.days, budget[k])
        for k, t in baseline.items()
        if k in budget
    ]
    return daily_pv(work, WorkGrid.for_plan(plan).calendar)
