"""The release calendar: every train's departures in a window, with the releases leaving on each.

A release with a train leaves on the departure of that train on its date. A train release whose
date is not one of its train's departures is listed apart, with the departures just before and
after its date (W313). A release without a train is listed by its date. Given the planned finish
of each task (a schedule's), each release on a train says whether its scope is done before the
code freeze (W314 when it is not): after the freeze only fixes merge.

Pure: the plan, a window and, optionally, planned finishes in; a frozen record out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ontrack.diagnostics import Diagnostic, warning
from ontrack.engines.calendar import WorkCalendar
from ontrack.engines.trains import Departure, around, departure_on, departures
from ontrack.model import Plan, Release, Train

#: Train cycles added after the plan's finish by :func:`default_window`.
CYCLES_AFTER = 2
#: The cycle assumed for the default window of a plan without trains (two weeks).
DEFAULT_EVERY = 14


@dataclass(frozen=True, slots=True)
class Leaving:
    """A release as the calendar shows it: its scope's planned finish (when finishes were given)
    and whether that is before the cutoff (its departure's code freeze, else the departure)."""

    release: str
    title: str
    date: dt.date | None
    train: str | None
    scope: tuple[str, ...]
    scope_finish: dt.date | None = None
    cutoff: dt.date | None = None
    before_cutoff: bool | None = None  # None: no finishes, no scope, or no departure

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "train": self.train,
            "scope": list(self.scope),
            "scope_finish": self.scope_finish.isoformat() if self.scope_finish else None,
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "before_cutoff": self.before_cutoff,
        }


@dataclass(frozen=True, slots=True)
class TrainDeparture:
    """One departure in the window with its train's name and the releases leaving on it."""

    departure: Departure
    train_title: str
    releases: tuple[Leaving, ...]

    @property
    def date(self) -> dt.date:
        return self.departure.date

    def to_json(self) -> dict[str, Any]:
        return self.departure.to_json() | {
            "train_title": self.train_title,
            "releases": [r.to_json() for r in self.releases],
        }


@dataclass(frozen=True, slots=True)
class OffTrain:
    """A train release that leaves on none of its train's departures: its date is not one, it
    has no date, or its train is unknown. ``before`` and ``after`` are the nearest departures
    around its date."""

    release: Leaving
    reason: str
    before: Departure | None
    after: Departure | None

    def to_json(self) -> dict[str, Any]:
        return self.release.to_json() | {
            "reason": self.reason,
            "before": self.before.to_json() if self.before else None,
            "after": self.after.to_json() if self.after else None,
        }


@dataclass(frozen=True, slots=True)
class ReleaseCalendar:
    """Departures in ``[start, end]`` by date (then train), releases off their train, releases
    without a train (dated, by date), and train releases whose departure is outside the window."""

    start: dt.date
    end: dt.date
    trains: tuple[Train, ...]
    departures: tuple[TrainDeparture, ...]
    off_train: tuple[OffTrain, ...]
    untrained: tuple[Leaving, ...]
    outside: tuple[Leaving, ...]
    diagnostics: tuple[Diagnostic, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "trains": [
                {
                    "id": t.id,
                    "title": t.title,
                    "first": t.first.isoformat(),
                    "every_days": t.every,
                    "until": t.until.isoformat() if t.until else None,
                    "code_freeze_days": t.code_freeze,
                    "hardening_days": t.hardening,
                }
                for t in self.trains
            ],
            "departures": [d.to_json() for d in self.departures],
            "off_train": [o.to_json() for o in self.off_train],
            "untrained": [r.to_json() for r in self.untrained],
            "outside": [r.to_json() for r in self.outside],
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


def train_name(train: Train) -> str:
    """How a train is named to people: its title, else (a title left out reads as the id)
    "Train ID"."""
    return train.title if train.title and train.title != train.id else f"Train {train.id}"


def default_window(plan: Plan, finish: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The window a caller shows by default: the program's start to the later of ``finish``
    (a schedule's) and the last release date, plus two cycles of the slowest train."""
    last = max(
        [
            plan.program.start,
            *([finish] if finish else []),
            *(r.date for r in plan.releases if r.date),
        ]
    )
    every = max((t.every for t in plan.trains), default=DEFAULT_EVERY)
    return plan.program.start, last + dt.timedelta(days=CYCLES_AFTER * every)


def release_calendar(
    plan: Plan,
    start: dt.date,
    end: dt.date,
    finishes: Mapping[str, dt.date] | None = None,
) -> ReleaseCalendar:
    """The calendar of ``plan``'s trains and releases in ``[start, end]``. ``finishes`` (task id
    to planned finish) lets each train release say whether its scope is done before the code
    freeze."""
    calendar = WorkCalendar.of(plan.calendar)
    trains = {t.id: t for t in plan.trains}
    diagnostics: list[Diagnostic] = []
    on: dict[tuple[str, dt.date], list[Leaving]] = {}
    off: list[OffTrain] = []
    untrained: list[Leaving] = []
    outside: list[Leaving] = []
    for release in plan.releases:
        scope = plan.release_scope(release)
        train = trains.get(release.train) if release.train else None
        if release.train is None:
            if release.date is not None:
                untrained.append(_leaving(release, scope, finishes, None))
            continue
        departure = (
            departure_on(train, calendar, release.date)
            if train is not None and release.date is not None
            else None
        )
        leaving = _leaving(release, scope, finishes, departure)
        if departure is not None and train is not None:
            if start <= departure.date <= end:
                on.setdefault((train.id, departure.date), []).append(leaving)
            else:
                outside.append(leaving)
            if leaving.before_cutoff is False:
                diagnostics.append(_late_scope(release, train, departure, leaving))
            continue
        off.append(_off_train(release, train, calendar, leaving, diagnostics))
    listed = [
        TrainDeparture(d, train_name(t), tuple(on.get((t.id, d.date), ())))
        for t in plan.trains
        for d in departures(t, calendar, start, end)
    ]
    listed.sort(key=lambda d: (d.date, d.departure.train))
    untrained.sort(key=lambda r: (r.date or dt.date.max, r.release))
    return ReleaseCalendar(
        start=start,
        end=end,
        trains=plan.trains,
        departures=tuple(listed),
        off_train=tuple(off),
        untrained=tuple(untrained),
        outside=tuple(outside),
        diagnostics=tuple(diagnostics),
    )


def _leaving(
    release: Release,
    scope: tuple[str, ...],
    finishes: Mapping[str, dt.date] | None,
    departure: Departure | None,
) -> Leaving:
    scope_finish = (
        max((finishes[i] for i in scope if i in finishes), default=None) if finishes else None
    )
    cutoff = None if departure is None else (departure.freeze or departure.date)
    before = None if scope_finish is None or cutoff is None else scope_finish < cutoff
    return Leaving(
        release.id, release.title, release.date, release.train, scope, scope_finish, cutoff, before
    )


def _off_train(
    release: Release,
    train: Train | None,
    calendar: WorkCalendar,
    leaving: Leaving,
    diagnostics: list[Diagnostic],
) -> OffTrain:
    if train is None:
        # An unknown train is E212 (a reference check); nothing to add here.
        return OffTrain(leaving, f"train '{release.train}' is not defined", None, None)
    if release.date is None:
        # W312 (a plan check) says so already.
        return OffTrain(leaving, "no date", None, None)
    before, after = around(train, calendar, release.date)
    nearest = [f"{d.date} ({d.date:%a})" for d in (before, after) if d is not None]
    hint = (
        f"move it to a departure of '{train.id}': {' or '.join(nearest)}"
        if nearest
        else f"train '{train.id}' has no departure near it: check its `first` and `until`"
    )
    diagnostics.append(
        warning(
            "W313",
            release.locs.get("date", release.loc),
            f"release '{release.id}' on {release.date} is not a departure of train '{train.id}'",
            hint,
            subjects=(release.id, train.id),
            related=(train.loc,),
        )
    )
    return OffTrain(leaving, "not a departure", before, after)


def _late_scope(
    release: Release, train: Train, departure: Departure, leaving: Leaving
) -> Diagnostic:
    what = "code freeze" if departure.freeze else "departure"
    return warning(
        "W314",
        release.locs.get("includes", release.loc),
        f"release '{release.id}': its scope is planned to finish on {leaving.scope_finish}, "
        f"not before the {what} on {leaving.cutoff} of train '{train.id}' departing "
        f"{departure.date}",
        "move scope to the next train (`ontrack release calendar` lists it), or pull the work in",
        subjects=(release.id, train.id),
    )
