"""The report's figures: RAG rules, Gantt states and folding, load per week, risk scores."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

import pytest

from ontrack.model import Plan
from ontrack.planfile import load_plan_text
from ontrack.reports.data import (
    MilestoneRow,
    RagRules,
    ReportData,
    _open_depth,
    rag_status,
    risk_cells,
)
from tests.conftest import EXAMPLES, report_data

D = dt.date

# Ann does a (done) then b (under way); Bob does c, whose deadline passed before the status date
# (so it is late), and is away the week of 19 Jan.
PLAN = """\
program:
  name: Report test
  start: 2026-01-05
  status_date: 2026-01-16
  budget: 100000
people:
  - {id: ann, name: Ann Lee, rate: 1000/day}
  - {id: bob, name: Bob Stone, rate: 1000/day, time_off: [2026-01-19..2026-01-23]}
  - {id: cyd, name: Cyd Idle}
tasks:
  - id: build
    title: Build
    tasks:
      - {id: a, title: Design, estimate: 5d, assignee: ann, actual_start: 2026-01-05,
         actual_finish: 2026-01-09}
      - {id: b, title: API, estimate: 10d, assignee: ann, depends: a, actual_start: 2026-01-12,
         percent_complete: 40%}
      - {id: c, title: UI, estimate: 5d, assignee: bob, depends: a, deadline: 2026-01-15}
  - {id: launch, title: Launch, milestone: true, depends: [b, c], deadline: 2026-03-31}
risks:
  - {id: r1, title: Vendor late, probability: 35%, impact: 10d, owner: ann, response: mitigate}
  - {id: r2, title: Budget cut, probability: 5%, cost_impact: 6000}
  - {id: r3, title: Closed one, probability: 80%, impact: 30d, status: closed}
releases:
  - {id: v1, title: V1, date: 2026-03-31, includes: [launch]}
"""


def _plan(text: str = PLAN) -> Plan:
    plan, diagnostics = load_plan_text(textwrap.dedent(text), "plan.yaml")
    assert plan is not None, diagnostics
    return plan


def _report(plan: Plan, **options: Any) -> ReportData:
    data, problems = report_data(
        plan,
        D(2026, 1, 16),
        iterations=300,
        seed=1,
        generated=dt.datetime(2026, 1, 16, 9, 0, tzinfo=dt.UTC),
        **options,
    )
    assert isinstance(data, ReportData), problems
    return data


@pytest.fixture(scope="module")
def data() -> ReportData:
    return _report(_plan())


def test_the_gantt_has_every_task_in_wbs_order_with_its_state(data: ReportData) -> None:
    tasks = data.gantt.by_id
    assert [t.id for t in data.gantt.tasks] == ["build", "a", "b", "c", "launch"]
    assert [t.depth for t in data.gantt.tasks] == [0, 1, 1, 1, 0]
    assert tasks["a"].state == "done"
    assert tasks["b"].state == "in-progress" and tasks["b"].percent == pytest.approx(0.4)
    assert tasks["c"].state == "late"  # its deadline passed before the status date
    assert tasks["build"].state == "late"  # rolled up from its children
    assert tasks["launch"].milestone and tasks["b"].assignees == ("Ann Lee",)
    assert ("a", "FS") in tasks["c"].predecessors
    assert data.gantt.status_date == D(2026, 1, 16) and data.status_from_progress
    assert data.gantt.arrows and not data.gantt.collapsed
    assert data.gantt.start.weekday() == 0 and data.gantt.start <= D(2026, 1, 5)


def test_milestones_releases_and_the_final_one(data: ReportData) -> None:
    kinds = {m.id: m.kind for m in data.milestones}
    assert kinds == {"launch": "milestone", "v1": "release", "c": "deadline"}
    assert data.final.id == "launch" and data.final.deadline == D(2026, 3, 31)
    assert data.final.probability == 1.0
    # c's deadline (15 Jan) passed before the status date (16 Jan) and it is not done: overdue,
    # so red (an overdue milestone is red); its 0 % odds still fire the amber rule for a task
    # with a deadline under 50 % likely. The final milestone and the release are safe.
    assert data.rag.colour == "red" and [c for c, _ in data.rag.reasons] == ["red", "amber"]
    assert data.rag.reason.startswith("'UI' is overdue: its deadline 15 Jan 2026 passed")
    assert "'UI' is 0% likely" in data.rag.reasons[1][1]
    assert all(not m.done for m in data.next_milestones)
    assert all(m.p50 >= data.status_date for m in data.next_milestones)


def test_load_counts_booked_and_available_days_per_week(data: ReportData) -> None:
    people = {p.id: p for p in data.load.people}
    assert data.load.weeks[0] == D(2026, 1, 5)
    assert people["ann"].weeks[0] == (5, 5)  # a, all week
    assert people["bob"].weeks[2] == (0, 0)  # away: nothing available, nothing booked
    assert people["cyd"].busy == 0 and people["cyd"].available > 0
    assert all(b <= a for p in data.load.people for b, a in p.weeks)


def test_risks_are_scored_and_ordered_for_review(data: ReportData) -> None:
    rows = {r.id: r for r in data.risks}
    # The risk engine's matrix (docs/risks.md): 35 %, and 10 days of a program of fewer than
    # 50 working days (over 20 % of it); 6,000 of a 100,000 budget is over 5 %, up to 10 %.
    assert (rows["r1"].probability_score, rows["r1"].impact_score) == (3, 5)
    assert (rows["r1"].score, rows["r1"].rating) == (15, "high")
    assert rows["r1"].exposure_days == 3.5  # 35 % of 10 days
    assert rows["r1"].owner == "Ann Lee" and rows["r1"].response == "mitigate"
    assert (rows["r2"].impact_score, rows["r2"].rating) == (3, "low")
    assert [r.id for r in data.risks][-1] == "r3" and not rows["r3"].active
    cells = risk_cells(data.risks)
    assert cells[2][4] == ["r1"] and sum(len(c) for row in cells for c in row) == 2


def _row(
    kind: str, probability: float | None, p80: dt.date, deadline: dt.date | None
) -> MilestoneRow:
    return MilestoneRow(
        id=f"{kind}-{probability}",
        title=kind,
        kind=kind,
        planned=D(2026, 5, 1),
        p50=D(2026, 5, 10),
        p80=p80,
        deadline=deadline,
        probability=probability,
    )


def test_rag_rules() -> None:
    final = _row("milestone", 0.9, D(2026, 6, 1), D(2026, 6, 30))
    assert rag_status(final, [final], None, None).colour == "green"
    late = _row("milestone", 0.6, D(2026, 7, 15), D(2026, 6, 30))
    red = rag_status(late, [late], None, None)
    assert red.colour == "red" and "P80" not in red.reason and "deadline" in red.reason
    release = _row("release", 0.45, D(2026, 6, 1), D(2026, 6, 30))
    assert rag_status(final, [final, release], None, None).colour == "red"
    release = _row("release", 0.7, D(2026, 6, 1), D(2026, 6, 30))
    amber = rag_status(final, [final, release], None, None)
    assert amber.colour == "amber" and amber.reason.startswith("Release")
    other = _row("milestone", 0.4, D(2026, 6, 1), D(2026, 6, 30))
    assert rag_status(final, [final, other], None, None).colour == "amber"
    assert rag_status(final, [final], 0.94, 1.0).colour == "amber"
    assert rag_status(final, [final], 1.0, 0.89).colour == "red"
    # Thresholds are the data layer's to set.
    strict = RagRules(release_amber=0.95)
    assert rag_status(final, [final], None, None, strict).colour == "amber"
    lax = RagRules(index_red=0.5, index_amber=0.6)
    assert rag_status(final, [final], 0.7, 0.7, lax).colour == "green"
    # Worst first: the header's one line is the red one.
    mixed = rag_status(final, [final, release], 0.85, None)
    assert [c for c, _ in mixed.reasons] == ["red", "amber"] and mixed.reason.startswith("SPI")


def test_rag_without_any_deadline_is_green_and_says_why() -> None:
    final = _row("milestone", None, D(2026, 6, 1), None)
    rag = rag_status(final, [final], None, None)
    assert rag.colour == "green" and "none are set" in rag.reason


def test_summaries_fold_level_by_level() -> None:
    assert _open_depth([0, 1, 1, 2], 10) == 3  # everything fits: all open
    assert _open_depth([0, 0, 1, 1, 1, 2], 4) == 0  # depth <= 1 is 5 rows: top level only
    assert _open_depth([0, 0, 1, 2, 2, 2], 3) == 1  # 3 rows down to depth 1
    assert _open_depth([0] * 50, 10) == 0


def test_a_big_plan_starts_folded_and_without_arrows() -> None:
    from ontrack.planfile.generate import dump_plan, generate_plan

    plan = _plan(dump_plan(generate_plan(tasks=120, people=6, seed=3)))
    data = _report(plan, expanded_rows=20, arrows_max_tasks=50)
    assert data.gantt.collapsed and not data.gantt.arrows
    shown = [
        t for t in data.gantt.tasks if t.depth == 0 or data.gantt.by_id[_parent(plan, t.id)].open
    ]
    assert len(shown) <= 20 or all(t.depth == 0 for t in shown)


def _parent(plan: Plan, task: str) -> str:
    parent = plan.task_by_id[task].parent
    assert parent is not None
    return parent


def test_the_example_program() -> None:
    from ontrack.planfile import load_plan

    plan, _ = load_plan(EXAMPLES / "platform-migration")
    assert plan is not None
    data = _report(plan)
    assert len(data.gantt.tasks) == len(plan.tasks)
    assert {m.id for m in data.milestones} >= {"rel-stateless", "rel-full-cutover"}
    assert len(data.load.people) == len(plan.people)
    assert len(data.risks) == len(plan.risks) and data.tracking is None
    assert data.forecast.final.id == data.final.id


def test_the_report_carries_detected_risks_and_the_dcma_table() -> None:
    from ontrack.planfile import load_plan
    from tests.conftest import EXAMPLES, report_data

    plan, _ = load_plan(EXAMPLES / "platform-migration")
    assert plan is not None
    data, _ = report_data(plan, dt.date(2026, 2, 2), iterations=300)
    assert data is not None
    assert {f.code for f in data.findings} >= {"R101", "R110", "R120"}
    assert [row.number for row in data.compliance] == list(range(1, 15))
    assert any(row.passed is None for row in data.compliance)  # tracking checks: n/a here
