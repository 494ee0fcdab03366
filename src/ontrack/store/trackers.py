"""The store's side of tracker sync: items read from each source, the cursor, and the finish.

A sync writes in three kinds of transaction, so that killing it at any moment leaves a store that
reads and a sync that resumes:

1. ``begin_sync``: marks the source's sync as running (an unfinished one keeps its cursor and
   resumes from it).
2. ``save_page``: one page's items (inserted or replaced by key) and the cursor after them,
   together: a page is stored whole or not at all.
3. ``finish_sync``: the progress facts derived from the items, what both sides agreed on, and
   the sync marked finished, together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ontrack.model.progress import ProgressFact
from ontrack.model.tracker import TrackerItem
from ontrack.store import StoreError
from ontrack.store.repo import Store, _progress_row, record_rows
from ontrack.store.tables import SyncStateRow, TrackerItemRow

_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class SyncState:
    cursor: Mapping[str, Any] | None
    finished: bool
    started_at: dt.datetime
    finished_at: dt.datetime | None
    last_finished_at: dt.datetime | None
    pages: int
    items: int
    requests: int

    def to_json(self) -> dict[str, Any]:
        def moment(value: dt.datetime | None) -> str | None:
            return None if value is None else _aware(value).isoformat()

        return {
            "finished": self.finished,
            "started_at": moment(self.started_at),
            "finished_at": moment(self.finished_at),
            "last_finished_at": moment(self.last_finished_at),
            "pages": self.pages,
            "items": self.items,
            "requests": self.requests,
        }


@dataclass(frozen=True, slots=True)
class StoredItem:
    item: TrackerItem
    agreed: Mapping[str, Any] | None
    fetched_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _state(row: SyncStateRow) -> SyncState:
    return SyncState(
        cursor=row.cursor,
        finished=bool(row.finished),
        started_at=_aware(row.started_at),
        finished_at=None if row.finished_at is None else _aware(row.finished_at),
        last_finished_at=None if row.last_finished_at is None else _aware(row.last_finished_at),
        pages=int(row.pages),
        items=int(row.items),
        requests=int(row.requests),
    )


def sync_state(store: Store, program: str, source: str) -> SyncState | None:
    with store._session() as session:
        owner = store._program_row(session, program, lock=False)
        row = session.scalars(
            select(SyncStateRow).where(
                SyncStateRow.program_id == owner.id, SyncStateRow.source == source
            )
        ).one_or_none()
        return None if row is None else _state(row)


def begin_sync(store: Store, program: str, source: str) -> SyncState:
    """The source's sync, marked running: a finished one starts anew from its cursor (the next
    incremental read); an unfinished one carries on from where it stopped."""
    with store._session(write=True) as session:
        owner = store._program_row(session, program, lock=True)
        row = session.scalars(
            select(SyncStateRow).where(
                SyncStateRow.program_id == owner.id, SyncStateRow.source == source
            )
        ).one_or_none()
        if row is None:
            row = SyncStateRow(
                program_id=owner.id,
                source=source,
                cursor=None,
                finished=False,
                started_at=_now(),
                pages=0,
                items=0,
                requests=0,
            )
            session.add(row)
        elif row.finished:
            row.finished = False
            row.started_at = _now()
            row.finished_at = None
            row.pages = row.items = row.requests = 0
        session.flush()
        return _state(row)


def save_page(
    store: Store,
    program: str,
    source: str,
    items: Sequence[TrackerItem],
    cursor: Mapping[str, Any],
    requests: int,
) -> None:
    """Store one page's items and the cursor after them, in one transaction."""
    for item in items:
        if len(item.key) > _KEY_LENGTH:
            raise StoreError(
                "E514", f"{source}: item key {item.key[:40]!r}… is too long to store", ""
            )
    now = _now()
    with store._session(write=True) as session:
        owner = store._program_row(session, program, lock=True)
        keys = [item.key for item in items]
        existing = {
            row.key: row
            for row in session.scalars(
                select(TrackerItemRow).where(
                    TrackerItemRow.program_id == owner.id,
                    TrackerItemRow.source == source,
                    TrackerItemRow.key.in_(keys),
                )
            )
        }
        for item in items:
            row = existing.get(item.key)
            if row is None:
                row = TrackerItemRow(program_id=owner.id, source=source, key=item.key)
                session.add(row)
                existing[item.key] = row
            # In UTC: SQLite keeps no offset, and the history's days are UTC days.
            row.created = item.created.astimezone(dt.UTC)
            row.closed = (
                item.closed_at.astimezone(dt.UTC) if item.closed and item.closed_at else None
            )
            row.updated = item.updated.astimezone(dt.UTC)
            row.fetched_at = now
            row.data = item.to_json()
        state = session.scalars(
            select(SyncStateRow).where(
                SyncStateRow.program_id == owner.id, SyncStateRow.source == source
            )
        ).one()
        state.cursor = dict(cursor)
        state.pages += 1
        state.items += len(items)
        state.requests += requests


def finish_sync(
    store: Store,
    program: str,
    source: str,
    facts: Sequence[ProgressFact],
    agreed: Mapping[str, Mapping[str, Any] | None],
) -> tuple[int, int]:
    """Record the sync's progress facts and what both sides agreed on per linked item, and mark
    the sync finished: all in one transaction. Returns (facts added, facts replaced)."""
    rows = [_progress_row(fact) for fact in facts]
    with store._session(write=True) as session:
        owner = store._program_row(session, program, lock=True)
        counts = record_rows(session, owner, rows)
        if agreed:
            for row in session.scalars(
                select(TrackerItemRow).where(
                    TrackerItemRow.program_id == owner.id,
                    TrackerItemRow.source == source,
                    TrackerItemRow.key.in_(list(agreed)),
                )
            ):
                value = agreed[row.key]
                row.agreed = None if value is None else dict(value)
        state = session.scalars(
            select(SyncStateRow).where(
                SyncStateRow.program_id == owner.id, SyncStateRow.source == source
            )
        ).one()
        now = _now()
        state.finished = True
        state.finished_at = now
        state.last_finished_at = now
        return counts


def stored_items(store: Store, program: str, source: str) -> list[StoredItem]:
    """Every item stored for the source, by key."""
    with store._session() as session:
        owner = store._program_row(session, program, lock=False)
        rows = session.scalars(
            select(TrackerItemRow)
            .where(TrackerItemRow.program_id == owner.id, TrackerItemRow.source == source)
            .order_by(TrackerItemRow.id)
        )
        return [
            StoredItem(TrackerItem.from_json(row.data), row.agreed, _aware(row.fetched_at))
            for row in rows
        ]


def item_dates(
    store: Store, program: str, source: str
) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
    """(key, created, closed) of every item stored for the source: the throughput history."""
    with store._session() as session:
        owner = store._program_row(session, program, lock=False)
        rows = session.execute(
            select(TrackerItemRow.key, TrackerItemRow.created, TrackerItemRow.closed)
            .where(TrackerItemRow.program_id == owner.id, TrackerItemRow.source == source)
            .order_by(TrackerItemRow.created, TrackerItemRow.key)
        )
        return [
            (str(key), _aware(created), None if closed is None else _aware(closed))
            for key, created, closed in rows
        ]


def synced_sources(store: Store, program: str) -> list[str]:
    with store._session() as session:
        owner = store._program_row(session, program, lock=False)
        return sorted(
            str(name)
            for name in session.scalars(
                select(SyncStateRow.source).where(SyncStateRow.program_id == owner.id)
            )
        )
