"""Values `check` used to accept and the engines then crashed on ("internal error"): each is now
refused where it is written, with its code, by `check` and by every command that loads the
plan; options out of range are usage errors (exit 2). Each case is fast: nothing is expanded or
simulated before the value is refused."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ontrack.cli.main import app
from tests.conftest import EXAMPLES

runner = CliRunner()

PROGRAM = "program: {name: Bounds, start: 2026-01-05}\n"
PEOPLE = "people: [{id: ana}]\n"
TASK = "tasks:\n  - {id: t, title: T, estimate: 30d, assignee: ana}\n"

# (case, plan text, expected code, line of the diagnostic)
CASES = [
    (
        "huge-estimate",
        PROGRAM + PEOPLE + "tasks:\n  - {id: t, title: T, estimate: 999999999999999d}\n",
        "E110",
        4,
    ),
    (
        "far-deadline",
        PROGRAM + PEOPLE + "tasks:\n  - {id: t, title: T, estimate: 3d, deadline: 9999-12-31}\n",
        "E114",
        4,
    ),
    (
        "start-at-the-end-of-time",
        "program: {name: B, start: 9999-12-20}\n" + PEOPLE + TASK,
        "E114",
        1,
    ),
    ("tiny-allocation", PROGRAM + "people: [{id: ana, allocation: 0.0000001}]\n" + TASK, "E113", 2),
    (
        "huge-lag",
        PROGRAM
        + PEOPLE
        + TASK
        + "  - {id: u, title: U, estimate: 3d, depends: [{task: t, lag: 99999999d}]}\n",
        "E110",
        5,
    ),
    ("no-working-days", PROGRAM + "calendar: {workweek: []}\n" + PEOPLE + TASK, "E303", 2),
    (
        "holidays-for-ever",
        PROGRAM + "calendar: {holidays: [0001-01-01..9999-12-31]}\n" + PEOPLE + TASK,
        "E115",
        2,
    ),
    (
        "tiny-working-day",
        PROGRAM + "calendar: {hours_per_day: 0.0001}\n" + PEOPLE + TASK,
        "E103",
        2,
    ),
    (
        "work-past-the-calendar",
        PROGRAM
        + "people: [{id: ana, allocation: 1%}]\n"
        + "tasks:\n"
        + "".join(
            f"  - {{id: t{i}, title: T, estimate: 2600d, assignee: ana, depends: [t{i - 1}]}}\n"
            for i in range(1, 4)
        ).replace(", depends: [t0]", ""),
        "E227",
        1,
    ),
]


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    # An internal error is an exception the command did not turn into an exit code.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "internal error" not in result.output
    return result


@pytest.mark.parametrize(
    ("text", "code", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_value_the_engines_cannot_handle_is_refused_where_written(
    tmp_path: Path, text: str, code: str, line: int
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    began = time.perf_counter()
    checked = invoke("check", str(plan), "--format", "json")
    assert time.perf_counter() - began < 10  # `holidays` over 8,000 years took 15 s and 346 MB
    assert checked.exit_code == 1
    found = [d for d in json.loads(checked.output)["diagnostics"] if d["code"] == code]
    assert found and found[0]["line"] == line, checked.output
    for command in (
        ["schedule"],
        ["forecast", "-n", "100"],
        ["report", "-n", "100", "-o", str(tmp_path / "r.html")],
        ["status", "-n", "100"],
    ):
        result = invoke(*command, str(plan))
        assert result.exit_code == 1, (command, result.output)
        assert code in result.output, (command, result.output)


SMALL = str(EXAMPLES / "small")
AS_OF_COMMANDS = [
    ["report", "-n", "100"],
    ["status", "-n", "100"],
    ["assess", "-n", "100"],
    ["forecast", "-n", "100"],
    ["risks", "-n", "100"],
    ["schedule"],
    ["export", "-o", "x.csv"],
    ["audit"],
]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
@pytest.mark.parametrize("command", AS_OF_COMMANDS, ids=[c[0] for c in AS_OF_COMMANDS])
def test_an_as_of_date_outside_the_horizon_is_a_usage_error(command: list[str], day: str) -> None:
    result = invoke(*command, SMALL, "--status-date", day)
    assert result.exit_code == 2, result.output
    assert "outside" in result.output and "1900-01-01..2200-12-31" in result.output


SEED_COMMANDS = [
    ["forecast", "-n", "100"],
    ["schedule"],
    ["report", "-n", "100"],
    ["status", "-n", "100"],
    ["risks", "-n", "100"],
    ["assess", "-n", "100"],
    ["export", "-o", "x.csv"],
]


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
@pytest.mark.parametrize("command", SEED_COMMANDS, ids=[c[0] for c in SEED_COMMANDS])
def test_a_seed_outside_0_to_2_32_is_a_usage_error(command: list[str], seed: str) -> None:
    result = invoke(*command, SMALL, "--seed", seed)
    assert result.exit_code == 2, result.output
    assert "--seed" in result.output


def test_the_largest_seed_and_the_horizon_edges_work(tmp_path: Path) -> None:
    data = json.loads(
        invoke("forecast", SMALL, "-n", "200", "--seed", str(2**32 - 1), "--format", "json").output
    )
    assert data["seed"] == 2**32 - 1
    plan = tmp_path / "late.yaml"
    plan.write_text(
        "program: {name: Late, start: 2200-12-01}\n"
        "people: [{id: ana, allocation: 1%, time_off: [2200-12-24..2200-12-31]}]\n"
        "calendar: {holidays: [1900-01-01..2200-12-31]}\n"
        "tasks:\n  - {id: t, title: T, estimate: 2600d/2600d/2600d, assignee: ana}\n"
        "  - {id: m, title: M, milestone: true, depends: [t], deadline: 2200-12-31}\n",
        encoding="utf-8",
    )
    for command in (
        ["check"],
        ["schedule", "--status-date", "1900-01-01"],
        ["forecast", "-n", "200"],
        ["report", "-n", "200", "-o", str(tmp_path / "r.html"), "--as-of", "2200-12-31"],
    ):
        result = invoke(*command, str(plan))
        assert result.exit_code == 0, (command, result.output)


def test_the_largest_seed_reaches_cp_sat() -> None:
    # CP-SAT's seed is an int32: a seed of 2**31 or more crashed `schedule --backend cpsat`.
    import random

    from ontrack.engines.schedule.cpsat import CpSatBackend
    from ontrack.engines.schedule.problem import SolveOptions
    from tests.engines.schedule.test_bounds import random_problem

    problem = random_problem(random.Random(3), 8)
    for seed in (2**31, 2**32 - 1):
        solved = CpSatBackend(plain=True).solve(problem, SolveOptions(time_limit=2, seed=seed))
        assert solved.status in ("feasible", "optimal")
