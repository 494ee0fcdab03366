"""One truth: every output that shows a figure shows the program assessment's figure.

Each example is rendered by `forecast`, `risks`, `export`, `budget`, `report` and `status` at
three as-of dates — before the program starts, while it runs, and after its planned finish — and
every number they show is compared with `ontrack assess --format json` for the same inputs.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ontrack.app.asof import AsOf, resolve_as_of
from ontrack.cli.main import app
from ontrack.planfile import load_plan
from ontrack.reports.data import day_text
from tests.conftest import EXAMPLES

runner = CliRunner()
SMALL_DATES = ("2025-12-15", "2026-01-23", "2026-06-01")  # before, during, after
TRACKED_DATES = ("2026-01-20", "2026-03-13", "2027-01-15")


def run(*args: str | Path) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(*args: str | Path) -> Any:
    return json.loads(run(*args, "--format", "json"))


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The medium example applied, baselined and with its four status files recorded."""
    folder = tmp_path_factory.mktemp("truth") / "pm"
    shutil.copytree(EXAMPLES / "platform-migration", folder)
    run("apply", folder, "-m", "plan approved")
    run("baseline", "set", "approved", "--plan", folder)
    for status in sorted((folder / "status").glob("*.csv")):
        run("progress", status, "--plan", folder)
    return folder


def _milestones(data: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        m["id"]: (m["p50"], m["p80"], m["p95"], m["probability_on_time"])
        for m in data["milestones"]
    }


def _check_outputs(plan: Path, day: str, extra: tuple[str, ...], tmp: Path) -> dict[str, Any]:
    args: tuple[str | Path, ...] = (plan, "--status-date", day, *extra)
    truth: dict[str, Any] = as_json("assess", *args)
    assert truth["as_of"]["date"] == day
    assert truth["options"]["iterations"] == 10_000  # one default everywhere

    # forecast: every milestone's percentiles and odds.
    forecast = as_json("forecast", *args)
    assert _milestones(forecast) == _milestones(truth)
    assert forecast["cost"] == truth["cost"]

    # risks: the register's scores and ratings, and the findings.
    risks = as_json("risks", *args)
    register = {
        r["id"]: (r["probability_band"], r["impact_band"], r["score"], r["rating"])
        for r in risks["register"]
    }
    assert register == {
        r["id"]: (r["probability"], r["impact"], r["score"], r["rating"]) for r in truth["risks"]
    }
    assert [f["code"] for f in risks["findings"]] == [f["code"] for f in truth["findings"]]
    # A finding that quotes a risk's score quotes the register's (one matrix).
    scores = {r["id"]: r["score"] for r in truth["risks"]}
    for f in truth["findings"]:
        if "score" in f.get("evidence", {}) and f["subjects"] and f["subjects"][0] in scores:
            assert f["evidence"]["score"] == scores[f["subjects"][0]], f["code"]

    # the CSV export: each milestone's P50 and P80 columns.
    store_args = ["--progress"] if extra else []
    exported = runner.invoke(
        app, ["export", str(plan), "--to", "csv", "--status-date", day, *store_args]
    )
    assert exported.exit_code == 0, exported.output
    table = {r["id"]: r for r in csv.DictReader(io.StringIO(exported.stdout))}
    for m in truth["milestones"]:
        if m["id"] in table:
            assert (table[m["id"]]["p50"], table[m["id"]]["p80"]) == (m["p50"], m["p80"]), m["id"]

    # the HTML report: the RAG, and each milestone's P50 and P80 as the page writes them.
    page = tmp / f"report-{day}.html"
    run("report", *args, "-o", page)
    text = html.unescape(page.read_text())
    assert f'<div class="rag rag-{truth["rag"]["rating"]}">' in page.read_text()
    assert truth["rag"]["reason"] in text
    for m in truth["milestones"]:
        p50 = day_text(dt.date.fromisoformat(m["p50"]))
        p80 = day_text(dt.date.fromisoformat(m["p80"]))
        assert p50 in text and p80 in text, (m["id"], p50, p80)

    # the status report: the same headline, and each milestone row's dates and odds.
    status = run("status", *args, "--audience", "team")
    assert f"**: {truth['rag']['reason']}" in status
    rows = [line for line in status.splitlines() if line.startswith("| ")]
    for m in truth["milestones"]:
        if m["kind"] == "deadline":
            continue  # tasks with deadlines are not milestone rows
        label = m["title"] + (" (release)" if m["kind"] == "release" else "")
        row = next((r for r in rows if r.startswith(f"| {label} |")), None)
        assert row is not None, m["title"]
        assert day_text(dt.date.fromisoformat(m["p80"])) in row
        if m["probability_on_time"] is not None and m["state"] not in ("done",):
            assert f"{round(100 * m['probability_on_time'])}%" in row
    return truth


@pytest.mark.parametrize("day", SMALL_DATES)
def test_every_output_of_the_small_example_equals_the_assessment(
    day: str, tmp_path: Path
) -> None:
    truth = _check_outputs(EXAMPLES / "small", day, (), tmp_path)
    if day == SMALL_DATES[-1]:
        # After the planned finish with progress written to 23 Jan only: nothing is done
        # because the calendar passed it, the deadline is missed, and the output says so.
        assert truth["rag"]["rating"] == "red"
        launch = next(m for m in truth["milestones"] if m["id"] == "launch")
        assert launch["state"] == "overdue" and launch["probability_on_time"] == 0
        assert launch["p50"] > day
        assert "no progress has been recorded since 2026-01-23" in truth["as_of"]["statement"]


@pytest.mark.parametrize("day", TRACKED_DATES)
def test_every_output_of_the_tracked_example_equals_the_assessment(
    day: str, tracked: Path, tmp_path: Path
) -> None:
    truth = _check_outputs(tracked, day, ("--baseline", "approved"), tmp_path)
    budget = as_json("budget", "--baseline", "approved", "--plan", tracked, "--status-date", day)
    assert truth["budget"] is None or budget["eac"] == truth["budget"]["eac"]
    if day == TRACKED_DATES[1]:
        assert truth["as_of"]["last_progress"] == "2026-03-13"
        assert truth["evm"] is not None
    if day == TRACKED_DATES[-1]:  # every status file recorded: `evm` reads them all
        evm = as_json("evm", "--baseline", "approved", "--plan", tracked)
        latest = evm["periods"][-1]
        assert truth["evm"]["status_date"] == latest["date"] == "2026-03-27"
        assert (truth["evm"]["spi"], truth["evm"]["spi_t"]) == (latest["spi"], latest["spi_t"])
        assert truth["evm"]["planned_finish"] == evm["planned_finish"]
        assert truth["evm"]["forecast_finish"] == latest["forecast_finish"]
        # The budget's earned-value EACs are the evm command's.
        assert (budget["eac"]["cpi"], budget["eac"]["cpi_spi"], budget["eac"]["budget_rate"]) == (
            latest["eac_cpi"],
            latest["eac_cpi_spi"],
            latest["eac_budget_rate"],
        )
        # Dates are working days: no forecast finish on a weekend.
        assert dt.date.fromisoformat(latest["forecast_finish"]).weekday() < 5


def test_the_as_of_rule() -> None:
    plan, _ = load_plan(EXAMPLES / "small")
    assert plan is not None
    # The program's status date, when nothing is recorded later.
    assert resolve_as_of(plan) == AsOf(dt.date(2026, 1, 23), "program", dt.date(2026, 1, 23))
    # A day asked for wins; progress after it is not "recorded" as of then.
    asked = resolve_as_of(plan, (), dt.date(2026, 1, 10))
    # As of 10 Jan, the latest actual date written that had happened then: api-contract's start
    # on 8 Jan (funnel-analysis finished on the 7th; everything else is later).
    assert asked == AsOf(dt.date(2026, 1, 10), "option", dt.date(2026, 1, 8))
    # Before the program started, nothing had happened.
    assert resolve_as_of(plan, (), dt.date(2025, 12, 15)).last_progress is None


def test_today_is_the_as_of_date_of_a_plan_with_no_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan, _ = load_plan(EXAMPLES / "small")
    assert plan is not None
    monkeypatch.setenv("ONTRACK_TODAY", "2026-07-01")
    undated = replace(
        plan,
        program=replace(plan.program, status_date=None),
        tasks=tuple(
            replace(t, actual_start=None, actual_finish=None, percent_complete=None)
            for t in plan.tasks
        ),
    )
    when = resolve_as_of(undated)
    assert when == AsOf(dt.date(2026, 7, 1), "today", None)
    assert when.statement.endswith("no progress has been recorded")


IMPOSSIBLE = """\
program: {name: Late, start: 2026-01-05, status_date: 2026-01-02}
people: [{id: ann, skills: [be]}, {id: bob, skills: [be]}]
tasks:
  - {id: build, title: Build, estimate: 10d/15d/20d, skills: [be]}
  - {id: test, title: Test, estimate: 5d, skills: [be], depends: [build]}
  - {id: ship, title: Ship, milestone: true, depends: [test], deadline: 2026-01-20}
risks:
  - {id: vendor, title: Vendor late, probability: 30%, impact: 5d, affects: [build], owner: ann}
"""


def test_a_deadline_no_schedule_can_meet_is_analysed_not_refused(tmp_path: Path) -> None:
    plan = tmp_path / "late.yaml"
    plan.write_text(IMPOSSIBLE)
    # Every command runs (exit 0) and says how late: W311 with the earliest and levelled finish.
    for args in (
        ("schedule", plan),
        ("forecast", plan),
        ("report", plan, "-o", tmp_path / "r.html"),
        ("status", plan),
        ("export", plan, "--to", "csv", "-o", tmp_path / "t.csv"),
        ("audit", plan),
    ):
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == 0, (args[0], result.output)
        assert "W311" in result.output or args[0] == "status", args[0]
    truth = as_json("assess", plan)
    ship = next(m for m in truth["milestones"] if m["id"] == "ship")
    # Build 15d then test 5d from 5 Jan: done 30 Jan at the earliest, 8 working days late.
    assert (ship["planned"], ship["probability_on_time"]) == ("2026-01-30", 0)
    assert ship["state"] == "late"
    assert truth["rag"]["rating"] == "red"
    schedule = as_json("schedule", plan)
    floats = {t["id"]: t["total_float_days"] for t in schedule["tasks"]}
    assert floats["build"] == floats["test"] == floats["ship"] == -8  # negative float
    risks = as_json("risks", plan)
    missed = next(f for f in risks["findings"] if f["code"] == "R106")
    assert missed["severity"] == "critical" and "ship" in missed["subjects"]
    # The register is scored against the real program length, not "0 working days".
    assert risks["program_days"] > 0
    assert {r["id"]: r["score"] for r in risks["register"]} == {
        r["id"]: r["score"] for r in truth["risks"]
    }
    audit = as_json("audit", plan)
    hard = next(c for c in audit["dcma"] if c["number"] == 5)
    assert hard["pass"] is True  # a deadline is not a hard constraint


def test_a_deadline_before_the_start_constraint_is_a_target_too(tmp_path: Path) -> None:
    plan = tmp_path / "squeeze.yaml"
    plan.write_text(
        "program: {name: S, start: 2026-01-05, status_date: 2026-01-02}\n"
        "tasks:\n"
        "  - {id: a, title: A, duration: 2d, start_no_earlier_than: 2026-03-02, "
        "deadline: 2026-02-02}\n"
    )
    checked = runner.invoke(app, ["check", str(plan)])
    assert checked.exit_code == 0 and "W309" in checked.output, checked.output
    schedule = as_json("schedule", plan)
    task = schedule["tasks"][0]
    # Starts on its constraint, finishes 3 Mar: 19 working days 3-27 Feb, then 2 and 3 Mar.
    assert (task["start"], task["finish"], task["late_days"]) == ("2026-03-02", "2026-03-03", 21)
    assert [d["code"] for d in schedule["diagnostics"]] == ["W311"]


def test_the_same_inputs_give_the_same_assessment() -> None:
    args = (EXAMPLES / "small", "--as-of", "2026-02-16", "-n", "2000", "--seed", "7")
    first, second = as_json("assess", *args), as_json("assess", *args)
    assert first == second
    other = as_json("assess", *args[:-1], "8")  # another seed: other draws
    assert other["milestones"] != first["milestones"] or other["cost"] != first["cost"]
