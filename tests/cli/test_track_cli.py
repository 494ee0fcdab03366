"""`ontrack apply`, `log`, `diff`, `baseline` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ontrack.cli.main import app
from tests.conftest import EXAMPLES

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_history_of_a_plan(db_url: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLES / "platform-migration", plan)
    db = ["--db", db_url]
    first = json.loads(
        invoke("apply", str(plan), "-m", "first", "--author", "ana", *db, "-f", "json")
    )
    assert first["recorded"] and first["revision"] == 1
    assert "nothing recorded" in invoke("apply", str(plan), *db)
    risks = plan / "risks.yaml"
    risks.write_text(risks.read_text().replace("probability: 35%", "probability: 60%"))
    invoke("apply", str(plan), "-m", "carrier risk up", *db)
    log = json.loads(invoke("log", *db, "-f", "json"))
    assert [r["revision"] for r in log["revisions"]] == [2, 1]
    assert log["revisions"][1]["author"] == "ana"
    changes = json.loads(invoke("diff", *db, "-f", "json"))
    assert (changes["from"], changes["to"]) == (1, 2)
    assert changes["risks"] == [
        {
            "kind": "changed",
            "id": "r-carrier-delay",
            "title": changes["risks"][0]["title"],
            "changes": [{"field": "probability", "old": "35%", "new": "60%"}],
        }
    ]
    assert "probability: 35% → 60%" in invoke("diff", "1", "2", *db)
    baseline = json.loads(invoke("baseline", "set", "approved", "--rev", "1", *db, "-f", "json"))
    assert baseline["revision"] == 1 and baseline["finish"] == "2026-08-26"
    assert float(baseline["cost"]) > 0
    listed = json.loads(invoke("baseline", "list", *db, "-f", "json"))
    assert [b["name"] for b in listed["baselines"]] == ["approved"]
    again = runner.invoke(app, ["baseline", "set", "approved", *db])
    assert again.exit_code == 1 and "E513" in again.output


def test_the_default_store_sits_beside_the_plan(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLES / "small", plan)
    invoke("apply", str(plan))
    assert (plan / ".ontrack" / "ontrack.db").exists()
    assert "Revisions of" in invoke("log", "--plan", str(plan))


def test_errors_are_clear(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["log", "--plan", str(tmp_path)])
    assert missing.exit_code == 1 and "E503" in missing.output
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    refused = runner.invoke(app, ["log", "--db", str(junk)])
    assert refused.exit_code == 1 and "E502" in refused.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("program: {name: X}\n")
    bad = runner.invoke(app, ["apply", str(broken), "--db", str(tmp_path / "s.db")])
    assert bad.exit_code == 1 and "nothing recorded" in bad.output
    assert not (tmp_path / "s.db").exists()
    for args in (["diff", "9"], ["baseline", "set", "x", "--rev", "4"]):
        store = tmp_path / "s2.db"
        invoke("apply", str(EXAMPLES / "small"), "--db", str(store))
        result = runner.invoke(app, [*args, "--db", str(store)])
        assert result.exit_code == 1 and "E512" in result.output, result.output


def test_progress_and_earned_value_from_the_store(db_url: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLES / "platform-migration", plan)
    db = ["--db", db_url]
    invoke("apply", str(plan), *db)
    invoke("baseline", "set", "approved", *db)
    for status in sorted((plan / "status").glob("*.csv")):
        assert "recorded" in invoke("progress", str(status), *db)
    again = json.loads(invoke("progress", str(status), *db, "-f", "json"))
    assert again["added"] == 0 and again["replaced"] == again["facts"] > 0
    series = json.loads(invoke("evm", "--baseline", "approved", *db, "-f", "json"))
    measured = [p for p in series["periods"] if p["ev"] is not None]
    assert [p["label"] for p in measured] == [
        "2026-02-13",
        "2026-02-27",
        "2026-03-13",
        "2026-03-27",
    ]
    latest = measured[-1]
    assert 0 < latest["ev"] < latest["pv"] and latest["ac"] > latest["ev"]  # behind, over cost
    assert latest["spi"] < 1 and latest["cpi"] < 1


def test_a_fact_recorded_in_error_is_withdrawn_and_listed(db_url: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLES / "platform-migration", plan)
    db = ["--db", db_url]
    invoke("apply", str(plan), *db)
    invoke("baseline", "set", "approved", *db)
    for status in sorted((plan / "status").glob("*.csv")):
        invoke("progress", str(status), *db)
    before = json.loads(invoke("evm", "--baseline", "approved", *db, "-f", "json"))
    listed = json.loads(invoke("progress", "--list", *db, "-f", "json"))["progress"]
    last = max(e["status_date"] for e in listed)
    # A task first reported on the last day, with a cost: its only fact.
    once = [e for e in listed if sum(x["task"] == e["task"] for x in listed) == 1]
    costly = max(
        (e for e in once if e["status_date"] == last and e["actual_cost"]),
        key=lambda e: float(e["actual_cost"]),
    )
    withdraw = ["progress", "--withdraw", costly["task"], "--status-date", last, *db]
    done = json.loads(
        invoke(*withdraw, "-m", "cost was another team's", "--author", "cy", "-f", "json")
    )
    assert done["withdrawn"]["author"] == "cy"
    assert done["withdrawn"]["reason"] == "cost was another team's"
    after = json.loads(invoke("evm", "--baseline", "approved", *db, "-f", "json"))
    ac = [p["ac"] for p in before["periods"] if p["ac"] is not None]
    ac_after = [p["ac"] for p in after["periods"] if p["ac"] is not None]
    assert ac_after[-1] == pytest.approx(ac[-1] - float(costly["actual_cost"]))  # not counted
    again = runner.invoke(app, [*withdraw])
    assert again.exit_code == 1 and "E515" in again.output
    history = json.loads(invoke("progress", "--list", *db, "-f", "json"))["progress"]
    assert len(history) == len(listed)  # still listed ...
    [gone] = [e for e in history if e["withdrawn"]]
    assert (gone["task"], gone["status_date"], gone["withdrawn"]["author"]) == (
        costly["task"],
        last,
        "cy",
    )
    table = runner.invoke(app, ["progress", "--list", *db], env={"COLUMNS": "250"})
    assert table.exit_code == 0 and "cost was another team's" in table.output
    for wrong in (["progress", *db], ["progress", "--withdraw", "x", *db]):
        usage = runner.invoke(app, wrong)
        assert usage.exit_code == 2, usage.output


def test_progress_is_checked_against_the_plan(tmp_path: Path) -> None:
    store = ["--db", str(tmp_path / "s.db")]
    invoke("apply", str(EXAMPLES / "platform-migration"), *store)
    bad = tmp_path / "bad.csv"
    bad.write_text("task,status_date,percent_complete\nplat-arch-reveiw,2026-02-13,50%\n")
    result = runner.invoke(app, ["progress", str(bad), *store])
    assert result.exit_code == 1
    assert "E443" in result.output and "plat-arch-review" in result.output
    assert "nothing recorded" in result.output


def test_progress_in_the_future_is_refused_unless_allowed(tmp_path: Path) -> None:
    store = ["--db", str(tmp_path / "s.db")]
    invoke("apply", str(EXAMPLES / "platform-migration"), *store)
    ahead = tmp_path / "ahead.csv"
    ahead.write_text("task,status_date,percent_complete\nplat-arch-review,2030-01-01,50%\n")
    result = runner.invoke(app, ["progress", str(ahead), *store])
    assert result.exit_code == 1
    assert "E447" in result.output and "nothing recorded" in result.output
    flagged = runner.invoke(app, ["progress", str(ahead), *store, "--status-date", "2030-01-01"])
    assert flagged.exit_code == 1 and "E447" in flagged.output
    allowed = json.loads(invoke("progress", str(ahead), "--allow-future", *store, "-f", "json"))
    assert allowed["added"] == 1


def test_progress_outside_the_programs_horizon_is_refused_even_if_allowed(
    tmp_path: Path,
) -> None:
    store = ["--db", str(tmp_path / "s.db")]
    invoke("apply", str(EXAMPLES / "platform-migration"), *store)  # starts 2026-02-02
    status = tmp_path / "status.csv"
    for day in ("2199-01-01", "2076-02-03", "2025-02-01"):
        status.write_text(f"task,status_date,percent_complete\nplat-arch-review,{day},50%\n")
        result = runner.invoke(app, ["progress", str(status), "--allow-future", *store])
        assert result.exit_code == 1 and "E448" in result.output, (day, result.output)
        flagged = runner.invoke(
            app,
            ["progress", "--allow-future", "--status-date", day, str(tmp_path / "x.csv"), *store],
        )
        assert flagged.exit_code == 1 and "E448" in flagged.output, (day, flagged.output)
    status.write_text(
        "task,status_date,actual_start,percent_complete\n"
        "plat-arch-review,2026-02-13,2024-02-02,50%\n"
    )
    early = runner.invoke(app, ["progress", str(status), *store])
    assert early.exit_code == 1 and "E448" in early.output
    assert json.loads(invoke("progress", "--list", *store, "-f", "json"))["progress"] == []


def test_progress_recorded_before_the_horizon_existed_is_withdrawn(
    db_url: str, tmp_path: Path
) -> None:
    """A status date of 9999-12-31 recorded by an earlier ontrack made evm, budget, scope,
    schedule --progress and status crash (OverflowError): now each says E516 and how to withdraw
    it, and after the withdrawal they work."""
    from sqlalchemy import create_engine, text

    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLES / "platform-migration", plan)
    db = ["--db", db_url]
    invoke("apply", str(plan), *db)
    invoke("baseline", "set", "approved", *db)
    invoke("progress", str(plan / "status" / "2026-02-13.csv"), *db)
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO progress (program_id, task_id, status_date, percent_complete, "
                "note, source, recorded_at) SELECT id, 'plat-arch-review', '9999-12-31', 50, "
                "'', 'typo.csv:2', '2026-02-14 09:00:00' FROM programs"
            )
        )
    engine.dispose()
    readers = (
        ["evm", "--baseline", "approved", *db],
        ["budget", "--baseline", "approved", "-n", "100", *db],
        ["scope", "--baseline", "approved", *db],
        ["schedule", str(plan), "--progress", *db, "-t", "1"],
        ["forecast", str(plan), "--progress", *db, "-n", "100"],
        ["status", str(plan), "--baseline", "approved", "-n", "100", *db],
    )
    for args in readers:
        refused = runner.invoke(app, args)
        assert refused.exit_code == 1 and "E516" in refused.output, (args, refused.output)
    invoke(
        "progress",
        "--withdraw",
        "plat-arch-review",
        "--status-date",
        "9999-12-31",
        "-m",
        "typo",
        *db,
    )
    for args in readers:
        assert runner.invoke(app, args).exit_code == 0, args
    listed = json.loads(invoke("progress", "--list", *db, "-f", "json"))["progress"]
    assert [e["withdrawn"]["reason"] for e in listed if e["withdrawn"]] == ["typo"]


def test_schedule_and_forecast_plan_around_the_recorded_progress(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLES / "platform-migration", plan)
    db = ["--db", str(tmp_path / "s.db")]
    invoke("apply", str(plan), *db)
    for status in sorted((plan / "status").glob("*.csv")):
        invoke("progress", str(status), *db)
    data = json.loads(invoke("schedule", str(plan), "--progress", *db, "-f", "json", "-t", "2"))
    assert data["status_date"] == "2026-03-27"
    states = {t["id"]: t["state"] for t in data["tasks"]}
    assert states["apps-service-inventory"] == "done"
    assert "in-progress" in states.values()
    starts = [t["start"] for t in data["tasks"] if t["state"] == "planned" and not t["summary"]]
    assert min(starts) > "2026-03-27"  # nothing left starts in the past
    earlier = json.loads(
        invoke(
            "schedule", str(plan), "--progress", "--status-date", "2026-02-13", *db, "-f", "json"
        )
    )
    assert earlier["status_date"] == "2026-02-13"
    odds = json.loads(invoke("forecast", str(plan), "--progress", *db, "-n", "500", "-f", "json"))
    assert odds["finish"]["p50"] >= "2026-03-27"
    table = runner.invoke(
        app, ["forecast", str(plan), "--progress", *db, "-n", "300"], env={"COLUMNS": "200"}
    )
    assert "Cost of the remaining work from 2026-03-27 (USD)" in table.output
    whole = runner.invoke(app, ["forecast", str(plan), "-n", "300"], env={"COLUMNS": "200"})
    assert "Cost (USD)" in whole.output and "remaining work" not in whole.output


def test_budget(db_url: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLES / "platform-migration", plan)
    db = ["--db", db_url]
    invoke("apply", str(plan), *db)
    invoke("baseline", "set", "approved", *db)
    for status in sorted((plan / "status").glob("*.csv")):
        invoke("progress", str(status), *db)
    data = json.loads(invoke("budget", "--baseline", "approved", "-n", "300", *db, "-f", "json"))
    assert data["status_date"] == "2026-03-27"
    assert data["bac"] > 0 and data["actual_cost"] > data["earned_value"] > 0
    eac = data["eac"]
    assert eac["simulation_p80"] >= eac["simulation_p50"] > data["actual_cost"]
    assert data["burn_per_week"] > 0
    assert "Budget against 'approved'" in invoke("budget", "-b", "approved", "-n", "200", *db)


def test_what_is_not_a_store_is_refused_with_its_code(tmp_path: Path) -> None:
    import os

    empty = tmp_path / "empty.db"
    empty.touch()
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    cases = {
        str(empty): "E503",
        str(folder): "E502",
        str(fifo): "E502",
        "sqlite://": "E501",
        ":memory:": "E501",
    }
    for db, code in cases.items():
        for args in (["log"], ["baseline", "list"], ["evm", "--baseline", "x"]):
            result = runner.invoke(app, [*args, "--db", db])
            assert result.exit_code == 1 and code in result.output, (args, db, result.output)
            assert "Traceback" not in result.output
    assert empty.stat().st_size == 0  # reading never turns an empty file into a store
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "folder", "pipe.db"]
    invoke("apply", str(EXAMPLES / "small"), "--db", str(empty))  # recording may
    assert "Revisions of" in invoke("log", "--db", str(empty))


def test_values_the_store_cannot_hold_are_refused_alike_and_create_nothing(
    db_url: str, tmp_path: Path
) -> None:
    long_name = tmp_path / "long.yaml"
    long_name.write_text(
        f"program:\n  name: {'N' * 201}\n  start: 2026-01-05\n"
        "tasks:\n  - {id: a, title: A, estimate: 2d}\n"
    )
    fresh = tmp_path / "fresh.db"
    for db in (db_url, str(fresh)):
        refused = runner.invoke(app, ["apply", str(long_name), "--db", db])
        assert refused.exit_code == 1 and "E514" in refused.output, refused.output
    assert not fresh.exists()  # a refused revision does not create a store
    store = ["--db", db_url]
    invoke("apply", str(EXAMPLES / "small"), *store)
    escape_sequence = runner.invoke(
        app, ["apply", str(EXAMPLES / "small"), "-m", "\x1b[2J", *store]
    )
    assert escape_sequence.exit_code == 1 and "E514" in escape_sequence.output
    for name in ("b" * 201, "nul\x00"):
        result = runner.invoke(app, ["baseline", "set", name, *store, "--time-limit", "1"])
        assert result.exit_code == 1 and "E514" in result.output, result.output
    assert json.loads(invoke("baseline", "list", *store, "-f", "json"))["baselines"] == []
    assert [
        r["revision"] for r in json.loads(invoke("log", *store, "-f", "json"))["revisions"]
    ] == [1]
