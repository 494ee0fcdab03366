"""What a sync makes of a source's items: progress facts for linked tasks, and drift.

Pure: the items, what both sides agreed on at the last sync, the plan and its progress go in;
facts to record, drift to report and the new agreement come out. The rule is never to overwrite
silently:

- Progress (started, done, share complete) comes from the tracker by itself when only the
  tracker changed since the last sync, or on a first sync where the plan says nothing of the
  task. When the plan's progress changed too (someone recorded the contrary since), it is drift
  (W620–W622) until ``--accept progress=tracker`` (record the tracker's) or ``=plan`` (keep).
- Estimates, blocking links and assignees belong to the plan file, which the user owns: a
  difference is drift (W623–W628) saying which side changed; ``--accept FIELD=plan`` agrees to
  the plan's value, ``=tracker`` asks for the plan file to be edited to the tracker's
  (``Outcome.edits``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ontrack.engines.schedule.progress import TaskProgress
from ontrack.model import Plan, Task
from ontrack.model.progress import ProgressFact
from ontrack.model.quantities import Duration
from ontrack.model.tracker import Drift, Source, TrackerItem, estimate_minutes

#: The fields compared, each resolvable with ``--accept FIELD=tracker|plan``.
FIELDS = ("progress", "estimate", "depends", "assignee", "scope")
Side = str  # "tracker" | "plan"


@dataclass(frozen=True, slots=True)
class Change:
    """A progress update taken from the tracker."""

    task: str
    item: str
    old: str
    new: str

    def to_json(self) -> dict[str, str]:
        return {"task": self.task, "item": self.item, "from": self.old, "to": self.new}


@dataclass(frozen=True, slots=True)
class Edit:
    """A plan-file value to change to the tracker's (accepted with ``FIELD=tracker``)."""

    task: str
    field: str  # estimate | assignee | depends
    value: str  # plan-language text: "3d", "alice", "a, b"
    values: tuple[str, ...] = ()  # depends / assignee: the ids


@dataclass(frozen=True, slots=True)
class Outcome:
    facts: tuple[ProgressFact, ...]
    changes: tuple[Change, ...]
    drift: tuple[Drift, ...]
    edits: tuple[Edit, ...]
    agreed: Mapping[str, Mapping[str, Any] | None]
    linked: int
    status_date: dt.date


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def tracker_dates(item: TrackerItem) -> tuple[dt.date | None, dt.date | None]:
    """Actual start and finish from the item's state history (never from its last update):
    started when it first entered a started (or done) state, finished when it last became done."""
    start = next((t.at for t in item.transitions if t.started or t.done), None)
    if start is None and item.started:
        start = item.created  # created straight into a started state: no transition to show
    finish = None
    if item.done:
        was_done = False
        for t in item.transitions:
            if t.done and not was_done:
                finish = t.at
            was_done = t.done
        if finish is None:
            finish = item.closed_at or item.updated
    s = None if start is None else _day(start)
    f = None if finish is None else _day(finish)
    if s is not None and f is not None and s > f:
        s = f
    if f is not None and s is None:
        s = f  # done with no recorded start: it took the day it was closed, as far as we know
    return s, f


def _tracker_progress(item: TrackerItem) -> tuple[str, int | None]:
    if item.done:
        return "done", 100
    if item.started:
        # An open item is not done whatever its share says (a reopened Redmine issue keeps
        # 100 %): at most 99 %, or the fact would read back as done.
        percent = None if item.percent_done is None else min(int(item.percent_done), 99)
        return "in-progress", percent
    return "planned", None


def _plan_progress(progress: TaskProgress | None, with_percent: bool) -> tuple[str, int | None]:
    if progress is None:
        return "planned", None
    state = progress.state
    if state == "done":
        return "done", 100
    percent = None
    if with_percent and progress.percent_complete is not None:
        percent = round(progress.percent_complete * 100)
    return state, percent


def _text(progress: tuple[str, int | None]) -> str:
    state, percent = progress
    return state if percent is None or state != "in-progress" else f"{state} {percent}%"


def _estimate_minutes(task: Task) -> int | None:
    work = task.work
    return None if work is None else work.likely.minutes


def _format_minutes(minutes: int | None, hours_per_day: Fraction) -> str:
    return "none" if minutes is None else Duration(minutes).format(hours_per_day)


def _changed(agreed: Mapping[str, Any] | None, name: str, plan: Any, tracker: Any) -> str:
    if agreed is None or name not in agreed:
        return "first sync"
    before = agreed[name]
    plan_moved = before.get("plan") != plan
    tracker_moved = before.get("tracker") != tracker
    if plan_moved and tracker_moved:
        return "both"
    if plan_moved:
        return "plan"
    if tracker_moved:
        return "tracker"
    return "neither"


def reconcile(
    plan: Plan,
    source: Source,
    items: Mapping[str, TrackerItem],
    agreed: Mapping[str, Mapping[str, Any] | None],
    progress: Mapping[str, TaskProgress],
    today: dt.date,
    accept: Mapping[str, Side] | None = None,
) -> Outcome:
    """Facts, drift, edits and the new agreement for one source's linked tasks."""
    accept = accept or {}
    hpd = plan.hours_per_day
    linked = {
        t.tracker.key: t
        for t in plan.tasks
        if t.tracker is not None and t.tracker.source == source.name
    }
    key_of_task = {t.id: key for key, t in linked.items()}
    # A fact is dated on the sync's day; a tracker whose clock runs ahead of ours moves it on,
    # so that no fact says something happened after its own status date.
    latest = [d for k in linked if k in items for d in tracker_dates(items[k]) if d is not None]
    status_date = max([today, *latest])
    facts: list[ProgressFact] = []
    changes: list[Change] = []
    drift: list[Drift] = []
    edits: list[Edit] = []
    new_agreed: dict[str, Mapping[str, Any] | None] = {}
    people = set(plan.person_by_id)

    for key, task in linked.items():
        label = f"{source.name}#{key}"
        item = items.get(key)
        if item is None:
            drift.append(
                Drift(
                    "W629",
                    task.id,
                    label,
                    "item",
                    task.id,
                    "missing",
                    "first sync" if key not in agreed else "tracker",
                    f"task '{task.id}' is linked to {label}, which the tracker does not have",
                )
            )
            continue
        old = agreed.get(key)
        snapshot: dict[str, Any] = {}

        def note(
            code: str,
            name: str,
            plan_value: Any,
            tracker_value: Any,
            plan_text: str,
            tracker_text: str,
            message: str,
            *,
            task: Task = task,
            item: TrackerItem = item,
            label: str = label,
            old: Mapping[str, Any] | None = old,
            snapshot: dict[str, Any] = snapshot,
        ) -> str | None:
            """Record a disagreement on ``name`` (as drift, or as accepted); returns the side
            accepted, now or at an earlier sync while neither side has moved since."""
            seen = {"plan": plan_value, "tracker": tracker_value}
            side = accept.get(name) or accept.get("all")
            if side is not None:
                snapshot[name] = {**seen, "accepted": side}
                return side
            changed = _changed(old, name, plan_value, tracker_value)
            if changed == "neither" and old is not None and old[name].get("accepted"):
                snapshot[name] = old[name]
                return str(old[name]["accepted"])
            snapshot[name] = seen
            drift.append(
                Drift(
                    code,
                    task.id,
                    label,
                    name,
                    plan_text,
                    tracker_text,
                    "unresolved since the last sync" if changed == "neither" else changed,
                    message,
                    item.url,
                )
            )
            return None

        # -- progress ---------------------------------------------------------------------
        theirs = _tracker_progress(item)
        ours = _plan_progress(progress.get(task.id), item.percent_done is not None)
        if theirs == ours:
            snapshot["progress"] = {"plan": list(ours), "tracker": list(theirs)}
        else:
            changed = _changed(old, "progress", list(ours), list(theirs))
            # Only the tracker moved, or it speaks first of a task the plan says nothing of.
            arrived = changed == "tracker" or (changed == "first sync" and task.id not in progress)
            explicit = accept.get("progress") or accept.get("all")
            if arrived and explicit is None:
                side: str | None = "tracker"
            else:
                code = (
                    "W620" if theirs[0] == "done" else "W621" if ours[0] == "done" else "W622"
                )
                what = {
                    "W620": f"{label} is {item.state} (done) but '{task.id}' is {_text(ours)}",
                    "W621": f"{label} is {item.state} (open) but '{task.id}' is done",
                    "W622": f"{label} is {_text(theirs)} but '{task.id}' is {_text(ours)}",
                }[code]
                side = note(
                    code, "progress", list(ours), list(theirs), _text(ours), _text(theirs), what
                )
            if side == "tracker":
                start, finish = tracker_dates(item)
                if theirs[0] == "planned":  # moved back to a not-started state: no dates
                    start = finish = None
                _, percent = theirs
                facts.append(
                    ProgressFact(
                        task_id=task.id,
                        status_date=status_date,
                        actual_start=start,
                        actual_finish=finish,
                        percent_complete=None if percent is None else Decimal(percent),
                        note=f"{label}: {item.state}",
                        source=f"sync:{source.name}",
                    )
                )
                changes.append(Change(task.id, label, _text(ours), _text(theirs)))
                snapshot["progress"] = {"plan": list(theirs), "tracker": list(theirs)}

        # -- estimate ---------------------------------------------------------------------
        mine = _estimate_minutes(task)
        their_minutes = (
            None if item.estimate is None else round(estimate_minutes(source, item.estimate))
        )
        if their_minutes is not None and their_minutes != mine:
            side = note(
                "W623",
                "estimate",
                mine,
                their_minutes,
                _format_minutes(mine, hpd),
                _format_minutes(their_minutes, hpd),
                f"'{task.id}' is estimated at {_format_minutes(mine, hpd)}, {label} at "
                f"{_format_minutes(their_minutes, hpd)} ({item.estimate} "
                f"{source.estimate_field})",
            )
            if side == "tracker":
                edits.append(Edit(task.id, "estimate", _format_minutes(their_minutes, hpd)))
        else:
            snapshot["estimate"] = {"plan": mine, "tracker": their_minutes}

        # -- blocking links -> dependencies -------------------------------------------------
        plan_keys = sorted(key_of_task[d.task] for d in task.depends if d.task in key_of_task)
        their_keys = sorted(set(item.blocked_by))
        # Finished work's links no longer order anything (and trackers drop or stop reporting
        # them once an item is closed): only open items' links are compared.
        if plan_keys != their_keys and not item.done:
            extra = [k for k in their_keys if k not in plan_keys]
            missing = [k for k in plan_keys if k not in their_keys]
            wanted = [linked[k].id for k in their_keys if k in linked]
            code = "W624" if extra else "W625"
            names = ", ".join(f"{source.name}#{k}" for k in (extra or missing))
            message = (
                f"{label} is blocked by {names}, which '{task.id}' does not depend on"
                + (
                    " (not linked to any task of the plan)"
                    if any(k not in linked for k in extra)
                    else ""
                )
                if extra
                else f"'{task.id}' depends on {names}, which does not block {label}"
            )
            side = note(
                code,
                "depends",
                plan_keys,
                their_keys,
                ", ".join(plan_keys) or "none",
                ", ".join(their_keys) or "none",
                message,
            )
            if side == "tracker":
                # Dependencies on tasks no tracker item stands for are the plan's own: kept.
                own = [d.task for d in task.depends if d.task not in key_of_task]
                keep = tuple(dict.fromkeys([*own, *wanted]))
                edits.append(Edit(task.id, "depends", ", ".join(keep), keep))
        else:
            snapshot["depends"] = {"plan": plan_keys, "tracker": their_keys}

        # -- assignees ----------------------------------------------------------------------
        mapped = sorted({source.person(a) or a for a in item.assignees})
        strangers = [a for a in item.assignees if (source.person(a) or a) not in people]
        if strangers:
            drift.append(
                Drift(
                    "W627",
                    task.id,
                    label,
                    "assignee",
                    ", ".join(task.assignees) or "none",
                    ", ".join(strangers),
                    "tracker",
                    f"{label} is assigned to {', '.join(strangers)}, who is no person of the "
                    f"plan",
                    item.url,
                )
            )
        ours_people = sorted(task.assignees)
        if mapped and ours_people and mapped != ours_people and not strangers:
            side = note(
                "W628",
                "assignee",
                ours_people,
                mapped,
                ", ".join(ours_people),
                ", ".join(mapped),
                f"'{task.id}' is assigned to {', '.join(ours_people)}, {label} to "
                f"{', '.join(mapped)}",
            )
            if side == "tracker":
                edits.append(Edit(task.id, "assignee", ", ".join(mapped), tuple(mapped)))
        else:
            snapshot["assignee"] = {"plan": ours_people, "tracker": mapped}

        # -- scope ----------------------------------------------------------------------------
        if not item.in_scope:
            side = note(
                "W626",
                "scope",
                True,
                False,
                "in the plan",
                "outside the query",
                f"{label} no longer matches the source's rules (moved to another milestone, "
                "label or parent?)",
            )
        else:
            snapshot["scope"] = {"plan": True, "tracker": True}
        new_agreed[key] = snapshot

    return Outcome(
        facts=tuple(facts),
        changes=tuple(changes),
        drift=tuple(drift),
        edits=tuple(edits),
        agreed=new_agreed,
        linked=len(linked),
        status_date=status_date,
    )
