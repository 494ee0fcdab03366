"""`ontrack report` end to end: plain, with recorded progress, and tracked against a baseline
in the store. The command is registered on a local app here: main.py wires it up separately."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import typer
from typer.testing import CliRunner, Result

from ontrack.cli.main import app as ontrack
from ontrack.cli.report import report_command
from tests.conftest import EXAMPLES

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("report")(report_command)


@app.callback()
def _root() -> None:
    """A group, so the command is invoked as `report` like under `ontrack`."""


runner = CliRunner()


def report(*args: str | Path) -> Result:
    return runner.invoke(app, ["report", *map(str, args)])


def ontrack_ok(*args: str | Path) -> str:
    result = runner.invoke(ontrack, list(map(str, args)))
    assert result.exit_code == 0, result.output
    return result.output


def record_example(folder: Path) -> Path:
    """The example program in a store beside it: one revision, baseline 'approved', and the
    four recorded status files."""
    plan = folder / "plan"
    shutil.copytree(EXAMPLES / "platform-migration", plan)
    ontrack_ok("apply", plan, "-m", "agreed plan")
    ontrack_ok("baseline", "set", "approved", "--plan", plan)
    for status in sorted((plan / "status").glob("*.csv")):
        ontrack_ok("progress", status, "--plan", plan)
    return plan


def test_a_tracked_report(tmp_path: Path) -> None:
    plan = record_example(tmp_path)
    out = tmp_path / "status.html"
    result = report(plan, "--baseline", "approved", "-o", out, "-n", "500", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert re.search(r"wrote .*status\.html: (RED|AMBER|GREEN), ", result.output)
    page = out.read_text()
    assert "as of 27 Mar 2026" in page  # the latest recorded status date
    for section in ("milestones", "schedule", "forecast", "people", "tracking", "risks"):
        assert f'<section id="{section}"' in page
    for title in ("Burn-up", "Performance indices", "Earned value", "Scope change", "Budget"):
        assert title in page
    assert ">Baseline<" in page and re.search(r"SPI \d\.\d\d", page)
    # Progress as of an earlier day: the report goes back in time with it.
    earlier = tmp_path / "earlier.html"
    result = report(
        plan, "--baseline", "approved", "--status-date", "2026-02-27", "-o", earlier, "-n", "200"
    )
    assert result.exit_code == 0, result.output
    assert "as of 27 Feb 2026" in earlier.read_text()
    # Only the progress, no baseline: no tracking sections.
    progress = tmp_path / "progress.html"
    result = report(plan, "--progress", "-o", progress, "-n", "200")
    assert result.exit_code == 0, result.output
    text = progress.read_text()
    assert "as of 27 Mar 2026" in text and 'id="tracking"' not in text


def test_a_plain_report(tmp_path: Path) -> None:
    out = tmp_path / "small.html"
    result = report(EXAMPLES / "small", "-o", out, "--status-date", "2026-02-02", "-n", "200")
    assert result.exit_code == 0, result.output
    page = out.read_text()
    # The example's progress is written as of 23 Jan; the report is as of 2 Feb.
    assert "no progress recorded since 23 Jan 2026" in page and 'id="tracking"' not in page
    assert not list(tmp_path.glob(".small.html.*"))  # the atomic write left nothing behind


def test_errors_are_diagnostics_with_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "out.html"
    broken = tmp_path / "broken.yaml"
    broken.write_text("program: {name: X}\n")
    result = report(broken, "-o", out)
    assert result.exit_code == 1 and "no report written" in result.output
    # No store beside the plan.
    result = report(EXAMPLES / "small", "--baseline", "approved", "--plan", tmp_path, "-o", out)
    assert result.exit_code == 1 and "E503" in result.output
    assert not out.exists()
    result = report(EXAMPLES / "small", "-o", tmp_path / "missing" / "out.html", "-n", "50")
    assert result.exit_code == 1 and "E701" in result.output


def test_an_unknown_baseline(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLES / "small", plan)
    ontrack_ok("apply", plan)
    result = report(plan, "--baseline", "nope", "-o", tmp_path / "out.html")
    assert result.exit_code == 1 and "E513" in result.output
