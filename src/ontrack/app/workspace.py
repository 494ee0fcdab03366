"""A plan's store, opened for the front ends: the only way the CLI (and later the web app)
reaches the recorded revisions, baselines and progress.

``Workspace.open(db, plan)`` opens the store (``db``, else ``$ONTRACK_DB``, else
``.ontrack/ontrack.db`` beside the plan); its methods record and read, and return records.
Nothing here prints or exits: a store that cannot be used raises :class:`StoreError` (stable
E5xx codes, re-exported here so a front end need not import the store), a recorded revision that
no longer loads raises :class:`RevisionUnreadable`, and a plan that cannot be scheduled comes
back as diagnostics.

Kept light to import (the CLI reads ``ENV`` for its help text): SQLAlchemy, Alembic and the
engines load when a store is opened or a schedule is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ontrack.app.tracking import RevisionUnreadable, Tracked, read_tracked, revision_plan
from ontrack.diagnostics import Diagnostic
from ontrack.model import BaselineTask, Plan
from ontrack.model.signoff import SignOff
from ontrack.store import ENV, StoreError

if TYPE_CHECKING:
    from ontrack.app.accounts import Accounts
    from ontrack.engines.diff import PlanDiff
    from ontrack.model.tracker import TrackerItem
    from ontrack.store.repo import (
        BaselineInfo,
        ProgressEntry,
        ProgressFact,
        RevisionInfo,
        Store,
        Withdrawal,
    )
    from ontrack.store.trackers import StoredItem, SyncState

__all__ = [
    "ENV",
    "Applied",
    "BaselineSet",
    "LogEntry",
    "ProgressRecorded",
    "RevisionPair",
    "RevisionUnreadable",
    "StoreError",
    "Workspace",
    "plan_changes",
]


@dataclass(frozen=True, slots=True)
class Applied:
    """What ``apply`` did: the revision recorded, or the latest one when nothing changed."""

    program: str
    revision: RevisionInfo
    recorded: bool


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A recorded revision and the baselines set on it."""

    revision: RevisionInfo
    baselines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RevisionPair:
    """Two recorded revisions to compare, as plans."""

    program: str
    older: int
    newer: int
    before: Plan
    after: Plan


@dataclass(frozen=True, slots=True)
class BaselineSet:
    """A baseline frozen from a revision, or (``baseline`` None) why its revision could not be
    scheduled; then nothing was set."""

    program: str
    revision: int
    plan: Plan
    baseline: BaselineInfo | None
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, slots=True)
class ProgressRecorded:
    """Progress read from a file and recorded, or (``diagnostics`` not empty) refused whole:
    one bad row records none."""

    program: str
    facts: tuple[ProgressFact, ...]
    added: int = 0
    replaced: int = 0
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def recorded(self) -> bool:
        return not self.diagnostics


@dataclass(frozen=True, slots=True)
class Workspace:
    """One open store, with the operations the front ends need. Close it (or use ``with``)."""

    _store: Store

    @classmethod
    def open(cls, db: str | None, plan: Path | None, *, create: bool = False) -> Workspace:
        """The store for ``plan``; ``create`` makes a missing SQLite file. Raises StoreError."""
        # The store's libraries load only for the commands that use it (a second off --help).
        from ontrack.store.repo import Store  # noqa: PLC0415

        return cls(Store.open(db, plan, create=create))

    @staticmethod
    def check_apply(
        plan: Plan, files: Sequence[tuple[str, str]], *, author: str, message: str
    ) -> None:
        """Raise StoreError (E514) when :meth:`apply` would refuse the plan's values (a name
        too long for the store, a control character in the message, ...): checked before the
        store is opened, so a refused revision does not create one."""
        from ontrack.store.repo import check_revision  # noqa: PLC0415

        check_revision(
            plan.program.name, files, author=author, message=message, tasks=len(plan.tasks)
        )

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def accounts(self, *, clock: Callable[[], dt.datetime] | None = None) -> Accounts:
        """The store's users, sessions, API tokens and audit log (``ontrack.app.accounts``);
        ``clock`` gives the time (a test moves it)."""
        from ontrack.app.accounts import Accounts  # noqa: PLC0415

        return Accounts(self._store, clock=clock)

    @property
    def label(self) -> str:
        """Where the store is, as the user should read it (a path, or a URL without password)."""
        return self._store.location.label

    # -- programs and revisions ------------------------------------------------------------

    def program(self, name: str | None) -> str:
        """The program named, or the store's only one (E510, E511 otherwise)."""
        return self._store.program(name)

    def apply(
        self, plan: Plan, files: Sequence[tuple[str, str]], *, author: str, message: str
    ) -> Applied:
        """Record the plan's files as its program's next revision; an unchanged plan records
        nothing (``recorded`` False, with the latest revision)."""
        name = plan.program.name
        info, created = self._store.apply(
            name, files, author=author, message=message, tasks=len(plan.tasks)
        )
        return Applied(name, info, created)

    def recorded_as(self, plan: Plan, files: Sequence[tuple[str, str]]) -> int | None:
        """The number of the latest revision when ``files`` are exactly it, else None (the
        plan changed since, or its program has no revision yet)."""
        from ontrack.store.repo import content_hash  # noqa: PLC0415

        if plan.program.name not in self._store.programs():
            return None
        revisions = self._store.revisions(plan.program.name)
        if not revisions:
            return None
        latest = max(revisions, key=lambda r: r.number)
        return latest.number if latest.content_hash == content_hash(files) else None

    def sign_release(self, program: str, signoff: SignOff) -> SignOff:
        """Append a release's go/no-go sign-off (the store never changes one)."""
        from ontrack.store.signoffs import record_signoff  # noqa: PLC0415

        return record_signoff(self._store, program, signoff)

    def signoffs(self, program: str, release: str | None = None) -> list[SignOff]:
        """The program's sign-offs (of one release), oldest first."""
        from ontrack.store.signoffs import signoffs  # noqa: PLC0415

        return signoffs(self._store, program, release)

    def revisions(self, program: str) -> list[RevisionInfo]:
        """The program's revisions, oldest first."""
        return self._store.revisions(program)

    def log(self, program: str) -> list[LogEntry]:
        """The program's revisions, newest first, with the baselines set on each."""
        names: dict[int, list[str]] = {}
        for b in self._store.baselines(program):
            names.setdefault(b.revision, []).append(b.name)
        return [
            LogEntry(r, tuple(names.get(r.number, [])))
            for r in reversed(self._store.revisions(program))
        ]

    def resolve(self, program: str, number: int | None) -> int:
        """A revision number: the one given (negative counts back from the latest), or the
        latest (E512 when there is no such revision)."""
        return self._store.resolve(program, number)

    def revision_plan(self, program: str, number: int) -> Plan:
        """A recorded revision as a plan; raises :class:`RevisionUnreadable`."""
        return revision_plan(self._store, program, number)

    def latest_plan(self, program: str) -> Plan:
        """The latest recorded revision as a plan."""
        return self.revision_plan(program, self.resolve(program, None))

    def revision_pair(self, program: str, old: int | None, new: int | None) -> RevisionPair:
        """Two revisions to compare: ``new`` (default the latest) and ``old`` (default the one
        before it)."""
        newer = self.resolve(program, new)
        older = self.resolve(program, old) if old is not None else max(1, newer - 1)
        return RevisionPair(
            program,
            older,
            newer,
            self.revision_plan(program, older),
            self.revision_plan(program, newer),
        )

    # -- baselines -------------------------------------------------------------------------

    def set_baseline(
        self,
        program: str,
        name: str,
        rev: int | None = None,
        *,
        replace: bool = False,
        time_limit: float = 5.0,
    ) -> BaselineSet:
        """Freeze revision ``rev`` (default the latest) and its schedule (dates and costs) as
        baseline ``name``. A name in use is E513 unless ``replace``; a revision that cannot be
        scheduled sets nothing and comes back with its diagnostics."""
        from ontrack.engines.cost import task_costs  # noqa: PLC0415
        from ontrack.engines.schedule.planner import ScheduleOptions, schedule  # noqa: PLC0415

        number = self.resolve(program, rev)
        frozen = self.revision_plan(program, number)
        result, problems = schedule(frozen, ScheduleOptions(time_limit=time_limit))
        if result is None:
            return BaselineSet(program, number, frozen, None, tuple(problems))
        costs = task_costs(frozen, result)
        tasks = {
            t.id: BaselineTask(
                t.start,
                t.finish,
                t.duration_days,
                costs.get(t.id, Decimal(0)),
                summary=t.summary,
                milestone=t.milestone,
            )
            for t in result.tasks
        }
        info = self._store.set_baseline(
            program,
            name,
            number,
            finish=result.finish,
            cost=sum(costs.values(), Decimal(0)),
            tasks=tasks,
            replace=replace,
        )
        return BaselineSet(program, number, frozen, info)

    def baselines(self, program: str) -> list[BaselineInfo]:
        """The program's baselines, in the order they were set."""
        return self._store.baselines(program)

    def baseline(self, program: str, name: str) -> BaselineInfo:
        """One baseline (E513 when there is none of that name)."""
        return self._store.baseline(program, name)

    # -- progress --------------------------------------------------------------------------

    def record_progress(self, program: str, facts: Sequence[ProgressFact]) -> tuple[int, int]:
        """Record facts (one for the same task and status date replaces the earlier);
        returns (added, replaced). All or nothing."""
        return self._store.record_progress(program, facts)

    def record_progress_file(
        self,
        program: str,
        file: Path,
        *,
        status_date: dt.date | None = None,
        latest: dt.date | None = None,
    ) -> ProgressRecorded:
        """Read a progress file (CSV or YAML) against the latest revision's tasks and record
        it; ``latest`` is the last status date accepted (None: any in the program's horizon,
        E448 outside it). Any diagnostic refuses the whole file."""
        from ontrack.interop.progressfile import read_progress  # noqa: PLC0415

        plan = self.latest_plan(program)
        facts, diagnostics = read_progress(
            file,
            task_ids=plan.task_by_id,
            hours_per_day=plan.calendar.hours_per_day,
            days_per_week=len(plan.calendar.workweek),
            status_date=status_date,
            latest=latest,
            program_start=plan.program.start,
        )
        if diagnostics:
            return ProgressRecorded(program, tuple(facts), diagnostics=tuple(diagnostics))
        added, replaced = self.record_progress(program, facts)
        return ProgressRecorded(program, tuple(facts), added, replaced)

    def progress(self, program: str, until: dt.date | None = None) -> list[ProgressFact]:
        """The program's standing progress facts (to ``until``), by status date: a withdrawn
        fact is skipped."""
        return self._store.progress(program, until)

    def withdraw_progress(
        self, program: str, task_id: str, status_date: dt.date, *, author: str, reason: str
    ) -> Withdrawal:
        """Withdraw the fact recorded for ``task_id`` on ``status_date``: every reader skips it
        from now on, the history keeps it with who, when and why (E515: no such fact)."""
        return self._store.withdraw_progress(
            program, task_id, status_date, author=author, reason=reason
        )

    def progress_history(self, program: str) -> list[ProgressEntry]:
        """Every progress fact recorded, standing or withdrawn, with its withdrawal."""
        return self._store.progress_history(program)

    def read_tracked(
        self,
        plan: Plan,
        baseline: str | None,
        *,
        until: dt.date | None = None,
        window: tuple[dt.date, dt.date] | None = None,
    ) -> Tracked:
        """The tracking data of ``plan``'s program (:func:`ontrack.app.tracking.read_tracked`)."""
        return read_tracked(self._store, plan, baseline, until=until, window=window)

    # -- tracker sync (ontrack.store.trackers) -------------------------------------------------

    def has_program(self, name: str) -> bool:
        return name in self._store.programs()

    def sync_state(self, program: str, source: str) -> SyncState | None:
        from ontrack.store import trackers  # noqa: PLC0415

        return trackers.sync_state(self._store, program, source)

    def begin_sync(self, program: str, source: str) -> SyncState:
        from ontrack.store import trackers  # noqa: PLC0415

        return trackers.begin_sync(self._store, program, source)

    def save_page(
        self,
        program: str,
        source: str,
        items: Sequence[TrackerItem],
        cursor: Mapping[str, Any],
        requests: int,
    ) -> None:
        from ontrack.store import trackers  # noqa: PLC0415

        trackers.save_page(self._store, program, source, items, cursor, requests)

    def finish_sync(
        self,
        program: str,
        source: str,
        facts: Sequence[ProgressFact],
        agreed: Mapping[str, Mapping[str, Any] | None],
    ) -> tuple[int, int]:
        from ontrack.store import trackers  # noqa: PLC0415

        return trackers.finish_sync(self._store, program, source, facts, agreed)

    def stored_items(self, program: str, source: str) -> list[StoredItem]:
        from ontrack.store import trackers  # noqa: PLC0415

        return trackers.stored_items(self._store, program, source)

    def item_dates(
        self, program: str, source: str
    ) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
        """(key, created, closed) of every item synced from ``source``: its throughput."""
        from ontrack.store import trackers  # noqa: PLC0415

        return trackers.item_dates(self._store, program, source)

    def synced_sources(self, program: str) -> list[str]:
        from ontrack.store import trackers  # noqa: PLC0415

        return trackers.synced_sources(self._store, program)

    def programs(self) -> list[str]:
        """Every program in the store, by name."""
        return self._store.programs()

    def files(self, program: str, number: int) -> list[tuple[str, str]]:
        """A recorded revision's files as (name, text)."""
        return self._store.files(program, number)

    def fingerprint(self, program: str) -> str:
        """Changes whenever anything the program's assessment reads from the store changes."""
        from ontrack.store.fingerprint import tracking_fingerprint  # noqa: PLC0415

        return tracking_fingerprint(self._store, program)


def plan_changes(
    before: Plan, after: Plan, *, dates: bool = True, time_limit: float = 2.0
) -> PlanDiff:
    """What changed from ``before`` to ``after``; with ``dates``, both are scheduled and the
    tasks whose dates moved are changes too."""
    from ontrack.engines.diff import diff_plans  # noqa: PLC0415

    old_dates = _dates(before, time_limit) if dates else None
    new_dates = _dates(after, time_limit) if dates else None
    return diff_plans(before, after, old_dates, new_dates)


def _dates(plan: Plan, time_limit: float) -> dict[str, tuple[dt.date, dt.date]] | None:
    """The plan's scheduled dates per task, or None when it cannot be scheduled."""
    from ontrack.engines.schedule.planner import ScheduleOptions, schedule  # noqa: PLC0415

    result, _ = schedule(plan, ScheduleOptions(time_limit=time_limit))
    return None if result is None else {t.id: (t.start, t.finish) for t in result.tasks}
