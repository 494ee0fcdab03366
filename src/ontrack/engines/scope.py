"""Scope change against a baseline, the weekly scope series and the burn-up.

Scope is the planned work of a plan in working days: the likely value of every leaf task's
``estimate`` (or fixed ``duration``), plus the likely impact of every realised risk (status
``occurred``). :func:`scope_change` attributes the difference between a baseline plan and the
current one to tasks added, removed and re-estimated and to realised risks;
:func:`scope_series` repeats that for each ISO week over the plan's history, and
:func:`burn_up` sets the work done each week beside it.

Work stays an exact ``Fraction`` of days in the records (sums over hundreds of tasks and weeks
must not drift, and the attribution must add up to the total exactly); JSON rounds days to 2
decimals and ratios to 4. Pure: the CLI reads the store and passes plans and progress facts in.
Definitions: docs/scope.md.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, Protocol

from ontrack.model import Plan, Risk, RiskStatus, Task

ItemKind = Literal["added", "removed", "re-estimated", "risk"]

#: The default creep threshold: growth above 10 % of the baseline's scope.
DEFAULT_THRESHOLD = Fraction(1, 10)
_ZERO = Fraction(0)
_WEEK = dt.timedelta(days=7)


class Progress(Protocol):
    """What the burn-up reads of a progress fact (``ontrack.store.repo.ProgressFact``)."""

    @property
    def task_id(self) -> str: ...
    @property
    def status_date(self) -> dt.date: ...
    @property
    def actual_finish(self) -> dt.date | None: ...
    @property
    def percent_complete(self) -> Decimal | None: ...  # 0..100


def days_json(value: Fraction) -> float:
    """Days in JSON: a number rounded to 2 decimals."""
    return round(float(value), 2)


def ratio_json(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value), 4)


# -- scope of one plan ---------------------------------------------------------------------------


def task_work(task: Task, hours_per_day: Fraction) -> Fraction:
    """A task's own planned work in days: summaries and milestones carry none (their work is
    their children's, or there is none), nor does a task without an estimate."""
    if task.is_summary or task.milestone or task.work is None:
        return _ZERO
    return task.work.likely.days(hours_per_day)


def risk_work(risk: Risk, hours_per_day: Fraction) -> Fraction:
    """Work a realised risk adds: its impact's likely value once it has occurred, else none."""
    if risk.status is not RiskStatus.OCCURRED or risk.impact is None:
        return _ZERO
    return risk.impact.likely.days(hours_per_day)


def plan_scope(plan: Plan) -> Fraction:
    """The total planned work of ``plan`` in days, realised risks included."""
    hpd = plan.hours_per_day
    tasks = sum((task_work(t, hpd) for t in plan.leaf_tasks()), _ZERO)
    return tasks + sum((risk_work(r, hpd) for r in plan.risks), _ZERO)


# -- scope change --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScopeItem:
    """One task or risk whose work differs between the baseline and the current plan.

    ``folded`` lists tasks that exist on one side only and were counted into this task's
    re-estimate because the task was split into them (or they were merged back into it).
    """

    kind: ItemKind
    id: str
    title: str
    baseline_days: Fraction
    current_days: Fraction
    folded: tuple[str, ...] = ()

    @property
    def delta(self) -> Fraction:
        return self.current_days - self.baseline_days

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "baseline_days": days_json(self.baseline_days),
            "current_days": days_json(self.current_days),
            "delta_days": days_json(self.delta),
            "folded": list(self.folded),
        }


@dataclass(frozen=True, slots=True)
class ScopeChange:
    """The scope of a baseline and of the current plan, and what made up the difference.

    ``items`` hold every non-zero change; their deltas add up to ``current_days -
    baseline_days`` exactly. ``unestimated`` names the current plan's work tasks (leaf, not a
    milestone) with neither an estimate nor a duration: scope that is there but not counted.
    """

    baseline_days: Fraction
    current_days: Fraction
    items: tuple[ScopeItem, ...]
    unestimated: tuple[str, ...] = ()

    @property
    def change(self) -> Fraction:
        return self.current_days - self.baseline_days

    @property
    def growth(self) -> Fraction | None:
        """(current − baseline) / baseline; None for a baseline of no work."""
        return None if self.baseline_days == 0 else self.change / self.baseline_days

    def _sum(self, kind: ItemKind, sign: int = 0) -> Fraction:
        return sum(
            (i.delta for i in self.items if i.kind == kind and (sign == 0 or i.delta * sign > 0)),
            _ZERO,
        )

    @property
    def added(self) -> Fraction:
        return self._sum("added")

    @property
    def removed(self) -> Fraction:
        """Work of the tasks dropped since the baseline, as a negative number."""
        return self._sum("removed")

    @property
    def grown(self) -> Fraction:
        return self._sum("re-estimated", 1)

    @property
    def shrunk(self) -> Fraction:
        return self._sum("re-estimated", -1)

    @property
    def re_estimated(self) -> Fraction:
        return self.grown + self.shrunk

    @property
    def risks(self) -> Fraction:
        return self._sum("risk")

    def creep(self, threshold: Fraction = DEFAULT_THRESHOLD) -> bool:
        """Growth strictly above ``threshold``: exactly at it is not creep. With a baseline of
        no work, any added work is creep."""
        growth = self.growth
        if growth is None:
            return self.current_days > 0
        return growth > threshold

    def contributors(self, limit: int = 5) -> tuple[ScopeItem, ...]:
        """The largest growth: positive deltas, largest first (ties by kind, then id)."""
        grew = [i for i in self.items if i.delta > 0]
        grew.sort(key=lambda i: (-i.delta, i.kind, i.id))
        return tuple(grew[:limit])

    def components_json(self) -> dict[str, float]:
        return {
            "added": days_json(self.added),
            "removed": days_json(self.removed),
            "re_estimated_grown": days_json(self.grown),
            "re_estimated_shrunk": days_json(self.shrunk),
            "risks": days_json(self.risks),
        }

    def to_json(self, threshold: Fraction = DEFAULT_THRESHOLD, top: int = 5) -> dict[str, Any]:
        return {
            "baseline_scope_days": days_json(self.baseline_days),
            "current_scope_days": days_json(self.current_days),
            "change_days": days_json(self.change),
            "growth": ratio_json(self.growth),
            "threshold": ratio_json(threshold),
            "creep": self.creep(threshold),
            "components": self.components_json(),
            "contributors": [i.to_json() for i in self.contributors(top)],
            "changes": [i.to_json() for i in self.items],
            "unestimated": list(self.unestimated),
        }


def _fold_target(task_id: str, plan: Plan, other: Plan) -> str | None:
    """For a task only in ``plan``: its nearest ancestor that ``other`` also has, when that
    ancestor is a plain task in ``other`` (the task was split out of it, or merged into it)."""
    parent = plan.task_by_id[task_id].parent
    while parent is not None:
        there = other.task_by_id.get(parent)
        if there is not None:
            return None if there.is_summary else parent
        here = plan.task_by_id.get(parent)
        parent = here.parent if here is not None else None
    return None


def scope_change(baseline: Plan, current: Plan) -> ScopeChange:
    """What changed in scope from ``baseline`` to ``current``, item by item.

    Tasks are matched by id and each plan's work is converted with its own calendar. A task in
    both plans is re-estimated when its work differs (becoming a milestone shrinks it to 0). A
    task split into new subtasks is re-estimated by the subtasks' work less its own, rather
    than counted as removed plus added (progressive elaboration is not new scope); merging is
    the mirror image. Items come in the current plan's order, then removed tasks in the
    baseline's order, then risks.
    """
    hb, hc = baseline.hours_per_day, current.hours_per_day
    before = {t.id: task_work(t, hb) for t in baseline.leaf_tasks()}
    after = {t.id: task_work(t, hc) for t in current.leaf_tasks()}
    unit_before: dict[str, Fraction] = {}
    unit_after: dict[str, Fraction] = {}
    folded: dict[str, list[str]] = {}
    added: list[ScopeItem] = []
    removed: list[ScopeItem] = []

    for task in current.tasks:
        if task.id in baseline.task_by_id:
            unit_before[task.id] = before.get(task.id, _ZERO)
            unit_after[task.id] = after.get(task.id, _ZERO)
    for task in current.leaf_tasks():
        work = after[task.id]
        if task.id in baseline.task_by_id or work == 0:
            continue
        target = _fold_target(task.id, current, baseline)
        if target is None:
            added.append(ScopeItem("added", task.id, task.title, _ZERO, work))
        else:
            unit_after[target] += work
            folded.setdefault(target, []).append(task.id)
    for task in baseline.leaf_tasks():
        work = before[task.id]
        if task.id in current.task_by_id or work == 0:
            continue
        target = _fold_target(task.id, baseline, current)
        if target is None:
            removed.append(ScopeItem("removed", task.id, task.title, work, _ZERO))
        else:
            unit_before[target] += work
            folded.setdefault(target, []).append(task.id)

    items: list[ScopeItem] = []
    added_by_id = {i.id: i for i in added}
    for task in current.tasks:
        if task.id in added_by_id:
            items.append(added_by_id[task.id])
        elif task.id in unit_after and unit_after[task.id] != unit_before[task.id]:
            items.append(
                ScopeItem(
                    "re-estimated",
                    task.id,
                    task.title,
                    unit_before[task.id],
                    unit_after[task.id],
                    tuple(folded.get(task.id, ())),
                )
            )
    items.extend(removed)
    items.extend(_risk_items(baseline, current))
    unestimated = tuple(t.id for t in current.leaf_tasks() if not t.milestone and t.work is None)
    return ScopeChange(plan_scope(baseline), plan_scope(current), tuple(items), unestimated)


def _risk_items(baseline: Plan, current: Plan) -> Iterable[ScopeItem]:
    hb, hc = baseline.hours_per_day, current.hours_per_day
    old = {r.id: r for r in baseline.risks}
    new_ids: set[str] = set()
    for risk in current.risks:
        new_ids.add(risk.id)
        was = old.get(risk.id)
        base = risk_work(was, hb) if was is not None else _ZERO
        now = risk_work(risk, hc)
        if now != base:
            yield ScopeItem("risk", risk.id, risk.title, base, now)
    for risk in baseline.risks:
        base = risk_work(risk, hb)
        if risk.id not in new_ids and base != 0:
            yield ScopeItem("risk", risk.id, risk.title, base, _ZERO)


# -- weeks ---------------------------------------------------------------------------------------


def monday(day: dt.date) -> dt.date:
    """The Monday that starts ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def weeks(start: dt.date, end: dt.date) -> tuple[dt.date, ...]:
    """The Mondays of the ISO weeks from ``start``'s to ``end``'s (at least ``start``'s)."""
    first, last = monday(start), monday(max(start, end))
    return tuple(first + _WEEK * i for i in range((last - first).days // 7 + 1))


def series_span(
    facts: Sequence[Progress], baseline_set: dt.date, revision_recorded: dt.date
) -> tuple[dt.date, dt.date]:
    """The days the weekly series runs between: the first and the latest status date of the
    progress facts, since progress is dated by the day it describes, not the day it was entered
    (a history loaded today is still weeks of last spring); with no progress, the days the
    baseline and the compared revision were recorded."""
    if facts:
        days = [f.status_date for f in facts]
        return min(days), max(days)
    return baseline_set, revision_recorded


def week_end(week: dt.date) -> dt.datetime:
    """The moment a week ends: the next Monday at 00:00 UTC (exclusive)."""
    nxt = week + _WEEK
    return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    """Naive datetimes are UTC, as the store records them."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def revision_for_week(times: Sequence[dt.datetime], week: dt.date) -> int | None:
    """The index of the latest of ``times`` (ascending) recorded before ``week`` ends, or None
    when all come later."""
    index = bisect.bisect_left([_utc(t) for t in times], week_end(week)) - 1
    return index if index >= 0 else None


def _ordered(revisions: Sequence[tuple[dt.datetime, Plan]]) -> list[tuple[dt.datetime, Plan]]:
    return sorted(revisions, key=lambda r: _utc(r[0]))


@dataclass(frozen=True, slots=True)
class ScopeWeek:
    """The scope at the end of one ISO week, split by where it came from.

    ``total`` = ``baseline`` + ``added`` + ``removed`` (≤ 0) + ``re_estimated`` (net) +
    ``risks``. ``as_of`` is the time of the revision in force (None: the baseline's plan).
    """

    week: dt.date  # the Monday
    as_of: dt.datetime | None
    baseline: Fraction
    added: Fraction
    removed: Fraction
    re_estimated: Fraction
    risks: Fraction

    @property
    def total(self) -> Fraction:
        return self.baseline + self.added + self.removed + self.re_estimated + self.risks

    @property
    def iso_week(self) -> str:
        year, number, _ = self.week.isocalendar()
        return f"{year}-W{number:02d}"

    def to_json(self) -> dict[str, Any]:
        return {
            "week": self.week.isoformat(),
            "iso_week": self.iso_week,
            "as_of": None if self.as_of is None else _utc(self.as_of).isoformat(),
            "baseline_days": days_json(self.baseline),
            "added_days": days_json(self.added),
            "removed_days": days_json(self.removed),
            "re_estimated_days": days_json(self.re_estimated),
            "risks_days": days_json(self.risks),
            "scope_days": days_json(self.total),
        }


def scope_series(
    baseline: Plan,
    revisions: Sequence[tuple[dt.datetime, Plan]],
    start: dt.date,
    end: dt.date,
) -> tuple[ScopeWeek, ...]:
    """The scope at the end of each ISO week from ``start``'s to ``end``'s, against
    ``baseline``: each week takes the latest of ``revisions`` (time recorded, plan) recorded
    before the week ended, or the baseline's plan when there is none yet."""
    ordered = _ordered(revisions)
    times = [t for t, _ in ordered]
    cache: dict[int, ScopeChange] = {}
    out: list[ScopeWeek] = []
    for week in weeks(start, end):
        index = revision_for_week(times, week)
        key = -1 if index is None else index
        if key not in cache:
            cache[key] = scope_change(baseline, baseline if index is None else ordered[index][1])
        change = cache[key]
        out.append(
            ScopeWeek(
                week,
                None if index is None else times[index],
                change.baseline_days,
                change.added,
                change.removed,
                change.re_estimated,
                change.risks,
            )
        )
    return tuple(out)


# -- burn-up -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BurnUpWeek:
    """The two lines of a burn-up chart at the end of one ISO week, in days."""

    week: dt.date
    scope: Fraction
    done: Fraction

    def to_json(self) -> dict[str, Any]:
        year, number, _ = self.week.isocalendar()
        return {
            "week": self.week.isoformat(),
            "iso_week": f"{year}-W{number:02d}",
            "scope_days": days_json(self.scope),
            "done_days": days_json(self.done),
        }


def completion(fact: Progress) -> Fraction:
    """The share of a task done by a fact: all of it once it has an actual finish, else its
    percent complete (clamped to 0..100), else none."""
    if fact.actual_finish is not None:
        return Fraction(1)
    if fact.percent_complete is None:
        return _ZERO
    share = Fraction(fact.percent_complete) / 100
    return min(Fraction(1), max(_ZERO, share))


def done_work(plan: Plan, facts: Sequence[Progress], until: dt.date) -> Fraction:
    """Work of ``plan``'s tasks done by ``until``, from each task's latest fact on or before it
    (facts for tasks the plan lacks, and for summaries and milestones, count for nothing)."""
    latest: dict[str, Progress] = {}
    for fact in facts:
        if fact.status_date > until:
            continue
        seen = latest.get(fact.task_id)
        if seen is None or fact.status_date >= seen.status_date:
            latest[fact.task_id] = fact
    hpd = plan.hours_per_day
    total = _ZERO
    for task_id, fact in latest.items():
        task = plan.task_by_id.get(task_id)
        if task is not None:
            total += task_work(task, hpd) * completion(fact)
    return total


def burn_up(
    baseline: Plan,
    revisions: Sequence[tuple[dt.datetime, Plan]],
    facts: Sequence[Progress],
    start: dt.date,
    end: dt.date,
) -> tuple[BurnUpWeek, ...]:
    """Scope and work done at the end of each ISO week from ``start``'s to ``end``'s.

    The week's plan is chosen as in :func:`scope_series` (so the scope line is that series'
    total), and the done line credits each of its tasks with its latest progress fact dated
    on or before the week's Sunday: see :func:`completion`.
    """
    ordered = _ordered(revisions)
    times = [t for t, _ in ordered]
    scopes: dict[int, Fraction] = {}
    out: list[BurnUpWeek] = []
    for week in weeks(start, end):
        index = revision_for_week(times, week)
        plan = baseline if index is None else ordered[index][1]
        key = -1 if index is None else index
        if key not in scopes:
            scopes[key] = plan_scope(plan)
        out.append(BurnUpWeek(week, scopes[key], done_work(plan, facts, week + dt.timedelta(6))))
    return tuple(out)
