"""Withdrawing a recorded progress fact: readers skip it, the history keeps it with who, when and
why; on SQLite and PostgreSQL, and on a store migrated from before withdrawals existed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from ontrack.store import StoreError
from ontrack.store import db as store_db
from ontrack.store.repo import ProgressFact, Store
from tests.conftest import HEADER

PLAN = HEADER + "tasks:\n  - {id: a, title: A, estimate: 2d}\n  - {id: b, title: B, estimate: 3d}\n"
JAN9 = dt.date(2026, 1, 9)
JAN16 = dt.date(2026, 1, 16)


def _store(url: str) -> Store:
    store = Store.open(url, None)
    store.apply("P", [("plan.yaml", PLAN)], author="ana", message="", tasks=2)
    store.record_progress(
        "P",
        [
            ProgressFact("a", JAN9, percent_complete=Decimal(40), note="on track"),
            ProgressFact("b", JAN9, percent_complete=Decimal(10)),
            ProgressFact("a", JAN16, percent_complete=Decimal(90), actual_cost=Decimal("12.5")),
        ],
    )
    return store


def test_a_withdrawn_fact_is_skipped_by_readers_and_kept_in_the_history(db_url: str) -> None:
    store = _store(db_url)
    withdrawal = store.withdraw_progress("P", "a", JAN16, author="bo", reason="wrong task")
    assert (withdrawal.task_id, withdrawal.status_date, withdrawal.author) == ("a", JAN16, "bo")
    assert withdrawal.reason == "wrong task" and withdrawal.withdrawn_at.tzinfo is not None
    assert [(f.task_id, f.status_date) for f in store.progress("P")] == [("a", JAN9), ("b", JAN9)]
    assert store.progress("P", until=JAN16) == store.progress("P")
    history = store.progress_history("P")
    assert [(e.fact.task_id, e.fact.status_date, e.standing) for e in history] == [
        ("a", JAN9, True),
        ("b", JAN9, True),
        ("a", JAN16, False),
    ]
    withdrawn = history[-1]
    assert withdrawn.withdrawal == withdrawal
    assert withdrawn.fact.percent_complete == Decimal(90)
    assert withdrawn.fact.actual_cost == Decimal("12.50")
    assert withdrawn.to_json()["withdrawn"]["reason"] == "wrong task"
    store.close()


def test_only_a_standing_fact_can_be_withdrawn(db_url: str) -> None:
    store = _store(db_url)
    for task, day in (("a", dt.date(2026, 1, 2)), ("zz", JAN9)):
        with pytest.raises(StoreError) as missing:
            store.withdraw_progress("P", task, day, author="bo", reason="")
        assert missing.value.code == "E515"
    store.withdraw_progress("P", "b", JAN9, author="bo", reason="")
    with pytest.raises(StoreError) as twice:
        store.withdraw_progress("P", "b", JAN9, author="cy", reason="")
    assert twice.value.code == "E515" and "bo" in twice.value.message
    with pytest.raises(StoreError) as bad_reason:
        store.withdraw_progress("P", "a", JAN9, author="cy", reason="nul\x00")
    assert bad_reason.value.code == "E514"
    assert len(store.progress("P")) == 2
    store.close()


def test_recording_a_withdrawn_fact_again_makes_a_new_standing_fact(db_url: str) -> None:
    store = _store(db_url)
    store.withdraw_progress("P", "a", JAN16, author="bo", reason="typo in percent")
    assert store.record_progress("P", [ProgressFact("a", JAN16, percent_complete=Decimal(60))])
    [now] = [f for f in store.progress("P") if f.status_date == JAN16]
    assert now.percent_complete == Decimal(60)
    history = [e for e in store.progress_history("P") if e.fact.status_date == JAN16]
    assert [(e.fact.percent_complete, e.standing, e.superseded) for e in history] == [
        (Decimal(90), False, True),  # the withdrawn fact, as it was
        (Decimal(60), True, False),
    ]
    # ... and it can be withdrawn in turn.
    store.withdraw_progress("P", "a", JAN16, author="bo", reason="again")
    assert [f.status_date for f in store.progress("P")] == [JAN9, JAN9]
    assert len(store.progress_history("P")) == 4
    store.close()


def test_a_store_from_before_withdrawals_is_migrated(db_url: str) -> None:
    engine = create_engine(db_url)
    command.upgrade(store_db._alembic_config(engine), "0002")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO programs (id, name, created_at) VALUES (1, 'P', '2026-01-01')")
        )
        connection.execute(
            text(
                "INSERT INTO progress (program_id, task_id, status_date, percent_complete, "
                "note, source, recorded_at) VALUES (1, 'a', '2026-01-09', 40, '', 'old.csv:2', "
                "'2026-01-10 09:00:00')"
            )
        )
    assert "progress_withdrawals" not in inspect(engine).get_table_names()
    engine.dispose()
    store = Store.open(db_url, None, create=False)  # migrating is not creating
    assert "progress_withdrawals" in inspect(store.engine).get_table_names()
    [fact] = store.progress("P")
    assert (fact.task_id, fact.percent_complete, fact.source) == ("a", Decimal(40), "old.csv:2")
    store.withdraw_progress("P", "a", JAN9, author="bo", reason="recorded twice")
    assert store.progress("P") == []
    [entry] = store.progress_history("P")
    assert entry.fact == fact and not entry.standing
    store.close()


def test_progress_recorded_outside_the_horizon_is_an_error_until_withdrawn(db_url: str) -> None:
    store = _store(db_url)
    with store.engine.begin() as connection:  # as an ontrack that did not hold progress to it
        connection.execute(
            text(
                "INSERT INTO progress (program_id, task_id, status_date, percent_complete, "
                "note, source, recorded_at) SELECT id, 'b', '9999-12-31', 50, '', 'typo.csv:2', "
                "'2026-01-10 09:00:00' FROM programs"
            )
        )
    with pytest.raises(StoreError) as refused:
        store.progress("P")  # every reader: no OverflowError further on
    assert refused.value.code == "E516"
    assert "--withdraw b --status-date 9999-12-31" in refused.value.hint
    assert len(store.progress_history("P")) == 4  # the listing still reads it
    store.withdraw_progress("P", "b", dt.date(9999, 12, 31), author="bo", reason="typo")
    assert len(store.progress("P")) == 3
    store.close()
