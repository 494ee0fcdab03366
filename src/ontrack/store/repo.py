"""Repository functions: every query the commands need, each in its own short transaction.

Writers are serialised per program: on SQLite by ``BEGIN IMMEDIATE`` (see ``db``), on
PostgreSQL by locking the program's row, so two ``apply`` runs at once land as two numbered
revisions (or the second finds nothing changed), never as a lost or half-written one.

Every row is checked against its columns before it is written (``limits``: E514), so SQLite and
PostgreSQL accept and refuse the same inputs. Whatever the database answers, and whatever it
hands back, comes out as a StoreError: a database that cannot be reached is E504, and a store
whose content no longer reads (damaged bytes, a hand-edited row) is E502, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ontrack.checks.limits import HORIZON_TEXT, in_horizon
from ontrack.model.baseline import BaselineTask
from ontrack.model.progress import MAX_ACTUAL_COST, MAX_REMAINING_DAYS, ProgressFact
from ontrack.store import StoreError
from ontrack.store.db import Location, connect, database_error, locate, reader
from ontrack.store.limits import fit, text_length, text_problem
from ontrack.store.tables import (
    BaselineRow,
    FileRow,
    ProgramRow,
    ProgressRow,
    RevisionRow,
    WithdrawalRow,
)

__all__ = [  # ProgressFact lives with the model now; it stays importable from here
    "CODES",
    "BaselineInfo",
    "ProgressEntry",
    "ProgressFact",
    "RevisionInfo",
    "Store",
    "Withdrawal",
    "check_revision",
    "content_hash",
]

CODES = ("E510", "E511", "E512", "E513", "E514", "E515", "E516")


def content_hash(files: Sequence[tuple[str, str]]) -> str:
    """SHA-256 over the files' names and texts, in a stable order."""
    digest = hashlib.sha256()
    for path, text in sorted(files):
        for part in (path, text):
            data = part.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
    return digest.hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class RevisionInfo:
    number: int
    created_at: dt.datetime
    author: str
    message: str
    content_hash: str
    tasks: int

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.number,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "author": self.author,
            "message": self.message,
            "hash": self.content_hash,
            "tasks": self.tasks,
        }


@dataclass(frozen=True, slots=True)
class BaselineInfo:
    name: str
    revision: int
    created_at: dt.datetime
    finish: dt.date
    cost: Decimal
    tasks: Mapping[str, BaselineTask]  # the frozen schedule, per task id

    def to_json(self, with_schedule: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "revision": self.revision,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "finish": self.finish.isoformat(),
            "cost": str(self.cost),
        }
        if with_schedule:
            data["tasks"] = _frozen_schedule(self.tasks)
        return data


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A progress fact taken back: who withdrew it, when and why."""

    task_id: str
    status_date: dt.date
    withdrawn_at: dt.datetime
    author: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task_id,
            "status_date": self.status_date.isoformat(),
            "withdrawn_at": self.withdrawn_at.isoformat(timespec="seconds"),
            "author": self.author,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class ProgressEntry:
    """A fact as the progress history shows it: when it was recorded and, when it was
    withdrawn, the withdrawal. A withdrawn fact whose task and day were recorded again since
    is an entry of its own (``superseded``), beside the fact that replaced it."""

    fact: ProgressFact
    recorded_at: dt.datetime
    withdrawal: Withdrawal | None = None
    superseded: bool = False

    @property
    def standing(self) -> bool:
        """Whether readers use the fact."""
        return self.withdrawal is None

    def to_json(self) -> dict[str, Any]:
        return self.fact.to_json() | {
            "recorded_at": self.recorded_at.isoformat(timespec="seconds"),
            "withdrawn": None if self.withdrawal is None else self.withdrawal.to_json(),
            "superseded": self.superseded,
        }


# A baseline's schedule on disk (a JSON column): per task id ``start`` and ``finish`` (ISO
# dates), ``days``, ``cost`` (a decimal string), ``summary`` and ``milestone``. These two
# functions are the only ones that know that form; everything else reads BaselineTask.


def _frozen_schedule(tasks: Mapping[str, BaselineTask]) -> dict[str, dict[str, Any]]:
    return {
        task_id: {
            "start": t.start.isoformat(),
            "finish": t.finish.isoformat(),
            "days": t.days,
            "cost": str(t.cost),
            "summary": t.summary,
            "milestone": t.milestone,
        }
        for task_id, t in tasks.items()
    }


def _baseline_tasks(schedule: object) -> dict[str, BaselineTask]:
    """The stored schedule as records (keys an older row lacks take the record's defaults).
    Raises ValueError when it is not that form (a hand-edited row)."""
    if not isinstance(schedule, Mapping):
        raise ValueError(f"the schedule is {type(schedule).__name__}, not a mapping of tasks")
    tasks = {}
    for task_id, entry in schedule.items():
        if not isinstance(entry, Mapping):
            raise ValueError(f"task '{task_id}' is {type(entry).__name__}, not a mapping")
        try:
            days = entry.get("days", 0)
            cost = Decimal(str(entry.get("cost", "0")))
            if isinstance(days, bool) or not isinstance(days, int) or not cost.is_finite():
                raise ValueError("days or cost is not a number")
            tasks[str(task_id)] = BaselineTask(
                dt.date.fromisoformat(_text(entry["start"])),
                dt.date.fromisoformat(_text(entry["finish"])),
                days,
                cost,
                _flag(entry.get("summary", False)),
                _flag(entry.get("milestone", False)),
            )
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            raise ValueError(f"task '{task_id}': {type(exc).__name__}: {exc}") from None
    return tasks


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not text")
    return value


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not a whole number")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{value!r} is not true or false")
    return value


def _day(value: object) -> dt.date:
    if type(value) is not dt.date:
        raise TypeError(f"{value!r} is not a date")
    return value


def _moment(value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{value!r} is not a time")
    return _aware(value)


def _decimal(value: object) -> Decimal:
    number = Decimal(value) if isinstance(value, int | Decimal) else None
    if number is None or not number.is_finite():
        raise TypeError(f"{value!r} is not a number")
    return number


def _revision(row: RevisionRow) -> RevisionInfo:
    return RevisionInfo(
        _whole(row.number),
        _moment(row.created_at),
        _text(row.author),
        _text(row.message),
        _text(row.content_hash),
        _whole(row.tasks),
    )


# What a row read back may raise when the store was damaged or edited by hand: the database
# driver's decoding, SQLAlchemy's result processing (dates, decimals, JSON) and the checks above.
_UNREADABLE = (
    sqlite3.Error,  # raised as is by a new connection's set-up (the pragmas) on a damaged file
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    ArithmeticError,
    UnicodeError,
)


class Store:
    """One store (a database), holding one or more programs."""

    def __init__(self, engine: Engine, location: Location) -> None:
        self.engine = engine
        self.reader = reader(engine)  # the same pool; reads take no write lock
        self.location = location

    @classmethod
    def open(cls, db: str | None, plan: Path | None, *, create: bool = True) -> Store:
        location = locate(db, plan)
        return cls(connect(location, create=create), location)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _session(self, *, write: bool = False) -> Iterator[Session]:
        """A session (in one transaction when ``write``) whose failures are store errors: the
        database's own (E504 unreachable, E502 damaged) and a row that no longer reads (E502)."""
        try:
            with Session(self.engine if write else self.reader) as session:
                if write:
                    with session.begin():
                        yield session
                else:
                    yield session
        except StoreError:
            raise
        except SQLAlchemyError as exc:
            sqlite_ = self.engine.dialect.name == "sqlite"
            raise database_error(self.location, exc, is_sqlite=sqlite_) from None
        except _UNREADABLE as exc:
            raise StoreError(
                "E502",
                f"{self.location.label} holds a row that does not read: "
                f"{type(exc).__name__}: {exc}",
                "it was damaged or edited by hand: restore the store from a backup",
            ) from None

    # -- programs --------------------------------------------------------------------------

    def programs(self) -> list[str]:
        with self._session() as session:
            return [
                _text(n) for n in session.scalars(select(ProgramRow.name).order_by(ProgramRow.name))
            ]

    def program(self, name: str | None) -> str:
        """The program to work on: the one named, or the store's only one."""
        names = self.programs()
        if name is not None:
            if name not in names:
                raise StoreError(
                    "E510",
                    f"the store {self.location.label} has no program '{name}'",
                    "programs here: " + (", ".join(names) or "none yet (run ontrack apply)"),
                )
            return name
        if not names:
            raise StoreError(
                "E510",
                f"the store {self.location.label} has no revisions yet",
                "record the plan first: ontrack apply PLAN",
            )
        if len(names) > 1:
            raise StoreError(
                "E511",
                f"the store holds several programs: {', '.join(names)}",
                "name one with --program",
            )
        return names[0]

    def _program_row(self, session: Session, name: str, *, lock: bool) -> ProgramRow:
        if text_problem(name, single_line=True) is not None:  # no such name can be stored
            raise StoreError("E510", f"no program {name!r} in the store", "see ontrack log")
        query = select(ProgramRow).where(ProgramRow.name == name)
        if lock:
            query = query.with_for_update()
        row = session.scalars(query).one_or_none()
        if row is None:
            raise StoreError("E510", f"no program '{name}' in the store", "run ontrack apply PLAN")
        return row

    # -- revisions -------------------------------------------------------------------------

    def apply(
        self,
        program: str,
        files: Sequence[tuple[str, str]],
        *,
        author: str,
        message: str,
        tasks: int,
    ) -> tuple[RevisionInfo, bool]:
        """Record the files as the next revision. Returns it and True, or the latest revision
        and False when the files are unchanged since then."""
        digest = content_hash(files)
        candidate, plan_files = _revision_rows(program, files, author, message, tasks, digest)
        with self._session(write=True) as session:
            insert = (
                postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
            )
            session.execute(
                insert(ProgramRow)
                .values(name=program, created_at=_now())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            owner = self._program_row(session, program, lock=True)
            latest = session.scalars(
                select(RevisionRow)
                .where(RevisionRow.program_id == owner.id)
                .order_by(RevisionRow.number.desc())
                .limit(1)
            ).one_or_none()
            if latest is not None and latest.content_hash == digest:
                return _revision(latest), False
            row = RevisionRow(
                program_id=owner.id,
                number=(_whole(latest.number) if latest else 0) + 1,
                created_at=_now(),
                author=candidate.author,
                message=candidate.message,
                content_hash=digest,
                tasks=tasks,
                files=plan_files,
            )
            session.add(row)
            session.flush()
            return _revision(row), True

    def revisions(self, program: str) -> list[RevisionInfo]:
        with self._session() as session:
            owner = self._program_row(session, program, lock=False)
            rows = session.scalars(
                select(RevisionRow)
                .where(RevisionRow.program_id == owner.id)
                .order_by(RevisionRow.number)
            )
            return [_revision(r) for r in rows]

    def resolve(self, program: str, number: int | None, *, back: int = 0) -> int:
        """A revision number: the one given (negative counts back from the latest: -1 is the
        one before it), or the latest minus ``back``."""
        with self._session() as session:
            owner = self._program_row(session, program, lock=False)
            latest = session.scalar(
                select(func.max(RevisionRow.number)).where(RevisionRow.program_id == owner.id)
            )
        if latest is None:
            raise StoreError("E512", f"'{program}' has no revisions", "run ontrack apply PLAN")
        wanted = latest - back if number is None else latest + number if number < 0 else number
        if not 1 <= wanted <= latest:
            raise StoreError(
                "E512",
                f"no revision {number if number is not None else wanted} of '{program}' "
                f"(revisions 1..{latest})",
                "see ontrack log",
            )
        return wanted

    def files(self, program: str, number: int) -> list[tuple[str, str]]:
        if not 1 <= number < 2**31:  # no such revision (PostgreSQL's integer holds no more)
            raise StoreError("E512", f"no revision {number} of '{program}'", "see ontrack log")
        with self._session() as session:
            owner = self._program_row(session, program, lock=False)
            row = session.scalars(
                select(RevisionRow).where(
                    RevisionRow.program_id == owner.id, RevisionRow.number == number
                )
            ).one_or_none()
            if row is None:
                raise StoreError("E512", f"no revision {number} of '{program}'", "see ontrack log")
            return [(_text(f.path), _text(f.content)) for f in row.files]

    # -- baselines -------------------------------------------------------------------------

    def set_baseline(
        self,
        program: str,
        name: str,
        number: int,
        *,
        finish: dt.date,
        cost: Decimal,
        tasks: Mapping[str, BaselineTask],
        replace: bool,
    ) -> BaselineInfo:
        row = BaselineRow(
            name=name,
            created_at=_now(),
            finish=finish,
            cost=cost,
            schedule=_frozen_schedule(tasks),
        )
        fit(row, f"baseline '{name}'", labels=_LABELS)
        with self._session(write=True) as session:
            owner = self._program_row(session, program, lock=True)
            revision = session.scalars(
                select(RevisionRow).where(
                    RevisionRow.program_id == owner.id, RevisionRow.number == number
                )
            ).one()
            existing = session.scalars(
                select(BaselineRow).where(
                    BaselineRow.program_id == owner.id, BaselineRow.name == name
                )
            ).one_or_none()
            if existing is not None and not replace:
                raise StoreError(
                    "E513",
                    f"baseline '{name}' already exists (revision {_number(session, existing)})",
                    "choose another name, or pass --replace to move it",
                )
            if existing is not None:
                session.delete(existing)
                session.flush()
            row.program_id = owner.id
            row.revision_id = revision.id
            session.add(row)
            session.flush()
            return BaselineInfo(name, number, row.created_at, finish, row.cost, dict(tasks))

    def baselines(self, program: str) -> list[BaselineInfo]:
        with self._session() as session:
            owner = self._program_row(session, program, lock=False)
            rows = session.execute(
                select(BaselineRow, RevisionRow.number)
                .join(RevisionRow, BaselineRow.revision_id == RevisionRow.id)
                .where(BaselineRow.program_id == owner.id)
                .order_by(BaselineRow.created_at, BaselineRow.name)
            )
            return [_baseline(b, number) for b, number in rows]

    def baseline(self, program: str, name: str) -> BaselineInfo:
        for info in self.baselines(program):
            if info.name == name:
                return info
        names = [b.name for b in self.baselines(program)]
        raise StoreError(
            "E513",
            f"no baseline '{name}'",
            "baselines: " + (", ".join(names) or "none yet (ontrack baseline set NAME)"),
        )

    # -- progress --------------------------------------------------------------------------

    def record_progress(self, program: str, facts: Sequence[ProgressFact]) -> tuple[int, int]:
        """Store facts; a fact for the same task and status date replaces the earlier one.
        Returns (added, replaced). All or nothing."""
        rows = [_progress_row(fact) for fact in facts]  # all checked before anything is written
        with self._session(write=True) as session:
            owner = self._program_row(session, program, lock=True)
            return record_rows(session, owner, rows)

    def progress(self, program: str, until: dt.date | None = None) -> list[ProgressFact]:
        """The standing facts (withdrawn ones are skipped), by status date and task."""
        with self._session() as session:
            owner = self._program_row(session, program, lock=False)
            withdrawn = exists().where(WithdrawalRow.progress_id == ProgressRow.id)
            query = select(ProgressRow).where(ProgressRow.program_id == owner.id, ~withdrawn)
            if until is not None:
                query = query.where(ProgressRow.status_date <= until)
            rows = session.scalars(query.order_by(ProgressRow.status_date, ProgressRow.task_id))
            facts = [_fact(r) for r in rows]
        for fact in facts:
            day = _outside_horizon(fact)
            wrong = _out_of_range(fact)
            if day is not None or wrong is not None:
                # Recorded before ontrack held progress to these ranges, or edited by hand.
                raise StoreError(
                    "E516",
                    f"the progress of '{fact.task_id}' on {fact.status_date} holds "
                    + (
                        f"{day}, outside {HORIZON_TEXT}: no date can be computed from it"
                        if day is not None
                        else f"{wrong}"
                    ),
                    f"withdraw it: ontrack progress --withdraw {fact.task_id} "
                    f"--status-date {fact.status_date} -m 'wrong value'",
                )
        return facts

    def withdraw_progress(
        self, program: str, task_id: str, status_date: dt.date, *, author: str, reason: str
    ) -> Withdrawal:
        """Withdraw the standing fact of ``task_id`` on ``status_date``: readers skip it from
        now on; the history keeps it, with who withdrew it, when and why. E515 when there is
        no such standing fact."""
        row = WithdrawalRow(
            task_id=task_id,
            status_date=status_date,
            withdrawn_at=_now(),
            author=author,
            reason=reason,
            fact={},
        )
        fit(row, f"the withdrawal of '{task_id}' on {status_date}", labels=_LABELS)
        with self._session(write=True) as session:
            owner = self._program_row(session, program, lock=True)
            fact = session.scalars(
                select(ProgressRow).where(
                    ProgressRow.program_id == owner.id,
                    ProgressRow.task_id == task_id,
                    ProgressRow.status_date == status_date,
                )
            ).one_or_none()
            earlier = (
                None
                if fact is None
                else session.scalars(
                    select(WithdrawalRow).where(WithdrawalRow.progress_id == fact.id)
                ).first()
            )
            if fact is None or earlier is not None:
                raise StoreError(
                    "E515",
                    f"no progress of '{task_id}' on {status_date} to withdraw"
                    + (
                        ""
                        if earlier is None
                        else f": {_text(earlier.author)} withdrew it on "
                        f"{_moment(earlier.withdrawn_at):%Y-%m-%d %H:%M} UTC"
                    ),
                    "see the recorded facts: ontrack progress --list",
                )
            row.program_id = owner.id
            row.progress_id = fact.id
            row.fact = _fact(fact).to_json() | {
                "recorded_at": _moment(fact.recorded_at).isoformat()
            }
            session.add(row)
            session.flush()
            return _withdrawal(row)

    def progress_history(self, program: str) -> list[ProgressEntry]:
        """Every fact recorded, standing or withdrawn, with its withdrawal; by status date, task
        and when it was recorded."""
        with self._session() as session:
            owner = self._program_row(session, program, lock=False)
            rows = session.execute(
                select(ProgressRow, WithdrawalRow)
                .outerjoin(WithdrawalRow, WithdrawalRow.progress_id == ProgressRow.id)
                .where(ProgressRow.program_id == owner.id)
            )
            entries = [
                ProgressEntry(
                    _fact(r), _moment(r.recorded_at), None if w is None else _withdrawal(w)
                )
                for r, w in rows
            ]
            detached = session.scalars(
                select(WithdrawalRow).where(
                    WithdrawalRow.program_id == owner.id, WithdrawalRow.progress_id.is_(None)
                )
            )
            for w in detached:
                fact, recorded_at = _withdrawn_fact(w.fact)
                entries.append(ProgressEntry(fact, recorded_at, _withdrawal(w), superseded=True))
        return sorted(entries, key=lambda e: (e.fact.status_date, e.fact.task_id, e.recorded_at))


def record_rows(
    session: Session, owner: ProgramRow, rows: Sequence[ProgressRow]
) -> tuple[int, int]:
    """Write checked progress rows in the caller's transaction; (added, replaced)."""
    added = replaced = 0
    for new in rows:
        row = session.scalars(
            select(ProgressRow).where(
                ProgressRow.program_id == owner.id,
                ProgressRow.task_id == new.task_id,
                ProgressRow.status_date == new.status_date,
            )
        ).one_or_none()
        if row is None:
            row = ProgressRow(program_id=owner.id, task_id=new.task_id)
            session.add(row)
            added += 1
        else:
            replaced += 1
            # A withdrawn fact recorded again is a new fact: its withdrawal stays, as history,
            # but no longer points at it.
            session.execute(
                update(WithdrawalRow)
                .where(WithdrawalRow.progress_id == row.id)
                .values(progress_id=None)
            )
        for key in _FACT_COLUMNS:
            setattr(row, key, getattr(new, key))
        row.recorded_at = _now()
    return added, replaced


def _number(session: Session, baseline: BaselineRow) -> int:
    number = session.scalar(
        select(RevisionRow.number).where(RevisionRow.id == baseline.revision_id)
    )
    return int(number or 0)


def check_revision(
    program: str, files: Sequence[tuple[str, str]], *, author: str, message: str, tasks: int
) -> None:
    """Raise StoreError E514 when :meth:`Store.apply` would refuse these values: a caller checks
    before it opens (and so creates) a store."""
    _revision_rows(program, files, author, message, tasks, content_hash(files))


def _revision_rows(
    program: str,
    files: Sequence[tuple[str, str]],
    author: str,
    message: str,
    tasks: int,
    digest: str,
) -> tuple[RevisionRow, list[FileRow]]:
    """A revision's rows, checked (E514)."""
    fit(ProgramRow(name=program, created_at=_now()), "the program", labels=_LABELS)
    revision = RevisionRow(
        number=1,
        created_at=_now(),
        author=author,
        message=message,
        content_hash=digest,
        tasks=tasks,
    )
    fit(revision, f"the revision of '{program}'", labels=_LABELS)
    plan_files = [
        FileRow(position=i, path=path, content=text) for i, (path, text) in enumerate(files)
    ]
    for file in plan_files:
        fit(file, f"the plan file '{file.path}'", labels=_LABELS)
    return revision, plan_files


def _baseline(row: BaselineRow, number: int) -> BaselineInfo:
    try:
        tasks = _baseline_tasks(row.schedule)
    except ValueError as exc:
        raise StoreError(
            "E502",
            f"baseline '{row.name}' does not read: {exc}",
            "it was damaged or edited by hand: set it again with ontrack baseline set "
            f"{row.name} --rev {number} --replace",
        ) from None
    return BaselineInfo(
        _text(row.name),
        _whole(number),
        _moment(row.created_at),
        _day(row.finish),
        _decimal(row.cost),
        tasks,
    )


#: How an error names a column (the rest by their own names).
_LABELS = {
    "name": "name",
    "author": "author",
    "message": "message",
    "path": "path",
    "content": "text",
    "task_id": "task id",
    "note": "note",
    "source": "source",
    "percent_complete": "percent complete",
    "remaining_days": "remaining work",
    "reason": "reason",
    "actual_cost": "actual cost",
    "cost": "planned cost",
    "schedule": "schedule",
}

#: The columns a progress fact fills (``recorded_at`` is the store's).
_FACT_COLUMNS = (
    "status_date",
    "actual_start",
    "actual_finish",
    "percent_complete",
    "remaining_days",
    "actual_cost",
    "note",
    "source",
)
_SOURCE_LENGTH = text_length("progress", "source")


def _progress_row(fact: ProgressFact) -> ProgressRow:
    """The row for a fact, checked (E514). Its source is only a label (the file and line it came
    from): one too long or with control characters is shortened and cleaned, not refused."""
    row = ProgressRow(
        task_id=fact.task_id,
        status_date=fact.status_date,
        actual_start=fact.actual_start,
        actual_finish=fact.actual_finish,
        percent_complete=fact.percent_complete,
        remaining_days=fact.remaining_days,
        actual_cost=fact.actual_cost,
        note=fact.note,
        source=_label(fact.source, _SOURCE_LENGTH),
        recorded_at=_now(),
    )
    what = f"progress of '{fact.task_id}' on {fact.status_date}"
    fit(row, what, labels=_LABELS)
    day = _outside_horizon(fact)
    if day is not None:
        raise StoreError(
            "E514",
            f"{what}: {day} is outside {HORIZON_TEXT}",
            "nothing was recorded; check the year",
        )
    return row


def _outside_horizon(fact: ProgressFact) -> dt.date | None:
    """A date of the fact outside the horizon every date of a plan lies in, or None."""
    for day in (fact.status_date, fact.actual_start, fact.actual_finish):
        if day is not None and not in_horizon(day):
            return day
    return None


def _out_of_range(fact: ProgressFact) -> str | None:
    """A number of the fact no progress file could have recorded, said, or None."""
    if fact.percent_complete is not None and not 0 <= fact.percent_complete <= 100:
        return f"{fact.percent_complete} % complete, outside 0..100"
    if fact.remaining_days is not None and not 0 <= fact.remaining_days < MAX_REMAINING_DAYS:
        return f"{fact.remaining_days} days remaining, outside 0..{MAX_REMAINING_DAYS - 1}"
    if fact.actual_cost is not None and not 0 <= fact.actual_cost < MAX_ACTUAL_COST:
        return f"an actual cost of {fact.actual_cost}, outside 0..{MAX_ACTUAL_COST:,}"
    return None


def _label(text: str, limit: int) -> str:
    clean = "".join("?" if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)
    return clean if len(clean) <= limit else "…" + clean[-(limit - 1) :]


def _fact(r: ProgressRow) -> ProgressFact:
    def number(value: object) -> Decimal | None:
        return None if value is None else _decimal(value)

    def day(value: object) -> dt.date | None:
        return None if value is None else _day(value)

    return ProgressFact(
        _text(r.task_id),
        _day(r.status_date),
        day(r.actual_start),
        day(r.actual_finish),
        number(r.percent_complete),
        number(r.remaining_days),
        number(r.actual_cost),
        _text(r.note),
        _text(r.source),
    )


def _withdrawal(row: WithdrawalRow) -> Withdrawal:
    return Withdrawal(
        _text(row.task_id),
        _day(row.status_date),
        _moment(row.withdrawn_at),
        _text(row.author),
        _text(row.reason),
    )


def _withdrawn_fact(data: object) -> tuple[ProgressFact, dt.datetime]:
    """The fact a withdrawal kept (``ProgressFact.to_json`` and ``recorded_at``)."""
    if not isinstance(data, Mapping):
        raise TypeError("a withdrawal's fact is not a mapping")

    def day(key: str) -> dt.date | None:
        value = data.get(key)
        return None if value is None else dt.date.fromisoformat(_text(value))

    def number(key: str) -> Decimal | None:
        value = data.get(key)
        return None if value is None else _decimal(Decimal(_text(value)))

    status_date = day("status_date")
    if status_date is None:
        raise ValueError("a withdrawal's fact has no status date")
    fact = ProgressFact(
        _text(data["task"]),
        status_date,
        day("actual_start"),
        day("actual_finish"),
        number("percent_complete"),
        number("remaining_days"),
        number("actual_cost"),
        _text(data.get("note", "")),
        _text(data.get("source", "")),
    )
    return fact, _aware(dt.datetime.fromisoformat(_text(data["recorded_at"])))
