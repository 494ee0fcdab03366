"""The release calendar: departures in a window with the releases leaving on each, train
releases on no departure (W313, with the nearest departures), releases without a train, and a
scope planned to finish on or after the code freeze (W314)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from ontrack.engines.releasecal import default_window, release_calendar, train_name
from ontrack.model import Plan
from ontrack.planfile import load_plan, load_plan_text
from tests.conftest import EXAMPLES

D = dt.date

PLAN = """\
program: {name: Trains, start: 2027-01-04}
calendar: {holidays: [2027-01-26]}
tasks:
  - {id: api, title: API, estimate: 3d}
  - {id: ship, title: Ship, milestone: true, depends: [api]}
  - {id: big, title: Big, estimate: 30d}
trains:
  - {id: web, title: Web train, first: 2027-01-12, every: 2w, code_freeze: 3d, hardening: 1w}
  - {id: mobile, first: 2027-01-15, every: 4w, until: 2027-03-31}
releases:
  - {id: r1, title: First, date: 2027-01-27, train: web, includes: [ship]}
  - {id: r2, title: Second, date: 2027-01-28, train: web}
  - {id: r3, title: Third, date: 2027-02-09, train: web, includes: [big]}
  - {id: m1, title: Mobile one, date: 2027-02-12, train: mobile}
  - {id: loose, title: Loose, date: 2027-02-20}
  - {id: later, title: Later, date: 2027-06-01, train: web}
  - {id: nodate, title: Undated, train: web}
"""


def _plan() -> Plan:
    plan, diagnostics = load_plan_text(PLAN)
    assert plan is not None, diagnostics
    return plan


FINISHES = {"api": D(2027, 1, 6), "ship": D(2027, 1, 6), "big": D(2027, 2, 12)}


def test_departures_in_the_window_with_their_releases() -> None:
    cal = release_calendar(_plan(), D(2027, 1, 4), D(2027, 2, 28), FINISHES)
    assert [(d.date, d.departure.train) for d in cal.departures] == [
        (D(2027, 1, 12), "web"),
        (D(2027, 1, 15), "mobile"),
        (D(2027, 1, 27), "web"),  # the 26th is a holiday
        (D(2027, 2, 9), "web"),
        (D(2027, 2, 12), "mobile"),
        (D(2027, 2, 23), "web"),
    ]
    leaving = {d.date: [r.release for r in d.releases] for d in cal.departures}
    assert leaving[D(2027, 1, 27)] == ["r1"]
    assert leaving[D(2027, 2, 9)] == ["r3"]
    assert leaving[D(2027, 2, 12)] == ["m1"]
    assert leaving[D(2027, 1, 12)] == []
    assert [d.train_title for d in cal.departures[:2]] == ["Web train", "Train mobile"]


def test_scope_before_the_freeze_and_w314_when_not() -> None:
    cal = release_calendar(_plan(), D(2027, 1, 4), D(2027, 2, 28), FINISHES)
    by_id = {r.release: r for d in cal.departures for r in d.releases}
    r1, r3, m1 = by_id["r1"], by_id["r3"], by_id["m1"]
    assert (r1.scope, r1.scope_finish, r1.cutoff, r1.before_cutoff) == (
        ("ship",),
        D(2027, 1, 6),
        D(2027, 1, 21),
        True,
    )
    # r3's scope finishes 12 Feb, after the web train's freeze on Thu 4 Feb.
    assert (r3.scope_finish, r3.cutoff, r3.before_cutoff) == (D(2027, 2, 12), D(2027, 2, 4), False)
    # m1 has no scope: nothing to say.
    assert m1.scope == () and m1.before_cutoff is None
    w314 = [d for d in cal.diagnostics if d.code == "W314"]
    assert [d.subjects for d in w314] == [("r3", "web")]
    assert "2027-02-12" in w314[0].message and "2027-02-04" in w314[0].message
    assert w314[0].loc.line == 13


def test_without_finishes_nothing_is_judged() -> None:
    cal = release_calendar(_plan(), D(2027, 1, 4), D(2027, 2, 28))
    assert all(r.before_cutoff is None for d in cal.departures for r in d.releases)
    assert [d.code for d in cal.diagnostics] == ["W313"]


def test_a_train_release_off_its_departures_is_w313_with_the_nearest() -> None:
    cal = release_calendar(_plan(), D(2027, 1, 4), D(2027, 2, 28), FINISHES)
    off = {o.release.release: o for o in cal.off_train}
    assert set(off) == {"r2", "nodate"}
    r2 = off["r2"]
    assert r2.reason == "not a departure"
    assert r2.before is not None and r2.before.date == D(2027, 1, 27)
    assert r2.after is not None and r2.after.date == D(2027, 2, 9)
    assert off["nodate"].reason == "no date" and off["nodate"].before is None
    (w313,) = [d for d in cal.diagnostics if d.code == "W313"]
    assert w313.subjects == ("r2", "web")
    assert (w313.loc.line, w313.loc.col) == (12, 35)  # the release's date
    assert "2027-01-27 (Wed)" in w313.hint and "2027-02-09 (Tue)" in w313.hint


def test_after_until_there_is_no_departure_after() -> None:
    plan = _plan()
    late = dataclasses.replace(plan.releases[3], id="m9", date=D(2027, 4, 9))
    plan = dataclasses.replace(plan, releases=(*plan.releases, late))
    cal = release_calendar(plan, D(2027, 1, 4), D(2027, 4, 30))
    (off,) = [o for o in cal.off_train if o.release.release == "m9"]
    assert off.before is not None and off.before.date == D(2027, 3, 12)
    assert off.after is None
    # The mobile train stops at its `until`.
    assert max(d.date for d in cal.departures if d.departure.train == "mobile") == D(2027, 3, 12)


def test_an_unknown_train_is_listed_apart_without_a_second_warning() -> None:
    plan = _plan()
    stray = dataclasses.replace(plan.releases[0], id="stray", train="tram")
    plan = dataclasses.replace(plan, releases=(stray,))
    cal = release_calendar(plan, D(2027, 1, 4), D(2027, 2, 28))
    (off,) = cal.off_train
    assert off.release.release == "stray" and "tram" in off.reason
    assert cal.diagnostics == ()


def test_releases_without_a_train_and_outside_the_window() -> None:
    cal = release_calendar(_plan(), D(2027, 1, 4), D(2027, 2, 28), FINISHES)
    assert [(r.release, r.date) for r in cal.untrained] == [("loose", D(2027, 2, 20))]
    assert [r.release for r in cal.outside] == ["later"]
    narrow = release_calendar(_plan(), D(2027, 1, 20), D(2027, 1, 31))
    assert [d.date for d in narrow.departures] == [D(2027, 1, 27)]
    assert {r.release for r in narrow.outside} == {"r3", "m1", "later"}


def test_default_window_runs_two_cycles_of_the_slowest_train_past_the_finish() -> None:
    plan = _plan()
    # The last release (1 Jun) is later than the finish; mobile's cycle is 28 days.
    assert default_window(plan, D(2027, 2, 12)) == (D(2027, 1, 4), D(2027, 7, 27))
    assert default_window(plan, D(2027, 9, 1)) == (D(2027, 1, 4), D(2027, 10, 27))
    bare, _ = load_plan_text("program: {name: B, start: 2027-01-04}\n")
    assert bare is not None
    assert default_window(bare) == (D(2027, 1, 4), D(2027, 2, 1))


def test_to_json_round_trips_through_json() -> None:
    cal = release_calendar(_plan(), D(2027, 1, 4), D(2027, 2, 28), FINISHES)
    data = json.loads(json.dumps(cal.to_json()))
    assert data["start"] == "2027-01-04" and data["end"] == "2027-02-28"
    assert data["trains"][0] == {
        "id": "web",
        "title": "Web train",
        "first": "2027-01-12",
        "every_days": 14,
        "until": None,
        "code_freeze_days": 3,
        "hardening_days": 5,
    }
    second = data["departures"][2]
    assert second["date"] == "2027-01-27" and second["scheduled"] == "2027-01-26"
    assert second["code_freeze"] == "2027-01-21"
    assert second["releases"][0]["release"] == "r1"
    assert second["releases"][0]["before_cutoff"] is True
    assert [o["release"] for o in data["off_train"]] == ["r2", "nodate"]
    assert data["off_train"][0]["after"]["date"] == "2027-02-09"
    assert sorted(d["code"] for d in data["diagnostics"]) == ["W313", "W314"]


def test_the_example_releases_ride_the_storefront_train() -> None:
    plan, diagnostics = load_plan(EXAMPLES / "platform-migration")
    assert plan is not None, diagnostics
    cal = release_calendar(plan, *default_window(plan))
    assert cal.off_train == () and cal.diagnostics == ()
    leaving = {r.release: d.date for d in cal.departures for r in d.releases}
    assert leaving == {"rel-stateless": D(2026, 7, 17), "rel-full-cutover": D(2026, 8, 14)}
    assert train_name(plan.trains[0]) == "Storefront release train"
    # Juneteenth and Independence Day (observed) move their departures to the Monday.
    rolled = [d.date for d in cal.departures if d.date != d.departure.scheduled]
    assert rolled == [D(2026, 6, 22), D(2026, 7, 6)]
