"""`ontrack status` end to end, on SQLite and PostgreSQL: the example program recorded in a store
through the registered commands, then the status report in Markdown and HTML. The command is
registered on a local app here: main.py wires it up separately."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import typer
from typer.testing import CliRunner, Result

from ontrack.cli.main import app as ontrack
from ontrack.cli.status import status_command
from tests.conftest import EXAMPLES

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("status")(status_command)


@app.callback()
def _root() -> None:
    """A group, so the command is invoked as `status` like under `ontrack`."""


runner = CliRunner()


def status(*args: str | Path) -> Result:
    return runner.invoke(app, ["status", *map(str, args)])


def ontrack_ok(*args: str | Path) -> None:
    result = runner.invoke(ontrack, list(map(str, args)))
    assert result.exit_code == 0, result.output


def record_example(folder: Path, db: str) -> Path:
    """The example in the store: one revision, baseline 'approved', the four status files."""
    plan = folder / "plan"
    shutil.copytree(EXAMPLES / "platform-migration", plan)
    ontrack_ok("apply", plan, "-m", "agreed plan", "--db", db)
    ontrack_ok("baseline", "set", "approved", "--plan", plan, "--db", db)
    for csv in sorted((plan / "status").glob("*.csv")):
        ontrack_ok("progress", csv, "--plan", plan, "--db", db)
    return plan


def test_status_against_a_baseline(tmp_path: Path, db_url: str) -> None:
    plan = record_example(tmp_path, db_url)
    result = status(plan, "--baseline", "approved", "--db", db_url, "-n", "200", "--seed", "2")
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert page.startswith("# Platform Migration 2026: status 27 Mar 2026\n")
    assert re.search(r"^\*\*\S+ (RED|AMBER|GREEN)\*\*: ", page, re.M)
    assert "changes since 20 Mar 2026 · baseline 'approved'" in page
    heads = re.findall(r"^## (.+)$", page, re.M)
    assert heads == ["Summary", "Milestones", "Top risks", "Decisions and asks", "Budget"]
    assert "Spent " in page and "CPI " in page
    # The team's page, as HTML for e-mail, written atomically to a file.
    out = tmp_path / "status.html"
    result = status(
        plan, "-b", "approved", "--db", db_url, "-a", "team", "-f", "html", "-o", out, "-n", "200"
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"wrote .*status\.html: (RED|AMBER|GREEN), ", result.output)
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<style" not in html and "<script" not in html
    for section in ("summary", "highlights", "lowlights", "blockers", "milestones", "workstreams"):
        assert f'<h2 id="{section}"' in html
    HTMLParser().feed(html)
    assert not list(tmp_path.glob(".status.html.*"))
    # An earlier status date and window: the report goes back in time with them.
    result = status(
        plan, "-b", "approved", "--db", db_url, "--status-date", "2026-02-27",
        "--since", "2026-02-13", "-n", "100",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "status 27 Feb 2026" in result.stdout and "changes since 13 Feb 2026" in result.stdout


def test_status_without_tracking_data(tmp_path: Path) -> None:
    """No store at all: the RAG comes from the forecast alone, and the report still has every
    section (the decisions and asks say None when there are none)."""
    result = status(EXAMPLES / "small", "--status-date", "2026-02-02", "-n", "200")
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert "# Checkout Revamp: status 2 Feb 2026" in page
    assert "## Decisions and asks" in page and "## Budget" in page
    assert "SPI" not in page and "baseline '" not in page
    # Progress only (no baseline): the recorded revisions give the changes, no variance.
    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLES / "small", plan)
    ontrack_ok("apply", plan)
    result = status(plan, "--progress", "-a", "team", "--status-date", "2026-02-02", "-n", "100")
    assert result.exit_code == 0, result.output
    assert "## Changes since 26 Jan 2026" in result.stdout


def test_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("program: {name: X}\n")
    result = status(broken)
    assert result.exit_code == 1 and "no report written" in result.output
    result = status(EXAMPLES / "small", "--baseline", "approved", "--plan", tmp_path)
    assert result.exit_code == 1 and "E503" in result.output
    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLES / "small", plan)
    ontrack_ok("apply", plan)
    result = status(plan, "--baseline", "nope")
    assert result.exit_code == 1 and "E513" in result.output
    result = status(EXAMPLES / "small", "--status-date", "2026-02-02", "--since", "2026-02-02")
    assert result.exit_code == 2 and "must be before the status date" in result.output
    out = tmp_path / "missing" / "status.md"
    result = status(EXAMPLES / "small", "--status-date", "2026-02-02", "-n", "50", "-o", out)
    assert result.exit_code == 1 and "E701" in result.output
