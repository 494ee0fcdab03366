"""Release trains: when each train departs, when its code freezes and its hardening runs.

A train leaves every ``every`` calendar days from ``first``; a departure that falls on a
non-working day of the program's calendar leaves on the next working day (a release is never
shipped on a holiday). The code freeze is ``code_freeze`` working days before the departure (from
that day only fixes merge); the hardening window is the ``hardening`` working days just before
the departure (the freeze window when ``hardening`` is 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ontrack.engines.calendar import WorkCalendar
from ontrack.model import Plan, Release, Train

#: The most departures one train yields (a daily train over the whole horizon stays bounded).
MAX_DEPARTURES = 2_000


@dataclass(frozen=True, slots=True)
class Departure:
    """One departure of a train (``number`` counts from 1 at ``first``)."""

    train: str
    number: int
    scheduled: dt.date  # first + (number - 1) * every
    date: dt.date  # the working day it leaves on
    freeze: dt.date | None  # first day of the code freeze
    hardening: tuple[dt.date, dt.date] | None  # first and last day of hardening

    def to_json(self) -> dict[str, Any]:
        return {
            "train": self.train,
            "number": self.number,
            "date": self.date.isoformat(),
            "scheduled": self.scheduled.isoformat(),
            "code_freeze": self.freeze.isoformat() if self.freeze else None,
            "hardening": None
            if self.hardening is None
            else {"start": self.hardening[0].isoformat(), "end": self.hardening[1].isoformat()},
        }


def _departure(train: Train, calendar: WorkCalendar, number: int) -> Departure:
    scheduled = train.first + dt.timedelta(days=(number - 1) * train.every)
    day = calendar.next_working(scheduled)
    freeze = calendar.add_working_days(day, -train.code_freeze) if train.code_freeze else None
    window = train.hardening or train.code_freeze
    hardening = (
        (calendar.add_working_days(day, -window), calendar.add_working_days(day, -1))
        if window
        else None
    )
    return Departure(train.id, number, scheduled, day, freeze, hardening)


def departures(
    train: Train, calendar: WorkCalendar, start: dt.date, end: dt.date
) -> Iterator[Departure]:
    """The train's departures leaving in ``[start, end]`` (and before its ``until``)."""
    last = min(end, train.until) if train.until else end
    if last < train.first - dt.timedelta(days=7):
        return
    # The first scheduled day that could leave on or after ``start`` (a holiday roll moves a
    # departure forward by at most a few days, so one step back covers it).
    skip = max(0, (start - train.first).days // train.every - 1)
    for number in range(skip + 1, skip + 1 + MAX_DEPARTURES):
        found = _departure(train, calendar, number)
        if found.scheduled > last:
            return
        if start <= found.date <= last:
            yield found


def departure_on(train: Train, calendar: WorkCalendar, day: dt.date) -> Departure | None:
    """The departure leaving on ``day``, if one does."""
    for found in departures(train, calendar, day, day):
        return found
    return None


def around(
    train: Train, calendar: WorkCalendar, day: dt.date
) -> tuple[Departure | None, Departure | None]:
    """The last departure before ``day`` and the first on or after it."""
    before = None
    for found in departures(train, calendar, day - dt.timedelta(days=train.every + 14), day):
        if found.date < day:
            before = found
    after = next(departures(train, calendar, day, day + dt.timedelta(days=train.every + 14)), None)
    return before, after


def next_departure(train: Train, calendar: WorkCalendar, day: dt.date) -> Departure | None:
    """The first departure on or after ``day`` (``None`` once the train has stopped)."""
    return around(train, calendar, day)[1]


def release_departure(plan: Plan, release: Release) -> Departure | None:
    """The departure a release leaves with: its train's departure on its date."""
    train = next((t for t in plan.trains if t.id == release.train), None)
    if train is None or release.date is None:
        return None
    return departure_on(train, WorkCalendar.of(plan.calendar), release.date)
