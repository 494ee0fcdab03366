"""Release sign-offs in the store: recorded once, never changed (the table refuses updates and
deletes while its program exists; see migration 0006)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ontrack.model.signoff import Decision, SignOff
from ontrack.store.limits import fit
from ontrack.store.repo import Store
from ontrack.store.tables import SignoffRow

_LABELS = {"release_id": "release id", "role": "role", "name": "name", "note": "note"}


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive times; they were stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def record_signoff(store: Store, program: str, signoff: SignOff) -> SignOff:
    """Append ``signoff`` (E514 when a value does not fit; nothing is written then)."""
    row = SignoffRow(
        release_id=signoff.release,
        role=signoff.role,
        name=signoff.name,
        decision=signoff.decision,
        note=signoff.note,
        revision=signoff.revision,
        signed_at=signoff.signed_at,
    )
    fit(row, f"the sign-off of '{signoff.release}' as {signoff.role}", labels=_LABELS)
    with store._session(write=True) as session:
        owner = store._program_row(session, program, lock=True)
        row.program_id = owner.id
        session.add(row)
    return signoff


def signoffs(store: Store, program: str, release: str | None = None) -> list[SignOff]:
    """The program's sign-offs (of one release), oldest first."""
    with store._session() as session:
        owner = store._program_row(session, program, lock=False)
        query = select(SignoffRow).where(SignoffRow.program_id == owner.id)
        if release is not None:
            query = query.where(SignoffRow.release_id == release)
        rows = session.scalars(query.order_by(SignoffRow.signed_at, SignoffRow.id))
        return [
            SignOff(
                r.release_id,
                r.role,
                r.name,
                _decision(r.decision),
                _aware(r.signed_at),
                r.revision,
                r.note,
            )
            for r in rows
        ]


def _decision(value: str) -> Decision:
    return "no-go" if value == "no-go" else "go"
