"""Generated plans, scheduled by every backend, keep every rule of docs/scheduling.md.

The plans are small (3 to 25 tasks) but use everything the rules speak of: nested summaries, all
four dependency types with positive and negative lags to and from summaries and tasks,
``start_no_earlier_than`` on tasks and summaries, milestones, lead times, one to four people with
skills, part-time allocations and time off, and holidays. Each schedule is checked by the
independent reading of the rules in ``rules.py``. Derandomised: the same examples every run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ontrack.diagnostics import Severity
from ontrack.engines.schedule.planner import ScheduleOptions, schedule
from ontrack.planfile import load_plan_text
from ontrack.planfile.generate import dump_plan, generate_plan
from tests.engines.schedule.rules import violations

BACKENDS = ["heuristic", "cpsat"]
SKILLS = ("api", "web", "ops")
EXAMPLES = 100  # per backend
MAX_DEPTH = 3


def _day(start: dt.date, offset: int) -> str:
    return (start + dt.timedelta(days=offset)).isoformat()


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    """Plain data for a plan file (see the module doc)."""
    start = dt.date(2026, 1, 5) + dt.timedelta(days=draw(st.integers(0, 6)))
    people: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 4))):
        person: dict[str, Any] = {
            "id": f"p{i}",
            "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2)),
            "allocation": draw(st.sampled_from(["100%", "100%", "80%", "50%"])),
        }
        spans = draw(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 4)), max_size=2))
        if spans:
            person["time_off"] = [
                _day(start, a) if n == 0 else f"{_day(start, a)}..{_day(start, a + n)}"
                for a, n in spans
            ]
        people.append(person)
    holidays = draw(st.lists(st.integers(0, 60), unique=True, max_size=3))

    # The work breakdown in pre-order: each task's parent is the task before it or one of that
    # one's summaries (or none), so a task's subtree is the run of tasks after it.
    count = draw(st.integers(3, 25))
    parent: list[int | None] = [None]
    depth = [0]
    for i in range(1, count):
        chain: list[int] = []
        j: int | None = i - 1
        while j is not None:
            if depth[j] < MAX_DEPTH - 1:
                chain.append(j)
            j = parent[j]
        k = draw(st.integers(0, len(chain)))
        parent.append(chain[k] if k < len(chain) else None)
        depth.append(depth[chain[k]] + 1 if k < len(chain) else 0)
    children: list[list[int]] = [[] for _ in range(count)]
    for i, p in enumerate(parent):
        if p is not None:
            children[p].append(i)
    last = list(range(count))  # the last task of each subtree
    for i in reversed(range(count)):
        for c in children[i]:
            last[i] = max(last[i], last[c])

    tasks: list[dict[str, Any]] = []
    worked: list[int] = []  # leaf tasks with effort, for milestones to close
    for i in range(count):
        task: dict[str, Any] = {"id": f"t{i}", "title": f"Task {i}"}
        # Only tasks whose whole subtree comes before this one: no cycles, no task after its
        # own summary or a summary after its own subtask (the plan checks refuse those).
        before = [j for j in range(i) if last[j] < i]
        depends: list[Any] = []
        kind = "summary" if children[i] else draw(st.sampled_from(["task"] * 4 + ["ms", "lead"]))
        if kind == "ms" and not [j for j in worked if j in before]:
            kind = "task"
        if kind == "ms":
            # A milestone closes some work (a finish-to-start link, no lead), so it is never
            # ambiguously at the very start of the program.
            task["milestone"] = True
            closes = draw(st.sampled_from([j for j in worked if j in before]))
            depends.append({"task": f"t{closes}", "lag": f"{draw(st.integers(0, 2))}d"})
            before = [j for j in before if j != closes]
        elif kind == "lead":
            task["duration"] = draw(st.sampled_from(["1d", "2d", "3d"]))
        elif kind == "task":
            worked.append(i)
            task["estimate"] = draw(st.sampled_from(["4h", "1d", "2d", "3d", "5d", "1w"]))
            staffing = draw(st.sampled_from(["anyone", "skills", "assignee", "pair"]))
            if staffing == "skills":
                skill = draw(st.sampled_from(SKILLS))
                if any(skill in p["skills"] for p in people):
                    task["skills"] = [skill]
            elif staffing == "assignee" or (staffing == "pair" and len(people) == 1):
                task["assignee"] = draw(st.sampled_from([p["id"] for p in people]))
            elif staffing == "pair":
                pair = draw(
                    st.lists(
                        st.sampled_from([p["id"] for p in people]),
                        min_size=2,
                        max_size=2,
                        unique=True,
                    )
                )
                task["assignee"] = pair
        if before:
            for pred in draw(st.lists(st.sampled_from(before), unique=True, max_size=2)):
                depends.append(
                    {
                        "task": f"t{pred}",
                        "type": draw(st.sampled_from(["FS", "SS", "FF", "SF"])),
                        "lag": f"{draw(st.integers(-3, 3))}d",
                    }
                )
        if depends:
            task["depends"] = depends
        if draw(st.integers(0, 5)) == 0:
            task["start_no_earlier_than"] = _day(start, draw(st.integers(0, 20)))
        tasks.append(task)
    for i in reversed(range(count)):  # nest the children into their summaries
        if children[i]:
            tasks[i]["tasks"] = [tasks[c] for c in children[i]]
    return {
        "program": {"name": "Generated", "start": start.isoformat()},
        "calendar": {"holidays": [_day(start, d) for d in holidays]},
        "people": people,
        "tasks": [tasks[i] for i in range(count) if parent[i] is None],
    }


@pytest.mark.parametrize("backend", BACKENDS)
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=plans())
def test_every_schedule_keeps_the_rules(backend: str, data: dict[str, Any]) -> None:
    text = dump_plan(data)
    plan, diagnostics = load_plan_text(text)
    errors = [d.format() for d in diagnostics if d.severity is Severity.ERROR]
    assert plan is not None and not errors, (errors, text)
    result, diagnostics = schedule(
        plan,
        ScheduleOptions(backend=backend, time_limit=0.3, seed=0),  # type: ignore[arg-type]
    )
    assert result is not None, ([d.format() for d in diagnostics], text)
    assert violations(plan, result) == [], text


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [0, 3])
def test_generated_programs_keep_the_rules(backend: str, seed: int) -> None:
    # 300-task programs as the WBS generator writes them (epics, milestones, lead times, teams):
    # where the outside checker found the broken links, and the drivers were wrong.
    plan, _ = load_plan_text(dump_plan(generate_plan(tasks=300, people=12, seed=seed)))
    assert plan is not None
    result, diagnostics = schedule(
        plan,
        ScheduleOptions(backend=backend, time_limit=1, seed=0),  # type: ignore[arg-type]
    )
    assert result is not None, [d.format() for d in diagnostics]
    assert violations(plan, result) == []
