"""One cheap query that changes whenever anything an assessment reads changes: the latest
revision, the progress recorded or withdrawn, the baselines and the tracker syncs. The web app
keys its cached assessments by it, so a change made from the CLI shows on the next page."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ontrack.store.repo import Store
from ontrack.store.tables import (
    BaselineRow,
    ProgramRow,
    ProgressRow,
    RevisionRow,
    SyncStateRow,
    WithdrawalRow,
)


def tracking_fingerprint(store: Store, program: str) -> str:
    """A short digest of what the program's assessment reads from the store."""
    with Session(store.engine) as session:
        owner = session.scalar(select(ProgramRow.id).where(ProgramRow.name == program))
        parts: list[object] = [owner]
        if owner is not None:
            for table, column in (
                (RevisionRow, RevisionRow.id),
                (ProgressRow, ProgressRow.id),
                (WithdrawalRow, WithdrawalRow.id),
                (BaselineRow, BaselineRow.id),
                (SyncStateRow, SyncStateRow.last_finished_at),
            ):
                row = session.execute(
                    select(func.count(), func.max(column)).where(table.program_id == owner)
                ).one()
                parts.extend(row)
            # A fact recorded again for the same task and day replaces its row in place.
            parts.append(
                session.scalar(
                    select(func.max(ProgressRow.recorded_at)).where(
                        ProgressRow.program_id == owner
                    )
                )
            )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
