"""``ontrack release slip``: the proposal as JSON, --apply rewriting the plan so it reloads and
the release's odds (as ``ontrack forecast`` reports them) reach the target, coded errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from ontrack.cli.main import app
from ontrack.planfile import load_plan

runner = CliRunner()

# One person, single-point estimates: r1 (due after 9 working days) holds 15 days of work and
# only moving big (with b2, which depends on it) gets it in on time.
PLAN = """\
# A plan the slip edits (this comment stays)
program:
  name: Slip
  start: 2027-01-04
people:
  - id: ana
    name: Ana
tasks:
  - id: a1
    title: A1
    estimate: 2d
    assignee: ana
  - id: a2
    title: A2
    estimate: 2d
    assignee: ana
    depends: [a1]
  - id: big
    title: Big
    estimate: 10d
    assignee: ana
  - id: b2
    title: B2
    estimate: 1d
    assignee: ana
    depends: big
  - id: ship
    title: Ship
    milestone: true
    depends: [a2, b2]
trains:
  - {id: web, first: 2027-01-07, every: 2w}
releases:
  - id: r1
    title: R1
    date: 2027-01-14
    train: web
    includes:
      - ship
      - a1
      - a2
      - big   # the long one
      - b2
  - id: r2
    title: R2
    date: 2027-01-28
    train: web
    includes: [ship]
"""


def slip(*args: str | Path) -> Result:
    return runner.invoke(app, ["release", "slip", *map(str, args)])


def _write(tmp_path: Path, text: str = PLAN) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_json_proposal_with_the_diff_and_nothing_written(tmp_path: Path) -> None:
    path = _write(tmp_path)
    result = slip("r1", path, "--format", "json", "-n", "500")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outcome"] == "proposed"
    assert [m["id"] for m in data["moved"]] == ["big", "b2"]
    assert data["before"]["probability_on_time"] == 0
    assert data["after"]["probability_on_time"] == 1
    assert data["next_release"] == "r2" and data["departure"]["date"] == "2027-01-21"
    diff = data["change"]["diff"]
    assert "-      - big   # the long one" in diff and "-      - b2" in diff
    assert "+    includes: [ship, big, b2]" in diff
    assert "+    start_no_earlier_than: 2027-01-15" in diff
    assert "+    depends: [a2]" in diff
    assert data["applied"] is False
    assert path.read_text(encoding="utf-8") == PLAN


def test_apply_rewrites_the_plan_and_forecast_agrees(tmp_path: Path) -> None:
    path = _write(tmp_path)
    result = slip("r1", path, "--apply", "--format", "json", "-n", "500")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["applied"] is True
    plan, diagnostics = load_plan(path)
    assert plan is not None, diagnostics
    releases = {r.id: r for r in plan.releases}
    assert releases["r1"].includes == ("ship", "a1", "a2")
    assert releases["r2"].includes == ("ship", "big", "b2")
    assert str(plan.task_by_id["big"].start_no_earlier_than) == "2027-01-15"
    assert [d.task for d in plan.task_by_id["ship"].depends] == ["a2"]
    assert path.read_text(encoding="utf-8").startswith("# A plan the slip edits")
    # Measured through the user's command: the odds the slip promised.
    forecast = runner.invoke(app, ["forecast", str(path), "--format", "json", "-n", "500"])
    assert forecast.exit_code == 0, forecast.output
    items = {m["id"]: m for m in json.loads(forecast.stdout)["milestones"]}
    odds = items["r1"]["probability_on_time"]
    assert odds >= 0.8 and odds == data["after"]["probability_on_time"]
    # Applied, the release is at its target: a second run proposes nothing.
    again = slip("r1", path, "-n", "500")
    assert again.exit_code == 0 and "nothing to move" in again.stdout


def test_table_shows_moves_odds_and_the_change(tmp_path: Path) -> None:
    result = slip("r1", _write(tmp_path), "-n", "300")
    assert result.exit_code == 0, result.output
    for text in ("big", "depends on big", "before", "after", "2027-01-21", "join r2", "--apply"):
        assert text in result.stdout


def test_a_release_at_target_proposes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, PLAN.replace("date: 2027-01-14", "date: 2027-03-01"))
    result = slip("r1", path, "--format", "json", "-n", "300")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["outcome"] == "on-target" and data["moved"] == []


def test_unknown_release_is_a_coded_error(tmp_path: Path) -> None:
    result = slip("nope", _write(tmp_path), "-n", "100")
    assert result.exit_code == 1
    assert "error E480" in result.stderr


def test_a_task_pulled_in_by_a_summary_is_not_applied(tmp_path: Path) -> None:
    text = PLAN.replace(
        "  - id: big\n    title: Big\n",
        "  - id: heavy\n    title: Heavy work\n    tasks:\n      - id: big\n        title: Big\n",
    ).replace(
        "    estimate: 10d\n    assignee: ana\n", "        estimate: 10d\n        assignee: ana\n"
    )
    text = text.replace("      - big   # the long one\n", "      - heavy\n")
    path = _write(tmp_path, text)
    assert load_plan(path)[0] is not None
    result = slip("r1", path, "--apply", "-n", "300")
    assert result.exit_code == 1
    assert "error E483" in result.stderr and "summary task 'heavy'" in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_bad_target_and_help(tmp_path: Path) -> None:
    assert slip("r1", _write(tmp_path), "--target", "0.8").exit_code == 2
    shown = slip("--help")
    assert shown.exit_code == 0 and "Example: ontrack release slip" in shown.stdout


# r1 includes only its milestone ship; ship waits for a2 and the gate milestone beta, beta for
# check, check for b2, b2 for big. Only moving big with what waits for it (b2, check, beta)
# gets r1 in on time: none of them is in `includes`, so the change drops ship's link to beta.
MILESTONE_ONLY = """\
program:
  name: Slip
  start: 2027-01-04
people:
  - id: ana
    name: Ana
tasks:
  - id: a1
    title: A1
    estimate: 2d
    assignee: ana
  - id: a2
    title: A2
    estimate: 2d
    assignee: ana
    depends: [a1]
  - id: big
    title: Big
    estimate: 10d
    assignee: ana
  - id: b2
    title: B2
    estimate: 1d
    assignee: ana
    depends: big
  - id: check
    title: Check
    estimate: 1d
    assignee: ana
    depends: b2
  - id: beta
    title: Beta
    milestone: true
    depends: check
  - id: ship
    title: Ship
    milestone: true
    depends: [a2, beta]
trains:
  - {id: web, first: 2027-01-07, every: 2w}
releases:
  - id: r1
    title: R1
    date: 2027-01-14
    train: web
    includes: [ship]
  - id: r2
    title: R2
    date: 2027-01-28
    train: web
    includes: [ship]
"""


def test_a_milestone_only_release_is_applied_and_forecast_agrees(tmp_path: Path) -> None:
    path = _write(tmp_path, MILESTONE_ONLY)
    result = slip("r1", path, "--apply", "--format", "json", "-n", "500")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outcome"] == "proposed" and data["applied"] is True
    assert [m["id"] for m in data["moved"]] == ["big", "b2", "check", "beta"]
    assert data["dropped_links"] == [{"milestone": "ship", "task": "beta"}]
    assert "+    depends: [a2]" in data["change"]["diff"]
    plan, diagnostics = load_plan(path)
    assert plan is not None, diagnostics
    releases = {r.id: r for r in plan.releases}
    assert releases["r1"].includes == ("ship",)
    # Nothing in r2 waits for the moved work any more (ship dropped it): r2 includes it.
    assert releases["r2"].includes == ("ship", "big", "b2", "check", "beta")
    assert [d.task for d in plan.task_by_id["ship"].depends] == ["a2"]
    for task in ("big", "b2", "check"):
        assert str(plan.task_by_id[task].start_no_earlier_than) == "2027-01-15"
    assert plan.task_by_id["beta"].start_no_earlier_than is None
    forecast = runner.invoke(app, ["forecast", str(path), "--format", "json", "-n", "500"])
    assert forecast.exit_code == 0, forecast.output
    items = {m["id"]: m for m in json.loads(forecast.stdout)["milestones"]}
    odds = items["r1"]["probability_on_time"]
    assert odds >= 0.8 and odds == data["after"]["probability_on_time"]
    again = slip("r1", path, "-n", "500")
    assert again.exit_code == 0 and "nothing to move" in again.stdout
