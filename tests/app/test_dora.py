"""measure(): every file read, errors as values, the engine's warnings beside the report."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ontrack.app.dora import measure

ROOT = Path(__file__).resolve().parents[2]


def test_unreadable_logs_give_no_report_and_every_problem(tmp_path: Path) -> None:
    report, problems = measure(tmp_path, tmp_path / "none.csv", tmp_path / "none.json")
    assert report is None
    assert sorted(d.code for d in problems) == ["E470", "E470", "E475"]


def test_warnings_come_with_the_report(tmp_path: Path) -> None:
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    deploys = tmp_path / "d.json"
    deploys.write_text(
        f'[{{"service": "api", "version": "{head}", "environment": "production",'
        ' "time": "2099-01-01"},\n'
        ' {"id": "x", "service": "api", "version": "nope", "environment": "production",'
        ' "time": "2099-01-02", "result": "failure"}]\n'
    )
    incidents = tmp_path / "i.csv"
    incidents.write_text("id,service,started,caused_by\ni1,api,2099-01-02,x;y\n")
    report, problems = measure(ROOT, deploys, incidents, period="month")
    assert report is not None
    assert [(d.code, d.loc.line) for d in problems] == [("W471", 2), ("W470", 2)]
    total = report.overall.total
    assert (total.deployments, total.failed, total.unresolved) == (2, 1, ("i1",))
    assert [d.code for d in report.diagnostics] == ["W470"]
