"""R113 time-off-crunch: driving work overlaps its people's time off."""

from __future__ import annotations

from ontrack.engines.calendar import unavailability_by_person
from ontrack.engines.risk.context import Context, people_work
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating


def time_off_crunch(ctx: Context) -> list[Finding]:
    """R113: driving work and its people's time off meet: the task waits for someone's time
    off to end (the schedule's time-off driver: tasks are not split around days off), its
    window holds days off, or time off starts within ``time_off_margin`` working days after
    its finish (a small slip would then wait out the whole absence)."""
    if ctx.schedule is None:
        return []
    grid, margin = ctx.grid, ctx.options.time_off_margin
    horizon = ctx.schedule.makespan_days + margin + 1
    off = unavailability_by_person(ctx.plan, ctx.grid, horizon)
    out = []
    for task_id in sorted(ctx.driving):
        s = ctx.scheduled.get(task_id)
        task = ctx.plan.task_by_id[task_id]
        if s is None or not s.assignees or not people_work(task):
            continue
        a = grid.index_on_or_after(s.start)
        b = grid.index_on_or_before(s.finish) + 1
        for person in s.assignees:
            held = (
                s.driver is not None and s.driver.kind == "time-off" and s.driver.person == person
            )
            spans = [
                (x, y)
                for x, y in off.get(person, ())
                if (x < b + margin and y > a) or (held and y == a)
            ]
            if not spans:
                continue
            waited = sum(y - x for x, y in spans if held and y == a)
            inside = sum(max(0, min(y, b) - max(x, a)) for x, y in spans)
            after = sum(max(0, min(y, b + margin) - max(x, b)) for x, y in spans)
            dates = [
                f"{grid.date_of(x)}..{grid.date_of(y - 1)}" if y - x > 1 else str(grid.date_of(x))
                for x, y in spans
            ]
            who = ctx.plan.person_by_id.get(person)
            name = who.name if who else person
            how = []
            if waited:
                how.append(f"waits {waited} working days for {name}'s time off")
            if inside:
                how.append(f"holds {inside} of {name}'s days off")
            if after:
                how.append(f"{name}'s time off starts within {margin} working days of its finish")
            out.append(
                Finding(
                    "R113",
                    Rating.HIGH if s.critical else Rating.MEDIUM,
                    f"'{task_id}' ({s.start}..{s.finish}, "
                    f"{'critical' if s.critical else 'float ' + str(s.total_float_days) + ' d'}) "
                    + "; ".join(how)
                    + f" ({', '.join(dates)})",
                    (task_id, person),
                    {
                        "person": person,
                        "start": s.start.isoformat(),
                        "finish": s.finish.isoformat(),
                        "days_waited": waited,
                        "days_off_inside": inside,
                        "days_off_just_after": after,
                        "time_off": dates,
                        "total_float_days": s.total_float_days,
                    },
                    "hand the task to someone else with the skills, start it before the time "
                    "off, or agree to move the time off",
                    float(waited + inside + after),
                    ctx.loc(task_id),
                )
            )
    return out
