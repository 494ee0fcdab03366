"""The store's side of accounts: users and their roles per program, sessions, API tokens, and
the audit log.

Only what the application layer (``ontrack.app.accounts``) needs, each in its own short
transaction. Policy lives there: which names and passwords are accepted, how passwords are hashed,
how long a lock lasts, when a session has expired. Here, every time is given by the caller (so a
test can move the clock) and stored in UTC, and no secret is ever stored: a password comes as its
hash and a session's or a token's secret as its SHA-256.

The audit log is append-only: :func:`insert_event` and :func:`select_events` are the only
functions that touch it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ontrack.store.db import database_error
from ontrack.store.limits import fit, text_length
from ontrack.store.repo import Store, _flag, _label, _moment, _text, _whole
from ontrack.store.tables import (
    ApiTokenRow,
    EventRow,
    MembershipRow,
    ProgramRow,
    SessionRow,
    UserRow,
)

__all__ = [
    "EventRecord",
    "SessionRecord",
    "TokenRecord",
    "UserRecord",
    "delete_session",
    "delete_user_sessions",
    "find_session",
    "find_token",
    "has_users",
    "insert_event",
    "insert_session",
    "insert_token",
    "insert_user",
    "list_tokens",
    "list_users",
    "login_failed",
    "login_succeeded",
    "remove_role",
    "revoke_token",
    "select_events",
    "set_role",
    "touch_session",
    "touch_token",
    "update_user",
    "user_by_name",
]


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as stored, with the roles held per program (program name -> role)."""

    id: int
    name: str
    display: str
    password_hash: str = field(repr=False)
    superuser: bool
    disabled: bool
    created_at: dt.datetime
    failed_logins: int
    locked_until: dt.datetime | None
    roles: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: int
    user_id: int | None
    csrf: str = field(repr=False)
    created_at: dt.datetime
    expires_at: dt.datetime
    last_seen: dt.datetime


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token as stored: never its secret, only the secret's hash (not read back)."""

    id: int
    user: str
    label: str
    prefix: str
    created_at: dt.datetime
    last_used: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One entry of the audit log (``program`` None: the store's own, e.g. its users)."""

    id: int
    program: str | None
    at: dt.datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


def _utc(moment: dt.datetime) -> dt.datetime:
    """In UTC, as everything is stored (SQLite keeps no offset)."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _maybe(moment: object) -> dt.datetime | None:
    return None if moment is None else _moment(moment)


_LABELS = {"name": "user name", "display": "display name", "label": "token label"}


# -- users -----------------------------------------------------------------------------------


def has_users(store: Store) -> bool:
    with store._session() as session:
        return bool(session.scalar(select(exists().select_from(UserRow))))


def insert_user(
    store: Store,
    *,
    name: str,
    display: str,
    password_hash: str,
    superuser: bool,
    now: dt.datetime,
) -> UserRecord | None:
    """Add a user; None when the name is taken (E514 when the store cannot hold a value)."""
    values = {
        "name": name,
        "display": display,
        "password_hash": password_hash,
        "superuser": superuser,
        "disabled": False,
        "created_at": _utc(now),
        "failed_logins": 0,
        "locked_until": None,
    }
    fit(UserRow(**values), f"user '{_label(name, 40)}'", labels=_LABELS)
    with store._session(write=True) as session:
        insert = postgresql.insert if store.engine.dialect.name == "postgresql" else sqlite.insert
        added = session.execute(
            insert(UserRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(UserRow.id)
        ).scalar_one_or_none()
        if added is None:
            return None
        return _user(session.get_one(UserRow, added), {})


def user_by_name(store: Store, name: str) -> UserRecord | None:
    with store._session() as session:
        row = _user_row(session, name)
        return None if row is None else _user(row, _roles(session, row.id))


def list_users(store: Store) -> list[UserRecord]:
    """Every user, by name."""
    with store._session() as session:
        roles: dict[int, dict[str, str]] = {}
        for user_id, program, role in session.execute(
            select(MembershipRow.user_id, ProgramRow.name, MembershipRow.role).join(
                ProgramRow, MembershipRow.program_id == ProgramRow.id
            )
        ):
            roles.setdefault(_whole(user_id), {})[_text(program)] = _text(role)
        rows = session.scalars(select(UserRow).order_by(UserRow.name))
        return [_user(r, roles.get(r.id, {})) for r in rows]


def update_user(
    store: Store,
    name: str,
    *,
    password_hash: str | None = None,
    disabled: bool | None = None,
) -> UserRecord | None:
    """Set a user's password hash (which also lifts a lock and clears the failed logins) or
    whether it is disabled; None when there is no such user."""
    with store._session(write=True) as session:
        row = _user_row(session, name, lock=True)
        if row is None:
            return None
        if password_hash is not None:
            row.password_hash = password_hash
            row.failed_logins = 0
            row.locked_until = None
        if disabled is not None:
            row.disabled = disabled
        session.flush()
        return _user(row, _roles(session, row.id))


def login_failed(
    store: Store,
    user_id: int,
    *,
    now: dt.datetime,
    lock_for: Callable[[int], dt.timedelta | None],
) -> UserRecord:
    """Count a failed login, and lock the user for ``lock_for(failures)`` (None: no lock), in
    one transaction (the row is locked, so failures at once are all counted)."""
    with store._session(write=True) as session:
        row = session.scalars(select(UserRow).where(UserRow.id == user_id).with_for_update()).one()
        row.failed_logins = min(_whole(row.failed_logins) + 1, 2**31 - 1)
        lock = lock_for(row.failed_logins)
        if lock is not None:
            row.locked_until = _utc(now) + lock
        session.flush()
        return _user(row, _roles(session, row.id))


def login_succeeded(store: Store, user_id: int, *, password_hash: str | None = None) -> None:
    """Clear the failed logins (and store a rehashed password, when given)."""
    with store._session(write=True) as session:
        row = session.get_one(UserRow, user_id, with_for_update=True)
        row.failed_logins = 0
        row.locked_until = None
        if password_hash is not None:
            row.password_hash = password_hash


def set_role(store: Store, user_id: int, program: str, role: str) -> None:
    """Give the user ``role`` in ``program`` (replacing the one it had); E510 for no program."""
    with store._session(write=True) as session:
        owner = store._program_row(session, program, lock=False)
        row = session.scalars(
            select(MembershipRow).where(
                MembershipRow.user_id == user_id, MembershipRow.program_id == owner.id
            )
        ).one_or_none()
        if row is None:
            session.add(MembershipRow(user_id=user_id, program_id=owner.id, role=role))
        else:
            row.role = role


def remove_role(store: Store, user_id: int, program: str) -> bool:
    """Take the user's role in ``program`` away; False when it had none (E510: no program)."""
    with store._session(write=True) as session:
        owner = store._program_row(session, program, lock=False)
        result = session.execute(
            delete(MembershipRow).where(
                MembershipRow.user_id == user_id, MembershipRow.program_id == owner.id
            )
        )
        return bool(getattr(result, "rowcount", 0))


def _user_row(session: Session, name: str, *, lock: bool = False) -> UserRow | None:
    if len(name) > _NAME_LENGTH:  # no such name can be stored (PostgreSQL would refuse it)
        return None
    query = select(UserRow).where(UserRow.name == name)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


_NAME_LENGTH = text_length("users", "name")


def _roles(session: Session, user_id: int) -> dict[str, str]:
    rows = session.execute(
        select(ProgramRow.name, MembershipRow.role)
        .join(ProgramRow, MembershipRow.program_id == ProgramRow.id)
        .where(MembershipRow.user_id == user_id)
    )
    return {_text(program): _text(role) for program, role in rows}


def _user(row: Any, roles: Mapping[str, str]) -> UserRecord:
    # ``row``: a UserRow, or a Core row of the users table (the same attribute names).
    return UserRecord(
        _whole(row.id),
        _text(row.name),
        _text(row.display),
        _text(row.password_hash),
        _flag(row.superuser),
        _flag(row.disabled),
        _moment(row.created_at),
        _whole(row.failed_logins),
        _maybe(row.locked_until),
        dict(sorted(roles.items())),
    )


# -- sessions --------------------------------------------------------------------------------


def insert_session(
    store: Store,
    *,
    token_hash: str,
    user_id: int | None,
    csrf: str,
    now: dt.datetime,
    expires_at: dt.datetime,
    idle: dt.timedelta,
) -> SessionRecord:
    """Add a session; sessions that have expired or been idle longer than ``idle`` by ``now``
    are deleted on the way (nothing else would ever read them)."""
    now = _utc(now)
    row = SessionRow(
        token_hash=token_hash,
        user_id=user_id,
        csrf=csrf,
        created_at=now,
        expires_at=_utc(expires_at),
        last_seen=now,
    )
    with store._session(write=True) as session:
        session.execute(
            delete(SessionRow).where(
                or_(SessionRow.expires_at <= now, SessionRow.last_seen < now - idle)
            )
        )
        session.add(row)
        session.flush()
        return _session_record(row)


def find_session(store: Store, token_hash: str) -> tuple[SessionRecord, UserRecord | None] | None:
    """The session with this secret's hash and its user (None for the local session), or None.
    Every request of the web app asks this: plain statements on a read-only connection."""
    try:
        with store.reader.connect() as connection:
            row = connection.execute(
                select(SessionRow.__table__).where(SessionRow.token_hash == token_hash)
            ).one_or_none()
            if row is None:
                return None
            user = None
            if row.user_id is not None:
                found = connection.execute(
                    select(UserRow.__table__).where(UserRow.id == row.user_id)
                ).one_or_none()
                if found is not None:
                    roles = connection.execute(
                        select(ProgramRow.name, MembershipRow.role)
                        .join(ProgramRow, MembershipRow.program_id == ProgramRow.id)
                        .where(MembershipRow.user_id == found.id)
                    )
                    user = _user(found, {_text(p): _text(r) for p, r in roles})
            return _session_record(row), user
    except SQLAlchemyError as exc:
        sqlite_ = store.engine.dialect.name == "sqlite"
        raise database_error(store.location, exc, is_sqlite=sqlite_) from None


def touch_session(store: Store, session_id: int, now: dt.datetime) -> None:
    with store._session(write=True) as session:
        row = session.get(SessionRow, session_id)
        if row is not None:
            row.last_seen = _utc(now)


def delete_session(store: Store, token_hash: str) -> bool:
    with store._session(write=True) as session:
        result = session.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash))
        return bool(getattr(result, "rowcount", 0))


def delete_user_sessions(store: Store, user_id: int) -> int:
    """End every session of the user; how many there were."""
    with store._session(write=True) as session:
        result = session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
        return int(getattr(result, "rowcount", 0))


def _session_record(row: Any) -> SessionRecord:
    # ``row``: a SessionRow, or a Core row of the sessions table.
    return SessionRecord(
        _whole(row.id),
        None if row.user_id is None else _whole(row.user_id),
        _text(row.csrf),
        _moment(row.created_at),
        _moment(row.expires_at),
        _moment(row.last_seen),
    )


# -- API tokens ------------------------------------------------------------------------------


def insert_token(
    store: Store,
    *,
    user_id: int,
    label: str,
    token_hash: str,
    prefix: str,
    now: dt.datetime,
) -> TokenRecord:
    row = ApiTokenRow(
        user_id=user_id,
        label=label,
        token_hash=token_hash,
        prefix=prefix,
        created_at=_utc(now),
    )
    fit(row, "the token", labels=_LABELS)
    with store._session(write=True) as session:
        session.add(row)
        session.flush()
        owner = session.get_one(UserRow, user_id)
        return _token(row, owner.name)


def list_tokens(store: Store, user_id: int | None = None) -> list[TokenRecord]:
    """The tokens (of one user, or everyone's), oldest first."""
    with store._session() as session:
        query = select(ApiTokenRow, UserRow.name).join(UserRow, ApiTokenRow.user_id == UserRow.id)
        if user_id is not None:
            query = query.where(ApiTokenRow.user_id == user_id)
        rows = session.execute(query.order_by(ApiTokenRow.id))
        return [_token(token, name) for token, name in rows]


def find_token(store: Store, token_hash: str) -> tuple[TokenRecord, UserRecord] | None:
    """The token with this secret's hash and its user, or None."""
    with store._session() as session:
        found = session.execute(
            select(ApiTokenRow, UserRow)
            .join(UserRow, ApiTokenRow.user_id == UserRow.id)
            .where(ApiTokenRow.token_hash == token_hash)
        ).one_or_none()
        if found is None:
            return None
        token, user = found
        return _token(token, user.name), _user(user, _roles(session, user.id))


def touch_token(store: Store, token_id: int, now: dt.datetime) -> None:
    with store._session(write=True) as session:
        row = session.get(ApiTokenRow, token_id)
        if row is not None:
            row.last_used = _utc(now)


def revoke_token(store: Store, token_id: int, now: dt.datetime) -> TokenRecord | None:
    """Revoke the token (one revoked already keeps its time); None when there is no such id."""
    if not 1 <= token_id < 2**31:  # no such id can be stored
        return None
    with store._session(write=True) as session:
        found = session.execute(
            select(ApiTokenRow, UserRow.name)
            .join(UserRow, ApiTokenRow.user_id == UserRow.id)
            .where(ApiTokenRow.id == token_id)
            .with_for_update(of=ApiTokenRow)
        ).one_or_none()
        if found is None:
            return None
        row, name = found
        if row.revoked_at is None:
            row.revoked_at = _utc(now)
            session.flush()
        return _token(row, name)


def _token(row: ApiTokenRow, user: str) -> TokenRecord:
    return TokenRecord(
        _whole(row.id),
        _text(user),
        _text(row.label),
        _text(row.prefix),
        _moment(row.created_at),
        _maybe(row.last_used),
        _maybe(row.revoked_at),
    )


# -- the audit log ---------------------------------------------------------------------------

_ACTOR_LENGTH = text_length("events", "actor")
_TARGET_LENGTH = text_length("events", "target")


def insert_event(
    store: Store,
    *,
    program: str | None,
    at: dt.datetime,
    actor: str,
    action: str,
    target: str,
    detail: Mapping[str, Any],
) -> EventRecord:
    """Append an event (E510 for a program not in the store). The actor and target are labels:
    one too long or with control characters is shortened and cleaned, never refused, so that
    an action is never left unrecorded for the way it was named; the detail goes through JSON
    (a value JSON has no type for is kept as its text)."""
    plain = json.loads(json.dumps(dict(detail), default=str))
    row = EventRow(
        at=_utc(at),
        actor=_label(actor, _ACTOR_LENGTH),
        action=action,
        target=_label(target, _TARGET_LENGTH),
        detail=plain,
    )
    fit(row, f"the event '{_label(action, 64)}'", labels=_LABELS)
    with store._session(write=True) as session:
        if program is not None:
            row.program_id = store._program_row(session, program, lock=False).id
        session.add(row)
        session.flush()
        return _event(row, program)


def select_events(
    store: Store, program: str | None, *, limit: int, before: int | None = None
) -> list[EventRecord]:
    """The newest ``limit`` events (of ``program``, or of the whole store when None) with an id
    below ``before``, newest first."""
    with store._session() as session:
        query = select(EventRow, ProgramRow.name).outerjoin(
            ProgramRow, EventRow.program_id == ProgramRow.id
        )
        if program is not None:
            owner = store._program_row(session, program, lock=False)
            query = query.where(EventRow.program_id == owner.id)
        if before is not None:
            query = query.where(EventRow.id < min(before, 2**31 - 1))
        rows = session.execute(query.order_by(EventRow.id.desc()).limit(limit))
        return [_event(row, None if name is None else _text(name)) for row, name in rows]


def _event(row: EventRow, program: str | None) -> EventRecord:
    detail = row.detail
    if not isinstance(detail, dict):
        raise TypeError(f"an event's detail is {type(detail).__name__}, not a mapping")
    return EventRecord(
        _whole(row.id),
        program,
        _moment(row.at),
        _text(row.actor),
        _text(row.action),
        _text(row.target),
        detail,
    )
