"""Rules about dates: every date of a plan lies in the horizon the engines date work in, and
near enough to the program's start to be meant (a date decades away is a typo in the year).

Plan files cannot hold a date outside the horizon (the parser refuses it with E114); imported
plans can, and get the same verdict here. Time off has its own, tighter rule (E230).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from ontrack.checks.limits import HORIZON_TEXT, YEARS_FROM_START, in_horizon
from ontrack.diagnostics import Diagnostic, SourceLoc, error
from ontrack.model import Plan

CODES = ("E114",)

#: YEARS_FROM_START years, counting their leap days.
FROM_START = dt.timedelta(days=YEARS_FROM_START * 365 + YEARS_FROM_START // 4 + 1)


def check_dates(plan: Plan) -> Iterator[Diagnostic]:
    program = plan.program
    start = program.start
    if not in_horizon(start):
        yield error(
            "E114",
            program.locs.get("start", program.loc),
            f"the program starts {start}, outside {HORIZON_TEXT}",
            "check the year of `start`",
        )
        return  # every other date would be far from it
    for label, field, day, locs, loc in _dated(plan):
        if in_horizon(day):
            if abs(day - start) <= FROM_START:
                continue
            message = (
                f"{label}: {field} {day} is more than {YEARS_FROM_START} years from the "
                f"program start ({start})"
            )
        else:
            message = f"{label}: {field} {day} is outside {HORIZON_TEXT}"
        yield error("E114", locs.get(field, loc), message, "check the year of the date")


_Dated = tuple[str, str, dt.date, Mapping[str, SourceLoc], SourceLoc]
_TASK_DATES = ("deadline", "start_no_earlier_than", "actual_start", "actual_finish")


def _dated(plan: Plan) -> Iterator[_Dated]:
    """Every date of the plan but the start, holidays and time off, with where it is written."""
    program = plan.program
    if program.status_date is not None:
        yield "the program", "status_date", program.status_date, program.locs, program.loc
    for task in plan.tasks:
        for field in _TASK_DATES:
            day = getattr(task, field)
            if day is not None:
                yield f"task '{task.id}'", field, day, task.locs, task.loc
    for risk in plan.risks:
        if risk.review_date is not None:
            yield f"risk '{risk.id}'", "review_date", risk.review_date, risk.locs, risk.loc
    for release in plan.releases:
        if release.date is not None:
            yield f"release '{release.id}'", "date", release.date, release.locs, release.loc
    for item in (*plan.assumptions, *plan.issues, *plan.decisions):
        for field, day in (("raised", item.raised), ("due", item.due)):
            if day is not None:
                yield f"'{item.id}'", field, day, item.locs, item.loc
