"""How fast working-time conversions are, against a naive day-by-day Python walk.

Run: ``.venv/bin/python -m bench.workcalendar [--repeat 5]`` from the repository root (run as a
script, ``bench/`` would come first on ``sys.path`` and this file would shadow the standard
library's ``calendar``). Prints a Markdown table of operations per second, best of
``--repeat`` runs, for a 3-year program: ``WorkGrid.date_of``, ``dates_of`` (per element),
``index_on_or_after``, and ``unavailability_by_person`` / ``person_unavailability`` for 100
people, each beside the same answer computed by walking the calendar one day at a time (in
the same run, checked equal first)."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections.abc import Callable

import numpy as np

from ontrack.engines.calendar import (
    WorkGrid,
    person_unavailability,
    unavailability_by_person,
)
from ontrack.model.records import Calendar, DateRange, Person, Plan, Program

ORIGIN = dt.date(2027, 1, 4)
HORIZON_DAYS = 3 * 365
ONE_DAY = dt.timedelta(days=1)


def holidays(years: range, month_days: list[tuple[int, int]]) -> tuple[dt.date, ...]:
    return tuple(dt.date(y, m, d) for y in years for m, d in month_days)


def make_plan(people: int, seed: int = 1) -> Plan:
    rng = random.Random(seed)
    years = range(2027, 2031)
    default = Calendar(holidays=holidays(years, [(1, 1), (5, 31), (7, 5), (12, 24), (12, 25)]))
    own = (
        Calendar(id="uk", holidays=holidays(years, [(1, 1), (5, 3), (8, 30), (12, 27)])),
        Calendar(id="sun-thu", workweek=frozenset({6, 0, 1, 2, 3})),
        Calendar(id="four-day", workweek=frozenset({0, 1, 2, 3})),
    )
    staff = []
    for i in range(people):
        time_off = []
        for _ in range(rng.randint(3, 8)):
            start = ORIGIN + dt.timedelta(days=rng.randint(-20, HORIZON_DAYS))
            time_off.append(DateRange(start, start + dt.timedelta(days=rng.randint(0, 14))))
        calendar = rng.choice([None, None, *(c.id for c in own)])
        staff.append(Person(f"p{i}", f"P{i}", time_off=tuple(time_off), calendar=calendar))
    return Plan(Program("bench", ORIGIN), calendar=default, calendars=own, people=tuple(staff))


# The naive baseline: walk one day at a time (holidays as sets, to be fair to it).


def naive_date_of(calendar: Calendar, off: set[dt.date], index: int) -> dt.date:
    day, seen = ORIGIN, -1
    while True:
        if day.weekday() in calendar.workweek and day not in off:
            seen += 1
            if seen == index:
                return day
        day += ONE_DAY


def naive_index_on_or_after(calendar: Calendar, off: set[dt.date], target: dt.date) -> int:
    day, index = ORIGIN, 0
    while day < target:
        if day.weekday() in calendar.workweek and day not in off:
            index += 1
        day += ONE_DAY
    return index


def naive_unavailability(plan: Plan, person: Person, horizon: int) -> tuple[tuple[int, int], ...]:
    own = plan.calendar_of(person)
    own_off = set(own.holidays)
    default_off = set(plan.calendar.holidays)
    ranges: list[tuple[int, int]] = []
    day, index = ORIGIN, 0
    while index < horizon:
        if day.weekday() in plan.calendar.workweek and day not in default_off:
            away = any(day in r for r in person.time_off) or (
                own is not plan.calendar and (day.weekday() not in own.workweek or day in own_off)
            )
            if away:
                if ranges and ranges[-1][1] == index:
                    ranges[-1] = (ranges[-1][0], index + 1)
                else:
                    ranges.append((index, index + 1))
            index += 1
        day += ONE_DAY
    return tuple(ranges)


def ops_per_second(run: Callable[[], object], ops: int, repeat: int) -> float:
    """Operations per second of the fastest run: on a shared machine the stablest figure."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return ops / min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (best)")
    parser.add_argument("--people", type=int, default=100, help="people in the plan")
    args = parser.parse_args(argv)

    plan = make_plan(args.people)
    grid = WorkGrid.for_plan(plan)
    off = set(plan.calendar.holidays)
    horizon = grid.index_on_or_after(ORIGIN + dt.timedelta(days=HORIZON_DAYS))
    rng = random.Random(2)
    indices = [rng.randrange(horizon) for _ in range(2000)]
    days = [ORIGIN + dt.timedelta(days=rng.randrange(HORIZON_DAYS)) for _ in range(2000)]
    index_array = np.array(indices * 50)

    # Same answers first, so the race is fair.
    assert [grid.date_of(i) for i in indices[:100]] == [
        naive_date_of(plan.calendar, off, i) for i in indices[:100]
    ]
    assert [grid.index_on_or_after(d) for d in days[:100]] == [
        naive_index_on_or_after(plan.calendar, off, d) for d in days[:100]
    ]
    fast = unavailability_by_person(plan, grid, horizon)
    for p in plan.people:
        assert fast[p.id] == naive_unavailability(plan, p, horizon), p.id

    n_naive = 200
    rows = [
        (
            "date_of",
            ops_per_second(lambda: [grid.date_of(i) for i in indices], len(indices), args.repeat),
            ops_per_second(
                lambda: [naive_date_of(plan.calendar, off, i) for i in indices[:n_naive]],
                n_naive,
                args.repeat,
            ),
        ),
        (
            "dates_of (per element, 100k array)",
            ops_per_second(lambda: grid.dates_of(index_array), len(index_array), args.repeat),
            None,
        ),
        (
            "index_on_or_after",
            ops_per_second(
                lambda: [grid.index_on_or_after(d) for d in days], len(days), args.repeat
            ),
            ops_per_second(
                lambda: [naive_index_on_or_after(plan.calendar, off, d) for d in days[:n_naive]],
                n_naive,
                args.repeat,
            ),
        ),
        (
            f"unavailability_by_person ({len(plan.people)} people, per plan)",
            ops_per_second(lambda: unavailability_by_person(plan, grid, horizon), 1, args.repeat),
            ops_per_second(
                lambda: [naive_unavailability(plan, p, horizon) for p in plan.people],
                1,
                args.repeat,
            ),
        ),
        (
            f"person_unavailability × {len(plan.people)} (per plan)",
            ops_per_second(
                lambda: [person_unavailability(plan, p, grid, horizon) for p in plan.people],
                1,
                args.repeat,
            ),
            None,
        ),
    ]
    print(f"Horizon: {horizon} working days ({ORIGIN} + {HORIZON_DAYS} days).\n")
    print("| operation | ontrack ops/s | naive day-by-day ops/s | speed-up |")
    print("|---|---:|---:|---:|")
    for name, ours, naive in rows:
        naive_text = f"{naive:,.1f}" if naive is not None else "–"
        ratio = f"{ours / naive:,.0f}×" if naive is not None else "–"
        print(f"| {name} | {ours:,.1f} | {naive_text} | {ratio} |")


if __name__ == "__main__":
    main()
