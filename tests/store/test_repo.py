"""The store on SQLite and PostgreSQL alike: revisions, baselines, progress, concurrency, crashes,
migrations and databases that are not ours."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, select, text, update

from ontrack.model import BaselineTask
from ontrack.planfile import load_plan_texts
from ontrack.planfile.generate import dump_plan, generate_plan
from ontrack.store import ENV, StoreError
from ontrack.store import db as store_db
from ontrack.store.db import locate
from ontrack.store.repo import ProgressFact, Store, content_hash
from ontrack.store.tables import BaselineRow
from tests.conftest import HEADER

PLAN = HEADER + "tasks:\n  - {id: a, title: A, estimate: 2d}\n"
PLAN2 = PLAN + "  - {id: b, title: B, estimate: 3d, depends: a}\n"


def open_store(url: str) -> Store:
    return Store.open(url, None)


def test_revisions_are_numbered_and_unchanged_plans_record_nothing(db_url: str) -> None:
    store = open_store(db_url)
    first, created = store.apply("P", [("plan.yaml", PLAN)], author="ana", message="m1", tasks=1)
    assert created and first.number == 1
    again, created = store.apply("P", [("plan.yaml", PLAN)], author="bo", message="m2", tasks=1)
    assert not created and again == first
    second, created = store.apply("P", [("plan.yaml", PLAN2)], author="bo", message="m3", tasks=2)
    assert created and second.number == 2
    log = store.revisions("P")
    assert [(r.number, r.author, r.message, r.tasks) for r in log] == [
        (1, "ana", "m1", 1),
        (2, "bo", "m3", 2),
    ]
    assert log[0].created_at.tzinfo is not None
    assert store.files("P", 1) == [("plan.yaml", PLAN)]
    plan, diagnostics = load_plan_texts(store.files("P", 2))
    assert plan is not None, diagnostics
    assert [t.id for t in plan.tasks] == ["a", "b"]
    assert store.resolve("P", None) == 2
    assert store.resolve("P", -1) == 1
    with pytest.raises(StoreError) as bad:
        store.resolve("P", 7)
    assert bad.value.code == "E512"
    store.close()


def test_programs_are_kept_apart(db_url: str) -> None:
    store = open_store(db_url)
    store.apply("P", [("p.yaml", PLAN)], author="a", message="", tasks=1)
    store.apply("Q", [("q.yaml", PLAN)], author="a", message="", tasks=1)
    assert store.programs() == ["P", "Q"]
    assert store.resolve("Q", None) == 1
    with pytest.raises(StoreError) as several:
        store.program(None)
    assert several.value.code == "E511"
    assert store.program("Q") == "Q"
    store.close()


def test_baselines(db_url: str) -> None:
    store = open_store(db_url)
    store.apply("P", [("plan.yaml", PLAN)], author="a", message="", tasks=1)
    tasks = {"a": BaselineTask(dt.date(2026, 1, 5), dt.date(2026, 1, 6), 2)}
    info = store.set_baseline(
        "P",
        "approved",
        1,
        finish=dt.date(2026, 1, 6),
        cost=Decimal("1234.50"),
        tasks=tasks,
        replace=False,
    )
    assert info.revision == 1
    with pytest.raises(StoreError) as duplicate:
        store.set_baseline(
            "P",
            "approved",
            1,
            finish=dt.date(2026, 1, 6),
            cost=Decimal(0),
            tasks={},
            replace=False,
        )
    assert duplicate.value.code == "E513"
    store.apply("P", [("plan.yaml", PLAN2)], author="a", message="", tasks=2)
    moved = store.set_baseline(
        "P",
        "approved",
        2,
        finish=dt.date(2026, 1, 9),
        cost=Decimal("99.99"),
        tasks={},
        replace=True,
    )
    assert moved.revision == 2
    [only] = store.baselines("P")
    assert (only.name, only.revision, only.cost, only.finish) == (
        "approved",
        2,
        Decimal("99.99"),
        dt.date(2026, 1, 9),
    )
    assert store.baseline("P", "approved").tasks == {}
    with pytest.raises(StoreError):
        store.baseline("P", "nope")
    store.close()


def test_baseline_tasks_are_read_into_records_and_stored_as_before(db_url: str) -> None:
    store = open_store(db_url)
    store.apply("P", [("plan.yaml", PLAN2)], author="a", message="", tasks=2)
    tasks = {
        "a": BaselineTask(dt.date(2026, 1, 5), dt.date(2026, 1, 6), 2, Decimal("1700.50")),
        "b": BaselineTask(dt.date(2026, 1, 7), dt.date(2026, 1, 9), 3, Decimal(0)),
        "m": BaselineTask(dt.date(2026, 1, 9), dt.date(2026, 1, 9), 0, milestone=True),
        "s": BaselineTask(dt.date(2026, 1, 5), dt.date(2026, 1, 9), 5, summary=True),
    }
    store.set_baseline(
        "P",
        "approved",
        1,
        finish=dt.date(2026, 1, 9),
        cost=Decimal("1700.50"),
        tasks=tasks,
        replace=False,
    )
    info = store.baseline("P", "approved")
    assert info.tasks == tasks
    # On disk (and in --format json with the schedule) the form the store has always kept.
    with store.engine.connect() as conn:
        [stored] = conn.execute(select(BaselineRow.schedule)).scalars()
    assert stored["a"] == {
        "start": "2026-01-05",
        "finish": "2026-01-06",
        "days": 2,
        "cost": "1700.50",
        "summary": False,
        "milestone": False,
    }
    assert info.to_json(with_schedule=True)["tasks"] == stored
    assert "tasks" not in info.to_json()
    # An entry without the optional keys reads with the record's defaults.
    entry = {"a": {"start": "2026-01-05", "finish": "2026-01-09", "days": 5}}
    with store.engine.begin() as conn:
        conn.execute(update(BaselineRow).values(schedule=entry))
    assert store.baseline("P", "approved").tasks == {
        "a": BaselineTask(dt.date(2026, 1, 5), dt.date(2026, 1, 9), 5, Decimal(0))
    }
    store.close()


def test_progress_facts_replace_per_task_and_date(db_url: str) -> None:
    store = open_store(db_url)
    store.apply("P", [("plan.yaml", PLAN)], author="a", message="", tasks=1)
    day = dt.date(2026, 1, 9)
    added, replaced = store.record_progress(
        "P",
        [
            ProgressFact("a", day, actual_start=dt.date(2026, 1, 5), percent_complete=Decimal(40)),
            ProgressFact("a", dt.date(2026, 1, 16), actual_finish=dt.date(2026, 1, 14)),
        ],
    )
    assert (added, replaced) == (2, 0)
    added, replaced = store.record_progress(
        "P", [ProgressFact("a", day, percent_complete=Decimal("50.5"), actual_cost=Decimal(900))]
    )
    assert (added, replaced) == (0, 1)
    facts = store.progress("P")
    assert [(f.status_date, f.percent_complete) for f in facts] == [
        (day, Decimal("50.5")),
        (dt.date(2026, 1, 16), None),
    ]
    assert facts[0].actual_cost == Decimal(900)
    assert store.progress("P", until=day) == facts[:1]
    store.close()


def _apply_worker(url: str, text_: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    store = open_store(url)
    barrier.wait()
    store.apply("P", [("plan.yaml", text_)], author=str(os.getpid()), message="", tasks=1)
    store.close()


def test_two_applies_at_once_both_land(db_url: str) -> None:
    open_store(db_url).close()  # create the schema first, as the first command would
    context = multiprocessing.get_context("fork")
    for round_ in range(3):
        barrier = context.Barrier(2)
        workers = [
            context.Process(target=_apply_worker, args=(db_url, f"{PLAN}# {round_} {k}\n", barrier))
            for k in range(2)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
            assert w.exitcode == 0
    store = open_store(db_url)
    revisions = store.revisions("P")
    assert [r.number for r in revisions] == list(range(1, 7))
    assert len({r.content_hash for r in revisions}) == 6
    for r in revisions:
        [(_, content)] = store.files("P", r.number)
        assert content_hash([("plan.yaml", content)]) == r.content_hash
    store.close()


def test_killing_apply_midway_leaves_the_store_consistent(db_url: str, tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.mkdir()
    text_ = dump_plan(generate_plan(tasks=2_000, people=30, seed=1))
    (big / "plan.yaml").write_text(text_)
    small = tmp_path / "small"
    small.mkdir()
    (small / "plan.yaml").write_text(PLAN)
    env = os.environ | {"ONTRACK_DB": db_url}
    ontrack = [sys.executable, "-m", "ontrack.cli.main"]
    began = time.perf_counter()
    subprocess.run([*ontrack, "apply", str(big)], env=env, check=True, capture_output=True)
    whole = time.perf_counter() - began
    # Kill late in later runs (each with changed content, so each has something to write):
    # the last moments of an apply are its transaction.
    for attempt, share in enumerate((0.9, 0.97)):
        (big / "plan.yaml").write_text(f"{text_}# attempt {attempt}\n")
        process = subprocess.Popen(
            [*ontrack, "apply", str(big), "-m", "big"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(whole * share)
        process.send_signal(signal.SIGKILL)
        process.wait()
    done = subprocess.run(
        [*ontrack, "apply", str(small), "-m", "after"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    store = open_store(db_url)
    for program in store.programs():
        for r in store.revisions(program):
            files = store.files(program, r.number)
            assert files and content_hash(files) == r.content_hash
    store.close()


def test_an_older_schema_is_migrated_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite+pysqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    config = store_db._alembic_config(engine)
    command.upgrade(config, "0001")  # a store written before progress was tracked
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO programs (id, name, created_at) VALUES (1, 'P', '2026-01-01')")
        )
        connection.execute(
            text(
                "INSERT INTO revisions (id, program_id, number, created_at, author, message, "
                "content_hash, tasks) VALUES (1, 1, 1, '2026-01-01', 'ana', 'old', 'x', 1)"
            )
        )
    assert "progress" not in inspect(engine).get_table_names()
    engine.dispose()
    store = open_store(url)
    assert "progress" in inspect(store.engine).get_table_names()
    assert [r.message for r in store.revisions("P")] == ["old"]
    store.record_progress("P", [ProgressFact("a", dt.date(2026, 1, 2))])
    store.close()


def test_the_migrated_schema_matches_the_tables(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from ontrack.store.tables import Base

    store = open_store(db_url)
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    store.close()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ontrack.db"
    path.write_bytes(b"this is a spreadsheet, not a database" * 100)
    with pytest.raises(StoreError) as refused:
        Store.open(str(path), None)
    assert refused.value.code == "E502"
    assert path.read_bytes().startswith(b"this is a spreadsheet")  # untouched


def test_someone_elses_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(StoreError) as refused:
        Store.open(str(path), None)
    assert refused.value.code == "E502"
    assert "invoices" in refused.value.message


def test_a_damaged_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    Store.open(str(path), None).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # scribble over the schema page
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as refused:
        Store.open(str(path), None)
    assert refused.value.code == "E502"


def test_where_the_store_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(PLAN)
    assert locate(None, plan_file).label == str(tmp_path / ".ontrack" / "ontrack.db")
    assert locate(None, tmp_path).label == str(tmp_path / ".ontrack" / "ontrack.db")
    assert locate("x.db", None).url.startswith("sqlite+pysqlite:///")
    monkeypatch.setenv(ENV, "postgresql+psycopg://u:secret@h/db")
    assert "secret" not in locate(None, tmp_path).label
    with pytest.raises(StoreError) as bad:
        Store.open("nosuchdatabase://host/db", None)
    assert bad.value.code == "E501"
    with pytest.raises(StoreError) as missing:
        Store.open(str(tmp_path / "none.db"), None, create=False)
    assert missing.value.code == "E503"


def test_a_hand_edited_progress_number_is_a_coded_error_not_a_crash(tmp_path: Path) -> None:
    """Found by the fuzz suite: a remaining_days of 766,694,283 edited into the store planned
    work past the end of the calendar (OverflowError in the schedule)."""
    import datetime as dt
    import sqlite3
    from decimal import Decimal

    from ontrack.model.progress import ProgressFact
    from ontrack.store import StoreError
    from ontrack.store.repo import Store

    db = tmp_path / "store.db"
    store = Store.open(f"sqlite+pysqlite:///{db}", None, create=True)
    try:
        store.apply(
            "P",
            [("plan.yaml", "program: {name: P, start: 2026-01-05}\n")],
            author="a",
            message="m",
            tasks=0,
        )
        store.record_progress(
            "P",
            [ProgressFact("t", dt.date(2026, 1, 9), remaining_days=Decimal(3))],
        )
    finally:
        store.close()
    for column, value in (("remaining_days", 766694283), ("percent_complete", 400)):
        with sqlite3.connect(db) as raw:
            raw.execute(f"UPDATE progress SET {column} = ?", (value,))
        store = Store.open(f"sqlite+pysqlite:///{db}", None)
        try:
            with pytest.raises(StoreError) as found:
                store.progress("P")
            assert found.value.code == "E516"
        finally:
            store.close()
        with sqlite3.connect(db) as raw:
            raw.execute(f"UPDATE progress SET {column} = NULL")
