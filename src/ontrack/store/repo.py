"""Repository functions: every query the commands need, each in its own short transaction.

Writers are serialised per program: on SQLite by ``BEGIN IMMEDIATE`` (see ``db``), on
PostgreSQL by locking the program's row, so two ``apply`` runs at once land as two numbered
revisions (or the second finds nothing changed), never as a lost or half-written one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ontrack.model.baseline import BaselineTask
from ontrack.model.progress import ProgressFact
from ontrack.store import StoreError
from ontrack.store.db import Location, connect, locate
from ontrack.store.tables import BaselineRow, FileRow, ProgramRow, ProgressRow, RevisionRow

__all__ = [  # ProgressFact lives with the model now; it stays importable from here
    "CODES",
    "BaselineInfo",
    "ProgressFact",
    "RevisionInfo",
    "Store",
    "content_hash",
]

CODES = ("E510", "E511", "E512", "E513")


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


def _baseline_tasks(schedule: Mapping[str, Any]) -> dict[str, BaselineTask]:
    """The stored schedule as records (keys an older row lacks take the record's defaults)."""
    return {
        task_id: BaselineTask(
            dt.date.fromisoformat(str(entry["start"])),
            dt.date.fromisoformat(str(entry["finish"])),
            int(entry.get("days", 0)),
            Decimal(str(entry.get("cost", "0"))),
            bool(entry.get("summary", False)),
            bool(entry.get("milestone", False)),
        )
        for task_id, entry in schedule.items()
    }


def _revision(row: RevisionRow) -> RevisionInfo:
    return RevisionInfo(
        row.number, _aware(row.created_at), row.author, row.message, row.content_hash, row.tasks
    )


class Store:
    """One store (a database), holding one or more programs."""

    def __init__(self, engine: Engine, location: Location) -> None:
        self.engine = engine
        self.location = location

    @classmethod
    def open(cls, db: str | None, plan: Path | None, *, create: bool = True) -> Store:
        location = locate(db, plan)
        return cls(connect(location, create=create), location)

    def close(self) -> None:
        self.engine.dispose()

    # -- programs --------------------------------------------------------------------------

    def programs(self) -> list[str]:
        with Session(self.engine) as session:
            return list(session.scalars(select(ProgramRow.name).order_by(ProgramRow.name)))

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
        with Session(self.engine) as session, session.begin():
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
                number=(latest.number if latest else 0) + 1,
                created_at=_now(),
                author=author,
                message=message,
                content_hash=digest,
                tasks=tasks,
                files=[
                    FileRow(position=i, path=path, content=text)
                    for i, (path, text) in enumerate(files)
                ],
            )
            session.add(row)
            session.flush()
            return _revision(row), True

    def revisions(self, program: str) -> list[RevisionInfo]:
        with Session(self.engine) as session:
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
        with Session(self.engine) as session:
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
        with Session(self.engine) as session:
            owner = self._program_row(session, program, lock=False)
            row = session.scalars(
                select(RevisionRow).where(
                    RevisionRow.program_id == owner.id, RevisionRow.number == number
                )
            ).one_or_none()
            if row is None:
                raise StoreError("E512", f"no revision {number} of '{program}'", "see ontrack log")
            return [(f.path, f.content) for f in row.files]

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
        with Session(self.engine) as session, session.begin():
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
            row = BaselineRow(
                program_id=owner.id,
                name=name,
                revision_id=revision.id,
                created_at=_now(),
                finish=finish,
                cost=cost,
                schedule=_frozen_schedule(tasks),
            )
            session.add(row)
            session.flush()
            return BaselineInfo(name, number, row.created_at, finish, cost, dict(tasks))

    def baselines(self, program: str) -> list[BaselineInfo]:
        with Session(self.engine) as session:
            owner = self._program_row(session, program, lock=False)
            rows = session.execute(
                select(BaselineRow, RevisionRow.number)
                .join(RevisionRow, BaselineRow.revision_id == RevisionRow.id)
                .where(BaselineRow.program_id == owner.id)
                .order_by(BaselineRow.created_at, BaselineRow.name)
            )
            return [
                BaselineInfo(
                    b.name,
                    number,
                    _aware(b.created_at),
                    b.finish,
                    Decimal(b.cost),
                    _baseline_tasks(b.schedule),
                )
                for b, number in rows
            ]

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
        added = replaced = 0
        with Session(self.engine) as session, session.begin():
            owner = self._program_row(session, program, lock=True)
            for fact in facts:
                row = session.scalars(
                    select(ProgressRow).where(
                        ProgressRow.program_id == owner.id,
                        ProgressRow.task_id == fact.task_id,
                        ProgressRow.status_date == fact.status_date,
                    )
                ).one_or_none()
                if row is None:
                    row = ProgressRow(program_id=owner.id, task_id=fact.task_id)
                    session.add(row)
                    added += 1
                else:
                    replaced += 1
                row.status_date = fact.status_date
                row.actual_start = fact.actual_start
                row.actual_finish = fact.actual_finish
                row.percent_complete = fact.percent_complete
                row.remaining_days = fact.remaining_days
                row.actual_cost = fact.actual_cost
                row.note = fact.note
                row.source = fact.source
                row.recorded_at = _now()
        return added, replaced

    def progress(self, program: str, until: dt.date | None = None) -> list[ProgressFact]:
        with Session(self.engine) as session:
            owner = self._program_row(session, program, lock=False)
            query = select(ProgressRow).where(ProgressRow.program_id == owner.id)
            if until is not None:
                query = query.where(ProgressRow.status_date <= until)
            rows = session.scalars(query.order_by(ProgressRow.status_date, ProgressRow.task_id))
            return [
                ProgressFact(
                    r.task_id,
                    r.status_date,
                    r.actual_start,
                    r.actual_finish,
                    None if r.percent_complete is None else Decimal(r.percent_complete),
                    None if r.remaining_days is None else Decimal(r.remaining_days),
                    None if r.actual_cost is None else Decimal(r.actual_cost),
                    r.note,
                    r.source,
                )
                for r in rows
            ]


def _number(session: Session, baseline: BaselineRow) -> int:
    number = session.scalar(
        select(RevisionRow.number).where(RevisionRow.id == baseline.revision_id)
    )
    return int(number or 0)
