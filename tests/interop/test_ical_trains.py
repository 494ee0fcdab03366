"""The iCalendar export's release trains: each departure (with the releases leaving on it), its
code freeze and its hardening window as all-day events with exact dates (DTEND exclusive, as
RFC 5545 says) and stable UIDs, within the export's window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar

from ontrack.engines.schedule.planner import schedule
from ontrack.interop.ical import milestones_ics
from ontrack.model import Plan
from ontrack.planfile import load_plan_text

D = dt.date
STAMP = dt.datetime(2027, 1, 1, 9, 0, tzinfo=dt.UTC)
PLAN = """\
program: {name: Trains Demo, start: 2027-01-04}
calendar: {holidays: [2027-01-26]}
tasks:
  - {id: api, title: API, estimate: 3d}
  - {id: ship, title: Ship, milestone: true, depends: [api]}
trains:
  - {id: web, title: Web train, first: 2027-01-12, every: 2w, code_freeze: 3d, hardening: 1w}
releases:
  - {id: r1, title: Checkout 2.0, date: 2027-01-27, train: web, includes: [ship]}
"""


def _export(window: tuple[dt.date, dt.date] | None) -> tuple[Plan, icalendar.Calendar]:
    plan, diagnostics = load_plan_text(PLAN)
    assert plan is not None, diagnostics
    scheduled, problems = schedule(plan)
    assert scheduled is not None, problems
    data = milestones_ics(plan, scheduled, None, stamp=STAMP, window=window)
    return plan, icalendar.Calendar.from_ical(data)


def _by_uid(cal: icalendar.Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def _span(event: Any) -> tuple[dt.date, dt.date]:
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert event["DTEND"].params["VALUE"] == "DATE"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert type(start) is dt.date and type(end) is dt.date
    return start, end


def test_departure_freeze_and_hardening_events_with_exact_dates() -> None:
    _, cal = _export((D(2027, 1, 20), D(2027, 1, 31)))
    events = _by_uid(cal)
    # Scheduled on Tue 26 Jan, a holiday: the UID keeps the scheduled day, the event is the 27th.
    key = "train-web-20270126"
    departs = events[f"{key}@trains-demo.ontrack"]
    assert str(departs["SUMMARY"]) == "Web train departs"
    assert _span(departs) == (D(2027, 1, 27), D(2027, 1, 28))
    assert [str(c) for c in departs["CATEGORIES"].cats] == ["Train"]
    description = str(departs["DESCRIPTION"])
    assert "Releases leaving:\n- Checkout 2.0 (r1)" in description
    assert "Scheduled for 2027-01-26, a non-working day" in description
    freeze = events[f"{key}-freeze@trains-demo.ontrack"]
    assert str(freeze["SUMMARY"]) == "Code freeze: Web train"
    assert _span(freeze) == (D(2027, 1, 21), D(2027, 1, 22))
    hardening = events[f"{key}-hardening@trains-demo.ontrack"]
    assert str(hardening["SUMMARY"]) == "Hardening: Web train"
    # Five working days Tue 19 .. Mon 25 Jan: DTEND is the 26th, the day after (exclusive).
    assert _span(hardening) == (D(2027, 1, 19), D(2027, 1, 26))
    for event in (departs, freeze, hardening):
        assert event.decoded("DTSTAMP") == STAMP
        assert str(event["TRANSP"]) == "TRANSPARENT"


def test_only_departures_in_the_window_and_the_milestones_and_releases_stay() -> None:
    _, cal = _export((D(2027, 1, 20), D(2027, 1, 31)))
    uids = sorted(_by_uid(cal))
    assert uids == [
        "milestone-ship@trains-demo.ontrack",
        "release-r1@trains-demo.ontrack",
        "train-web-20270126-freeze@trains-demo.ontrack",
        "train-web-20270126-hardening@trains-demo.ontrack",
        "train-web-20270126@trains-demo.ontrack",
    ]


def test_default_window_runs_two_cycles_past_the_finish_and_uids_are_stable() -> None:
    plan, cal = _export(None)
    walked: list[Any] = cal.walk("VEVENT")
    departures = [e for e in walked if [str(c) for c in e["CATEGORIES"].cats] == ["Train"]]
    # Program start 4 Jan; the last release is 27 Jan (later than the finish): to 24 Feb.
    assert [e.decoded("DTSTART") for e in departures] == [
        D(2027, 1, 12),
        D(2027, 1, 27),
        D(2027, 2, 9),
        D(2027, 2, 23),
    ]
    assert "No release leaves on it yet." in str(departures[0]["DESCRIPTION"])
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert len(uids) == len(set(uids))
    scheduled, _ = schedule(plan)
    assert scheduled is not None
    again = milestones_ics(plan, scheduled, None, stamp=STAMP)
    assert again == cal.to_ical()


def test_a_plan_without_trains_has_no_train_events() -> None:
    plan, diagnostics = load_plan_text(
        "program: {name: P, start: 2027-01-04}\ntasks:\n  - {id: m, title: M, milestone: true}\n"
    )
    assert plan is not None, diagnostics
    scheduled, _ = schedule(plan)
    assert scheduled is not None
    cal = icalendar.Calendar.from_ical(milestones_ics(plan, scheduled, None, stamp=STAMP))
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == ["milestone-m@p.ontrack"]
