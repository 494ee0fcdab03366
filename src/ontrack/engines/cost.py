"""Planned cost of a schedule: each task's booked working days times the day rate of its people,
weighted by the share of their day the program has (allocation).

The forecaster prices each iteration the same way, so a forecast's planned cost and a baseline's
cost agree.
"""

from __future__ import annotations

from decimal import Decimal

from ontrack.engines.schedule.result import Schedule
from ontrack.model import Person, Plan


def day_cost(plan: Plan, people: tuple[str, ...]) -> Decimal:
    """What one working day of a task staffed by ``people`` costs."""
    minutes = plan.calendar.minutes_per_day
    total = Decimal(0)
    for pid in people:
        person: Person | None = plan.person_by_id.get(pid)
        if person is None or person.rate is None:
            continue
        share = minutes * person.allocation  # working minutes of theirs a day of the task takes
        total += (
            person.rate.per_minute(plan.calendar.hours_per_day)
            * Decimal(share.numerator)
            / Decimal(share.denominator)
        )
    return total


def task_costs(plan: Plan, schedule: Schedule) -> dict[str, Decimal]:
    """Planned cost per leaf task: its people's days plus its fixed cost (summary tasks cost
    nothing themselves)."""
    return {
        t.id: (
            day_cost(plan, t.assignees) * t.duration_days
            + (plan.task_by_id[t.id].fixed_cost or Decimal(0))
        ).quantize(Decimal("0.01"))
        for t in schedule.tasks
        if not t.summary
    }
