"""`ontrack schedule`: formats, exit codes, PSPLIB instances."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from ontrack.cli.main import app
from tests.conftest import FIXTURES, SHARED_DATA, shared_or_skip

runner = CliRunner()
CLEAN = str(FIXTURES / "plans" / "clean.yaml")


# As of the Friday before the fixtures start (with no status date, "today" would make all of
# their work overdue and plan it from today).
BEFORE = ("--as-of", "2026-01-02")


def test_json_has_the_documented_shape() -> None:
    result = runner.invoke(app, ["schedule", CLEAN, "--format", "json", "-t", "1", *BEFORE])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["finish"] == "2026-02-05"
    assert data["as_of"]["date"] == "2026-01-02" and data["as_of"]["source"] == "option"
    assert data["status"] in ("optimal", "feasible")
    assert "lower_bound_finish" in data
    task = data["tasks"][0]
    assert set(task) >= {"id", "start", "finish", "assignees", "total_float_days", "critical"}
    assert {p["id"] for p in data["people"]} == {"alice", "bob"}
    assert all("load" in p for p in data["people"])


def test_csv_and_table() -> None:
    out = runner.invoke(app, ["schedule", CLEAN, "--format", "csv", "-t", "1", *BEFORE]).output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows][:3] == ["build", "design", "api"]
    table = runner.invoke(app, ["schedule", CLEAN, "-t", "1", *BEFORE])
    assert table.exit_code == 0 and "Finish 2026-02-05" in table.output
    # Run later with no progress, the same work is overdue and planned from the as-of date.
    late = runner.invoke(app, ["schedule", CLEAN, "-f", "json", "-t", "1", "--as-of", "2026-03-02"])
    data = json.loads(late.output)
    assert data["as_of"]["statement"].endswith("no progress has been recorded")
    assert min(t["start"] for t in data["tasks"]) == "2026-03-03"


def test_an_impossible_deadline_is_scheduled_with_a_warning(tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text(
        "program: {name: P, start: 2026-01-05}\n"
        "tasks:\n  - {id: a, title: A, estimate: 10d}\n"
        "  - {id: m, title: M, milestone: true, depends: [a], deadline: 2026-01-06}\n"
    )
    result = runner.invoke(app, ["schedule", str(plan), *BEFORE])
    assert result.exit_code == 0, result.output
    assert "W311" in result.output and "Traceback" not in result.output
    table = runner.invoke(app, ["schedule", str(plan), *BEFORE], env={"COLUMNS": "200"})
    first = table.output.splitlines()[0]
    # Not "optimal" above a late launch: the shortest schedule, and the deadline it misses.
    assert "optimal" not in first and "the shortest schedule, proven" in first
    assert "misses a deadline: 'm' due 2026-01-06 by 8 working days" in first


def test_the_heading_says_what_was_found_and_the_deadlines() -> None:
    import dataclasses
    import datetime as dt

    from ontrack.cli.schedule import heading
    from ontrack.engines.schedule.planner import ScheduleOptions, schedule
    from ontrack.planfile import load_plan

    plan, _ = load_plan(FIXTURES / "plans" / "clean.yaml")
    assert plan is not None
    result, _ = schedule(plan, ScheduleOptions(time_limit=1))
    assert result is not None
    searched = dataclasses.replace(
        result, status="feasible", seconds=2.0, lower_bound_finish=dt.date(2026, 2, 2)
    )
    text = heading(searched, "makespan")
    assert "the shortest schedule found in 2.0s (none can finish before 2026-02-02)" in text
    assert "least weighted lateness, proven" in heading(result, "lateness")
    assert "meets every deadline" in text  # launch, due 2026-04-01


def test_unschedulable_plan_exits_one(tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text(
        "program: {name: P, start: 2026-01-05}\n"
        "people: [{id: ann, skills: [go]}]\n"
        "tasks:\n  - {id: a, title: A, estimate: 10d, skills: [rust]}\n"
    )
    result = runner.invoke(app, ["schedule", str(plan)])
    assert result.exit_code == 1
    assert "E301" in result.output and "Traceback" not in result.output


def test_psplib_instance() -> None:
    path = SHARED_DATA / "psplib" / "j30" / "j301_1.sm"
    shared_or_skip(path, "the shared PSPLIB data")
    result = runner.invoke(
        app,
        ["schedule", "--psplib", str(path), "--format", "json", "--backend", "cpsat", "-t", "10"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["makespan"] == 43  # j301_1's optimum
    assert len(data["starts"]) == 32 and data["starts"][0] == 0
    assert data["status"] == "optimal"


def test_psplib_uses_the_auto_portfolio_by_default() -> None:
    # j3029_1: the heuristic alone stalls at 89; the portfolio proves the optimum, 85.
    path = SHARED_DATA / "psplib" / "j30" / "j3029_1.sm"
    shared_or_skip(path, "the shared PSPLIB data")
    result = runner.invoke(app, ["schedule", "--psplib", str(path), "-t", "10"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["backend"] == "auto"
    assert data["makespan"] == data["lower_bound"] == 85
    assert data["status"] == "optimal"


def test_corrupt_psplib_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.sm"
    path.write_bytes(b"this is not a psplib file\n")
    result = runner.invoke(app, ["schedule", "--psplib", str(path)])
    assert result.exit_code == 1
    assert "bad.sm" in result.output and "Traceback" not in result.output
