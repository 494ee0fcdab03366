"""Planning around progress: done work stays where it happened, work under way continues with
what is left from the day after the status date, nothing else starts earlier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ontrack.engines.forecast.montecarlo import ForecastOptions, forecast
from ontrack.engines.schedule.planner import ScheduleOptions, schedule
from ontrack.engines.schedule.progress import facts_status, plan_status
from ontrack.engines.schedule.result import Schedule
from ontrack.model import Plan
from ontrack.store.repo import ProgressFact
from tests.conftest import codes, load_doc

D = dt.date

# Monday 2026-01-05; a chain of three five-day tasks and a loose one.
PLAN = """
program:
  name: Test program
  start: 2026-01-05
  status_date: 2026-01-14
tasks:
  - {id: a, title: A, estimate: 5d, actual_start: 2026-01-05, actual_finish: 2026-01-09}
  - {id: b, title: B, estimate: 5d, depends: a, actual_start: 2026-01-12, remaining: 2d}
  - {id: c, title: C, estimate: 5d/5d/10d, depends: b}
  - {id: d, title: D, estimate: 1d}
"""


def plan_of(text: str) -> Plan:
    plan, diagnostics = load_doc(text)
    assert plan is not None, [d.format() for d in diagnostics]
    return plan


def run(plan: Plan, **kw: object) -> Schedule:
    result, diagnostics = schedule(plan, ScheduleOptions(time_limit=1, **kw))  # type: ignore[arg-type]
    assert result is not None, [d.format() for d in diagnostics]
    return result


def by_id(result: Schedule) -> dict[str, tuple[dt.date, dt.date, str]]:
    return {t.id: (t.start, t.finish, t.state) for t in result.tasks}


def test_progress_written_in_the_plan() -> None:
    result = run(plan_of(PLAN))
    assert result.status_date == D(2026, 1, 14)
    assert by_id(result) == {
        "a": (D(2026, 1, 5), D(2026, 1, 9), "done"),
        # Started on the 12th; 2 days left from Thursday the 15th (the day after the status).
        "b": (D(2026, 1, 12), D(2026, 1, 16), "in-progress"),
        "c": (D(2026, 1, 19), D(2026, 1, 23), "planned"),
        "d": (D(2026, 1, 15), D(2026, 1, 15), "planned"),  # nothing starts in the past
    }


def test_percent_complete_leaves_the_rest_of_the_likely_estimate() -> None:
    plan = plan_of(PLAN.replace("remaining: 2d", "percent_complete: 40%"))
    assert by_id(run(plan))["b"] == (D(2026, 1, 12), D(2026, 1, 19), "in-progress")  # 3 days


def test_done_work_stays_where_it_happened_whatever_the_links_say() -> None:
    # c was done before b, against the plan's dependency: facts win.
    plan = plan_of(
        PLAN.replace(
            "{id: c, title: C, estimate: 5d/5d/10d, depends: b}",
            "{id: c, title: C, estimate: 5d/5d/10d, depends: b, "
            "actual_start: 2026-01-05, actual_finish: 2026-01-06}",
        )
    )
    assert by_id(run(plan))["c"] == (D(2026, 1, 5), D(2026, 1, 6), "done")


def test_a_deadline_that_passed_is_a_warning_not_an_impossible_plan() -> None:
    plan = plan_of(
        PLAN.replace(
            "{id: d, title: D, estimate: 1d}",
            "{id: d, title: D, estimate: 1d, deadline: 2026-01-12}",
        )
    )
    result, diagnostics = schedule(plan, ScheduleOptions(time_limit=1))
    assert result is not None
    assert codes(diagnostics) == ["W310"]
    assert "passed before it was done" in diagnostics[0].message


def test_facts_from_the_store_give_the_same_plan() -> None:
    bare = plan_of(
        PLAN.replace("  status_date: 2026-01-14\n", "")
        .replace(", actual_start: 2026-01-05, actual_finish: 2026-01-09", "")
        .replace(", actual_start: 2026-01-12, remaining: 2d", "")
    )
    assert plan_status(bare) is None
    facts = [
        ProgressFact("a", D(2026, 1, 9), D(2026, 1, 5), D(2026, 1, 9)),
        ProgressFact("b", D(2026, 1, 9)),
        ProgressFact("b", D(2026, 1, 14), D(2026, 1, 12), remaining_days=Decimal(2)),
        ProgressFact("b", D(2026, 1, 21), D(2026, 1, 12), D(2026, 1, 20)),  # later: not yet
    ]
    status = facts_status(bare, facts, D(2026, 1, 14))
    assert status is not None and status.date == D(2026, 1, 14)
    assert by_id(run(bare, status=status)) == by_id(run(plan_of(PLAN)))


def test_forecast_plans_only_the_remaining_work() -> None:
    plan = plan_of(PLAN)
    result, diagnostics = forecast(plan, ForecastOptions(iterations=4000, seed=1))
    assert result is not None, diagnostics
    criticality = {t.id: t for t in result.tasks}
    assert criticality["a"].mean_days == 5  # done: no spread left
    # b's 2 days are certain; c draws 5d/5d/10d: the finish is never before the plan.
    assert result.finish.p10 >= D(2026, 1, 23)
    assert result.finish.planned == D(2026, 1, 23)


@pytest.mark.parametrize("bad", ["actual_finish: 2026-01-02", "percent_complete: 140%"])
def test_bad_progress_is_refused(bad: str) -> None:
    _, diagnostics = load_doc(PLAN.replace("actual_finish: 2026-01-09", bad))
    assert any(d.is_error for d in diagnostics)
