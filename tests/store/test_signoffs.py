"""Release sign-offs: recorded, read back oldest first, and never changed or deleted (the
database refuses), on SQLite and PostgreSQL; the fingerprint moves when one is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from ontrack.model.signoff import SignOff
from ontrack.store import StoreError
from ontrack.store.fingerprint import tracking_fingerprint
from ontrack.store.repo import Store
from ontrack.store.signoffs import record_signoff, signoffs
from tests.conftest import HEADER

PLAN = HEADER + "tasks:\n  - {id: a, title: A, estimate: 2d}\n"
T0 = dt.datetime(2026, 7, 10, 9, 30, tzinfo=dt.UTC)


def _store(url: str) -> Store:
    store = Store.open(url, None)
    store.apply("P", [("plan.yaml", PLAN)], author="ana", message="", tasks=1)
    return store


def test_signoffs_are_recorded_and_read_back_oldest_first(db_url: str) -> None:
    store = _store(db_url)
    before = tracking_fingerprint(store, "P")
    record_signoff(store, "P", SignOff("r1", "qa", "Dana", "go", T0, 1, "suite green"))
    assert tracking_fingerprint(store, "P") != before
    record_signoff(
        store, "P", SignOff("r1", "qa", "Dana", "no-go", T0 + dt.timedelta(hours=1), 1, "")
    )
    record_signoff(store, "P", SignOff("r2", "security", "Sam", "go", T0, None, ""))
    got = signoffs(store, "P", "r1")
    assert [(s.role, s.decision, s.note) for s in got] == [
        ("qa", "go", "suite green"),
        ("qa", "no-go", ""),
    ]
    assert got[0].signed_at == T0  # time zone kept on both databases
    assert [s.release for s in signoffs(store, "P")] == ["r1", "r2", "r1"]
    store.close()


def test_the_database_refuses_to_change_or_delete_a_signoff(db_url: str) -> None:
    store = _store(db_url)
    record_signoff(store, "P", SignOff("r1", "qa", "Dana", "go", T0, 1, ""))
    for statement in (
        "UPDATE release_signoffs SET decision = 'no-go'",
        "DELETE FROM release_signoffs",
    ):
        with (
            pytest.raises((IntegrityError, DBAPIError)) as caught,
            store.engine.begin() as connection,
        ):
            connection.execute(text(statement))
        assert "append-only" in str(caught.value)
    assert [s.decision for s in signoffs(store, "P")] == ["go"]
    store.close()


def test_a_value_that_does_not_fit_is_refused_and_nothing_is_written(db_url: str) -> None:
    store = _store(db_url)
    with pytest.raises(StoreError) as caught:
        record_signoff(store, "P", SignOff("r1", "qa", "x" * 500, "go", T0))
    assert caught.value.code == "E514"
    assert signoffs(store, "P") == []
    with pytest.raises(StoreError) as unknown:
        record_signoff(store, "Nope", SignOff("r1", "qa", "Dana", "go", T0))
    assert unknown.value.code == "E510"
    store.close()
