"""What the store holds for a tracked program, read in one go: the progress facts, the baseline
(its plan and frozen schedule) and the revisions. The caller opens and closes the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ontrack.diagnostics import Diagnostic
from ontrack.model import Plan
from ontrack.model.signoff import SignOff
from ontrack.model.tracker import TrackerItem
from ontrack.planfile import load_plan_texts

if TYPE_CHECKING:
    from ontrack.reports.data import TrackingInput
    from ontrack.store.repo import ProgressFact, RevisionInfo, Store


class RevisionUnreadable(Exception):
    """A revision recorded in the store no longer loads (its diagnostics say why)."""

    def __init__(self, program: str, number: int, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(f"revision {number} of '{program}' no longer loads")
        self.program = program
        self.number = number
        self.diagnostics = list(diagnostics)


def revision_plan(store: Store, program: str, number: int) -> Plan:
    """A recorded revision as a plan; raises :class:`RevisionUnreadable`."""
    plan, diagnostics = load_plan_texts(store.files(program, number))
    if plan is None:
        raise RevisionUnreadable(program, number, diagnostics)
    return plan


def weekly(revisions: Sequence[RevisionInfo]) -> list[RevisionInfo]:
    """The last revision of each ISO week: the scope chart reads one plan per week, so the
    others need not be loaded."""
    last: dict[tuple[int, int], RevisionInfo] = {}
    for r in sorted(revisions, key=lambda r: r.created_at):
        year, week, _ = r.created_at.isocalendar()
        last[(year, week)] = r
    return list(last.values())


@dataclass(frozen=True, slots=True)
class Tracked:
    """The store's view of one program."""

    program: str
    facts: tuple[ProgressFact, ...]  # every fact recorded (filtered to the as-of by users)
    revisions: tuple[RevisionInfo, ...] = ()
    baseline: TrackingInput | None = None
    plans: dict[int, Plan] = field(default_factory=dict)  # revisions a status window compares
    # Per source: the items `ontrack sync` stored, with what both sides last agreed on.
    synced: dict[str, tuple[tuple[TrackerItem, Mapping[str, Any] | None], ...]] = field(
        default_factory=dict
    )
    # The releases' go/no-go sign-offs (up to ``until``), oldest first.
    signoffs: tuple[SignOff, ...] = ()


def read_tracked(
    store: Store,
    plan: Plan,
    baseline: str | None,
    *,
    until: dt.date | None = None,
    window: tuple[dt.date, dt.date] | None = None,
) -> Tracked:
    """Facts (up to ``until``), revisions, the baseline when named, and the two revisions a
    status window ``(since, end)`` compares."""
    # The report's records (and numpy) load only when tracking data is read.
    from ontrack.reports.data import TrackingInput  # noqa: PLC0415

    name = store.program(plan.program.name)
    facts = tuple(f for f in store.progress(name) if until is None or f.status_date <= until)
    revisions = tuple(sorted(store.revisions(name), key=lambda r: r.created_at))
    tracking = None
    if baseline is not None:
        info = store.baseline(name, baseline)
        tracking = TrackingInput(
            baseline=info.name,
            revision=info.revision,
            tasks=info.tasks,
            cost=info.cost,
            plan=revision_plan(store, name, info.revision),
            revisions=[
                (r.created_at, revision_plan(store, name, r.number)) for r in weekly(revisions)
            ],
            facts=facts,
        )
    plans: dict[int, Plan] = {}
    if window is not None:
        since, end = window
        before = [r for r in revisions if r.created_at.date() <= since]
        after = [r for r in revisions if since < r.created_at.date() <= end]
        if before and after:
            for n in {before[-1].number, after[-1].number}:
                plans[n] = revision_plan(store, name, n)
    from ontrack.store import trackers  # noqa: PLC0415

    synced = {
        source: tuple((s.item, s.agreed) for s in trackers.stored_items(store, name, source))
        for source in trackers.synced_sources(store, name)
        if any(t.name == source for t in plan.trackers)
    }
    from ontrack.store.signoffs import signoffs  # noqa: PLC0415

    signed = tuple(
        s for s in signoffs(store, name) if until is None or s.signed_at.date() <= until
    )
    return Tracked(name, facts, revisions, tracking, plans, synced, signed)
