"""The plan summary: exact totals, exposure from live risks only."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from ontrack.engines.summary import summarise
from ontrack.planfile import load_plan
from tests.conftest import EXAMPLES, FIXTURES, HEADER, load_doc


def test_totals_of_the_clean_fixture() -> None:
    plan, _ = load_plan(FIXTURES / "plans" / "clean.yaml")
    assert plan is not None
    s = summarise(plan)
    assert s.counts["tasks"] == 7 and s.counts["summary_tasks"] == 1
    assert s.counts["milestones"] == 1 and s.counts["work_tasks"] == 5
    # design 3/5/8, api 5/8/15, ui 8, retro 2h = 1/4 day
    assert s.effort.likely == Fraction(5 + 8 + 8) + Fraction(1, 4)
    assert s.effort.pert == Fraction(3 + 20 + 8, 6) + Fraction(5 + 32 + 15, 6) + 8 + Fraction(1, 4)
    assert s.fixed_duration.likely == 10
    (team,) = s.teams
    assert team.tasks == 3 and team.work.likely == 21
    alice = next(p for p in s.people if p.id == "alice")
    assert alice.days_off == 6  # a working week plus one day
    (risk,) = s.risks
    assert risk.exposure_days == Fraction(3, 10) * Fraction(5 + 40 + 20, 6)
    assert risk.cost_exposure == Decimal("3600.0")


def test_closed_risks_do_not_count_towards_exposure() -> None:
    plan, _ = load_doc(
        HEADER
        + """\
tasks: [{id: a, title: A, estimate: 1d}]
risks:
  - {id: r1, title: R1, probability: 50%, impact: 4d, affects: a}
  - {id: r2, title: R2, probability: 50%, impact: 4d, affects: a, status: closed}
"""
    )
    assert plan is not None
    s = summarise(plan)
    assert s.exposure_days == 2
    assert s.counts["active_risks"] == 1


def test_medium_example_adds_up() -> None:
    plan, _ = load_plan(EXAMPLES / "platform-migration")
    assert plan is not None
    s = summarise(plan)
    assert s.counts["tasks"] == len(plan.tasks) >= 140
    assert s.effort.tasks + s.fixed_duration.tasks + s.unestimated == s.counts["work_tasks"]
    assert sum(t.tasks for t in s.teams) == s.counts["work_tasks"]  # every task has a team
    assert s.effort.optimistic <= s.effort.likely <= s.effort.pessimistic
