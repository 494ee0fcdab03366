"""`ontrack risks` end to end: the table, the JSON, the options, and the tracking data from the
store on SQLite and PostgreSQL. The command is registered on a local app here: main.py wires it
up separately."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from ontrack.cli.main import app as ontrack
from ontrack.cli.risks import risks_command
from ontrack.interop.progressfile import read_progress
from ontrack.planfile import load_plan
from ontrack.store.repo import Store
from tests.conftest import EXAMPLES

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("risks")(risks_command)


@app.callback()
def _root() -> None:
    """A group, so the command is invoked as `risks` like under `ontrack`."""


runner = CliRunner()
EXAMPLE = EXAMPLES / "platform-migration"

PLAN = """\
program:
  name: Risks test
  start: 2026-01-05
people:
  - {id: alice, name: Alice, skills: [go]}
tasks:
  - {id: build, title: Build, estimate: 25d, assignee: alice}
  - {id: launch, title: Launch, milestone: true, depends: build, deadline: 2026-02-13}
risks:
  - {id: r-vendor, title: Vendor late, probability: 40%, impact: 5d/10d/20d, affects: build}
assumptions:
  - {id: a-api, title: The API stays stable, owner: alice, due: 2026-01-02, severity: high}
"""


def risks(*args: str) -> Result:
    return runner.invoke(app, ["risks", *args])


def risks_json(*args: str) -> dict[str, Any]:
    result = risks(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def codes(data: dict[str, Any]) -> set[str]:
    return {f["code"] for f in data["findings"]}


def test_table(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    result = risks(str(plan), "--as-of", "2026-01-12", "-n", "500")
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("Findings", "R101", "R105", "R130", "R131", "R133", "Risk register"):
        assert text in out, out
    assert "Heat map" in out and "Assumptions, issues and decisions" in out
    assert "a-api" in out and "(+10 d)" in out  # due 2026-01-02, as of the 12th


def test_json(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    data = risks_json(str(plan), "--as-of", "2026-01-12", "-n", "500", "--seed", "3")
    assert set(data) >= {"register", "findings", "raid", "heatmap", "as_of", "forecast"}
    assert data["as_of"] == "2026-01-12"
    assert data["forecast"] == {"iterations": 500, "seed": 3}
    for finding in data["findings"]:
        assert set(finding) >= {"code", "severity", "subjects", "evidence", "suggestion"}
    # 25 working days from Monday 5 January: Friday 6 February, a week before the deadline;
    # the vendor risk (40 %, mean 10.8 days) threatens it.
    assert codes(data) >= {"R101", "R105", "R110", "R130", "R131", "R133"}
    (risk,) = data["register"]
    assert (risk["id"], risk["probability_band"], risk["unowned"]) == ("r-vendor", 3, True)
    assert risk["exposure_days"] == round(0.4 * (5 + 40 + 20) / 6, 2)
    assert len(data["heatmap"]) == 25
    assert [a["id"] for a in data["raid"]["assumptions"]] == ["a-api"]
    assert data["raid"]["assumptions"][0]["overdue_days"] == 10


def test_thresholds_and_severity_filter(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    # As of the program's start: nothing is overdue yet, so the deadline's odds are the
    # forecast's (as of a later day with no progress, the work is overdue and R101 must fire).
    base = (str(plan), "--as-of", "2026-01-05", "-n", "300")
    assert "R101" in codes(risks_json(str(plan), "--as-of", "2026-01-12", "-n", "300"))
    assert "R105" not in codes(risks_json(*base, "--long-task-days", "30"))
    assert "R101" not in codes(risks_json(*base, "--deadline-threshold", "0.01"))
    high = risks_json(*base, "--min-severity", "high")
    assert high["findings"]
    assert all(f["severity"] in ("high", "critical") for f in high["findings"])


def test_mistakes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "program: {name: X, start: 2026-01-05}\ntasks:\n  - {id: a, title: A, depends: b}\n"
    )
    result = risks(str(bad))
    assert result.exit_code == 1
    assert "E201" in result.output
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    assert risks(str(plan), "--scope-threshold", "15").exit_code == 2
    assert risks(str(plan), "--deadline-threshold", "1.5").exit_code == 2
    missing = risks(str(plan), "--baseline", "nope", "--db", f"sqlite:///{tmp_path / 's.db'}")
    assert missing.exit_code == 1


def ontrack_ok(*args: str) -> None:
    result = runner.invoke(ontrack, list(args))
    assert result.exit_code == 0, result.output


def test_tracking_from_the_store(db_url: str) -> None:
    """The example's approved baseline and its four progress reports, as of 27 March."""
    ontrack_ok("apply", str(EXAMPLE), "--db", db_url)
    ontrack_ok("baseline", "set", "approved", "--plan", str(EXAMPLE), "--db", db_url)
    plan, _ = load_plan(EXAMPLE)
    assert plan is not None
    store = Store.open(db_url, EXAMPLE)
    try:
        for path in sorted((EXAMPLE / "status").glob("*.csv")):
            facts, problems = read_progress(
                path, task_ids=plan.task_by_id, hours_per_day=plan.calendar.hours_per_day
            )
            assert not problems
            store.record_progress(plan.program.name, facts)
    finally:
        store.close()
    args = (str(EXAMPLE), "--db", db_url, "--baseline", "approved", "-n", "300")
    data = risks_json(*args, "--as-of", "2026-03-27", "--time-limit", "1")
    assert (data["baseline"], data["status_date"]) == ("approved", "2026-03-27")
    found = {f["code"]: f for f in data["findings"]}
    # Direct Connect was delivered a day late: its set-up, due to start on the 26th, has not
    # started by Friday the 27th.
    behind = {
        t["task"]: t["working_days_behind"]
        for f in data["findings"]
        if f["code"] == "R140"
        for t in f["evidence"].get("tasks", [f["evidence"]])
    }
    assert behind == {"plat-dc-link-setup": 2}
    # The carrier and extension risks only affect finished work; their reviews are overdue.
    assert set(found["R134"]["subjects"]) == {"r-carrier-delay", "r-pg-extensions"}
    assert set(found["R132"]["subjects"]) == {"r-carrier-delay", "r-pg-extensions"}
    assert "R144" not in found and "R143" not in found  # the plan is the baseline's
    # Months later with no new reports, the status is stale.
    later = risks_json(*args, "--as-of", "2026-05-01", "--time-limit", "1")
    assert "R143" in codes(later)


@pytest.mark.parametrize("width", [100, 70])
def test_the_register_never_cuts_a_figure(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal of 100 columns the register's text wraps and its figures stay whole; on a
    narrower one each risk is stacked on its own line rather than cut to `0.…`."""
    from decimal import Decimal

    from rich.console import Console

    from ontrack.cli import output

    data = risks_json(str(EXAMPLE), "-n", "200")
    console = Console(force_terminal=True, width=width, record=True, color_system=None)
    monkeypatch.setattr(output, "stdout", console)
    monkeypatch.setattr("ontrack.cli.risks.stdout", console)
    monkeypatch.setenv("COLUMNS", str(width))
    result = risks(str(EXAMPLE), "-n", "200")
    assert result.exit_code == 0, result.output
    text = console.export_text()
    register = text[text.index("Risk register") : text.index("Heat map")]
    words = {w.rstrip(":,") for w in register.replace("│", " ").split()}
    assert "…" not in register
    for r in data["register"]:
        figures = {
            r["id"],
            f"{r['probability_band']}x{r['impact_band']}={r['score']}",
            f"{r['exposure_days']:.1f}",
            f"{Decimal(r['exposure_money']):,.0f}",
            r["review_date"] or "—",
        }
        assert figures <= words, (r["id"], figures - words)
