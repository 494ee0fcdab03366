"""The release calendar's HTML partial: departures by month, the strip's shaded days, releases
as badges coloured by whether their scope is done before the freeze, and user text escaped."""

from __future__ import annotations

import datetime as dt

from ontrack.engines.releasecal import release_calendar
from ontrack.planfile import load_plan_text
from ontrack.reports.releasecal import release_calendar_html

D = dt.date
PLAN = """\
program: {name: Trains, start: 2027-01-04}
calendar: {holidays: [2027-01-26]}
tasks:
  - {id: ship, title: Ship, milestone: true}
  - {id: big, title: Big, estimate: 30d}
trains:
  - {id: web, title: "Web <b>train</b>", first: 2027-01-12, every: 2w,
     code_freeze: 3d, hardening: 1w}
releases:
  - {id: r1, title: "Checkout <2.0>", date: 2027-01-27, train: web, includes: [ship]}
  - {id: r2, title: Second, date: 2027-01-28, train: web}
  - {id: r3, title: Third, date: 2027-02-09, train: web, includes: [big]}
  - {id: loose, title: Loose, date: 2027-02-20}
"""


def test_partial_renders_months_strips_and_badges() -> None:
    plan, diagnostics = load_plan_text(PLAN)
    assert plan is not None, diagnostics
    finishes = {"ship": D(2027, 1, 6), "big": D(2027, 2, 12)}
    html = str(
        release_calendar_html(release_calendar(plan, D(2027, 1, 4), D(2027, 2, 28), finishes))
    )
    assert html.startswith('<div class="relcal">')
    assert html.index("January 2027") < html.index("February 2027")
    assert html.count('class="relcal-month"') == 2
    # Departure 2 (scheduled on the holiday) leaves on the 27th: hardening 19-25, freeze 21-26.
    assert "27 Jan 2027" in html and "from 26 Jan 2027" in html
    assert 'class="relcal-day hardening" title="Tue 19 Jan: hardening"' in html
    assert 'class="relcal-day freeze" title="Thu 21 Jan: code freeze"' in html
    assert 'class="relcal-day departs" title="Wed 27 Jan: departs"' in html
    assert "chip good relcal-badge" in html and "chip bad relcal-badge" in html
    assert "Checkout &lt;2.0&gt;" in html and "Web &lt;b&gt;train&lt;/b&gt;" in html
    assert "<b>train</b>" not in html
    assert "leaves on no departure of web: not a departure" in html
    assert "Releases without a train" in html and "Loose · 20 Feb 2027" in html


def test_partial_without_trains() -> None:
    plan, _ = load_plan_text("program: {name: P, start: 2027-01-04}\n")
    assert plan is not None
    html = str(release_calendar_html(release_calendar(plan, D(2027, 1, 4), D(2027, 2, 1))))
    assert "no release trains" in html and "<table" not in html
