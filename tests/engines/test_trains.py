"""Release trains: departures on the cadence, a holiday rolling a departure forward, ``until``,
the code freeze and hardening window counted in working days across weekends and holidays, and
the departures around a day."""

from __future__ import annotations

import datetime as dt

from ontrack.engines.calendar import WorkCalendar
from ontrack.engines.trains import (
    around,
    departure_on,
    departures,
    next_departure,
    release_departure,
)
from ontrack.model import Calendar, Train
from ontrack.planfile import load_plan_text

D = dt.date
# Mon-Fri; Tuesday 26 Jan 2027 and Friday 19 Feb 2027 are holidays.
HOLIDAYS = (D(2027, 1, 26), D(2027, 2, 19))


def _calendar() -> WorkCalendar:
    plan, diagnostics = load_plan_text(
        "program: {name: T, start: 2027-01-04}\ncalendar: {holidays: [2027-01-26, 2027-02-19]}\n"
    )
    assert plan is not None, diagnostics
    assert isinstance(plan.calendar, Calendar)
    return WorkCalendar.of(plan.calendar)


CAL = _calendar()
WEB = Train("web", "Web", D(2027, 1, 12), 14, code_freeze=3, hardening=5)


def test_departures_every_second_tuesday_with_a_holiday_rolled_forward() -> None:
    found = list(departures(WEB, CAL, D(2027, 1, 1), D(2027, 3, 10)))
    assert [d.number for d in found] == [1, 2, 3, 4, 5]
    assert [d.scheduled for d in found] == [
        D(2027, 1, 12),
        D(2027, 1, 26),
        D(2027, 2, 9),
        D(2027, 2, 23),
        D(2027, 3, 9),
    ]
    # 26 Jan is a holiday: that train leaves on Wednesday 27 Jan.
    assert [d.date for d in found] == [
        D(2027, 1, 12),
        D(2027, 1, 27),
        D(2027, 2, 9),
        D(2027, 2, 23),
        D(2027, 3, 9),
    ]


def test_the_window_is_inclusive_and_a_rolled_departure_counts_on_its_real_day() -> None:
    assert [d.date for d in departures(WEB, CAL, D(2027, 1, 27), D(2027, 2, 9))] == [
        D(2027, 1, 27),
        D(2027, 2, 9),
    ]
    # Scheduled on the 26th (before the window) but leaving on the 27th (inside it).
    assert [d.number for d in departures(WEB, CAL, D(2027, 1, 27), D(2027, 1, 27))] == [2]
    assert list(departures(WEB, CAL, D(2027, 1, 26), D(2027, 1, 26))) == []
    assert list(departures(WEB, CAL, D(2026, 1, 1), D(2026, 12, 31))) == []


def test_until_stops_the_train() -> None:
    short = Train("s", "S", D(2027, 1, 12), 7, until=D(2027, 2, 2))
    assert [d.date for d in departures(short, CAL, D(2027, 1, 1), D(2027, 12, 31))] == [
        D(2027, 1, 12),
        D(2027, 1, 19),
        D(2027, 1, 27),  # the 26th is a holiday
        D(2027, 2, 2),
    ]
    assert next_departure(short, CAL, D(2027, 2, 3)) is None


def test_freeze_and_hardening_count_working_days_across_weekends() -> None:
    first = departure_on(WEB, CAL, D(2027, 1, 12))
    assert first is not None
    # Tue 12 Jan: three working days before is Thu 7 Jan; hardening is the five working days
    # before the departure, Tue 5 .. Mon 11 (the weekend inside it is not counted).
    assert first.freeze == D(2027, 1, 7)
    assert first.hardening == (D(2027, 1, 5), D(2027, 1, 11))


def test_freeze_and_hardening_skip_holidays() -> None:
    rolled = departure_on(WEB, CAL, D(2027, 1, 27))
    assert rolled is not None and rolled.scheduled == D(2027, 1, 26)
    # Wed 27 Jan, with Tue 26 a holiday: 25, 22, 21 -> the freeze is Thu 21 Jan; hardening
    # 25, 22, 21, 20, 19 -> Tue 19 .. Mon 25.
    assert rolled.freeze == D(2027, 1, 21)
    assert rolled.hardening == (D(2027, 1, 19), D(2027, 1, 25))
    # Tue 23 Feb: the hardening crosses the weekend and Friday 19 Feb's holiday.
    later = departure_on(WEB, CAL, D(2027, 2, 23))
    assert later is not None
    assert later.freeze == D(2027, 2, 17)  # 22, 18, 17
    assert later.hardening == (D(2027, 2, 15), D(2027, 2, 22))  # 22, 18, 17, 16, 15


def test_without_hardening_the_freeze_is_the_window_and_without_either_none() -> None:
    frozen = Train("f", "F", D(2027, 1, 12), 14, code_freeze=2)
    found = departure_on(frozen, CAL, D(2027, 1, 12))
    assert found is not None
    assert found.freeze == D(2027, 1, 8)
    assert found.hardening == (D(2027, 1, 8), D(2027, 1, 11))
    bare = departure_on(Train("b", "B", D(2027, 1, 12), 14), CAL, D(2027, 1, 12))
    assert bare is not None and bare.freeze is None and bare.hardening is None


def test_departure_on_only_matches_the_real_day() -> None:
    assert departure_on(WEB, CAL, D(2027, 1, 13)) is None
    assert departure_on(WEB, CAL, D(2027, 1, 26)) is None  # the holiday it was scheduled on


def test_around_and_next() -> None:
    before, after = around(WEB, CAL, D(2027, 2, 1))
    assert before is not None and before.date == D(2027, 1, 27)
    assert after is not None and after.date == D(2027, 2, 9)
    # On a departure day, that departure is "after" (on or after), the one before is before.
    before, after = around(WEB, CAL, D(2027, 2, 9))
    assert before is not None and before.date == D(2027, 1, 27)
    assert after is not None and after.date == D(2027, 2, 9)
    before, after = around(WEB, CAL, D(2027, 1, 1))
    assert before is None and after is not None and after.number == 1
    found = next_departure(WEB, CAL, D(2027, 1, 26))
    assert found is not None and found.date == D(2027, 1, 27)


def test_to_json() -> None:
    found = departure_on(WEB, CAL, D(2027, 1, 27))
    assert found is not None
    assert found.to_json() == {
        "train": "web",
        "number": 2,
        "date": "2027-01-27",
        "scheduled": "2027-01-26",
        "code_freeze": "2027-01-21",
        "hardening": {"start": "2027-01-19", "end": "2027-01-25"},
    }


def test_release_departure_from_a_plan() -> None:
    plan, diagnostics = load_plan_text(
        "program: {name: T, start: 2027-01-04}\n"
        "calendar: {holidays: [2027-01-26]}\n"
        "trains:\n  - {id: web, first: 2027-01-12, every: 2w, code_freeze: 3d}\n"
        "releases:\n"
        "  - {id: riding, title: Riding, date: 2027-01-27, train: web}\n"
        "  - {id: astray, title: Astray, date: 2027-01-26, train: web}\n"
        "  - {id: free, title: Free, date: 2027-01-27}\n"
    )
    assert plan is not None, diagnostics
    on, off, free = plan.releases
    found = release_departure(plan, on)
    assert found is not None and found.number == 2 and found.freeze == D(2027, 1, 21)
    assert release_departure(plan, off) is None
    assert release_departure(plan, free) is None
