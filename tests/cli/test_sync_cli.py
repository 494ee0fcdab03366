"""`ontrack sync` end to end against a local GitHub API over real HTTP, on SQLite and PostgreSQL:
first and incremental sync, drift and its resolution, dry runs, errors, an interrupted sync
(kill -9) that the next one completes, and the synced throughput history equal to its CSV."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from tests.trackers.fakes.github import GitHubFake

TOKEN = "ghp_e2eSecretToken0123456789abcdef"
runner = CliRunner()
DAY0 = dt.datetime(2026, 9, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def gh() -> Iterator[GitHubFake]:
    with GitHubFake(token=TOKEN) as fake:
        yield fake


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GH_TOKEN", TOKEN)


def write_plan(path: Path, gh: GitHubFake, tasks: str) -> Path:
    path.write_text(
        "program: {name: Demo, start: 2026-09-01}\n"
        "people: [{id: alice}, {id: bob}]\n"
        "sources:\n"
        f'  - {{name: gh, kind: github, url: "{gh.url}", project: {gh.project}, '
        "token_env: GH_TOKEN, people: {octo-alice: alice}}\n"
        "tasks:\n" + tasks,
        encoding="utf-8",
    )
    return path


def sync(*args: str, code: int = 0) -> dict[str, Any]:
    result = runner.invoke(app, ["sync", *args, "-f", "json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if code == 0 else {"output": result.output}


def at(days: float) -> dt.datetime:
    return DAY0 + dt.timedelta(days=days)


def program_setup(gh: GitHubFake) -> dict[str, int]:
    api = gh.add_issue("API", assignees=["octo-alice"], at=at(0))
    gh.add_label(api, "in progress", at=at(1))
    gh.close_issue(api, at=at(5))
    ui = gh.add_issue("UI", assignees=["bob"], at=at(2))
    gh.block(ui, api, at=at(2))
    gh.add_label(ui, "in progress", at=at(6))
    docs = gh.add_issue("Docs", labels=["estimate: 3"], at=at(3))
    gh.add_pull("Not an issue", at=at(3))
    other = gh.add_issue("Unplanned", at=at(4))
    gh.close_issue(other, at=at(7))
    return {"api": api, "ui": ui, "docs": docs, "other": other}


def tasks_text(keys: dict[str, int], docs_estimate: str = "2d") -> str:
    return (
        f"  - {{id: api, title: API, estimate: 5d, assignee: alice, tracker: gh#{keys['api']}}}\n"
        f"  - {{id: ui, title: UI, estimate: 5d, assignee: bob, depends: api, "
        f"tracker: gh#{keys['ui']}}}\n"
        f"  - {{id: docs, title: Docs, estimate: {docs_estimate}, tracker: gh#{keys['docs']}}}\n"
    )


def progress_list(plan: Path, db: str) -> list[dict[str, Any]]:
    result = runner.invoke(
        app, ["progress", "--list", "--plan", str(plan), "--db", db, "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return [f for f in data["progress"] if not f["superseded"] and not f["withdrawn"]]


def test_first_incremental_drift_and_accept(gh: GitHubFake, tmp_path: Path, db_url: str) -> None:
    keys = program_setup(gh)
    plan = write_plan(tmp_path / "plan.yaml", gh, tasks_text(keys))
    first = sync(str(plan), "--db", db_url)
    (source,) = first["sources"]
    assert source["first"] and source["items_stored"] == 4  # the pull request is no item
    assert source["linked_tasks"] == 3
    updates = {u["task"]: u for u in source["progress_updates"]}
    assert updates["api"]["to"] == "done" and updates["ui"]["to"] == "in-progress"
    assert [(d["code"], d["task"], d["changed"]) for d in source["drift"]] == [
        ("W623", "docs", "first sync")
    ]
    facts = {f["task"]: f for f in progress_list(plan, db_url)}
    # Dates come from the state history: started when assigned (GitHub's default rule), done
    # when closed; never from the last update.
    assert facts["api"]["actual_start"] == "2026-09-01"
    assert facts["api"]["actual_finish"] == "2026-09-06"
    assert facts["ui"]["actual_start"] == "2026-09-03" and facts["ui"]["actual_finish"] is None
    assert facts["api"]["source"] == "sync:gh"

    gh.clear_log()
    again = sync(str(plan), "--db", db_url)["sources"][0]
    assert not again["first"] and again["items_read"] == 0 and again["requests"] == 1
    assert [(d["code"], d["changed"]) for d in again["drift"]] == [
        ("W623", "unresolved since the last sync")
    ]

    gh.close_issue(keys["ui"], at=at(9))
    gh.clear_log()
    third = sync(str(plan), "--db", db_url, "--accept", "estimate=tracker")
    source = third["sources"][0]
    assert source["items_read"] == 1  # only what changed
    assert [u["task"] for u in source["progress_updates"]] == ["ui"]
    assert third["plan_edits"] and "docs: 3d" not in plan.read_text()
    assert "{id: docs, title: Docs, estimate: 3d" in plan.read_text()
    fourth = sync(str(plan), "--db", db_url)["sources"][0]
    assert fourth["drift"] == [] and fourth["progress_updates"] == []


def test_plan_side_progress_is_never_overwritten(
    gh: GitHubFake, tmp_path: Path, db_url: str
) -> None:
    keys = program_setup(gh)
    plan = write_plan(tmp_path / "plan.yaml", gh, tasks_text(keys, "3d"))
    sync(str(plan), "--db", db_url)
    # Someone records that the UI work is done; the tracker still has it open.
    progress = tmp_path / "progress.csv"
    progress.write_text(
        "task,status_date,actual_start,actual_finish\nui,2026-12-06,2026-09-03,2026-11-30\n"
    )
    result = runner.invoke(app, ["progress", str(progress), "--plan", str(plan), "--db", db_url])
    assert result.exit_code == 0, result.output
    gh.add_label(keys["ui"], "needs review", at=at(10))  # the tracker moves too
    source = sync(str(plan), "--db", db_url)["sources"][0]
    assert [(d["code"], d["task"], d["changed"]) for d in source["drift"]] == [
        ("W621", "ui", "plan")
    ]
    assert source["progress_updates"] == []
    facts = [f for f in progress_list(plan, db_url) if f["task"] == "ui"]
    assert facts[-1]["actual_finish"] == "2026-11-30"  # kept
    kept = sync(str(plan), "--db", db_url, "--accept", "progress=plan")["sources"][0]
    assert kept["drift"] == []
    assert sync(str(plan), "--db", db_url)["sources"][0]["drift"] == []


def test_dry_run_writes_nothing(gh: GitHubFake, tmp_path: Path) -> None:
    keys = program_setup(gh)
    plan = write_plan(tmp_path / "plan.yaml", gh, tasks_text(keys))
    store = tmp_path / "store.db"
    shown = sync(str(plan), "--db", f"sqlite:///{store}", "--dry-run")
    assert shown["dry_run"] and shown["sources"][0]["progress_updates"]
    assert not store.exists()


def test_errors_name_the_source_and_never_the_token(
    gh: GitHubFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = program_setup(gh)
    plan = write_plan(tmp_path / "plan.yaml", gh, tasks_text(keys))
    db = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("GH_TOKEN", TOKEN + "x")
    out = sync(str(plan), "--db", db, code=1)["output"]
    assert "plan.yaml:4:5: error E602" in out and TOKEN not in out
    monkeypatch.delenv("GH_TOKEN")
    assert "E601" in sync(str(plan), "--db", db, code=1)["output"]
    assert "E610" in sync(str(plan), "--db", db, "--source", "jira", code=1)["output"]
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    gh.html = True
    assert "E603" in sync(str(plan), "--db", db, code=1)["output"]


class SlowGitHub(GitHubFake):
    """Each list request takes a while, so a sync can be killed between two pages."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if path.endswith("/issues"):
            time.sleep(0.15)
        return super().handle(method, path, query, headers, body)


def test_a_sync_killed_mid_way_resumes_and_loses_nothing(tmp_path: Path) -> None:
    with SlowGitHub(token=TOKEN) as gh:
        keys = [gh.add_issue(f"item {i}", at=at(i / 10)) for i in range(30)]
        for key in keys[:10]:
            gh.close_issue(key, at=at(5 + key / 10))
        plan = write_plan(
            tmp_path / "plan.yaml",
            gh,
            f"  - {{id: t1, title: T1, estimate: 1d, tracker: gh#{keys[0]}}}\n",
        )
        store = tmp_path / "store.db"
        db = f"sqlite:///{store}"
        env = os.environ | {"GH_TOKEN": TOKEN, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ontrack.cli.main",
                "sync",
                str(plan),
                "--db",
                db,
                "--page-size",
                "3",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            pages = _wait_for_pages(store, at_least=3, child=child)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert 3 <= pages < 10, "killed mid-way"
        with sqlite3.connect(store) as conn:  # consistent: every stored page has its items
            stored, finished = conn.execute(
                "SELECT items, finished FROM sync_state WHERE source = 'gh'"
            ).fetchone()
            rows = conn.execute("SELECT COUNT(*) FROM tracker_items").fetchone()[0]
        assert not finished and rows == stored
        gh.clear_log()
        resumed = sync(str(plan), "--db", db, "--page-size", "3")["sources"][0]
        assert resumed["resumed"] and resumed["items_stored"] == 30
        assert resumed["items_read"] == 30 - rows  # nothing read twice, nothing lost
        with sqlite3.connect(store) as conn:
            assert conn.execute("SELECT COUNT(DISTINCT key) FROM tracker_items").fetchone()[0] == 30
            assert conn.execute("SELECT finished FROM sync_state").fetchone()[0] == 1


def _wait_for_pages(store: Path, *, at_least: int, child: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert child.poll() is None, "the sync ended before it could be interrupted"
        if store.exists():
            try:
                with sqlite3.connect(store) as conn:
                    row = conn.execute("SELECT pages FROM sync_state").fetchone()
            except sqlite3.OperationalError:
                row = None
            if row is not None and row[0] >= at_least:
                return int(row[0])
        time.sleep(0.02)
    raise AssertionError("the sync stored no pages in time")


def test_synced_history_forecasts_as_its_csv_does(
    gh: GitHubFake, tmp_path: Path, db_url: str
) -> None:
    rows = []
    for i in range(60):
        created = at(i * 0.9)
        key = gh.add_issue(f"item {i}", at=created)
        closed = None
        if i % 5 != 4:
            closed = created + dt.timedelta(days=3 + i % 4, hours=5)
            gh.close_issue(key, at=closed)
        rows.append((created, closed))
    plan = write_plan(tmp_path / "plan.yaml", gh, "  - {id: t, title: T, estimate: 1d}\n")
    sync(str(plan), "--db", db_url)
    csv = tmp_path / "export.csv"
    csv.write_text(
        "created,closed\n"
        + "".join(f"{c.date()},{'' if d is None else d.date()}\n" for c, d in rows),
        encoding="utf-8",
    )

    def run(*args: str) -> dict[str, Any]:
        result = runner.invoke(app, [*args, "-f", "json"])
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.stdout)
        for part in (data, data.get("history", {})):  # where it was read from: the only difference
            for key in ("file", "source", "warnings"):
                part.pop(key, None)
        return data

    store = ("--db", db_url, "--plan", str(plan))
    for question in (("--items", "12"), ("--until", "2026-11-15")):
        from_csv = run("forecast", "--history", str(csv), *question, "--as-of", "2026-11-01")
        on_store = ("--history", "store:gh", "--db", db_url)
        from_store = run("forecast", str(plan), *on_store, *question, "--as-of", "2026-11-01")
        assert from_store == from_csv
    back_csv = run(
        "backtest", "--history", str(csv), "--horizon", "14", "--step", "7", "--window", "28"
    )
    back_store = run(
        "backtest",
        "--history",
        "store:gh",
        "--horizon",
        "14",
        "--step",
        "7",
        "--window",
        "28",
        *store,
    )
    assert back_store == back_csv
    missing = runner.invoke(app, ["backtest", "--history", "store:jira", *store])
    assert missing.exit_code == 1 and "E463" in missing.output


def test_risks_show_drift_and_quiet_items_on_the_driving_path(
    gh: GitHubFake, tmp_path: Path
) -> None:
    keys = program_setup(gh)
    plan = write_plan(tmp_path / "plan.yaml", gh, tasks_text(keys))
    db = f"sqlite:///{tmp_path / 'store.db'}"
    sync(str(plan), "--db", db)
    result = runner.invoke(app, ["risks", str(plan), "--db", db, "--progress", "-f", "json"])
    assert result.exit_code == 0, result.output
    found = {f["code"]: f for f in json.loads(result.stdout)["findings"]}
    # docs: estimated 2d in the plan, 3 in the tracker (R145). docs and ui are open, the finish
    # depends on them, and their items have not moved since September (R146), quietest first.
    assert [d["task"] for d in found["R145"]["evidence"]["drift"]] == ["docs"]
    assert [i["task"] for i in found["R146"]["evidence"]["items"]] == ["docs", "ui"]


def test_write_back_the_forecast_once(gh: GitHubFake, tmp_path: Path) -> None:
    keys = program_setup(gh)
    plan = write_plan(tmp_path / "plan.yaml", gh, tasks_text(keys, "3d"))
    db = f"sqlite:///{tmp_path / 'store.db'}"
    options = ("--db", db, "--write-back", "comment", "--iterations", "500")
    shown = sync(str(plan), *options, "--dry-run")["sources"][0]["write_back"]
    # Only open linked items get a forecast (api is done); nothing is posted by a dry run.
    assert sorted(w["item"] for w in shown) == sorted([str(keys["ui"]), str(keys["docs"])])
    assert all(w["changed"] for w in shown)
    assert gh.comment_bodies(keys["ui"]) == []
    written = sync(str(plan), *options)["sources"][0]["write_back"]
    assert all(w["changed"] for w in written)
    (body,) = gh.comment_bodies(keys["ui"])
    assert "ontrack forecast: 80% likely done by 2026-" in body
    again = sync(str(plan), *options)["sources"][0]["write_back"]
    assert again and not any(w["changed"] for w in again)  # idempotent: one comment, unchanged
    assert len(gh.comment_bodies(keys["ui"])) == 1
    refused = sync(str(plan), "--db", db, "--write-back", "due", code=1)["output"]
    assert "E611" in refused  # GitHub issues have no due date: say so, write nothing


def test_link_turns_a_query_into_tasks(gh: GitHubFake, tmp_path: Path) -> None:
    api = gh.add_issue("API", milestone="2.0", at=at(0))
    ui = gh.add_issue('UI: "checkout" page', milestone="2.0", assignees=["bob"], at=at(1))
    gh.block(ui, api, at=at(1))
    docs = gh.add_issue("Docs", milestone="2.0", labels=["estimate: 2"], at=at(2))
    gh.add_issue("Elsewhere", milestone="3.0", at=at(3))
    plan = write_plan(
        tmp_path / "plan.yaml",
        gh,
        f"  - {{id: api, title: API, estimate: 5d, tracker: gh#{api}}}\n",
    )
    out = tmp_path / "linked.yaml"
    result = runner.invoke(
        app, ["link", str(plan), "--source", "gh", "--milestone", "2.0", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "Elsewhere" not in text and "id: api" not in text  # other milestone; already linked
    assert f'tracker: "gh#{ui}"' in text and f'tracker: "gh#{docs}"' in text
    assert "depends: [api]" in text  # the blocker is the plan's own task
    assert "estimate: 2d" in text and "assignee: [bob]" in text
    merged = tmp_path / "merged"
    merged.mkdir()
    (merged / "plan.yaml").write_text(plan.read_text(encoding="utf-8"), encoding="utf-8")
    (merged / "linked.yaml").write_text(text, encoding="utf-8")
    check = runner.invoke(app, ["check", str(merged)])
    assert check.exit_code == 0, check.output  # the YAML is a valid part of the plan
    nothing = runner.invoke(app, ["link", str(plan), "--source", "gh", "--milestone", "9.9"])
    assert nothing.exit_code == 1 and "E605" in nothing.output
