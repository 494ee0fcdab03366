"""The store's fingerprint of a program (the web app's cache key) changes with everything an
assessment reads, and only then: on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from ontrack.store.fingerprint import tracking_fingerprint
from ontrack.store.repo import ProgressFact, Store
from ontrack.store.trackers import begin_sync, finish_sync


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url, None, create=True)
    yield opened
    opened.close()


def test_every_change_an_assessment_reads_changes_the_fingerprint(store: Store) -> None:
    files = [("plan.yaml", "program: {name: P, start: 2026-01-05}\n")]
    store.apply("P", files, author="a", message="m", tasks=0)
    seen = [tracking_fingerprint(store, "P")]
    assert tracking_fingerprint(store, "P") == seen[0]  # reading changes nothing

    def changed() -> None:
        now = tracking_fingerprint(store, "P")
        assert now not in seen
        seen.append(now)

    store.apply("P", [("plan.yaml", files[0][1] + "# b\n")], author="a", message="m", tasks=0)
    changed()
    fact = ProgressFact("a", dt.date(2026, 1, 6), percent_complete=Decimal(10))
    store.record_progress("P", [fact])
    changed()
    store.record_progress(
        "P", [ProgressFact("a", dt.date(2026, 1, 6), percent_complete=Decimal(20))]
    )
    changed()  # the same task and day again: the row is replaced in place
    store.withdraw_progress("P", "a", dt.date(2026, 1, 6), author="a", reason="typo")
    changed()
    store.set_baseline(
        "P", "approved", 2, finish=dt.date(2026, 2, 1), cost=Decimal(0), tasks={}, replace=False
    )
    changed()
    store.set_baseline(
        "P", "approved", 1, finish=dt.date(2026, 3, 1), cost=Decimal(0), tasks={}, replace=True
    )
    changed()  # set again (--replace): deleted and inserted, under the same id on SQLite
    begin_sync(store, "P", "rm")
    finish_sync(store, "P", "rm", [], {})
    changed()
    assert tracking_fingerprint(store, "no such program") != seen[-1]
