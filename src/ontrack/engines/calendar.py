"""Exact working-time arithmetic for plans that span years.

Schedulers count in working days, people read dates: this module converts between the two
exactly and fast. ``WorkCalendar`` answers calendar questions (is this a working day, what is
ten working days after that) with numpy's business-day functions, which are exact and
vectorised. ``WorkGrid`` numbers the program's working days from its start and converts index ↔
date in O(1) / O(log n) without numpy on the scalar path, because the scheduler asks millions
of times. ``person_unavailability`` maps one person's days off onto that grid.

Dates are ``datetime.date``; vectorised variants take and return numpy ``datetime64[D]``
arrays (``numpy.asarray(dates, dtype="datetime64[D]")`` converts a list of dates).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import cast

import numpy as np
import numpy.typing as npt

from ontrack.model.records import Calendar, DateRange, Person, Plan

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()  # datetime64[D] counts days from here
_EPOCH_WEEKDAY = dt.date(1970, 1, 1).weekday()  # a Thursday
_ONE_DAY = dt.timedelta(days=1)

Days = npt.NDArray[np.datetime64]
Ints = npt.NDArray[np.int64]
DaysLike = npt.ArrayLike | Sequence[dt.date]  # datetime64[D] arrays, or dates numpy converts
Ranges = tuple[tuple[int, int], ...]


class CalendarError(ValueError):
    """A calendar that cannot schedule anything (no working days); the message names it."""


def _check_workweek(calendar_id: str, workweek: Iterable[int]) -> tuple[int, ...]:
    days = tuple(sorted(set(workweek)))
    if not days:
        raise CalendarError(f"calendar {calendar_id!r} has no working days")
    bad = [d for d in days if not 0 <= d <= 6]
    if bad:
        raise CalendarError(f"calendar {calendar_id!r} has weekdays outside 0..6: {bad}")
    return days


def _expand(days_off: Iterable[DateRange | dt.date]) -> set[dt.date]:
    out: set[dt.date] = set()
    for item in days_off:
        if isinstance(item, DateRange):
            start = item.start.toordinal()
            out.update(dt.date.fromordinal(o) for o in range(start, item.end.toordinal() + 1))
        else:
            out.add(item)
    return out


def _to_date(day: np.datetime64) -> dt.date:
    return dt.date.fromordinal(int(day.astype(np.int64)) + EPOCH_ORDINAL)


def _day64(day: dt.date) -> np.datetime64:
    return np.datetime64(day, "D")


def _days(dates: DaysLike) -> Days:
    return np.asarray(cast(npt.ArrayLike, dates), dtype="datetime64[D]")


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """A calendar ready for arithmetic: weekdays worked and every day off, as numpy wants them.

    Build with ``WorkCalendar.of``. ``holidays`` holds the calendar's holidays plus any extra
    days off, sorted and unique (days off that fall on non-working weekdays included; they are
    harmless).
    """

    id: str
    workweek: tuple[int, ...]  # sorted weekdays, 0 = Monday
    holidays: tuple[dt.date, ...]
    _busdays: np.busdaycalendar = field(compare=False, repr=False)

    @classmethod
    def of(
        cls, calendar: Calendar, extra_days_off: Iterable[DateRange | dt.date] = ()
    ) -> WorkCalendar:
        """Raises ``CalendarError`` for a calendar with no working weekday (it would never end)."""
        workweek = _check_workweek(calendar.id, calendar.workweek)
        holidays = tuple(sorted(set(calendar.holidays) | _expand(extra_days_off)))
        mask = [1 if d in workweek else 0 for d in range(7)]
        off = np.array([h.toordinal() - EPOCH_ORDINAL for h in holidays], dtype=np.int64)
        busdays = np.busdaycalendar(weekmask=mask, holidays=off.astype("datetime64[D]"))
        return cls(calendar.id, workweek, holidays, busdays)

    @property
    def days_per_week(self) -> int:
        return len(self.workweek)

    # Scalars.

    def is_working(self, day: dt.date) -> bool:
        return bool(np.is_busday(_day64(day), busdaycal=self._busdays))

    def next_working(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, else the first working day after it."""
        return _to_date(np.busday_offset(_day64(day), 0, roll="forward", busdaycal=self._busdays))

    def previous_working(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, else the last working day before it."""
        return _to_date(np.busday_offset(_day64(day), 0, roll="backward", busdaycal=self._busdays))

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The working day ``n`` working days after ``day`` (before it for negative ``n``).

        A non-working ``day`` first rolls forward to the next working day, so ``n = 0`` gives
        ``next_working(day)`` and Saturday + (-1) is the Friday before (Monday - 1).
        """
        return _to_date(np.busday_offset(_day64(day), n, roll="forward", busdaycal=self._busdays))

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days lie in ``[start, end)``; negative when ``end < start``.

        As ``numpy.busday_count``: ``between(a, b) == -between(b, a)``, and for a working day
        ``d``, ``between(d, add_working_days(d, n)) == n``.
        """
        return int(np.busday_count(_day64(start), _day64(end), busdaycal=self._busdays))

    # Vectorised: datetime64[D] arrays (or anything numpy converts to them) in and out.

    def is_working_array(self, days: DaysLike) -> npt.NDArray[np.bool_]:
        return np.asarray(np.is_busday(_days(days), busdaycal=self._busdays), dtype=np.bool_)

    def add_working_days_array(self, days: DaysLike, n: npt.ArrayLike) -> Days:
        """Element-wise ``add_working_days`` (``n`` broadcasts against ``days``)."""
        out = np.busday_offset(_days(days), n, roll="forward", busdaycal=self._busdays)
        return np.asarray(out, dtype="datetime64[D]")

    def working_days_between_array(self, starts: DaysLike, ends: DaysLike) -> Ints:
        """Element-wise ``working_days_between``."""
        out = np.busday_count(_days(starts), _days(ends), busdaycal=self._busdays)
        return np.asarray(out, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class WorkGrid:
    """The scheduler's time axis: index 0 is the first working day on or after ``origin``.

    Index ``i`` is the ``i``-th working day of ``calendar`` from there, for any ``i >= 0``.
    Conversions are exact: a table holds every working day up to a week past the last day off;
    beyond it the week repeats, so ``date_of`` is a table look-up plus whole weeks and
    ``index_on_or_after`` is a binary search plus whole weeks, however far out.
    """

    calendar: WorkCalendar
    origin: dt.date
    _ordinals: tuple[int, ...] = field(compare=False, repr=False)  # date ordinals of the table
    _epoch_days: Ints = field(compare=False, repr=False)  # the same, as datetime64 day numbers
    _end: int = field(compare=False, repr=False)  # ordinal just past the table's last week

    @classmethod
    def of(cls, calendar: Calendar | WorkCalendar, origin: dt.date) -> WorkGrid:
        work = calendar if isinstance(calendar, WorkCalendar) else WorkCalendar.of(calendar)
        start = origin.toordinal()
        last_off = max([start, *(h.toordinal() for h in work.holidays)])
        # The table covers [origin, end): its last 7 days come after every day off, so they
        # are one week of the pattern that repeats for ever after.
        end = last_off + 8
        span = np.arange(start - EPOCH_ORDINAL, end - EPOCH_ORDINAL, dtype=np.int64)
        epoch_days = span[work.is_working_array(span.astype("datetime64[D]"))]
        epoch_days.setflags(write=False)
        ordinals = tuple((epoch_days + EPOCH_ORDINAL).tolist())
        return cls(work, origin, ordinals, epoch_days, end)

    @classmethod
    def for_plan(cls, plan: Plan) -> WorkGrid:
        """The grid of the plan's default calendar from the program's start."""
        return cls.of(plan.calendar, plan.program.start)

    @property
    def first_day(self) -> dt.date:
        """The date of index 0."""
        return dt.date.fromordinal(self._ordinals[0])

    # Scalars.

    def date_of(self, index: int) -> dt.date:
        """The date of working day ``index`` (``index >= 0``)."""
        if index < 0:
            raise ValueError(f"working day index must be >= 0, got {index}")
        ords = self._ordinals
        n = len(ords)
        if index < n:
            return dt.date.fromordinal(ords[index])
        k = self.calendar.days_per_week
        weeks, offset = divmod(index - (n - k), k)
        return dt.date.fromordinal(ords[n - k + offset] + 7 * weeks)

    def index_on_or_after(self, day: dt.date) -> int:
        """The first index whose date is ``>= day`` (0 for any day up to the first working day)."""
        ords = self._ordinals
        o = day.toordinal()
        if o < self._end:
            return bisect_left(ords, o)
        # Shift by whole weeks into the table's last (regular) week, then shift the index back.
        n, k = len(ords), self.calendar.days_per_week
        weeks = (o - self._end) // 7 + 1
        return bisect_left(ords, o - 7 * weeks, n - k) + k * weeks

    def index_on_or_before(self, day: dt.date) -> int:
        """The last index whose date is ``<= day``; -1 when ``day`` is before the first one."""
        return self.index_on_or_after(day + _ONE_DAY) - 1

    def is_grid_day(self, day: dt.date) -> bool:
        """Whether ``day`` has an index (a working day on or after ``origin``)."""
        return self.index_on_or_after(day) != self.index_on_or_after(day + _ONE_DAY)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many grid days lie in ``[start, end)`` (0 when ``end <= start``).

        Days before ``origin`` are not on the grid and do not count.
        """
        return max(0, self.index_on_or_after(end) - self.index_on_or_after(start))

    # Vectorised.

    def dates_of(self, indices: npt.ArrayLike) -> Days:
        """``date_of`` element-wise, as ``datetime64[D]``."""
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size and int(idx.min()) < 0:
            raise ValueError("working day indices must be >= 0")
        table = self._epoch_days
        n, k = len(table), self.calendar.days_per_week
        weeks, offset = np.divmod(np.maximum(idx - (n - k), 0), k)
        beyond = table[n - k + offset] + 7 * weeks
        inside = table[np.minimum(idx, n - 1)]
        return np.where(idx < n, inside, beyond).astype("datetime64[D]")

    def indices_on_or_after(self, days: DaysLike) -> Ints:
        """``index_on_or_after`` element-wise."""
        epoch = _days(days).astype(np.int64)
        table = self._epoch_days
        k = self.calendar.days_per_week
        weeks = np.maximum((epoch - (self._end - EPOCH_ORDINAL)) // 7 + 1, 0)
        shifted = epoch - 7 * weeks
        return np.asarray(np.searchsorted(table, shifted, side="left") + k * weeks, np.int64)

    def indices_on_or_before(self, days: DaysLike) -> Ints:
        """``index_on_or_before`` element-wise."""
        return self.indices_on_or_after(_days(days) + np.timedelta64(1, "D")) - 1


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Sorted, disjoint half-open ranges covering the same indices; touching ranges join."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(r for r in ranges if r[0] < r[1]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return tuple(out)


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """The half-open ranges where ``mask`` is true."""
    padded = np.zeros(len(mask) + 2, dtype=np.bool_)
    padded[1:-1] = mask
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts: list[int] = edges[::2].tolist()
    ends: list[int] = edges[1::2].tolist()
    return list(zip(starts, ends, strict=True))


def _calendar_mask(
    calendar: Calendar,
    grid: WorkGrid,
    horizon_index: int,
    weekdays: Callable[[], npt.NDArray[np.int64]],
) -> npt.NDArray[np.bool_] | None:
    """Which grid days in ``[0, horizon_index)`` ``calendar`` does not work; None if none.

    ``weekdays`` gives the horizon's weekdays; it is only called when the workweeks differ.
    """
    workweek = _check_workweek(calendar.id, calendar.workweek)
    mask: npt.NDArray[np.bool_] | None = None
    if not set(grid.calendar.workweek) <= set(workweek):
        off = np.ones(7, dtype=np.bool_)
        off[list(workweek)] = False
        mask = off[weekdays()]
    for holiday in calendar.holidays:
        i = grid.index_on_or_after(holiday)
        if i < horizon_index and grid.date_of(i) == holiday:
            if mask is None:
                mask = np.zeros(horizon_index, dtype=np.bool_)
            mask[i] = True
    return mask


def _time_off_ranges(
    time_off: Sequence[DateRange], grid: WorkGrid, horizon_index: int
) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for r in time_off:
        a = grid.index_on_or_after(r.start)
        b = min(grid.index_on_or_after(r.end + _ONE_DAY), horizon_index)
        if a < b:
            ranges.append((a, b))
    return ranges


class _Horizon:
    """Per-call memo: the horizon's weekdays and each calendar's days off, computed once."""

    def __init__(self, plan: Plan, grid: WorkGrid, horizon_index: int) -> None:
        self.plan, self.grid, self.horizon = plan, grid, horizon_index
        self._weekdays: npt.NDArray[np.int64] | None = None
        self._by_calendar: dict[int, npt.NDArray[np.bool_] | None] = {}

    def weekdays(self) -> npt.NDArray[np.int64]:
        if self._weekdays is None:
            epoch = self.grid.dates_of(np.arange(self.horizon)).astype(np.int64)
            self._weekdays = (epoch + _EPOCH_WEEKDAY) % 7
        return self._weekdays

    def person(self, person: Person) -> Ranges:
        if self.horizon <= 0:
            return ()
        ranges = _time_off_ranges(person.time_off, self.grid, self.horizon)
        calendar = self.plan.calendar_of(person)
        if calendar is self.plan.calendar:
            return merge_ranges(ranges)
        key = id(calendar)
        if key not in self._by_calendar:
            self._by_calendar[key] = _calendar_mask(
                calendar, self.grid, self.horizon, self.weekdays
            )
        base = self._by_calendar[key]
        if base is None:
            return merge_ranges(ranges)
        # Many ranges (every Friday for three years): a mask beats sorting them in Python.
        mask = base.copy()
        for a, b in ranges:
            mask[a:b] = True
        return tuple(_runs(mask))


def person_unavailability(plan: Plan, person: Person, grid: WorkGrid, horizon_index: int) -> Ranges:
    """Grid days in ``[0, horizon_index)`` on which ``person`` does not work, as ranges.

    Sorted, merged half-open index ranges ``[a, b)`` with ``0 <= a < b <= horizon_index``
    (touching ranges are joined). A day is off when it is in one of the person's ``time_off``
    ranges or, for a person with a calendar of their own (``plan.calendar_of``), when it is one
    of that calendar's holidays or a weekday outside its workweek. Allocation is not a day off
    and is left to the scheduler.

    Limitation: the grid only has the default calendar's working days, so work on a day the
    default calendar does not work (a Saturday in a Sun–Thu calendar) is not modelled: such a
    person simply has fewer working days. Raises ``CalendarError`` if their calendar has no
    working weekday.
    """
    return _Horizon(plan, grid, horizon_index).person(person)


def unavailability_by_person(
    plan: Plan, grid: WorkGrid, horizon_index: int
) -> Mapping[str, Ranges]:
    """``person_unavailability`` for every person, sharing the work of shared calendars."""
    horizon = _Horizon(plan, grid, horizon_index)
    return MappingProxyType({p.id: horizon.person(p) for p in plan.people})
