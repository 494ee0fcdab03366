"""The report in a real browser (headless Chromium): no script errors, one Gantt bar per task,
dependency arrows drawn. Skipped where Chromium is not installed (.ci/run installs it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ontrack.planfile import load_plan
from tests.cli.test_report_cli import record_example, report

CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (found := shutil.which(name))
    ),
    None,
)
# `make test` installs Chromium and sets ONTRACK_REQUIRE_CHROMIUM: there the browser tests must
# run, not skip.
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("ONTRACK_REQUIRE_CHROMIUM"),
    reason="headless Chromium is not installed",
)


def dump_dom(page: Path, folder: Path) -> tuple[str, str]:
    """The DOM after the page's scripts ran, and Chromium's log (console messages included)."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",  # tests may run as root in a container
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={folder / 'profile'}",
            "--window-size=1400,2000",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def test_the_tracked_report_runs_clean_in_a_browser(tmp_path: Path) -> None:
    plan = record_example(tmp_path)
    out = tmp_path / "status.html"
    result = report(plan, "--baseline", "approved", "-o", out, "-n", "300")
    assert result.exit_code == 0, result.output
    dom, log = dump_dom(out, tmp_path)
    # The page logs nothing, so any console line from it is a script error or a warning.
    console = [line for line in log.splitlines() if "CONSOLE" in line and out.name in line]
    assert not console, console
    root = re.search(r"<html[^>]*>", dom)
    assert root is not None and "data-errors" not in root[0]  # the page's error recorder
    loaded, _ = load_plan(plan)
    assert loaded is not None
    body = dom[dom.index('class="g-body"') :]
    bars = re.findall(r'<span class="bar [^"]*"', body)
    assert len(bars) == len(loaded.tasks)
    arrows = re.search(r'<svg class="g-arrows"[^>]*>(.*?)</svg>', dom, re.S)
    assert arrows is not None
    links = sum(len(t.depends) for t in loaded.tasks)
    drawn = len(re.findall(r"<path d=\"M[^\"]+\" class=\"(?:crit|drive|slack)\"", arrows[1]))
    assert 0 < drawn <= links  # every link between shown rows (all groups start open here)
    assert drawn == links
