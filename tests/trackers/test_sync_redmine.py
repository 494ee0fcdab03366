"""`ontrack sync` against a real Redmine and a GitHub repository at once, then every command
that reads progress: the schedule, forecast, risks, EVM, report and status reflect what the
trackers say, with no progress typed by hand. Also a sync killed mid-way against Redmine."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from tests.trackers.conftest import Redmine
from tests.trackers.fakes.github import GitHubFake

runner = CliRunner()
GH_TOKEN = "ghp_redmineE2eToken0123456789"


def run(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture
def env(redmine: Redmine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RM_TOKEN", redmine.key)
    monkeypatch.setenv("GH_TOKEN", GH_TOKEN)
    # A real server stamps its journals with the real clock: "today" must be the real UTC day
    # (the suite's pinned day is behind it after midnight, and a status change dated after
    # "today" is not taken as progress).
    today = dt.datetime.now(dt.UTC).date()
    monkeypatch.setenv("ONTRACK_TODAY", max(today, dt.date(2026, 12, 6)).isoformat())


def test_redmine_and_github_feed_every_command(redmine: Redmine, env: None, tmp_path: Path) -> None:
    api = redmine.api
    project = f"e2e-{uuid.uuid4().hex[:8]}"
    api.create_project(project, "Checkout")
    alice = api.create_user(f"alice{project[-4:]}")
    api.add_member(project, alice)
    design = api.create_issue(project, "Design", estimated_hours=16, assigned_to_id=alice)
    build = api.create_issue(project, "Build", estimated_hours=40)
    api.relate(design, build, "precedes")
    api.set_status(design, "In Progress", "started")
    api.set_status(design, "Closed", "done")
    api.set_status(build, "In Progress", "under way")
    api.update_issue(build, done_ratio=50)
    with GitHubFake(token=GH_TOKEN) as gh:
        docs = gh.add_issue("Docs", labels=["estimate: 3"])
        plan_dir = tmp_path / "plan"
        plan_dir.mkdir()
        login = f"alice{project[-4:]}"
        (plan_dir / "plan.yaml").write_text(
            f"""program: {{name: Checkout, start: 2026-11-02, budget: 100000}}
people:
  - {{id: alice, rate: 800/day}}
  - {{id: bob, rate: 800/day}}
sources:
  - {{name: rm, kind: redmine, url: "{redmine.url}", project: {project}, token_env: RM_TOKEN,
     people: {{{login}: alice}}}}
  - {{name: gh, kind: github, url: "{gh.url}", project: {gh.project}, token_env: GH_TOKEN}}
tasks:
  - {{id: design, title: Design, estimate: 2d, assignee: alice, tracker: rm#{design}}}
  - {{id: build, title: Build, estimate: 5d, assignee: bob, depends: design, tracker: rm#{build}}}
  - {{id: docs, title: Docs, estimate: 3d, assignee: bob, depends: build, tracker: gh#{docs}}}
  - {{id: launch, title: Launch, milestone: true, depends: docs, deadline: 2027-03-01}}
""",
            encoding="utf-8",
        )
        plan = str(plan_dir)
        db = f"sqlite:///{tmp_path / 'store.db'}"
        # Redmine's updated_on has whole seconds: an issue read in the second it changed is
        # read again next time (never lost). Let that second pass, so the count below is exact.
        time.sleep(1.1)
        synced = run("sync", plan, "--db", db)
        by_source = {s["source"]: s for s in synced["sources"]}
        assert by_source["rm"]["items_stored"] == 2 and by_source["gh"]["items_stored"] == 1
        updates = {u["task"]: u["to"] for s in synced["sources"] for u in s["progress_updates"]}
        assert updates == {"design": "done", "build": "in-progress 50%"}
        assert all(s["drift"] == [] for s in synced["sources"])
        run("baseline", "set", "approved", "--plan", plan, "--db", db)

        # Every command reads the synced progress: none was typed.
        tracked = ("--db", db, "--progress")
        schedule = run("schedule", plan, *tracked)
        rows = {t["id"]: t for t in schedule["tasks"]}
        assert rows["design"]["state"] == "done" and rows["build"]["state"] == "in-progress"
        forecast = run("forecast", plan, *tracked, "--iterations", "500")
        assert forecast["milestones"][0]["id"] == "launch"
        risks = run("risks", plan, *tracked)
        assert "R145" not in {f["code"] for f in risks["findings"]}  # plan and trackers agree
        assess = run("assess", plan, *tracked, "--iterations", "500")
        assert assess["as_of"]["date"] == synced["sources"][0]["status_date"]
        evm = run("evm", "--plan", plan, "--db", db, "--baseline", "approved")
        assert evm["latest"]["ev"] > 0  # earned from the tracker's progress, none typed
        status = runner.invoke(app, ["status", plan, "--db", db, "--baseline", "approved"])
        assert status.exit_code == 0, status.output
        report = tmp_path / "report.html"
        done = runner.invoke(
            app, ["report", plan, "--db", db, "--baseline", "approved", "-o", str(report)]
        )
        assert done.exit_code == 0, done.output
        assert "Design" in report.read_text(encoding="utf-8")

        # The tracker moves on; the next sync reads only that and records it.
        api.set_status(build, "Closed", "shipped")
        again = run("sync", plan, "--db", db, "--source", "rm")["sources"][0]
        assert again["items_read"] == 1
        assert [(u["task"], u["to"]) for u in again["progress_updates"]] == [("build", "done")]
        rows = {t["id"]: t for t in run("schedule", plan, *tracked)["tasks"]}
        assert rows["build"]["state"] == "done"


def test_a_redmine_sync_killed_mid_way_resumes(redmine: Redmine, env: None, tmp_path: Path) -> None:
    api = redmine.api
    project = f"kill-{uuid.uuid4().hex[:8]}"
    api.create_project(project, "Bulk")
    ids = api.bulk_issues(project, 400)
    time.sleep(1.1)  # past the second they were created in (see above): counts are exact
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        f"""program: {{name: Bulk, start: 2026-11-02}}
sources:
  - {{name: rm, kind: redmine, url: "{redmine.url}", project: {project}, token_env: RM_TOKEN}}
tasks:
  - {{id: first, title: First, estimate: 1d, tracker: rm#{ids[0]}}}
""",
        encoding="utf-8",
    )
    store = tmp_path / "store.db"
    db = f"sqlite:///{store}"
    env_vars = os.environ | {"PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    command = [sys.executable, "-m", "ontrack.cli.main", "sync", str(plan), "--db", db]
    child = subprocess.Popen(
        [*command, "--page-size", "10"],
        env=env_vars,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pages = _pages_stored(store, child, at_least=3)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with sqlite3.connect(store) as conn:
        stored, finished = conn.execute("SELECT items, finished FROM sync_state").fetchone()
        rows = conn.execute("SELECT COUNT(*) FROM tracker_items").fetchone()[0]
    assert pages >= 3 and not finished and rows == stored < 400
    resumed = run("sync", str(plan), "--db", db, "--page-size", "100")["sources"][0]
    assert resumed["resumed"] and resumed["items_stored"] == 400
    assert resumed["items_read"] == 400 - rows
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(DISTINCT key) FROM tracker_items").fetchone()[0] == 400


def _pages_stored(store: Path, child: subprocess.Popen[bytes], *, at_least: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError("the sync finished before it could be interrupted")
        if store.exists():
            try:
                with sqlite3.connect(store) as conn:
                    row = conn.execute("SELECT pages FROM sync_state").fetchone()
            except sqlite3.OperationalError:
                row = None
            if row is not None and row[0] >= at_least:
                return int(row[0])
        time.sleep(0.01)
    raise AssertionError("no pages were stored in time")
