"""Rules about people and teams: time off that makes sense, leads who are members."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ontrack.diagnostics import UNKNOWN_LOC, Diagnostic, error, warning
from ontrack.model import Plan

CODES = ("E230", "W303", "W308")

#: Time off more than this far from the program start is almost surely a typo in the year.
SANE_BEFORE = dt.timedelta(days=366)
SANE_AFTER = dt.timedelta(days=366 * 10)
LONGEST_ABSENCE_DAYS = 366


def check_people(plan: Plan) -> Iterator[Diagnostic]:
    start = plan.program.start
    known_start = plan.program.loc != UNKNOWN_LOC
    for person in plan.people:
        for period in person.time_off:
            if period.days > LONGEST_ABSENCE_DAYS:
                yield error(
                    "E230",
                    period.loc,
                    f"time off of '{person.id}' lasts {period.days} days",
                    "time off longer than a year is more likely a typo; check the "
                    "years, or set `allocation: 0%`",
                    subjects=(person.id,),
                )
            elif known_start and not (start - SANE_BEFORE <= period.start <= start + SANE_AFTER):
                yield error(
                    "E230",
                    period.loc,
                    f"time off of '{person.id}' ({period.start}..{period.end}) is far "
                    f"from the program start ({start})",
                    "check the year of the dates",
                    subjects=(person.id,),
                )
        if person.allocation == 0:
            yield warning(
                "W308",
                person.locs.get("allocation", person.loc),
                f"'{person.id}' is allocated 0% and can do no work",
                "remove the person, or give them a share of their time",
                subjects=(person.id,),
            )
    for team in plan.teams:
        lead = team.lead
        if (
            lead is not None
            and lead in plan.person_by_id
            and team.members
            and (lead not in team.members)
        ):
            yield warning(
                "W303",
                team.locs.get("lead", team.loc),
                f"lead '{team.lead}' of team '{team.id}' is not one of its members",
                f"add '{team.lead}' to `members`",
                subjects=(team.id, lead),
            )
