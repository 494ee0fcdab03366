"""`ontrack scope` end to end through the store, on SQLite and PostgreSQL. The command is
registered on a local app here: main.py wires it up separately."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import typer
from typer.testing import CliRunner, Result

from ontrack.cli.main import app as ontrack
from ontrack.cli.scope import scope_command
from ontrack.store.repo import ProgressFact, Store
from tests.conftest import EXAMPLES

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("scope")(scope_command)


@app.callback()
def _root() -> None:
    """A group, so the command is invoked as `scope` like under `ontrack`."""


runner = CliRunner()

HEADER = """\
program:
  name: Scope test
  start: 2026-01-05
"""

# 3 + 8 + 2 = 13 days.
BEFORE = """
tasks:
  - {id: a, title: Design, estimate: 3d}
  - {id: b, title: Build, estimate: 5d/8d/13d, depends: a}
  - {id: c, title: Docs, estimate: 2d}
  - {id: m, title: Launch, milestone: true, depends: [b, c]}
risks:
  - {id: r1, title: Vendor late, probability: 30%, impact: 5d, affects: b}
"""

# d added (+4), c removed (−2), b re-estimated 8 → 12 (+4), r1 occurred (+5): 24 days.
AFTER = """
tasks:
  - {id: a, title: Design, estimate: 3d}
  - {id: b, title: Build, estimate: 10d/12d/20d, depends: a}
  - {id: d, title: Security review, estimate: 4d, depends: b}
  - {id: m, title: Launch, milestone: true, depends: [b, d]}
risks:
  - {id: r1, title: Vendor late, probability: 30%, impact: 5d, affects: b, status: occurred}
"""


def ontrack_ok(*args: str) -> str:
    result = runner.invoke(ontrack, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def scope(*args: str) -> Result:
    return runner.invoke(app, ["scope", *args])


def monday(day: dt.date) -> str:
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def test_scope_against_a_baseline(db_url: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(HEADER + BEFORE)
    db = ["--db", db_url]
    ontrack_ok("apply", str(plan), *db)
    ontrack_ok("baseline", "set", "approved", *db, "--time-limit", "1")
    plan.write_text(HEADER + AFTER)
    ontrack_ok("apply", str(plan), *db)
    store = Store.open(db_url, None)
    try:
        [_, rev2] = store.revisions("Scope test")
        today = rev2.created_at.date()
        later = today + dt.timedelta(days=7)
        store.record_progress(
            "Scope test",
            [
                ProgressFact("a", today, actual_finish=today),
                ProgressFact("b", today, percent_complete=Decimal(25)),
                ProgressFact("b", later, percent_complete=Decimal(50)),
            ],
        )
    finally:
        store.close()

    result = scope("--baseline", "approved", *db, "-f", "json")
    assert result.exit_code == 0, result.output  # creep is a finding, not an error
    data = json.loads(result.stdout)
    assert (data["baseline"], data["baseline_revision"], data["revision"]) == ("approved", 1, 2)
    assert (data["baseline_scope_days"], data["current_scope_days"]) == (13.0, 24.0)
    assert (data["growth"], data["threshold"], data["creep"]) == (0.8462, 0.1, True)
    assert data["components"] == {
        "added": 4.0,
        "removed": -2.0,
        "re_estimated_grown": 4.0,
        "re_estimated_shrunk": 0.0,
        "risks": 5.0,
    }
    assert [(c["kind"], c["id"], c["delta_days"]) for c in data["contributors"]] == [
        ("risk", "r1", 5.0),
        ("added", "d", 4.0),
        ("re-estimated", "b", 4.0),
    ]
    assert data["contributors"][1]["title"] == "Security review"
    assert [(c["kind"], c["id"]) for c in data["changes"]][-2:] == [
        ("removed", "c"),
        ("risk", "r1"),
    ]
    # Both revisions fall in this week; progress a week later extends the series.
    assert [(w["week"], w["revision"], w["scope_days"]) for w in data["weekly"]] == [
        (monday(today), 2, 24.0),
        (monday(later), 2, 24.0),
    ]
    assert data["weekly"][0]["risks_days"] == 5.0 and data["weekly"][0]["removed_days"] == -2.0
    assert [(b["week"], b["scope_days"], b["done_days"]) for b in data["burn_up"]] == [
        (monday(today), 24.0, 6.0),  # a 3 + 25 % of b's 12
        (monday(later), 24.0, 9.0),  # a 3 + 50 % of 12
    ]

    loose = json.loads(scope("-b", "approved", "--threshold", "85%", *db, "-f", "json").stdout)
    assert (loose["threshold"], loose["creep"]) == (0.85, False)
    top = json.loads(scope("-b", "approved", "--top", "1", *db, "-f", "json").stdout)
    assert [c["id"] for c in top["contributors"]] == ["r1"]
    first = json.loads(scope("-b", "approved", "--rev", "1", *db, "-f", "json").stdout)
    assert (first["growth"], first["creep"], first["changes"]) == (0.0, False, [])
    # As of revision 1: the same status weeks, planned with revision 1.
    assert [(w["week"], w["revision"]) for w in first["weekly"]] == [
        (monday(today), 1),
        (monday(later), 1),
    ]

    table = scope("-b", "approved", *db)
    assert table.exit_code == 0, table.output
    out = table.stdout
    assert "13 → 24 days, +84.6 % (threshold 10 %)" in out
    assert "scope creep" in out and "Largest contributors" in out
    assert "Security review" in out and "Scope by week" in out


def test_the_weeks_are_those_of_the_status_dates(tmp_path: Path) -> None:
    """A history entered today (the plan, its baseline, last spring's status files) is grouped
    by the weeks the progress describes, not by the day it was typed in. (The status dates lie
    in the program's horizon, E448: from a year before its start, 2026-01-05.)"""
    db = ["--db", str(tmp_path / "s.db")]
    plan = tmp_path / "plan.yaml"
    plan.write_text(HEADER + BEFORE)
    ontrack_ok("apply", str(plan), *db)
    ontrack_ok("baseline", "set", "approved", *db, "--time-limit", "1")
    status = tmp_path / "status.csv"
    status.write_text(
        "task,status_date,percent_complete,actual_finish\n"
        "a,2026-03-06,,2026-03-05\n"
        "b,2026-03-06,25,\n"
        "b,2026-03-20,50,\n"
    )
    ontrack_ok("progress", str(status), *db)
    data = json.loads(scope("-b", "approved", *db, "-f", "json").stdout)
    assert [(b["week"], b["done_days"]) for b in data["burn_up"]] == [
        ("2026-03-02", 5.0),  # a 3 + 25 % of b's 8
        ("2026-03-09", 5.0),
        ("2026-03-16", 7.0),  # a 3 + 50 % of 8
    ]
    assert [w["week"] for w in data["weekly"]] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    table = runner.invoke(app, ["scope", "-b", "approved", *db], env={"COLUMNS": "160"}).stdout
    assert "2026-03-02 2026-W10" in table and "2026-03-16 2026-W12" in table


def test_errors_exit_1_with_the_store_code(tmp_path: Path) -> None:
    missing = scope("-b", "approved", "--plan", str(tmp_path))
    assert missing.exit_code == 1 and "E503" in missing.output
    db = str(tmp_path / "s.db")
    ontrack_ok("apply", str(EXAMPLES / "small"), "--db", db)
    unknown = scope("-b", "approved", "--db", db)
    assert unknown.exit_code == 1 and "E513" in unknown.output
    assert "Traceback" not in unknown.output
    for bad in ("15", "lots%", "-5%"):
        result = scope("-b", "approved", "--db", db, "--threshold", bad)
        assert result.exit_code == 2, (bad, result.output)
