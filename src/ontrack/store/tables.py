"""The store's tables (SQLAlchemy 2). Alembic migrations in ``migrations/`` create them; a test
checks that the migrated schema matches these declarations.

A store holds one or more programs (a shared PostgreSQL database may hold several). Each program
has numbered revisions of its plan files, named baselines that freeze a revision and its
schedule, and dated progress facts about its tasks. A fact recorded in error is withdrawn, not
deleted: a withdrawal row says who withdrew it, when and why, and keeps the fact as it was;
readers skip a fact that a withdrawal points at (recording the task and date again makes a new
fact, and the withdrawal then points at nothing but still tells its story).

The web app's accounts live beside the programs: users with a role per program, their sessions
and API tokens, and the audit log of who changed what (``ontrack.store.accounts``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ProgramRow(Base):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class RevisionRow(Base):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("program_id", "number", name="uq_revisions_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    tasks: Mapped[int] = mapped_column(Integer)  # a summary for `log`, without loading files
    files: Mapped[list[FileRow]] = relationship(
        back_populates="revision", cascade="all, delete-orphan", order_by="FileRow.position"
    )


class FileRow(Base):
    __tablename__ = "revision_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    revision: Mapped[RevisionRow] = relationship(back_populates="files")


class BaselineRow(Base):
    __tablename__ = "baselines"
    __table_args__ = (UniqueConstraint("program_id", "name", name="uq_baselines_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finish: Mapped[dt.date] = mapped_column(Date)
    cost: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    # Per task: start, finish, working days, planned cost (the schedule as agreed).
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON)


class ProgressRow(Base):
    __tablename__ = "progress"
    __table_args__ = (
        UniqueConstraint("program_id", "task_id", "status_date", name="uq_progress_fact"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(200))
    status_date: Mapped[dt.date] = mapped_column(Date)
    actual_start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    actual_finish: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    percent_complete: Mapped[Decimal | None] = mapped_column(Numeric(7, 4), nullable=True)
    remaining_days: Mapped[Decimal | None] = mapped_column(Numeric(12, 4), nullable=True)
    actual_cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(500), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WithdrawalRow(Base):
    __tablename__ = "progress_withdrawals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    # The fact withdrawn while it stands; None once the task and day are recorded again.
    progress_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress.id", ondelete="SET NULL"), nullable=True, index=True
    )
    task_id: Mapped[str] = mapped_column(String(200))
    status_date: Mapped[dt.date] = mapped_column(Date)
    withdrawn_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    fact: Mapped[dict[str, Any]] = mapped_column(JSON)  # the fact as withdrawn, and when recorded


class TrackerItemRow(Base):
    """An item read from a tracker by ``ontrack sync``, as it was when last read.

    ``data`` is the item (``TrackerItem.to_json``); ``created``/``closed`` are columns so the
    throughput history (``--history store:SOURCE``) reads without decoding every item; ``agreed``
    is what the plan and the tracker said of a linked item at the last sync, so the next sync can
    tell which side changed since.
    """

    __tablename__ = "tracker_items"
    __table_args__ = (
        UniqueConstraint("program_id", "source", "key", name="uq_tracker_items_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    agreed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class SyncStateRow(Base):
    """Where each source's sync stands: the cursor after the last stored page, and whether that
    sync finished (an unfinished one resumes from its cursor)."""

    __tablename__ = "sync_state"
    __table_args__ = (UniqueConstraint("program_id", "source", name="uq_sync_state_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(200))
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)


# -- accounts: the web app's users, their roles, sessions, API tokens and the audit log ---------
#
# No password or secret is ever stored: a password as its argon2id hash, a session cookie and an
# API token as the SHA-256 of their random secret (256 bits: a fast hash is enough, and lets a
# request find its row by an indexed lookup).


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    display: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Consecutive failed logins, and the lock they earned (reset by a successful login).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class MembershipRow(Base):
    """A user's role in one program (a superuser needs none: it is admin everywhere)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "program_id", name="uq_memberships_user_program"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # viewer, editor or admin


class SessionRow(Base):
    """A signed-in browser. ``user_id`` None is the single-user local session (no accounts)."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    """A user's API token: ``prefix`` (the secret's first characters) lets a person tell tokens
    apart in a list; a revoked token stays, so the audit log's references keep their meaning."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class EventRow(Base):
    """The audit log: who did what, when. Append-only: the store offers no update or delete (a
    program's events go with the program, as all its rows do)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(500))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class SignoffRow(Base):
    """A go/no-go sign-off of a release: who, in which role, what they decided, on which
    revision, and when. Append-only: a later sign-off of the same role supersedes an earlier
    one for the verdict, and both stay (the database refuses updates and deletes)."""

    __tablename__ = "release_signoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    release_id: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(10))  # go | no-go
    note: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
