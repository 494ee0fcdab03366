"""SQLite and PostgreSQL accept and refuse the same inputs: every row is checked against its
columns before it is written (E514, nothing written), and what is accepted reads back the same
from both."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ontrack.model import BaselineTask
from ontrack.store import StoreError
from ontrack.store.repo import ProgressFact, Store
from tests.conftest import HEADER

PLAN = HEADER + "tasks:\n  - {id: a, title: A, estimate: 2d}\n"
DAY = dt.date(2026, 1, 9)


def _store(url: str) -> Store:
    store = Store.open(url, None)
    store.apply("P", [("plan.yaml", PLAN)], author="ana", message="", tasks=1)
    return store


def _refused(call: Any) -> StoreError:
    with pytest.raises(StoreError) as refused:
        call()
    assert refused.value.code == "E514", refused.value.message
    return refused.value


def _apply(store: Store, **changes: Any) -> Any:
    args: dict[str, Any] = {
        "program": "Q",
        "files": [("plan.yaml", PLAN)],
        "author": "ana",
        "message": "m",
        "tasks": 1,
    }
    args.update(changes)
    return lambda: store.apply(
        args["program"],
        args["files"],
        author=args["author"],
        message=args["message"],
        tasks=args["tasks"],
    )


def test_revisions_the_store_cannot_hold_are_refused_on_both(db_url: str) -> None:
    store = _store(db_url)
    assert "200" in _refused(_apply(store, program="x" * 201)).message
    _refused(_apply(store, program="a\x00b"))
    _refused(_apply(store, program="a\nb"))
    _refused(_apply(store, program="bad \udcff"))
    _refused(_apply(store, author="ana\x00"))
    _refused(_apply(store, author="y" * 201))
    _refused(_apply(store, message="why\x00"))
    _refused(_apply(store, message="why \x1b[31mred"))
    _refused(_apply(store, files=[("p" * 501, PLAN)]))
    _refused(_apply(store, files=[("plan.yaml", PLAN + "\x00")]))
    _refused(_apply(store, tasks=2**31))
    assert store.programs() == ["P"]  # nothing written
    assert [r.number for r in store.revisions("P")] == [1]
    # At the limits, and with the line breaks a message may hold: accepted by both.
    info, created = _apply(store, program="x" * 200, message="one\n\ttwo\r\n")()
    assert created and info.message == "one\n\ttwo\r\n"
    assert "x" * 200 in store.programs()
    store.close()


def test_a_lookup_by_a_name_no_store_can_hold_is_not_found(db_url: str) -> None:
    store = _store(db_url)
    for name in ("a\x00b", "x" * 300):
        with pytest.raises(StoreError) as missing:
            store.revisions(name)
        assert missing.value.code == "E510"
    store.close()


def _baseline(
    store: Store,
    name: str = "approved",
    cost: Decimal = Decimal(1),
    tasks: dict[str, BaselineTask] | None = None,
) -> Any:
    return lambda: store.set_baseline(
        "P",
        name,
        1,
        finish=DAY,
        cost=cost,
        tasks=tasks or {"a": BaselineTask(DAY, DAY, 1)},
        replace=False,
    )


def test_baselines_the_store_cannot_hold_are_refused_on_both(db_url: str) -> None:
    store = _store(db_url)
    _refused(_baseline(store, "b" * 201))
    _refused(_baseline(store, "a\x00b"))
    _refused(_baseline(store, cost=Decimal("1e23")))
    _refused(_baseline(store, cost=Decimal("NaN")))
    _refused(_baseline(store, tasks={"bad\udcff": BaselineTask(DAY, DAY, 1)}))
    assert store.baselines("P") == []
    info = _baseline(store, "b" * 200, cost=Decimal("9999999999999.99"))()
    [back] = store.baselines("P")
    assert back.cost == info.cost == Decimal("9999999999999.99")  # exact on SQLite's doubles too
    store.close()


@pytest.mark.parametrize(
    "fact",
    [
        ProgressFact("a", DAY, note="broken\x00note"),
        ProgressFact("a", DAY, note="bell\x07"),
        ProgressFact("a", DAY, note="lone \udcff surrogate"),
        ProgressFact("a", DAY, actual_cost=Decimal("1e23")),
        ProgressFact("a", DAY, actual_cost=Decimal("1e13")),
        ProgressFact("a", DAY, actual_cost=Decimal("Infinity")),
        ProgressFact("a", DAY, remaining_days=Decimal("1e8")),
        ProgressFact("a", DAY, percent_complete=Decimal(1000)),
        ProgressFact("t" * 201, DAY),
        ProgressFact("a\nb", DAY),
        ProgressFact("a", dt.date(9999, 12, 31)),  # outside the dates anything computes with
        ProgressFact("a", DAY, actual_start=dt.date(1, 1, 1)),
    ],
)
def test_progress_the_store_cannot_hold_is_refused_on_both(db_url: str, fact: ProgressFact) -> None:
    store = _store(db_url)
    good = ProgressFact("a", dt.date(2026, 1, 2), percent_complete=Decimal(10))
    _refused(lambda: store.record_progress("P", [good, fact]))
    assert store.progress("P") == []  # all or nothing
    store.close()


def test_accepted_progress_reads_back_the_same_from_both(db_url: str) -> None:
    store = _store(db_url)
    third = Decimal(1) / Decimal(3)
    store.record_progress(
        "P",
        [
            ProgressFact(
                "a",
                DAY,
                percent_complete=Decimal("33.33335"),
                remaining_days=third,
                actual_cost=Decimal("9999999999999.994"),
                note="line one\n\tline two — ünïcode",
                source="/very/long/" + "d" * 600 + "/status.csv:7\x1b",
            )
        ],
    )
    [fact] = store.progress("P")
    assert fact.percent_complete == Decimal("33.3334")  # rounded to the column, half up
    assert fact.remaining_days == Decimal("0.3333")
    assert fact.actual_cost == Decimal("9999999999999.99")
    assert fact.note == "line one\n\tline two — ünïcode"
    assert len(fact.source) == 500 and fact.source.endswith("/status.csv:7?")
    assert fact.source.startswith("…")
    store.close()


def test_a_revision_number_no_store_can_hold_is_not_found(db_url: str) -> None:
    store = _store(db_url)
    for number in (0, 2**31, 2**70):
        with pytest.raises(StoreError) as missing:
            store.files("P", number)
        assert missing.value.code == "E512"
    store.close()
