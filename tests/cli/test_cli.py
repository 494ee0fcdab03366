"""The `ontrack` command: exit codes, formats, help, and no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from tests.conftest import EXAMPLES, FIXTURES

runner = CliRunner()
CLEAN = str(FIXTURES / "plans" / "clean.yaml")
BROKEN = str(FIXTURES / "plans" / "values.yaml")


def test_help_explains_with_an_example() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    for command in ("check", "show", "schema", "generate"):
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0, command
        assert "Example: ontrack " + command in " ".join(sub.output.split()), command


def test_no_help_shows_a_value_for_a_flag() -> None:
    """Flags (--strict, --progress, --help) take no value: no help shows them as `<bool>`."""
    import typer

    def paths(command: object, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        subs = getattr(command, "commands", {})
        return [prefix] + [p for name, sub in subs.items() for p in paths(sub, (*prefix, name))]

    commands = paths(typer.main.get_command(app), ())
    assert ("baseline", "set") in commands and len(commands) > 20
    for path in commands:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, path
        assert "<bool>" not in result.output, path
    schedule = runner.invoke(app, ["schedule", "--help"], env={"COLUMNS": "200"}).output
    assert "<path>" in schedule  # options that take a value still say which


def test_check_clean_plan_exits_zero() -> None:
    result = runner.invoke(app, ["check", CLEAN])
    assert result.exit_code == 0
    assert "7 tasks" in result.output


def test_check_errors_exit_one_with_positions() -> None:
    result = runner.invoke(app, ["check", BROKEN])
    assert result.exit_code == 1
    assert f"{BROKEN}:21:15: error E112" in result.output
    assert "Traceback" not in result.output


def test_check_json() -> None:
    result = runner.invoke(app, ["check", BROKEN, "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False and data["errors"] == len(data["diagnostics"])
    first = data["diagnostics"][0]
    assert set(first) >= {"code", "severity", "file", "line", "col", "message", "hint"}


def test_warnings_exit_zero_unless_strict(tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text("program: {name: P, start: 2026-01-05}\ntasks: [{id: a, title: A}]\n")
    assert runner.invoke(app, ["check", str(plan)]).exit_code == 0
    assert runner.invoke(app, ["check", str(plan), "--strict"]).exit_code == 1


def test_show_table_and_json() -> None:
    table = runner.invoke(app, ["show", CLEAN])
    assert table.exit_code == 0
    assert "Checkout Revamp" in table.output and "psp-late" in table.output
    result = runner.invoke(app, ["show", CLEAN, "--format", "json"])
    data = json.loads(result.output)
    assert data["counts"]["tasks"] == 7
    assert data["effort"]["likely_days"] == 21.25
    assert data["fixed_duration"]["likely_days"] == 10.0


def test_show_counts_read_as_english_and_say_what_they_count(tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text(
        "program: {name: One, start: 2026-01-05}\n"
        "people: [{id: ana, name: Ana, skills: [api]}]\n"
        "teams: [{id: core, name: Core, members: [ana]}]\n"
        "tasks:\n"
        "  - {id: a, title: A, estimate: 2d, assignee: ana}\n"
        "  - {id: b, title: B, estimate: 2d, skills: [api]}\n"
        "  - {id: m, title: M, milestone: true, depends: [a, b]}\n"
        "releases: [{id: r1, title: R1, includes: [m]}]\n"
    )
    result = runner.invoke(app, ["show", str(plan)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "1 person in 1 team · 0 active risks · 1 release" in out
    assert "(1 item)" in out and "1 milestone)" in out
    for wrong in ("1 teams", "1 releases", "1 items", "1 milestones", "1 people"):
        assert wrong not in out, wrong
    # Ana is named on one task; the skill-matched one is counted apart, not silently dropped.
    assert "named" in out and "1 task names nobody" in out
    data = json.loads(runner.invoke(app, ["show", str(plan), "-f", "json"]).output)
    assert data["counts"]["unassigned_tasks"] == 1
    assert data["people"][0]["assigned_tasks"] == 1


def test_show_refuses_a_broken_plan() -> None:
    result = runner.invoke(app, ["show", BROKEN])
    assert result.exit_code == 1


def test_schema_json_and_markdown() -> None:
    data = json.loads(runner.invoke(app, ["schema"]).output)
    assert data["title"] == "ontrack plan file"
    assert runner.invoke(app, ["schema", "--format", "markdown"]).output.startswith("# Plan")


def test_generate_writes_a_valid_plan(tmp_path: Path) -> None:
    out = tmp_path / "gen.yaml"
    result = runner.invoke(
        app, ["generate", "--tasks", "120", "--people", "8", "--seed", "3", "-o", str(out)]
    )
    assert result.exit_code == 0
    assert runner.invoke(app, ["check", str(out), "--strict"]).exit_code == 0
    again = runner.invoke(app, ["generate", "--tasks", "120", "--people", "8", "--seed", "3"])
    assert again.output == out.read_text()


@pytest.mark.parametrize("example", ["small", "platform-migration"])
def test_examples_check_clean(example: str) -> None:
    result = runner.invoke(app, ["check", str(EXAMPLES / example), "--strict"])
    assert result.exit_code == 0, result.output


def test_installed_entry_point_runs() -> None:
    exe = Path(sys.executable).with_name("ontrack")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "ontrack.cli.main"]
    done = subprocess.run(
        [*command, "check", BROKEN],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert done.returncode == 1
    assert "E112" in done.stdout and "Traceback" not in done.stderr
