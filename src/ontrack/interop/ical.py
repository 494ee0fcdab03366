"""Milestones and releases as an iCalendar feed (RFC 5545), for a team calendar.

One all-day event per milestone and per release, on its planned date (a release on its target
date when it has one). With a forecast, the description gives the P50, P80 and P95 dates and the
chance of meeting the deadline, so a calendar shows the odds next to the date. UIDs are stable
across exports (the program and the record's id), so a calendar that subscribes to the file
updates events in place instead of duplicating them.

Each release train's departures in the export's window (by default the program's start to the
schedule's finish plus two cycles) are events too: the departure (with the releases leaving on
it), its code freeze and its hardening window (one event over several days; DTEND is the day
after the last, exclusive, as RFC 5545 says). Their UIDs are the train's id and the departure's
scheduled day, so a holiday that moves a departure updates its event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from icalendar import Calendar, Event

from ontrack.engines.forecast.result import Forecast, ItemForecast
from ontrack.engines.releasecal import TrainDeparture, default_window, release_calendar
from ontrack.engines.schedule.result import Schedule
from ontrack.interop.kit import slug
from ontrack.model import Plan, Release

PRODID = "-//ontrack//ontrack plan export//EN"


def _odds(item: ItemForecast | None) -> list[str]:
    if item is None:
        return []
    lines = [f"Forecast: P50 {item.p50}, P80 {item.p80}, P95 {item.p95}"]
    if item.probability_on_time is not None:
        lines.append(f"Chance of making the deadline: {100 * item.probability_on_time:.0f}%")
    return lines


def _release_date(
    release: Release, finishes: Mapping[str, dt.date], item: ItemForecast | None
) -> dt.date | None:
    if release.date is not None:
        return release.date
    if item is not None:
        return item.planned
    return max((finishes[i] for i in release.includes if i in finishes), default=None)


def milestones_ics(
    plan: Plan,
    schedule: Schedule,
    forecast: Forecast | None = None,
    *,
    stamp: dt.datetime,
    window: tuple[dt.date, dt.date] | None = None,
) -> bytes:
    """The calendar as bytes (CRLF line ends, folded lines, as RFC 5545 wants). ``stamp`` is
    the DTSTAMP of every event: when the file was made. ``window`` bounds the trains'
    departures (default: :func:`ontrack.engines.releasecal.default_window` of the schedule)."""
    program = slug(plan.program.name) or "program"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # An X- property is not escaped like TEXT: a line break in the name would break the file.
    cal.add("x-wr-calname", f"{_one_line(plan.program.name)}: milestones and releases")
    stamp = stamp.astimezone(dt.UTC) if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    finishes = {t.id: t.finish for t in schedule.tasks}
    items: dict[tuple[str, str], ItemForecast] = (
        {(m.kind, m.id): m for m in forecast.milestones} if forecast else {}
    )
    for task in plan.tasks:
        if not task.milestone or task.id not in finishes:
            continue
        item = items.get(("milestone", task.id)) or items.get(("deadline", task.id))
        lines = [f"Planned: {finishes[task.id]}"]
        if task.deadline is not None:
            lines.append(f"Deadline: {task.deadline}")
        lines += _odds(item)
        if task.notes:
            lines += ["", task.notes.strip()]
        cal.add_component(
            _event(
                f"milestone-{task.id}@{program}.ontrack",
                f"Milestone: {task.title}",
                finishes[task.id],
                lines,
                "Milestone",
                stamp,
            )
        )
    for release in plan.releases:
        item = items.get(("release", release.id))
        day = _release_date(release, finishes, item)
        if day is None:
            continue
        lines = [f"Target: {release.date}" if release.date else f"Planned: {day}"]
        if release.date is not None and item is not None:
            lines.append(f"Planned: {item.planned}")
        lines += _odds(item)
        if release.includes:
            lines.append("Includes: " + ", ".join(release.includes))
        cal.add_component(
            _event(
                f"release-{release.id}@{program}.ontrack",
                f"Release: {release.title}",
                day,
                lines,
                "Release",
                stamp,
            )
        )
    start, end = window or default_window(plan, schedule.finish)
    for departure in release_calendar(plan, start, end).departures:
        for event in _train_events(departure, program, stamp):
            cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def _train_events(found: TrainDeparture, program: str, stamp: dt.datetime) -> list[Event]:
    """A departure's events: the departure, its code freeze and its hardening window."""
    dep = found.departure
    name = found.train_title
    key = f"train-{slug(dep.train) or 'train'}-{dep.scheduled:%Y%m%d}"
    lines = [f"Departure {dep.number} of {name}: {dep.date}"]
    if dep.date != dep.scheduled:
        lines.append(f"Scheduled for {dep.scheduled}, a non-working day")
    if dep.freeze is not None:
        lines.append(f"Code freeze from {dep.freeze}")
    if dep.hardening is not None:
        lines.append(f"Hardening {dep.hardening[0]} to {dep.hardening[1]}")
    if found.releases:
        lines += ["", "Releases leaving:"]
        lines += [f"- {r.title} ({r.release})" for r in found.releases]
    else:
        lines += ["", "No release leaves on it yet."]
    events = [
        _event(f"{key}@{program}.ontrack", f"{name} departs", dep.date, lines, "Train", stamp)
    ]
    if dep.freeze is not None:
        events.append(
            _event(
                f"{key}-freeze@{program}.ontrack",
                f"Code freeze: {name}",
                dep.freeze,
                [f"From today only fixes merge: {name} departs {dep.date}"],
                "Code freeze",
                stamp,
            )
        )
    if dep.hardening is not None:
        first, last = dep.hardening
        events.append(
            _event(
                f"{key}-hardening@{program}.ontrack",
                f"Hardening: {name}",
                first,
                [f"Hardening {first} to {last}: {name} departs {dep.date}"],
                "Hardening",
                stamp,
                last=last,
            )
        )
    return events


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _event(
    uid: str,
    summary: str,
    day: dt.date,
    lines: list[str],
    category: str,
    stamp: dt.datetime,
    *,
    last: dt.date | None = None,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", day)  # a date: VALUE=DATE, an all-day event
    # The day after the last (``last``, else ``day``): exclusive, as RFC 5545 says.
    event.add("dtend", (last or day) + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a marker, not a meeting: nobody is busy
    event.add("categories", [category])
    event.add("description", "\n".join(lines))
    return event
