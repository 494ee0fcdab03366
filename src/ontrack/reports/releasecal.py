"""The release calendar as an HTML partial for the report: the departures month by month, each
with a strip of its last days (hardening and code freeze shaded), and its releases as badges.

The partial renders a :class:`~ontrack.engines.releasecal.ReleaseCalendar` as it is; the
report's Releases section places it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup

from ontrack.engines.releasecal import Leaving, ReleaseCalendar, TrainDeparture
from ontrack.reports.templating import render as _render

#: The most days a departure's strip shows (a long hardening window is cut at its start).
STRIP_DAYS = 21


@dataclass(frozen=True, slots=True)
class StripDay:
    day: dt.date
    kind: str  # "plain" | "hardening" | "freeze" | "departs"
    title: str


@dataclass(frozen=True, slots=True)
class Row:
    departure: TrainDeparture
    strip: tuple[StripDay, ...]


@dataclass(frozen=True, slots=True)
class Month:
    label: str
    rows: tuple[Row, ...]


def _kind(day: dt.date, found: TrainDeparture) -> str:
    dep = found.departure
    if day == dep.date:
        return "departs"
    if dep.freeze is not None and dep.freeze <= day < dep.date:
        return "freeze"
    if dep.hardening is not None and dep.hardening[0] <= day <= dep.hardening[1]:
        return "hardening"
    return "plain"


def _strip(found: TrainDeparture) -> tuple[StripDay, ...]:
    """Calendar days from the earlier of the hardening's start and the freeze to the
    departure (weekends and holidays inside a window are shaded with it)."""
    dep = found.departure
    first = min(
        [
            dep.date,
            *([dep.freeze] if dep.freeze else []),
            *([dep.hardening[0]] if dep.hardening else []),
        ]
    )
    first = max(first, dep.date - dt.timedelta(days=STRIP_DAYS - 1))
    days = [first + dt.timedelta(days=i) for i in range((dep.date - first).days + 1)]
    labels = {"departs": "departs", "freeze": "code freeze", "hardening": "hardening", "plain": ""}
    return tuple(
        StripDay(d, k, f"{d:%a %d %b}" + (f": {labels[k]}" if labels[k] else ""))
        for d in days
        for k in [_kind(d, found)]
    )


def _months(calendar: ReleaseCalendar) -> tuple[Month, ...]:
    months: list[Month] = []
    for found in calendar.departures:
        label = f"{found.date:%B %Y}"
        row = Row(found, _strip(found))
        if months and months[-1].label == label:
            months[-1] = Month(label, (*months[-1].rows, row))
        else:
            months.append(Month(label, (row,)))
    return tuple(months)


def readiness_class(release: Leaving) -> str:
    """The badge's colour: good when the scope is planned done before the code freeze, bad when
    not, na when unknown."""
    if release.before_cutoff is None:
        return "na"
    return "good" if release.before_cutoff else "bad"


def release_calendar_html(calendar: ReleaseCalendar) -> Markup:
    """The calendar as an HTML fragment (a ``.relcal`` block), styled by report.css."""
    return _render(
        "release_calendar.html.j2",
        cal=calendar,
        months=_months(calendar),
        badge=readiness_class,
    )
