"""`ontrack audit` end to end: on the example program without tracking data, and with its baseline
and the four progress files recorded in the store (SQLite and PostgreSQL). The command is
registered on a local app here: main.py wires it up separately."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner, Result

from ontrack.cli.audit import DELAY, audit_command
from ontrack.cli.main import app as ontrack
from ontrack.engines.compliance import DEFAULT_DELAY
from ontrack.interop.progressfile import read_progress
from ontrack.planfile import load_plan
from ontrack.store.repo import Store
from tests.conftest import EXAMPLES

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("audit")(audit_command)


@app.callback()
def _root() -> None:
    """A group, so the command is invoked as `audit` like under `ontrack`."""


runner = CliRunner()
EXAMPLE = EXAMPLES / "platform-migration"
STATUS = EXAMPLE / "status"


def audit(*args: str) -> Result:
    return runner.invoke(app, ["audit", *args])


def audit_json(*args: str) -> dict[str, Any]:
    result = audit(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def by_check(data: dict[str, Any], group: str = "dcma") -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in data[group]}


def test_the_delay_option_defaults_to_the_engines() -> None:
    assert DELAY == DEFAULT_DELAY


def test_the_example_without_tracking_data() -> None:
    data = audit_json(str(EXAMPLE), "--time-limit", "1")
    # Audited as of the example's status date (the plan as approved, before work starts).
    assert (data["program"], data["status_date"], data["baseline"]) == (
        "Platform Migration 2026",
        "2026-01-30",
        None,
    )
    checks = by_check(data)
    assert [c["number"] for c in data["dcma"]] == list(range(1, 15))
    for c in data["dcma"]:
        assert {"check", "name", "count", "total", "threshold", "pass", "tasks"} <= set(c)
    # 125 leaf tasks (14 milestones). Open ends, read off the task files: 6 tasks start with
    # nothing before them, 7 end with nothing after them (the two end milestones may).
    logic = checks["logic"]
    assert (logic["count"], logic["total"], logic["pass"]) == (13, 125, False)
    assert set(logic["tasks"]) == {
        "apps-service-inventory",
        "apps-perf-baseline",
        "data-db-evaluation",
        "data-schema-audit",
        "data-pipeline-inventory",
        "plat-arch-rfc",
        "apps-contract-tests",
        "apps-chaos-tests",
        "data-warehouse-validation",
        "plat-sso-rbac",
        "plat-audit-logging",
        "plat-tracing",
        "plat-preview-envs",
    }
    # 182 relationships: 7 with a lag, 8 not finish-to-start (SS and FF), no lead.
    assert [
        (checks[k]["count"], checks[k]["total"], checks[k]["pass"])
        for k in ("leads", "lags", "relationship-types")
    ] == [
        (0, 182, True),
        (7, 182, True),
        (174, 182, True),
    ]
    # No hard constraints: its 12 milestone deadlines are targets and its 2 start-no-earlier-than
    # dates soft constraints.
    assert (checks["hard-constraints"]["count"], checks["hard-constraints"]["pass"]) == (0, True)
    assert checks["resources"]["count"] == 0
    assert checks["negative-float"]["pass"] is True
    assert checks["critical-path-test"]["pass"] is True
    assert checks["cpli"]["tasks"] == ["plat-decom-done"]  # the latest deadline, 2026-09-30
    # The status date makes invalid dates measurable (none: nothing is planned before it).
    assert checks["invalid-dates"]["pass"] is True
    for name in ("missed-tasks", "bei"):
        assert checks[name]["pass"] is None and checks[name]["note"], name
    lint = by_check(data, "lint")
    assert lint["milestone-target"]["items"] == ["apps-w3-ready", "data-schema-approved"]
    assert (lint["raci"]["count"], lint["raci"]["total"]) == (14, 14)  # stakeholders, no RACI
    assert [lint[k]["pass"] for k in ("owner", "estimate", "risk-owner")] == [True] * 3


def test_the_table_and_strict() -> None:
    result = audit(str(EXAMPLE), "--time-limit", "1", "--strict")
    assert result.exit_code == 1  # findings fail with --strict
    out = result.stdout
    assert "DCMA 14-point assessment" in out and "Plan lint" in out
    assert "Missing logic" in out and "n/a" in out and "needs a baseline" in out
    assert "apps-service-inventory" in out and "+9 more" in out


CLEAN = """\
program:
  name: Clean
  start: 2026-01-05
people:
  - {id: ann, name: Ann}
tasks:
  - {id: go, title: Go, milestone: true}
  - {id: a, title: A, estimate: 3d, assignee: ann, depends: go}
  - {id: b, title: B, estimate: 2d, assignee: ann, depends: a}
  - {id: done, title: Done, milestone: true, depends: b}
releases:
  - {id: r1, title: R1, includes: [go, done]}
"""


def test_a_clean_plan_passes_strict(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(CLEAN)
    result = audit(str(plan), "--strict")
    assert result.exit_code == 0, result.output
    data = audit_json(str(plan))
    # Every audit has an as-of date (today, pinned by the suite), so invalid dates are checked;
    # n/a: missed tasks, BEI (no baseline), CPLI (no deadline or baseline).
    assert data["summary"]["dcma"] == {"pass": 11, "fail": 0, "n/a": 3}


def test_a_plan_that_does_not_load(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(CLEAN.replace("depends: b}", "depends: nowhere}"))
    result = audit(str(plan))
    assert result.exit_code == 1
    assert "unknown task 'nowhere'" in result.stderr and not result.stdout


def ontrack_ok(*args: str) -> None:
    result = runner.invoke(ontrack, list(args))
    assert result.exit_code == 0, result.output


def record(db_url: str) -> None:
    """Apply the example, freeze its baseline, record its four progress files."""
    db = ["--db", db_url]
    ontrack_ok("apply", str(EXAMPLE), *db)
    ontrack_ok("baseline", "set", "approved", "--plan", str(EXAMPLE), *db, "--time-limit", "1")
    plan, _ = load_plan(EXAMPLE)
    assert plan is not None
    store = Store.open(db_url, None)
    try:
        for path in sorted(STATUS.glob("*.csv")):
            facts, problems = read_progress(
                path, task_ids=plan.task_by_id, hours_per_day=plan.calendar.hours_per_day
            )
            assert not problems
            store.record_progress(plan.program.name, facts)
    finally:
        store.close()


def finished(path: Path, by: dt.date) -> dict[str, dt.date]:
    """Tasks a progress file reports finished by ``by``."""
    with path.open(newline="") as f:
        return {
            row["task"]: day
            for row in csv.DictReader(f)
            if row["actual_finish"] and (day := dt.date.fromisoformat(row["actual_finish"])) <= by
        }


def test_the_example_with_tracking_data(db_url: str) -> None:
    record(db_url)
    db = ["--db", db_url]
    data = audit_json(str(EXAMPLE), "--baseline", "approved", *db, "--time-limit", "1")
    assert (data["status_date"], data["baseline"]) == ("2026-03-27", "approved")
    checks = by_check(data)
    assert all(c["pass"] is not None for c in data["dcma"])  # tracking data: nothing n/a
    assert (checks["invalid-dates"]["count"], checks["invalid-dates"]["total"]) == (0, 125)

    # Worked from the files, not the engine: due = leaf tasks the baseline has finishing by
    # the status date; missed = due and not finished by their baseline finish; BEI = finished
    # by the status date over due.
    store = Store.open(db_url, None)
    try:
        frozen = store.baseline("Platform Migration 2026", "approved").tasks
    finally:
        store.close()
    status = dt.date(2026, 3, 27)
    done = finished(STATUS / "2026-03-27.csv", status)
    due = {k: t.finish for k, t in frozen.items() if not t.summary and t.finish <= status}
    missed = {k for k, finish in due.items() if k not in done or done[k] > finish}
    assert (checks["missed-tasks"]["count"], checks["missed-tasks"]["total"]) == (
        len(missed),
        len(due),
    )
    assert set(checks["missed-tasks"]["tasks"]) == missed
    assert (checks["bei"]["count"], checks["bei"]["total"]) == (len(done), len(due))
    assert set(checks["bei"]["tasks"]) == set(due) - set(done)
    # Done work leaves the incomplete-task counts: 125 leaves less those finished.
    assert checks["logic"]["total"] == 125 - len(done)

    # Progress alone, as of an earlier status date: BEI and missed tasks need the baseline.
    early = audit_json(
        str(EXAMPLE), "--progress", "--status-date", "2026-02-27", *db, "--time-limit", "1"
    )
    assert (early["status_date"], early["baseline"]) == ("2026-02-27", None)
    early_checks = by_check(early)
    assert early_checks["bei"]["pass"] is None
    assert early_checks["invalid-dates"]["pass"] is True
    assert early_checks["logic"]["total"] == 125 - len(
        finished(STATUS / "2026-02-27.csv", dt.date(2026, 2, 27))
    )

    unknown = audit(str(EXAMPLE), "--baseline", "nope", *db)
    assert unknown.exit_code == 1 and "E513" in unknown.stderr
