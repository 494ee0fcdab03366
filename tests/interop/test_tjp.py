"""TaskJuggler export: the text for small hand-made plans, then real tj3 runs on the examples and
a generated plan (skipped without tj3, failed under ONTRACK_REQUIRE_TJ3 as `make test` sets)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from ontrack.engines.calendar import WorkGrid
from ontrack.engines.schedule.bounds import critical_path_bound
from ontrack.engines.schedule.planner import ScheduleOptions, schedule
from ontrack.engines.schedule.planproblem import build_problem, staffing
from ontrack.engines.schedule.progress import plan_status
from ontrack.interop.tjp import (
    SELECTIONS,
    TjpExport,
    csv_taskreport,
    export_tjp,
    read_taskreport,
    tj_id,
    tj_string,
)
from ontrack.model import DepType, Plan
from ontrack.planfile import load_plan
from tests.conftest import EXAMPLES, load_doc

TJ3 = shutil.which("tj3")
REQUIRE_TJ3 = "ONTRACK_REQUIRE_TJ3"


def _plan(text: str) -> Plan:
    plan, diagnostics = load_doc(text)
    assert plan is not None, diagnostics
    return plan


def _block(text: str, head: str) -> str:
    """The lines of the block that starts with ``head`` (up to its closing brace)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(head))
    if not lines[start].endswith("{"):
        return lines[start]
    closing = lines[start][: len(lines[start]) - len(lines[start].lstrip())] + "}"
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == closing)
    return "\n".join(lines[start : end + 1])


PEOPLE = """\
program:
  name: "Tiny: \\"quoted\\" program"
  start: 2026-01-05
calendar:
  holidays: [2026-01-07]
calendars:
  - id: four-day
    workweek: [mon, tue, wed, thu]
people:
  - {id: ana-1, name: Ana, skills: [be]}
  - {id: 2bo, name: Bo, skills: [be], allocation: 50%, time_off: [2026-02-09..2026-02-13]}
  - {id: cy, name: Cy, skills: [fe], calendar: four-day}
tasks:
  - id: epic.a
    title: Epic
    tasks:
      - {id: api, title: API, estimate: 3d, skills: [be]}
      - {id: ui, title: UI, estimate: 2d, assignee: [ana-1, 2bo], depends: [api]}
  - id: api_ss
    title: Starts with the API
    estimate: 1d
    assignee: cy
    priority: high
    depends: [{task: api, type: SS, lag: 2d}]
  - {id: ff, title: Finishes after, estimate: 1d, assignee: cy,
     depends: [{task: api, type: FF}]}
  - {id: sf, title: Lead, duration: 3d, depends: [{task: api, type: SF}, {task: ui, lag: -1d}]}
  - {id: later, title: Later, estimate: 2.5d, skills: [be], start_no_earlier_than: 2026-03-02}
  - {id: gate, title: Gate, milestone: true, depends: [epic.a]}
"""


def test_header_people_and_holidays() -> None:
    text = export_tjp(_plan(PEOPLE)).text
    header = _block(text, "project ")
    assert header.startswith(
        'project tiny_quoted_program "Tiny: \\"quoted\\" program" 2026-01-05 - '
    )
    assert 'timezone "UTC"' in header and 'timeformat "%Y-%m-%d"' in header
    assert "dailyworkinghours 8\n" in header + "\n"
    assert "workinghours mon, tue, wed, thu, fri 9:00 - 17:00" in header
    assert "workinghours sat, sun off" in header
    assert "now " not in header  # no progress, no status date
    assert 'leaves holiday "holiday" 2026-01-07' in text
    assert 'resource ana_1 "Ana"\n' in text
    # Part-time is efficiency; time off ends the day after (tj3's end is exclusive).
    bo = _block(text, "resource t_2bo")
    assert "efficiency 0.5" in bo and "leaves annual 2026-02-09 - 2026-02-14" in bo
    assert "workinghours fri off" in _block(text, "resource cy")


def test_tasks_links_and_allocations() -> None:
    export = export_tjp(_plan(PEOPLE))
    text = export.text
    assert export.ids["api"] == "epic_a.api" and export.ids["epic.a"] == "epic_a"
    assert 'note "ontrack id: epic.a"' in text
    # One of the capable people for the whole task, chosen by tj3's rule.
    api = _block(text, "task api ")
    assert "effort 24h" in api
    assert "allocate ana_1 { alternative t_2bo select minloaded persistent }" in api
    # Named assignees work together: 2d / (1 + 0.5) is 1.33, two whole days as ontrack says.
    ui = _block(text, "task ui ")
    assert "allocate ana_1 { mandatory }, t_2bo { mandatory }" in ui
    assert "effort 24h" in ui and "depends epic_a.api\n" in ui + "\n"
    ss = _block(text, "task api_ss ")
    assert "depends epic_a.api { onstart gaplength 2d }" in ss and "priority 700" in ss
    assert "depends epic_a.api\n" in _block(text, "task ff ") + "\n"  # FF as FS
    sf = _block(text, "task sf ")
    assert "length 3d" in sf and "allocate" not in sf  # a duration that names nobody
    assert "depends epic_a.api { onstart }, epic_a.ui\n" in sf + "\n"
    # 2.5d for a half-time person is 5 days: as effort, 3d (so a full-time one takes 3 too).
    later = _block(text, "task later ")
    assert "effort 24h" in later and "depends not_before_2026_03_02" in later
    assert (
        'task not_before_2026_03_02 "Not before 2026-03-02" { milestone start 2026-03-02 }' in text
    )
    assert "milestone" in _block(text, "task gate ") and "depends epic_a\n" in text
    warned = sorted((d.code, d.loc.line, d.subjects) for d in export.diagnostics)
    assert [(c, s) for c, _, s in warned] == [
        ("W460", ("ff", "api")),
        ("W460", ("sf", "api")),
        ("W460", ("sf", "ui")),
    ]
    assert all(line for _, line, _ in warned)


def test_a_fixed_duration_that_holds_people_is_effort() -> None:
    text = """\
program: {name: Fixed, start: 2026-01-05}
people:
  - {id: ana, name: Ana, skills: [ops]}
  - {id: bo, name: Bo, skills: [ops], allocation: 50%}
  - {id: cy, name: Cy, skills: [db]}
tasks:
  - {id: cut, title: Cutover, duration: 2d, skills: [ops]}
  - {id: dump, title: Dump, duration: 3d, assignee: cy}
"""
    export = export_tjp(_plan(text))
    cut = _block(export.text, "task cut ")
    # tj3 would run a `length` task without the person where nobody is free: effort holds
    # one; the full-time way takes the 2 days, the half-time one 4 (warned).
    assert "effort 16h" in cut and "length" not in cut
    assert "allocate ana { alternative bo select minloaded persistent }" in cut
    assert "effort 24h" in _block(export.text, "task dump ")
    assert [(d.code, d.subjects) for d in export.diagnostics] == [("W460", ("cut",))]


def test_select_rule_and_determinism() -> None:
    plan = _plan(PEOPLE)
    assert export_tjp(plan).text == export_tjp(plan).text
    assert "select order persistent" in export_tjp(plan, select="order").text
    assert set(SELECTIONS) == {"minloaded", "maxloaded", "minallocated", "order", "random"}
    with pytest.raises(ValueError, match="select"):
        export_tjp(plan, select="fastest")  # type: ignore[arg-type]


def test_ids_and_strings() -> None:
    used: set[str] = set()
    assert [tj_id(t, used) for t in ("a-b", "a.b", "9x", "", "ok")] == [
        "a_b",
        "a_b_2",
        "t_9x",
        "x",
        "ok",
    ]
    assert tj_string('say "hi"\n\\ now') == '"say \\"hi\\" \\\\ now"'


def test_summary_links_go_to_its_leaves_and_snet_is_inherited() -> None:
    plan = _plan(
        """\
        program: {name: P, start: 2026-01-05}
        tasks:
          - {id: first, title: First, duration: 2d}
          - id: group
            title: Group
            depends: [first]
            start_no_earlier_than: 2026-02-02
            tasks:
              - {id: one, title: One, duration: 1d}
              - {id: two, title: Two, duration: 1d, depends: [one]}
        """
    )
    text = export_tjp(plan).text
    assert "depends first, not_before_2026_02_02" in _block(text, "task one ")
    assert "depends group.one, first, not_before_2026_02_02" in _block(text, "task two ")
    assert "depends" not in _block(text, "task group ").split("task one")[0]


def test_progress_done_fixed_and_under_way_from_the_status_date() -> None:
    plan = _plan(
        """\
        program: {name: P, start: 2026-01-05, status_date: 2026-01-14}
        people: [{id: al, name: Al}]
        tasks:
          - {id: done, title: Done, estimate: 3d, assignee: al,
             actual_start: 2026-01-05, actual_finish: 2026-01-07}
          - {id: going, title: Going, estimate: 4d, assignee: al, depends: [done],
             actual_start: 2026-01-08, percent_complete: 50%}
          - {id: next, title: Next, estimate: 1d, assignee: al, depends: [going]}
        """
    )
    text = export_tjp(plan).text
    assert "now 2026-01-14" in _block(text, "project ")
    done = _block(text, "task done ")
    assert "start 2026-01-05" in done and "end 2026-01-08" in done and "complete 100" in done
    assert "allocate" not in done
    going = _block(text, "task going ")
    assert "effort 16h" in going and "complete 50" in going
    assert "depends not_before_2026_01_15" in going and "done" not in going.split("depends")[1]
    assert "depends going, not_before_2026_01_15" in _block(text, "task next ")


def test_staffing_is_the_schedulers() -> None:
    plan = _plan(PEOPLE)
    assert staffing(plan, plan.task_by_id["api"]) == (("ana-1",), ("2bo",))
    assert staffing(plan, plan.task_by_id["ui"]) == (("ana-1", "2bo"),)
    assert staffing(plan, plan.task_by_id["sf"]) == ((),)
    assert staffing(plan, plan.task_by_id["gate"]) == ((),)
    nobody = _plan(PEOPLE.replace("estimate: 3d, skills: [be]", "estimate: 3d, skills: [qa]"))
    assert staffing(nobody, nobody.task_by_id["api"]) == ()
    export = export_tjp(nobody)
    assert "allocate" not in _block(export.text, "task api ")
    assert ("W460", ("api",)) in [(d.code, d.subjects) for d in export.diagnostics]


# --- real tj3 runs ------------------------------------------------------------------------------


@pytest.fixture
def tj3() -> str:
    if TJ3 is None:
        if os.environ.get(REQUIRE_TJ3):
            pytest.fail("tj3 is not installed (scripts/ensure-tj3 installs it)", pytrace=False)
        pytest.skip("tj3 (TaskJuggler) is not installed")
    return TJ3


def _run_tj3(
    tj3: str, export: TjpExport, folder: Path
) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    project = folder / "plan.tjp"
    project.write_text(export.text + csv_taskreport("dates"), encoding="utf-8")
    done = subprocess.run(
        [tj3, "--no-color", "--silent", project.name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return read_taskreport((folder / "dates.csv").read_text(encoding="utf-8"))


def _last_day(start: dt.datetime, end: dt.datetime) -> dt.date:
    """The last day a task works: its end, or the day before an end at midnight."""
    return (end - dt.timedelta(minutes=1)).date() if end > start else end.date()


def _check_in_tj3(tj3: str, plan: Plan, folder: Path) -> None:
    export = export_tjp(plan)
    dates = _run_tj3(tj3, export, folder)
    status = plan_status(plan)
    started = {t for t, p in (status.tasks.items() if status else ()) if p.state != "planned"}
    leaves = list(plan.leaf_tasks())
    missing = [t.id for t in leaves if export.ids[t.id] not in dates]
    assert not missing
    # Every finish-to-start link holds in tj3's dates (a summary's for each leaf under it).
    checked = 0
    for task in plan.tasks:
        below = (
            [d for d in plan.descendants(task.id) if not d.is_summary]
            if task.is_summary
            else [task]
        )
        for dep in task.depends:
            if dep.type is not DepType.FS:
                continue
            pred_end = dates[export.ids[dep.task]][1]
            for leaf in below:
                if leaf.id not in started:
                    assert dates[export.ids[leaf.id]][0] >= pred_end, (dep.task, leaf.id)
                    checked += 1
    assert checked > 0
    # tj3's finish is not before ontrack's critical-path lower bound.
    grid = WorkGrid.for_plan(plan)
    built, problems = build_problem(plan, grid, status=status)
    assert built is not None, problems
    bound = critical_path_bound(built.problem)
    lower = grid.date_of(bound - 1) if bound > 0 else plan.program.start
    finish = max(_last_day(*dates[export.ids[t.id]]) for t in leaves)
    assert finish >= lower
    solved, _ = schedule(plan, ScheduleOptions(backend="heuristic", time_limit=2))
    assert solved is not None  # both scheduled the same plan


@pytest.mark.parametrize("example", ["small", "platform-migration"])
def test_examples_schedule_in_tj3(tj3: str, example: str, tmp_path: Path) -> None:
    plan, diagnostics = load_plan(EXAMPLES / example)
    assert plan is not None, diagnostics
    _check_in_tj3(tj3, plan, tmp_path)


def test_generated_plan_schedules_in_tj3(tj3: str, tmp_path: Path) -> None:
    out = tmp_path / "gen.yaml"
    result = CliRunner().invoke(
        app, ["generate", "--tasks", "60", "--people", "4", "--seed", "1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    plan, diagnostics = load_plan(out)
    assert plan is not None, diagnostics
    _check_in_tj3(tj3, plan, tmp_path)


def test_hand_made_plan_in_tj3_takes_ontracks_durations(tj3: str, tmp_path: Path) -> None:
    """Part-time, named pairs, holidays, time off and SNET give ontrack's working days."""
    dates = _run_tj3(tj3, export_tjp(_plan(PEOPLE)), tmp_path)
    api_start, api_end = dates["epic_a.api"]
    assert api_start.date() == dt.date(2026, 1, 5)
    assert _last_day(api_start, api_end) == dt.date(2026, 1, 8)  # 3 days over the holiday
    ss_start = dates["api_ss"][0]
    assert ss_start >= api_start + dt.timedelta(days=1)  # two working days after the start
    assert dates["later"][0].date() == dt.date(2026, 3, 2)
    ui_start, ui_end = dates["epic_a.ui"]
    assert ui_start >= api_end
    days = (ui_start.date() + dt.timedelta(days=n) for n in range(14))
    worked = [d for d in days if d.weekday() < 5 and d <= _last_day(ui_start, ui_end)]
    assert len(worked) == 2  # 2d by one and a half people: two whole days, as ontrack says


def test_fixed_durations_hold_their_person_in_tj3(tj3: str, tmp_path: Path) -> None:
    text = """\
program: {name: Fixed, start: 2026-01-05}
people:
  - {id: ana, name: Ana, skills: [ops]}
tasks:
  - {id: one, title: One, duration: 2d, assignee: ana}
  - {id: two, title: Two, duration: 3d, skills: [ops]}
"""
    dates = _run_tj3(tj3, export_tjp(_plan(text)), tmp_path)
    (a_start, a_end), (b_start, b_end) = dates["one"], dates["two"]
    assert a_end <= b_start or b_end <= a_start  # one after the other, as ontrack has them
    assert max(_last_day(a_start, a_end), _last_day(b_start, b_end)) == dt.date(2026, 1, 9)
