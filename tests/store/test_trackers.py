"""The store's side of tracker sync, on SQLite and PostgreSQL alike: a sync begun, its pages
stored whole with their cursor, finished with its facts and agreement; resumed when unfinished;
the items' dates as throughput history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest

from ontrack.model.progress import ProgressFact
from ontrack.model.tracker import TrackerItem, Transition
from ontrack.store import StoreError
from ontrack.store.repo import Store
from ontrack.store.trackers import (
    begin_sync,
    finish_sync,
    item_dates,
    save_page,
    stored_items,
    sync_state,
    synced_sources,
)
from tests.conftest import HEADER

PLAN = HEADER + "tasks:\n  - {id: a, title: A, estimate: 2d}\n  - {id: b, title: B, estimate: 1d}\n"
P = "P"


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=dt.UTC)


def item(key: str, created: dt.datetime | None = None, **changes: Any) -> TrackerItem:
    base = TrackerItem(
        key=key,
        title=f"Item {key}",
        url=f"https://rm.example.com/issues/{key}",
        state="New",
        closed=False,
        created=created or at(1),
        updated=at(2),
    )
    return replace(base, **changes)


def closed(key: str, created: dt.datetime, when: dt.datetime) -> TrackerItem:
    return item(
        key,
        created,
        state="Closed",
        closed=True,
        closed_at=when,
        started=True,
        done=True,
        updated=when,
        transitions=(Transition(when, "Closed", "New", started=True, done=True),),
    )


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url, None, create=True)
    opened.apply(P, [("plan.yaml", PLAN)], author="ana", message="m", tasks=2)
    try:
        yield opened
    finally:
        opened.close()


def test_a_sync_round_trip(store: Store) -> None:
    assert sync_state(store, P, "rm") is None
    assert synced_sources(store, P) == []
    begun = begin_sync(store, P, "rm")
    assert (begun.cursor, begun.finished, begun.pages, begun.items, begun.requests) == (
        None,
        False,
        0,
        0,
        0,
    )
    assert begun.finished_at is None and begun.last_finished_at is None
    assert begun.started_at.tzinfo is not None
    full = item(
        "1",
        assignees=("jsmith",),
        estimate=Decimal("7.5"),
        percent_done=Decimal(40),
        blocked_by=("2",),
        labels=("backend",),
        milestone="2.0",
        parent="9",
        started=True,
        state="In Progress",
        transitions=(Transition(at(3), "In Progress", "New", started=True),),
    )
    first = [full, item("2")]
    save_page(store, P, "rm", first, {"offset": 2}, 1)
    save_page(store, P, "rm", [closed("3", at(1), at(5))], {"offset": 3}, 2)
    running = sync_state(store, P, "rm")
    assert running is not None
    assert (running.cursor, running.finished, running.pages, running.items, running.requests) == (
        {"offset": 3},
        False,
        2,
        3,
        3,
    )
    stored = stored_items(store, P, "rm")
    assert [s.item for s in stored] == [*first, closed("3", at(1), at(5))]
    assert all(s.agreed is None for s in stored)
    assert all(s.fetched_at.tzinfo is not None for s in stored)
    facts = [
        ProgressFact("a", dt.date(2026, 3, 10), dt.date(2026, 3, 3), source="sync:rm"),
        ProgressFact("b", dt.date(2026, 3, 10), dt.date(2026, 3, 5), dt.date(2026, 3, 5)),
    ]
    agreed = {"1": {"progress": {"plan": ["in-progress", 40], "tracker": ["in-progress", 40]}}}
    assert finish_sync(store, P, "rm", facts, agreed) == (2, 0)
    done = sync_state(store, P, "rm")
    assert done is not None and done.finished
    assert done.finished_at is not None and done.finished_at == done.last_finished_at
    assert done.cursor == {"offset": 3}
    assert done.to_json()["finished"] is True
    assert store.progress(P) == facts
    by_key = {s.item.key: s.agreed for s in stored_items(store, P, "rm")}
    assert by_key == {"1": agreed["1"], "2": None, "3": None}
    assert synced_sources(store, P) == ["rm"]


def test_resaving_an_item_replaces_it(store: Store) -> None:
    begin_sync(store, P, "rm")
    save_page(store, P, "rm", [item("1"), item("2")], {"page": 1}, 1)
    moved = closed("1", at(1), at(6))
    save_page(store, P, "rm", [moved], {"page": 2}, 1)
    stored = stored_items(store, P, "rm")
    assert [s.item.key for s in stored] == ["1", "2"]
    assert stored[0].item == moved
    assert item_dates(store, P, "rm") == [("1", at(1), at(6)), ("2", at(1), None)]
    # Reopened: the closed date goes.
    save_page(store, P, "rm", [item("1", state="Reopened")], {"page": 3}, 1)
    assert item_dates(store, P, "rm")[0] == ("1", at(1), None)
    state = sync_state(store, P, "rm")
    assert state is not None and (state.pages, state.items) == (3, 4)


def test_the_same_item_twice_in_one_page(store: Store) -> None:
    begin_sync(store, P, "rm")
    save_page(store, P, "rm", [item("1"), item("1", state="Later")], {"page": 1}, 1)
    stored = stored_items(store, P, "rm")
    assert [(s.item.key, s.item.state) for s in stored] == [("1", "Later")]


def test_sources_and_programs_are_kept_apart(store: Store) -> None:
    store.apply("Q", [("q.yaml", PLAN)], author="ana", message="m", tasks=2)
    begin_sync(store, P, "rm")
    begin_sync(store, P, "gh")
    begin_sync(store, "Q", "rm")
    save_page(store, P, "rm", [item("1", title="rm one")], {"c": "rm"}, 1)
    save_page(store, P, "gh", [item("1", title="gh one")], {"c": "gh"}, 1)
    assert [s.item.title for s in stored_items(store, P, "rm")] == ["rm one"]
    assert [s.item.title for s in stored_items(store, P, "gh")] == ["gh one"]
    assert stored_items(store, "Q", "rm") == []
    assert synced_sources(store, P) == ["gh", "rm"]
    q = sync_state(store, "Q", "rm")
    assert q is not None and q.cursor is None


@dataclass(frozen=True, slots=True)
class Unstorable(TrackerItem):
    """An item whose JSON fails half-way through a page (as a crash in the transaction would)."""

    def to_json(self) -> dict[str, Any]:
        raise RuntimeError("killed mid-page")


def test_a_pages_items_and_cursor_land_together(store: Store) -> None:
    begin_sync(store, P, "rm")
    save_page(store, P, "rm", [item("1")], {"page": 1}, 1)
    broken = Unstorable(
        key="3", title="x", url="u", state="New", closed=False, created=at(1), updated=at(1)
    )
    with pytest.raises(RuntimeError):
        save_page(store, P, "rm", [item("2"), broken], {"page": 2}, 1)
    # Nothing of the second page: not its first item, not its cursor, not its counts.
    assert [s.item.key for s in stored_items(store, P, "rm")] == ["1"]
    state = sync_state(store, P, "rm")
    assert state is not None
    assert (state.cursor, state.pages, state.items, state.requests) == ({"page": 1}, 1, 1, 1)


def test_a_key_too_long_is_refused_before_anything_is_written(store: Store) -> None:
    begin_sync(store, P, "rm")
    with pytest.raises(StoreError) as refused:
        save_page(store, P, "rm", [item("1"), item("K" * 201)], {"page": 1}, 1)
    assert refused.value.code == "E514"
    assert stored_items(store, P, "rm") == []
    state = sync_state(store, P, "rm")
    assert state is not None and state.cursor is None
    save_page(store, P, "rm", [item("K" * 200)], {"page": 1}, 1)
    assert [len(s.item.key) for s in stored_items(store, P, "rm")] == [200]


def test_finish_records_the_agreement_and_replaces_facts_of_the_day(store: Store) -> None:
    begin_sync(store, P, "rm")
    save_page(store, P, "rm", [item("1"), item("2")], {"page": 1}, 1)
    day = dt.date(2026, 3, 10)
    first = {"1": {"estimate": {"plan": 960, "tracker": 1200, "accepted": "plan"}}}
    assert finish_sync(store, P, "rm", [ProgressFact("a", day, day)], first) == (1, 0)
    begin_sync(store, P, "rm")
    # The same task and day again: replaced. An agreement of None clears it; unknown keys and
    # items not named are left alone.
    second: dict[str, Any] = {"1": None, "2": {"scope": {"plan": True, "tracker": True}}, "9": {}}
    again = ProgressFact("a", day, day, day, percent_complete=Decimal(100))
    assert finish_sync(store, P, "rm", [again], second) == (0, 1)
    assert store.progress(P) == [again]
    by_key = {s.item.key: s.agreed for s in stored_items(store, P, "rm")}
    assert by_key == {"1": None, "2": second["2"]}
    begin_sync(store, P, "rm")
    assert finish_sync(store, P, "rm", [], {}) == (0, 0)
    by_key = {s.item.key: s.agreed for s in stored_items(store, P, "rm")}
    assert by_key == {"1": None, "2": second["2"]}


def test_item_dates_by_created_then_key(store: Store) -> None:
    begin_sync(store, P, "rm")
    page = [
        item("b", at(3)),
        closed("9", at(2), at(4)),
        closed("10", at(2), at(8)),
        item("a", at(1, 23)),
        # The tracker's closed flag decides: a closed date on an open item is not a close.
        item("c", at(5), closed_at=at(6)),
    ]
    save_page(store, P, "rm", page, {"page": 1}, 1)
    assert item_dates(store, P, "rm") == [
        ("a", at(1, 23), None),
        ("10", at(2), at(8)),
        ("9", at(2), at(4)),
        ("b", at(3), None),
        ("c", at(5), None),
    ]
    assert all(d[1].tzinfo is not None for d in item_dates(store, P, "rm"))
    assert item_dates(store, P, "other") == []


def test_item_dates_keep_the_instant_of_other_offsets(store: Store) -> None:
    east = dt.timezone(dt.timedelta(hours=-5))
    created = dt.datetime(2026, 3, 1, 23, 30, tzinfo=east)  # 2026-03-02 04:30 UTC
    begin_sync(store, P, "rm")
    save_page(store, P, "rm", [closed("1", created, created + dt.timedelta(hours=1))], {}, 1)
    ((_, got_created, got_closed),) = item_dates(store, P, "rm")
    assert got_created == created
    assert got_closed == created + dt.timedelta(hours=1)
    assert got_created.astimezone(dt.UTC).date() == dt.date(2026, 3, 2)


def test_a_begin_after_a_finish_starts_a_new_run_keeping_the_cursor(store: Store) -> None:
    begin_sync(store, P, "rm")
    save_page(store, P, "rm", [item("1")], {"since": "2026-03-02T09:00:00Z"}, 3)
    finish_sync(store, P, "rm", [], {})
    finished = sync_state(store, P, "rm")
    assert finished is not None and finished.finished
    again = begin_sync(store, P, "rm")
    assert not again.finished
    assert again.cursor == {"since": "2026-03-02T09:00:00Z"}
    assert (again.pages, again.items, again.requests) == (0, 0, 0)
    assert again.finished_at is None
    assert again.last_finished_at == finished.last_finished_at
    assert again.started_at >= finished.started_at
    # The items of the earlier run stay.
    assert [s.item.key for s in stored_items(store, P, "rm")] == ["1"]


def test_an_unfinished_run_keeps_its_cursor_and_resumes(store: Store) -> None:
    begun = begin_sync(store, P, "rm")
    save_page(store, P, "rm", [item("1"), item("2")], {"page": 2}, 2)
    # Killed here: the next sync carries on from the stored page.
    resumed = begin_sync(store, P, "rm")
    assert not resumed.finished
    assert resumed.cursor == {"page": 2}
    assert (resumed.pages, resumed.items, resumed.requests) == (1, 2, 2)
    assert resumed.started_at == begun.started_at
    assert resumed.last_finished_at is None
    save_page(store, P, "rm", [item("3")], {"page": 3}, 1)
    finish_sync(store, P, "rm", [], {})
    state = sync_state(store, P, "rm")
    assert state is not None
    assert (state.finished, state.cursor, state.pages, state.items) == (True, {"page": 3}, 2, 3)
    assert [s.item.key for s in stored_items(store, P, "rm")] == ["1", "2", "3"]


def test_an_unknown_program_is_refused(store: Store) -> None:
    with pytest.raises(StoreError) as unknown:
        begin_sync(store, "nobody", "rm")
    assert unknown.value.code == "E510"
