"""Working-time arithmetic: hand-checked dates, and property tests against a day-by-day walk."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ontrack.engines.calendar import (
    CalendarError,
    WorkCalendar,
    WorkGrid,
    merge_ranges,
    person_unavailability,
    unavailability_by_person,
)
from ontrack.model.records import Calendar, DateRange, Person, Plan, Program

D = dt.date
XMAS, NEW_YEAR = D(2026, 12, 25), D(2027, 1, 1)  # a Friday and a Friday
STANDARD = Calendar(holidays=(XMAS, NEW_YEAR))
SIX_DAY = Calendar(id="six", workweek=frozenset(range(6)))


def days64(*days: dt.date) -> np.ndarray:
    return np.array(days, dtype="datetime64[D]")


# WorkCalendar


def test_weekends_and_holidays() -> None:
    cal = WorkCalendar.of(STANDARD)
    assert cal.is_working(D(2026, 12, 24))  # Thursday
    assert not cal.is_working(XMAS)
    assert not cal.is_working(D(2026, 12, 26))  # Saturday
    assert cal.next_working(XMAS) == D(2026, 12, 28)
    assert cal.next_working(D(2026, 12, 24)) == D(2026, 12, 24)
    assert cal.previous_working(D(2026, 12, 27)) == D(2026, 12, 24)
    assert cal.previous_working(D(2026, 12, 28)) == D(2026, 12, 28)
    assert cal.add_working_days(D(2026, 12, 24), 1) == D(2026, 12, 28)
    assert cal.add_working_days(D(2026, 12, 24), 0) == D(2026, 12, 24)


def test_year_boundary() -> None:
    cal = WorkCalendar.of(STANDARD)
    assert cal.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert cal.working_days_between(D(2026, 12, 21), D(2027, 1, 4)) == 8  # two weeks less two
    assert cal.working_days_between(D(2027, 1, 4), D(2026, 12, 21)) == -8


def test_negative_offsets_and_rolling() -> None:
    cal = WorkCalendar.of(STANDARD)
    assert cal.add_working_days(D(2027, 1, 4), -1) == D(2026, 12, 31)
    assert cal.add_working_days(D(2027, 1, 4), -5) == D(2026, 12, 24)
    # A Saturday rolls forward to Monday first: Monday - 1 is the Thursday before Christmas.
    assert cal.add_working_days(D(2026, 12, 26), -1) == D(2026, 12, 24)
    assert cal.add_working_days(D(2026, 12, 26), 0) == D(2026, 12, 28)


def test_leap_day_2028() -> None:
    cal = WorkCalendar.of(Calendar())
    assert cal.is_working(D(2028, 2, 29))  # a Tuesday
    assert cal.add_working_days(D(2028, 2, 28), 1) == D(2028, 2, 29)
    assert cal.add_working_days(D(2028, 2, 28), 2) == D(2028, 3, 1)
    assert cal.working_days_between(D(2028, 2, 1), D(2028, 3, 1)) == 21
    grid = WorkGrid.of(Calendar(), D(2028, 2, 28))
    assert grid.date_of(1) == D(2028, 2, 29)
    assert grid.index_on_or_after(D(2028, 3, 1)) == 2


def test_six_day_week() -> None:
    cal = WorkCalendar.of(SIX_DAY)
    assert cal.is_working(D(2026, 12, 26))  # Saturday
    assert not cal.is_working(D(2026, 12, 27))  # Sunday
    assert cal.add_working_days(D(2026, 12, 26), 1) == D(2026, 12, 28)
    assert cal.working_days_between(D(2026, 12, 21), D(2026, 12, 28)) == 6
    grid = WorkGrid.of(SIX_DAY, D(2026, 12, 21))
    assert grid.date_of(6) == D(2026, 12, 28)
    assert grid.date_of(6 * 520) == D(2026, 12, 21) + dt.timedelta(weeks=520)


def test_extra_days_off() -> None:
    shutdown = DateRange(D(2026, 12, 28), D(2026, 12, 31))
    cal = WorkCalendar.of(STANDARD, [shutdown, D(2027, 1, 4)])
    assert cal.next_working(D(2026, 12, 25)) == D(2027, 1, 5)
    assert D(2026, 12, 30) in cal.holidays and list(cal.holidays) == sorted(cal.holidays)


def test_vectorised_calendar() -> None:
    cal = WorkCalendar.of(STANDARD)
    days = days64(D(2026, 12, 24), XMAS, D(2026, 12, 26))
    assert cal.is_working_array(days).tolist() == [True, False, False]
    after = [D(2026, 12, 28), D(2026, 12, 29), D(2026, 12, 29)]
    assert cal.add_working_days_array(days, 1).tolist() == after
    assert cal.add_working_days_array(days, np.array([0, -1, 5])).tolist() == [
        D(2026, 12, 24),
        D(2026, 12, 24),
        D(2027, 1, 5),
    ]
    ends = days64(D(2027, 1, 4), D(2027, 1, 4), D(2026, 12, 21))
    assert cal.working_days_between_array(days, ends).tolist() == [5, 4, -3]


def test_empty_workweek_is_an_error_not_a_hang() -> None:
    empty = Calendar(id="x", workweek=frozenset())
    with pytest.raises(CalendarError, match="calendar 'x' has no working days"):
        WorkCalendar.of(empty)
    with pytest.raises(CalendarError, match="calendar 'x'"):
        WorkGrid.of(empty, D(2027, 1, 1))
    with pytest.raises(ValueError, match=r"outside 0\.\.6"):
        WorkCalendar.of(Calendar(id="y", workweek=frozenset({7})))


# WorkGrid


def test_grid_starting_on_a_weekend() -> None:
    grid = WorkGrid.of(STANDARD, D(2026, 12, 26))  # Saturday
    assert grid.first_day == grid.date_of(0) == D(2026, 12, 28)
    assert grid.index_on_or_after(D(2026, 1, 1)) == 0  # before the origin
    assert grid.index_on_or_after(D(2026, 12, 26)) == 0
    assert grid.index_on_or_before(D(2026, 12, 27)) == -1
    assert grid.index_on_or_before(D(2026, 12, 28)) == 0
    assert grid.date_of(4) == D(2027, 1, 4)  # Mon–Thu, New Year's Day, Monday
    assert grid.index_on_or_after(NEW_YEAR) == 4
    assert grid.index_on_or_before(NEW_YEAR) == 3
    assert not grid.is_grid_day(NEW_YEAR) and grid.is_grid_day(D(2027, 1, 4))
    assert grid.working_days_between(D(2026, 12, 1), D(2027, 1, 5)) == 5
    assert grid.working_days_between(D(2027, 1, 5), D(2026, 12, 1)) == 0
    with pytest.raises(ValueError, match=">= 0"):
        grid.date_of(-1)


def test_grid_far_beyond_the_last_holiday() -> None:
    grid = WorkGrid.of(STANDARD, D(2026, 12, 21))
    cal = WorkCalendar.of(STANDARD)
    for index in (0, 9, 10, 11, 12, 13, 14, 15, 1000, 10**6 + 3):
        expected = cal.add_working_days(D(2026, 12, 21), index)
        assert grid.date_of(index) == expected
        assert grid.index_on_or_after(expected) == index
        assert grid.index_on_or_before(expected) == index


def test_vectorised_grid_matches_scalars() -> None:
    grid = WorkGrid.of(STANDARD, D(2026, 12, 23))
    indices = np.array([0, 1, 2, 3, 7, 500, 5000])
    dates = grid.dates_of(indices)
    assert dates.tolist() == [grid.date_of(int(i)) for i in indices]
    probes = np.arange(np.datetime64("2026-12-01"), np.datetime64("2040-01-01"), 37)
    after = grid.indices_on_or_after(probes).tolist()
    before = grid.indices_on_or_before(probes).tolist()
    for day, a, b in zip(probes.tolist(), after, before, strict=True):
        assert (a, b) == (grid.index_on_or_after(day), grid.index_on_or_before(day))
    with pytest.raises(ValueError, match=">= 0"):
        grid.dates_of([0, -1])


workweeks = st.frozensets(st.integers(0, 6), min_size=1)


@st.composite
def grids(draw: st.DrawFn) -> tuple[Calendar, dt.date]:
    origin = draw(st.dates(D(2020, 1, 1), D(2035, 12, 31)))
    holidays = draw(
        st.lists(st.dates(origin - dt.timedelta(days=30), origin + dt.timedelta(days=3653)))
    )
    return Calendar(workweek=draw(workweeks), holidays=tuple(holidays)), origin


def walk(calendar: Calendar, origin: dt.date, until: dt.date) -> list[dt.date]:
    """Every working day in [origin, until], one day at a time: the reference."""
    days, day = [], origin
    while day <= until:
        if calendar.is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@settings(max_examples=60, deadline=None)
@given(grids(), st.lists(st.integers(0, 4500), max_size=20), st.data())
def test_grid_round_trips_over_ten_years(
    spec: tuple[Calendar, dt.date], indices: list[int], data: st.DataObject
) -> None:
    calendar, origin = spec
    grid = WorkGrid.of(calendar, origin)
    reference = walk(calendar, origin, origin + dt.timedelta(days=3653 + 30 * 7))
    far = WorkCalendar.of(calendar)
    for index in indices:
        expected = (
            reference[index]
            if index < len(reference)
            else far.add_working_days(reference[0], index)
        )
        assert grid.date_of(index) == expected
        assert grid.index_on_or_after(expected) == index
        assert grid.index_on_or_before(expected) == index
    assert grid.dates_of(indices).tolist() == [grid.date_of(i) for i in indices]
    days = data.draw(st.lists(st.dates(origin - dt.timedelta(days=60), reference[-1]), max_size=20))
    for day in days:
        first = bisect_left(reference, day)
        assert grid.index_on_or_after(day) == first
        last = bisect_left(reference, day + dt.timedelta(days=1)) - 1
        assert grid.index_on_or_before(day) == last
        assert grid.is_grid_day(day) == (day in reference)
    if days:
        assert grid.indices_on_or_after(days).tolist() == [grid.index_on_or_after(d) for d in days]


# Person unavailability

ORIGIN = D(2027, 1, 4)  # a Monday


def plan_with(*people: Person, calendars: tuple[Calendar, ...] = ()) -> Plan:
    return Plan(Program("p", ORIGIN), calendars=calendars, people=people)


def test_time_off_is_mapped_and_merged() -> None:
    person = Person(
        "ann",
        "Ann",
        calendar="uk",
        time_off=(
            DateRange(D(2027, 1, 6), D(2027, 1, 7)),  # Wed–Thu: 2, 3
            DateRange(D(2027, 1, 11), D(2027, 1, 12)),  # Mon–Tue: 5, 6 (touches the holiday)
            DateRange(D(2027, 1, 13), D(2027, 1, 13)),  # Wed: 7 (touches the range before)
            DateRange(D(2027, 1, 15), D(2027, 1, 18)),  # Fri–Mon over a weekend: 9, 10
            DateRange(D(2027, 1, 23), D(2027, 1, 24)),  # a weekend: nothing
            DateRange(D(2026, 12, 1), D(2027, 1, 4)),  # before the origin: clipped to 0
            DateRange(D(2027, 2, 1), D(2027, 3, 1)),  # runs past the horizon: clipped
        ),
    )
    uk = Calendar(id="uk", holidays=(D(2027, 1, 8), D(2027, 1, 7), D(2027, 1, 9)))  # Fri, Thu, Sat
    plan = plan_with(person, calendars=(uk,))
    grid = WorkGrid.for_plan(plan)
    got = person_unavailability(plan, person, grid, 22)
    assert got == ((0, 1), (2, 8), (9, 11), (20, 22))
    assert person_unavailability(plan, person, grid, 0) == ()


def test_own_workweek_and_the_default_calendars_holidays() -> None:
    # A Sun–Thu person on a Mon–Fri program: Fridays are off; their Sundays are not modelled.
    sun_thu = Calendar(id="me", workweek=frozenset({6, 0, 1, 2, 3}))
    default = Calendar(holidays=(D(2027, 1, 5),))  # not a grid day, so never an index
    person = Person(
        "bo", "Bo", calendar="me", time_off=(DateRange(D(2027, 1, 14), D(2027, 1, 15)),)
    )
    plan = Plan(Program("p", ORIGIN), calendar=default, calendars=(sun_thu,), people=(person,))
    grid = WorkGrid.for_plan(plan)
    assert grid.date_of(1) == D(2027, 1, 6)
    # Fridays are 3, 8, 13; time off Thu 14th–Fri 15th is 7, 8.
    assert person_unavailability(plan, person, grid, 14) == ((3, 4), (7, 9), (13, 14))


def test_people_on_the_default_calendar_have_only_their_time_off() -> None:
    ann = Person("ann", "Ann", time_off=(DateRange(D(2027, 1, 5), D(2027, 1, 5)),))
    bob = Person("bob", "Bob", calendar="missing")  # an unknown id falls back to the default
    plan = plan_with(ann, bob)
    grid = WorkGrid.for_plan(plan)
    assert unavailability_by_person(plan, grid, 100) == {"ann": ((1, 2),), "bob": ()}


def test_empty_person_calendar_is_an_error() -> None:
    person = Person("cy", "Cy", calendar="none")
    plan = plan_with(person, calendars=(Calendar(id="none", workweek=frozenset()),))
    with pytest.raises(CalendarError, match="calendar 'none' has no working days"):
        person_unavailability(plan, person, WorkGrid.for_plan(plan), 10)


def test_merge_ranges() -> None:
    assert merge_ranges([(5, 7), (0, 2), (2, 3), (6, 9), (4, 4), (10, 11)]) == (
        (0, 3),
        (5, 9),
        (10, 11),
    )


date_ranges = st.builds(
    lambda start, length: DateRange(start, start + dt.timedelta(days=length)),
    st.dates(D(2026, 12, 1), D(2028, 6, 1)),
    st.integers(-1, 40),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(date_ranges, max_size=6),
    st.one_of(st.none(), workweeks),
    st.lists(st.dates(D(2026, 12, 1), D(2028, 6, 1)), max_size=8),
    st.integers(0, 400),
)
def test_unavailability_matches_a_day_by_day_walk(
    time_off: list[DateRange],
    own_workweek: frozenset[int] | None,
    own_holidays: list[dt.date],
    horizon: int,
) -> None:
    default = Calendar(holidays=(D(2027, 5, 31), D(2027, 12, 24)))
    calendars: tuple[Calendar, ...] = ()
    if own_workweek is not None:
        calendars = (Calendar(id="own", workweek=own_workweek, holidays=tuple(own_holidays)),)
    person = Person("p", "P", time_off=tuple(time_off), calendar="own" if calendars else None)
    plan = Plan(Program("p", ORIGIN), calendar=default, calendars=calendars, people=(person,))
    grid = WorkGrid.for_plan(plan)
    own = plan.calendar_of(person)
    off = [
        any(day in r for r in time_off) or not own.is_working_day(day)
        for day in (grid.date_of(i) for i in range(horizon))
    ]
    expected = merge_ranges((i, i + 1) for i, is_off in enumerate(off) if is_off)
    assert person_unavailability(plan, person, grid, horizon) == expected
