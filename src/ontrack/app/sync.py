"""``ontrack sync``: read each tracker of a plan into the store, and reconcile.

For each source: check the connection, read the pages changed since the last finished sync
(or resume an interrupted one from its cursor), store each page with its cursor, then derive the
linked tasks' progress and the drift (``engines.trackersync``) and record them with the finish.
The plan itself is recorded first as a revision (when it changed), so the progress recorded
belongs to the plan it was reconciled with. ``dry_run`` reads the trackers and reports what would
change, writing nothing at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ontrack.app.asof import AsOf, status_as_of, today
from ontrack.app.workspace import Workspace
from ontrack.engines.trackersync import Outcome, reconcile
from ontrack.model import Plan
from ontrack.model.tracker import Source, TrackerItem
from ontrack.trackers.base import Adapter, TrackerError, WriteBack, adapter_for

#: ``(source name, pages read, items read)``, after each page.
PageCallback = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class WriteBackPlan:
    """The forecast to write to linked items: each open linked task's P80 finish (and P50), as
    the item's due date or as one comment kept up to date."""

    target: str  # "due_date" | "comment"
    p80: Mapping[str, dt.date]  # task id -> P80 finish
    p50: Mapping[str, dt.date]
    as_of: dt.date
    iterations: int

    def values(self, source: Source, items: Mapping[str, TrackerItem]) -> list[tuple[str, str]]:
        """(item key, value) for each open linked item of ``source`` with a forecast."""
        out = []
        for task_id, day in sorted(self.p80.items()):
            link = self.links.get(task_id)
            if link is None or link[0] != source.name or link[1] not in items:
                continue
            if items[link[1]].done:
                continue
            if self.target == "due_date":
                out.append((link[1], day.isoformat()))
            else:
                out.append(
                    (
                        link[1],
                        f"ontrack forecast: 80% likely done by {day.isoformat()} (50% by "
                        f"{self.p50[task_id].isoformat()}), as of {self.as_of.isoformat()}, "
                        f"from {self.iterations:,} simulated runs.",
                    )
                )
        return out

    links: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # task -> (source, key)


def forecast_for_write_back(
    plan: Plan, facts: Sequence[Any], field_name: str, *, iterations: int, seed: int
) -> WriteBackPlan:
    """Forecast the plan around its progress, following every open linked task."""
    from ontrack.app.asof import resolve_as_of  # noqa: PLC0415
    from ontrack.engines.forecast.montecarlo import ForecastOptions, forecast  # noqa: PLC0415

    as_of = resolve_as_of(plan, facts)
    status = status_as_of(plan, [f for f in facts if f.status_date <= as_of.date], as_of)
    links = {
        t.id: (t.tracker.source, t.tracker.key)
        for t in plan.tasks
        if t.tracker is not None and not t.is_summary
    }
    open_tasks = tuple(
        t for t in links if (status.tasks.get(t) is None or status.tasks[t].state != "done")
    )
    result, problems = forecast(
        plan,
        ForecastOptions(iterations=iterations, seed=seed, status=status, watch=open_tasks),
    )
    if result is None:
        raise TrackerError(
            "E611",
            "the plan cannot be forecast, so there is nothing to write back: "
            + "; ".join(p.message for p in problems[:3]),
            "run `ontrack forecast PLAN --progress` to see why",
        )
    items = [*result.milestones, *result.watched]
    return WriteBackPlan(
        target=field_name,
        p80={i.id: i.p80 for i in items if i.id in links and i.id in open_tasks},
        p50={i.id: i.p50 for i in items if i.id in links and i.id in open_tasks},
        as_of=as_of.date,
        iterations=iterations,
        links=links,
    )


@dataclass(frozen=True, slots=True)
class SourceSync:
    """What one source's sync read and made of it."""

    source: Source
    first: bool  # no earlier finished sync: everything was read
    resumed: bool  # an interrupted sync was carried on from its cursor
    pages: int
    items: int  # items read this time
    requests: int  # HTTP requests this time (retries and 304s included)
    stored: int  # items held for the source after the sync
    outcome: Outcome
    added: int = 0
    replaced: int = 0
    write_backs: tuple[WriteBack, ...] = ()
    items_now: Mapping[str, TrackerItem] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        o = self.outcome
        return {
            "source": self.source.name,
            "kind": self.source.kind.value,
            "first": self.first,
            "resumed": self.resumed,
            "pages": self.pages,
            "items_read": self.items,
            "requests": self.requests,
            "items_stored": self.stored,
            "linked_tasks": o.linked,
            "status_date": o.status_date.isoformat(),
            "progress_updates": [c.to_json() for c in o.changes],
            "facts_added": self.added,
            "facts_replaced": self.replaced,
            "drift": [d.to_json() for d in o.drift],
            "edits": [{"task": e.task, "field": e.field, "value": e.value} for e in o.edits],
            "write_back": [
                {
                    "item": w.key,
                    "field": w.field,
                    "old": w.old,
                    "new": w.new,
                    "changed": w.changed,
                }
                for w in self.write_backs
            ],
        }


@dataclass(frozen=True, slots=True)
class SyncResult:
    program: str
    dry_run: bool
    revision: int | None
    sources: tuple[SourceSync, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "dry_run": self.dry_run,
            "revision": self.revision,
            "sources": [s.to_json() for s in self.sources],
        }


def pick_sources(plan: Plan, names: Sequence[str]) -> list[Source]:
    """The plan's sources, or those named (E610 for a name the plan lacks)."""
    if not plan.trackers:
        raise TrackerError(
            "E610",
            "the plan has no sources",
            "add a `sources:` section naming the tracker (kind, url, project, token_env)",
        )
    if not names:
        return list(plan.trackers)
    known = {s.name: s for s in plan.trackers}
    for name in names:
        if name not in known:
            raise TrackerError(
                "E610",
                f"the plan has no source named {name!r}",
                "sources here: " + ", ".join(known),
            )
    return [known[n] for n in dict.fromkeys(names)]


def sync_source(
    workspace: Workspace,
    plan: Plan,
    program: str,
    source: Source,
    adapter: Adapter,
    *,
    dry_run: bool,
    accept: Mapping[str, str],
    on_page: PageCallback | None = None,
) -> SourceSync:
    """One source: read, store page by page, reconcile, finish."""
    exists = workspace.has_program(program)
    before = workspace.sync_state(program, source.name) if exists else None
    first = before is None or (before.last_finished_at is None)
    resumed = before is not None and not before.finished
    adapter.check()
    if dry_run:
        cursor = before.cursor if before is not None else None
    else:
        cursor = workspace.begin_sync(program, source.name).cursor
    read: dict[str, TrackerItem] = {}
    pages = items = 0
    start_requests = adapter.requests
    for page in adapter.pages(cursor):
        pages += 1
        items += len(page.items)
        for item in page.items:
            read[item.key] = item
        if not dry_run:
            workspace.save_page(program, source.name, page.items, page.cursor, page.requests)
        if on_page is not None:
            on_page(source.name, pages, items)
    stored = workspace.stored_items(program, source.name) if exists else []
    current = {s.item.key: s.item for s in stored} | read
    agreed = {s.item.key: s.agreed for s in stored}
    facts = workspace.progress(program) if exists else []
    day = today()
    known = [f for f in facts if f.status_date <= day]
    status = status_as_of(plan, known, AsOf(day, "today", None))
    outcome = reconcile(plan, source, current, agreed, status.tasks, day, accept)
    added = replaced = 0
    if not dry_run:
        added, replaced = workspace.finish_sync(program, source.name, outcome.facts, outcome.agreed)
    return SourceSync(
        items_now=current,
        source=source,
        first=first,
        resumed=resumed,
        pages=pages,
        items=items,
        requests=adapter.requests - start_requests,
        stored=len(current),
        outcome=outcome,
        added=added,
        replaced=replaced,
    )


def sync(
    workspace: Workspace,
    plan: Plan,
    files: Sequence[tuple[str, str]],
    *,
    sources: Sequence[str] = (),
    dry_run: bool = False,
    accept: Mapping[str, str] | None = None,
    author: str = "ontrack sync",
    adapter_options: Mapping[str, Any] | None = None,
    on_page: PageCallback | None = None,
    write_back: str | None = None,
    iterations: int = 10_000,
    seed: int = 0,
) -> SyncResult:
    """Sync the plan's sources (all, or those named), then, with ``write_back`` ("due_date" or
    "comment"), forecast the plan around what was recorded and write each open linked item's
    P80 finish back to it. Raises TrackerError or StoreError; what was stored before an error
    stays, and the next sync resumes from it."""
    chosen = pick_sources(plan, sources)
    revision = None
    program = plan.program.name
    if not dry_run:
        applied = workspace.apply(plan, files, author=author, message="synced with trackers")
        revision = applied.revision.number
        program = applied.program
    adapters = {s.name: adapter_for(s, **dict(adapter_options or {})) for s in chosen}
    try:
        results = [
            sync_source(
                workspace,
                plan,
                program,
                source,
                adapters[source.name],
                dry_run=dry_run,
                accept=accept or {},
                on_page=on_page,
            )
            for source in chosen
        ]
        if write_back is not None:
            # The forecast plans around what the sync just recorded (in a dry run: would record).
            facts = list(workspace.progress(program)) if workspace.has_program(program) else []
            if dry_run:
                facts += [f for r in results for f in r.outcome.facts]
            wanted = forecast_for_write_back(
                plan, facts, write_back, iterations=iterations, seed=seed
            )
            results = [
                replace(r, write_backs=_write(adapters[r.source.name], r, wanted, dry_run))
                for r in results
            ]
    finally:
        for adapter in adapters.values():
            close = getattr(adapter, "close", None)
            if close is not None:
                close()
    return SyncResult(program, dry_run, revision, tuple(results))


def _write(
    adapter: Adapter, done: SourceSync, wanted: WriteBackPlan, dry_run: bool
) -> tuple[WriteBack, ...]:
    return tuple(
        adapter.write_back(key, wanted.target, value, dry_run=dry_run)
        for key, value in wanted.values(done.source, done.items_now)
    )
