"""Opening what is not a store, and reading a store that was damaged or edited by hand: every
case is a StoreError with its code (E501-E504), never a traceback, a hang or a new store."""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text, update

from ontrack.model import BaselineTask
from ontrack.store import StoreError
from ontrack.store.repo import ProgressFact, Store
from ontrack.store.tables import BaselineRow
from tests.conftest import HEADER

PLAN = HEADER + "tasks:\n  - {id: a, title: A, estimate: 2d}\n  - {id: b, title: B, estimate: 3d}\n"


def _code(db: str, *, create: bool = False) -> str:
    with pytest.raises(StoreError) as refused:
        Store.open(db, None, create=create).close()
    return refused.value.code


def _filled(url: str) -> Store:
    store = Store.open(url, None)
    store.apply("P", [("plan.yaml", PLAN)], author="ana", message="first é", tasks=2)
    store.set_baseline(
        "P",
        "approved",
        1,
        finish=dt.date(2026, 1, 9),
        cost=Decimal("1200.50"),
        tasks={
            "a": BaselineTask(dt.date(2026, 1, 5), dt.date(2026, 1, 6), 2, Decimal("500.25")),
            "b": BaselineTask(dt.date(2026, 1, 7), dt.date(2026, 1, 9), 3, Decimal("700.25")),
        },
        replace=False,
    )
    store.record_progress(
        "P",
        [
            ProgressFact("a", dt.date(2026, 1, 9), percent_complete=Decimal(40), note="n é"),
            ProgressFact("b", dt.date(2026, 1, 9), actual_cost=Decimal("10.50")),
        ],
    )
    return store


def _read_everything(store: Store) -> None:
    for program in store.programs():
        for r in store.revisions(program):
            store.files(program, r.number)
        store.baselines(program)
        store.progress(program)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert _code(str(tmp_path)) == "E502"
    assert _code(str(tmp_path), create=True) == "E502"
    assert _code(f"sqlite:///{tmp_path}") == "E502"
    assert list(tmp_path.iterdir()) == []


def test_a_pipe_is_refused_without_waiting_on_it(tmp_path: Path) -> None:
    fifo = tmp_path / "store.db"
    os.mkfifo(fifo)
    assert _code(str(fifo)) == "E502"  # opening it for reading would block forever
    assert _code(str(fifo), create=True) == "E502"


@pytest.mark.parametrize(
    "db", ["sqlite://", "sqlite:///:memory:", ":memory:", "sqlite:///file:x?mode=memory&uri=true"]
)
def test_an_in_memory_database_is_refused(db: str, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    assert _code(db, create=True) == "E501"  # it would keep nothing between two commands
    assert list(tmp_path.iterdir()) == []


def test_reading_an_empty_file_does_not_make_it_a_store(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    assert _code(str(empty)) == "E503"
    assert empty.stat().st_size == 0 and sorted(tmp_path.iterdir()) == [empty]
    Store.open(str(empty), None, create=True).close()  # a command that records may
    assert Store.open(str(empty), None).programs() == []


def test_reading_an_empty_database_does_not_make_it_a_store(db_url: str) -> None:
    assert _code(db_url) == "E503"
    engine = create_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []
    except Exception:  # the SQLite file was never made
        assert db_url.startswith("sqlite")
    finally:
        engine.dispose()
    Store.open(db_url, None, create=True).close()
    assert Store.open(db_url, None).programs() == []


def test_an_unreadable_file_is_an_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = tmp_path / "store.db"
    Store.open(str(path), None).close()
    path.chmod(0)
    try:
        assert _code(str(path)) == "E504"
    finally:
        path.chmod(0o600)


def test_a_store_with_flipped_bytes_is_an_error_not_a_crash(tmp_path: Path) -> None:
    good = tmp_path / "good.db"
    _filled(str(good)).close()
    data = good.read_bytes()
    codes = set()
    for seed in range(120):
        rng = random.Random(seed)
        damaged = bytearray(data)
        for _ in range(rng.choice((1, 5, 20))):
            at = rng.randrange(len(damaged))
            damaged[at] ^= 1 << rng.randrange(8)
        path = tmp_path / f"flipped{seed}.db"
        path.write_bytes(bytes(damaged))
        try:
            store = Store.open(str(path), None, create=False)
            try:
                _read_everything(store)
            finally:
                store.close()
        except StoreError as exc:
            codes.add(exc.code)
    assert codes and codes <= {"E502", "E504"}


def test_text_that_is_not_utf8_is_a_damaged_store(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    _filled(str(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE revisions SET author = CAST(X'C3FF41' AS TEXT)")
    store = Store.open(str(path), None)
    with pytest.raises(StoreError) as refused:
        store.revisions("P")
    assert refused.value.code == "E502"
    store.close()


@pytest.mark.parametrize(
    "schedule",
    [
        [1, 2],
        {"a": 5},
        {"a": {"start": "2026-01-05"}},
        {"a": {"start": "yesterday", "finish": "2026-01-06"}},
        {"a": {"start": "2026-01-05", "finish": "2026-01-06", "days": "two"}},
        {"a": {"start": "2026-01-05", "finish": "2026-01-06", "cost": "lots"}},
        {"a": {"start": 20260105, "finish": "2026-01-06"}},
        "not a schedule",
    ],
)
def test_a_hand_edited_baseline_is_an_error(db_url: str, schedule: Any) -> None:
    store = _filled(db_url)
    with store.engine.begin() as conn:
        conn.execute(update(BaselineRow).values(schedule=schedule))
    for read in (lambda: store.baselines("P"), lambda: store.baseline("P", "approved")):
        with pytest.raises(StoreError) as refused:
            read()
        assert refused.value.code == "E502"
        assert "approved" in refused.value.message
    store.close()


def test_a_baseline_that_is_not_json_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    _filled(str(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute('UPDATE baselines SET schedule = \'{"a": {"start": \'')
    store = Store.open(str(path), None)
    with pytest.raises(StoreError) as refused:
        store.baselines("P")
    assert refused.value.code == "E502"
    store.close()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("status_date", "'last tuesday'"),
        ("actual_start", "'2026-02-30'"),
        ("percent_complete", "'forty'"),
        ("task_id", "X'FF'"),
        ("note", "X'00FF'"),
    ],
)
def test_a_hand_edited_progress_row_is_an_error(tmp_path: Path, column: str, value: str) -> None:
    path = tmp_path / "store.db"
    _filled(str(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE progress SET {column} = {value} WHERE task_id = 'a'")
    store = Store.open(str(path), None)
    with pytest.raises(StoreError) as refused:
        store.progress("P")
    assert refused.value.code == "E502"
    store.close()


def test_a_dropped_table_is_a_damaged_store(db_url: str) -> None:
    _filled(db_url).close()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE baselines"))
    engine.dispose()
    store = Store.open(db_url, None)
    with pytest.raises(StoreError) as refused:
        store.baselines("P")
    assert refused.value.code == "E502"
    store.close()
