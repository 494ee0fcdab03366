"""Rules about calendars: each must have working days, or nothing scheduled on it ever ends."""

from __future__ import annotations

from collections.abc import Iterator

from ontrack.checks.limits import HORIZON_TEXT, in_horizon
from ontrack.diagnostics import Diagnostic, error
from ontrack.model import Calendar, Plan

CODES = ("E303", "E115")


def check_calendars(plan: Plan) -> Iterator[Diagnostic]:
    seen: set[int] = set()
    for calendar in (plan.calendar, *plan.calendars):
        if id(calendar) in seen:  # the default may be one of the named calendars
            continue
        seen.add(id(calendar))
        yield from _calendar(calendar)


def _calendar(calendar: Calendar) -> Iterator[Diagnostic]:
    if not calendar.workweek:
        yield error(
            "E303",
            calendar.loc,
            f"calendar '{calendar.id}' has no working days",
            "give `workweek` at least one day, e.g. [mon, tue, wed, thu, fri]",
            subjects=(calendar.id,),
        )
    # Plan files cannot hold such holidays (E115 where they are written); imported plans can.
    ends = (min(calendar.holidays), max(calendar.holidays)) if calendar.holidays else ()
    outside = [d for d in ends if not in_horizon(d)]
    if outside:
        yield error(
            "E115",
            calendar.loc,
            f"calendar '{calendar.id}' has holidays outside {HORIZON_TEXT} ({outside[0]})",
            "check the years of its holidays",
            subjects=(calendar.id,),
        )
