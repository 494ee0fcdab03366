"""Scope change against a baseline, the weekly series and the burn-up, with hand-computed days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction as F

from ontrack.engines.scope import (
    DEFAULT_THRESHOLD,
    burn_up,
    completion,
    plan_scope,
    revision_for_week,
    scope_change,
    scope_series,
    series_span,
    weeks,
)
from ontrack.model import Plan
from ontrack.store.repo import ProgressFact
from tests.conftest import HEADER, load_doc

# 3 + 8 (the likely value) + 2 = 13 days; the milestone and the open risk add nothing.
BASELINE = """
tasks:
  - {id: a, title: Design, estimate: 3d}
  - {id: b, title: Build, estimate: 5d/8d/13d, depends: a}
  - {id: c, title: Docs, estimate: 2d}
  - {id: m, title: Launch, milestone: true, depends: [b, c]}
risks:
  - {id: r1, title: Vendor late, probability: 30%, impact: 5d, affects: b}
  - {id: r2, title: Key person leaves, probability: 10%, impact: 10d}
"""

# d added (+4), c removed (−2), b re-estimated 8 → 12 (+4), r1 occurred (+5): 3 + 12 + 4 + 5.
CURRENT = """
tasks:
  - {id: a, title: Design, estimate: 3d}
  - {id: b, title: Build, estimate: 10d/12d/20d, depends: a}
  - {id: d, title: Security review, estimate: 4d, depends: b}
  - {id: m, title: Launch, milestone: true, depends: [b, d]}
risks:
  - {id: r1, title: Vendor late, probability: 30%, impact: 3d/5d/9d, affects: b, status: occurred}
  - {id: r2, title: Key person leaves, probability: 10%, impact: 10d}
"""


def plan(text: str) -> Plan:
    loaded, diagnostics = load_doc(HEADER + text)
    assert loaded is not None, [d.format() for d in diagnostics]
    return loaded


def test_added_removed_re_estimated_and_a_realised_risk() -> None:
    change = scope_change(plan(BASELINE), plan(CURRENT))
    assert (change.baseline_days, change.current_days) == (F(13), F(24))
    assert change.growth == F(11, 13)
    assert [(i.kind, i.id, i.baseline_days, i.current_days) for i in change.items] == [
        ("re-estimated", "b", F(8), F(12)),
        ("added", "d", F(0), F(4)),
        ("removed", "c", F(2), F(0)),
        ("risk", "r1", F(0), F(5)),
    ]
    components = (change.added, change.removed, change.grown, change.shrunk, change.risks)
    assert components == (F(4), F(-2), F(4), F(0), F(5))
    assert change.added + change.removed + change.re_estimated + change.risks == change.change
    assert change.creep() and change.creep(F(84, 100))
    assert not change.creep(F(85, 100))  # 11/13 = 84.6 %
    # Largest first; the 4-day tie goes by kind ("added" before "re-estimated").
    top = [(i.id, i.delta) for i in change.contributors()]
    assert top == [("r1", F(5)), ("d", F(4)), ("b", F(4))]
    assert [i.id for i in change.contributors(1)] == ["r1"]
    data = change.to_json()
    assert data["growth"] == 0.8462 and data["threshold"] == 0.1 and data["creep"] is True
    assert data["components"] == {
        "added": 4.0,
        "removed": -2.0,
        "re_estimated_grown": 4.0,
        "re_estimated_shrunk": 0.0,
        "risks": 5.0,
    }
    assert data["contributors"][0] == {
        "kind": "risk",
        "id": "r1",
        "title": "Vendor late",
        "baseline_days": 0.0,
        "current_days": 5.0,
        "delta_days": 5.0,
        "folded": [],
    }


def test_exactly_the_threshold_is_not_creep() -> None:
    baseline = plan("tasks: [{id: a, title: A, estimate: 4d}, {id: b, title: B, estimate: 6d}]\n")
    current = plan("tasks: [{id: a, title: A, estimate: 4d}, {id: b, title: B, estimate: 7d}]\n")
    change = scope_change(baseline, current)
    assert change.growth == DEFAULT_THRESHOLD == F(1, 10)
    assert not change.creep()
    assert change.creep(F(9, 100))
    assert change.creep(F(0)) and not scope_change(baseline, baseline).creep(F(0))


def test_shrinking_removing_and_hours_are_exact() -> None:
    # 6 h days: 9h = 1.5 d, 3h = 0.5 d; a fixed duration counts like an estimate.
    baseline = plan(
        "calendar: {hours_per_day: 6}\n"
        "tasks:\n"
        "  - {id: a, title: A, estimate: 9h}\n"
        "  - {id: soak, title: Soak, duration: 2d}\n"
        "  - {id: b, title: B, estimate: 1d}\n"
    )
    current = plan(
        "calendar: {hours_per_day: 6}\n"
        "tasks:\n"
        "  - {id: a, title: A, estimate: 3h}\n"
        "  - {id: soak, title: Soak, duration: 2d}\n"
        "  - {id: b, title: B, milestone: true}\n"
        "  - {id: e, title: Unsized}\n"
    )
    change = scope_change(baseline, current)
    assert (change.baseline_days, change.current_days) == (F(9, 2), F(5, 2))
    assert change.growth == F(-4, 9)
    assert [(i.id, i.delta) for i in change.items] == [("a", F(-1)), ("b", F(-1))]
    assert change.shrunk == -2 and change.grown == 0 and not change.creep()
    assert change.contributors() == ()
    assert change.unestimated == ("e",)


def test_a_split_task_is_re_estimated_not_added() -> None:
    baseline = plan(
        "tasks:\n"
        "  - {id: x, title: Payments, estimate: 10d}\n"
        "  - id: web\n"
        "    title: Web\n"
        "    tasks: [{id: w1, title: Page, estimate: 2d}]\n"
        "  - id: old\n"
        "    title: Old module\n"
        "    tasks: [{id: o1, title: Part 1, estimate: 1d},\n"
        "            {id: o2, title: Part 2, estimate: 2d}]\n"
    )
    current = plan(
        "tasks:\n"
        "  - id: x\n"
        "    title: Payments\n"
        "    tasks:\n"
        "      - {id: x1, title: Card API, estimate: 6d}\n"
        "      - id: x2\n"
        "        title: Wallets\n"
        "        tasks: [{id: x21, title: Apple Pay, estimate: 3d}, {id: x22, title: GPay, "
        "estimate: 3d}]\n"
        "  - id: web\n"
        "    title: Web\n"
        "    tasks: [{id: w1, title: Page, estimate: 2d}, {id: w2, title: Form, estimate: 1d}]\n"
        "  - {id: old, title: Old module, estimate: 5d}\n"
    )
    change = scope_change(baseline, current)
    assert [(i.kind, i.id, i.baseline_days, i.current_days, i.folded) for i in change.items] == [
        ("re-estimated", "x", F(10), F(12), ("x1", "x21", "x22")),  # split: 6 + 3 + 3 against 10
        ("added", "w2", F(0), F(1), ()),  # new under a summary that was a summary already
        ("re-estimated", "old", F(3), F(5), ("o1", "o2")),  # merged back into one task
    ]
    assert change.change == change.added + change.re_estimated == 5
    assert (change.baseline_days, change.current_days) == (F(15), F(20))


def test_a_risk_that_occurred_at_the_baseline_is_baseline_scope() -> None:
    baseline = plan(
        "tasks: [{id: a, title: A, estimate: 10d}]\n"
        "risks:\n"
        "  - {id: r, title: R, probability: 50%, impact: 2d, status: occurred}\n"
        "  - {id: s, title: S, probability: 50%, impact: 3d, status: occurred}\n"
    )
    current = plan(
        "tasks: [{id: a, title: A, estimate: 10d}]\n"
        "risks:\n"
        "  - {id: r, title: R, probability: 50%, impact: 2d, status: occurred}\n"
        "  - {id: s, title: S, probability: 50%, impact: 3d, status: closed}\n"
    )
    assert plan_scope(baseline) == 15
    change = scope_change(baseline, current)
    assert [(i.kind, i.id, i.delta) for i in change.items] == [("risk", "s", F(-3))]
    assert change.risks == -3 and change.current_days == 12


def test_an_empty_baseline_has_no_growth_ratio() -> None:
    empty = plan("tasks: [{id: m, title: M, milestone: true}]\n")
    change = scope_change(empty, plan("tasks: [{id: a, title: A, estimate: 1d}]\n"))
    assert change.growth is None and change.creep() and change.to_json()["growth"] is None
    assert not scope_change(empty, empty).creep()


# -- weekly series and burn-up -------------------------------------------------------------------

SHRUNK = CURRENT.replace(
    "{id: a, title: Design, estimate: 3d}", "{id: a, title: Design, estimate: 2d}"
)  # a: 3 → 2 days
MIDDLE = CURRENT.replace("10d/12d/20d", "5d/8d/13d").replace("status: occurred", "status: open")


def utc(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def history() -> tuple[Plan, list[tuple[dt.datetime, Plan]]]:
    base = plan(BASELINE)
    return base, [
        (utc(2026, 1, 5, 10), base),  # revision 1, the baseline's
        (utc(2026, 1, 14, 9), plan(MIDDLE)),  # d added, c removed: 15 days
        (dt.datetime(2026, 1, 25, 23, 30), plan(CURRENT)),  # a Sunday, naive = UTC: 24 days
        (utc(2026, 1, 26), plan(SHRUNK)),  # Monday 00:00: the next week's, 23 days
    ]


def test_weeks_are_iso_weeks() -> None:
    assert weeks(dt.date(2025, 12, 31), dt.date(2026, 1, 12)) == (
        dt.date(2025, 12, 29),
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 12),
    )
    assert weeks(dt.date(2026, 1, 8), dt.date(2026, 1, 1)) == (dt.date(2026, 1, 5),)
    times = [utc(2026, 1, 5, 10), utc(2026, 1, 12)]
    assert revision_for_week(times, dt.date(2025, 12, 29)) is None
    assert revision_for_week(times, dt.date(2026, 1, 5)) == 0
    assert revision_for_week(times, dt.date(2026, 1, 12)) == 1


def test_weekly_series() -> None:
    base, revisions = history()
    series = scope_series(base, revisions[::-1], dt.date(2025, 12, 31), dt.date(2026, 2, 2))
    assert [(w.week.isoformat(), w.iso_week, w.total) for w in series] == [
        ("2025-12-29", "2026-W01", F(13)),  # before any revision: the baseline's plan
        ("2026-01-05", "2026-W02", F(13)),
        ("2026-01-12", "2026-W03", F(15)),
        ("2026-01-19", "2026-W04", F(24)),  # the Sunday 23:30 revision is this week's
        ("2026-01-26", "2026-W05", F(23)),
        ("2026-02-02", "2026-W06", F(23)),
    ]
    assert series[0].as_of is None and series[2].as_of == utc(2026, 1, 14, 9)
    w4 = series[3]
    parts = (w4.baseline, w4.added, w4.removed, w4.re_estimated, w4.risks)
    assert parts == (F(13), F(4), F(-2), F(4), F(5))
    assert series[4].re_estimated == 3  # b +4, a −1
    assert series[3].to_json() == {
        "week": "2026-01-19",
        "iso_week": "2026-W04",
        "as_of": "2026-01-25T23:30:00+00:00",
        "baseline_days": 13.0,
        "added_days": 4.0,
        "removed_days": -2.0,
        "re_estimated_days": 4.0,
        "risks_days": 5.0,
        "scope_days": 24.0,
    }


def fact(
    task: str,
    day: dt.date,
    percent: str | None = None,
    finish: dt.date | None = None,
) -> ProgressFact:
    return ProgressFact(
        task,
        day,
        percent_complete=None if percent is None else Decimal(percent),
        actual_finish=finish,
    )


def test_the_series_runs_over_the_status_dates_not_the_days_data_was_entered() -> None:
    entered = dt.date(2026, 12, 1)  # the baseline and the revision, recorded months later
    facts = [fact("b", dt.date(2026, 3, 13), "50"), fact("a", dt.date(2026, 2, 13), "10")]
    assert series_span(facts, entered, entered) == (dt.date(2026, 2, 13), dt.date(2026, 3, 13))
    no_progress = series_span([], dt.date(2026, 1, 5), dt.date(2026, 1, 26))
    assert no_progress == (dt.date(2026, 1, 5), dt.date(2026, 1, 26))


def test_burn_up_credits_finished_and_partial_work() -> None:
    base, revisions = history()
    jan = dt.date(2026, 1, 1).replace
    facts = [
        fact("a", jan(day=9), "50"),
        fact("c", jan(day=9), finish=jan(day=8)),  # done, then dropped from the plan
        fact("a", jan(day=16), "80", finish=jan(day=15)),
        fact("b", jan(day=16), "25"),
        fact("d", jan(day=25), "100"),  # a Sunday: still that week
        fact("m", jan(day=25), finish=jan(day=25)),  # a milestone: no work
        fact("zz", jan(day=9), "100"),  # not in any plan
        fact("b", dt.date(2026, 2, 2), "50"),
    ]
    series = burn_up(base, revisions, facts, dt.date(2025, 12, 31), dt.date(2026, 2, 2))
    assert [(w.week.isoformat(), w.scope, w.done) for w in series] == [
        ("2025-12-29", F(13), F(0)),
        ("2026-01-05", 13, F(7, 2)),  # a 50 % of 3 + c 2
        ("2026-01-12", F(15), F(5)),  # a 3 + b 25 % of 8 (c is gone)
        ("2026-01-19", F(24), F(10)),  # a 3 + b 25 % of 12 + d 4
        ("2026-01-26", F(23), F(9)),  # a re-estimated to 2
        ("2026-02-02", F(23), F(12)),  # b 50 % of 12
    ]
    scopes = scope_series(base, revisions, dt.date(2025, 12, 31), dt.date(2026, 2, 2))
    assert [w.scope for w in series] == [w.total for w in scopes]
    assert series[1].to_json() == {
        "week": "2026-01-05",
        "iso_week": "2026-W02",
        "scope_days": 13.0,
        "done_days": 3.5,
    }


def test_completion() -> None:
    day = dt.date(2026, 1, 9)
    assert completion(fact("a", day)) == 0
    assert completion(fact("a", day, "12.5")) == F(1, 8)
    assert completion(fact("a", day, "130")) == 1
    assert completion(fact("a", day, "-5")) == 0
    assert completion(fact("a", day, "40", finish=day)) == 1
