"""One cheap query that changes whenever anything an assessment reads changes: the latest
revision, the progress recorded or withdrawn, the baselines, the tracker syncs and the
release sign-offs. The web app
keys its cached assessments by it, so a change made from the CLI shows on the next page.

It is read on every page view, so it is one statement (one round trip, one connection): the
program's row with a scalar subquery per figure, built once and run on a plain connection (no
ORM session, so SQLAlchemy compiles it once and skips the ORM's per-query work)."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select

from ontrack.store.repo import Store
from ontrack.store.tables import (
    BaselineRow,
    ProgramRow,
    ProgressRow,
    RevisionRow,
    SignoffRow,
    SyncStateRow,
    WithdrawalRow,
)


def _figures() -> list[ColumnElement[Any]]:
    """Per table, the row count and the newest id or time (correlated with the program row)."""
    figures: list[ColumnElement[Any]] = []
    for table, columns in (
        (RevisionRow, (func.count(), func.max(RevisionRow.id))),
        # A fact recorded again for the same task and day replaces its row in place.
        (
            ProgressRow,
            (func.count(), func.max(ProgressRow.id), func.max(ProgressRow.recorded_at)),
        ),
        (WithdrawalRow, (func.count(), func.max(WithdrawalRow.id))),
        # A baseline set again with --replace is deleted and inserted: SQLite may give the new
        # row the old id, but never the old time.
        (
            BaselineRow,
            (func.count(), func.max(BaselineRow.id), func.max(BaselineRow.created_at)),
        ),
        (SyncStateRow, (func.count(), func.max(SyncStateRow.last_finished_at))),
        (SignoffRow, (func.count(), func.max(SignoffRow.id))),
    ):
        for column in columns:
            figures.append(
                select(column).where(table.program_id == ProgramRow.id).scalar_subquery()
            )
    return figures


@functools.cache
def _statement() -> Select[Any]:
    return select(ProgramRow.id, *_figures()).where(ProgramRow.name == bindparam("program"))


def tracking_fingerprint(store: Store, program: str) -> str:
    """A short digest of what the program's assessment reads from the store."""
    with store.reader.connect() as connection:
        row = connection.execute(_statement(), {"program": program}).one_or_none()
    parts: list[object] = [None] if row is None else list(row)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
