"""What the detectors read: the options, the tracking data, and one ``Context`` with the indexes
several detectors share (built once by ``assess``), plus the helpers more than one of them uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ontrack.diagnostics import UNKNOWN_LOC, SourceLoc
from ontrack.engines.calendar import WorkGrid
from ontrack.engines.forecast.result import Forecast, TaskForecast
from ontrack.engines.graph import leaf_predecessors, leaves, upstream_of
from ontrack.engines.risk.register import (
    RaidEntry,
    Rating,
    ScoredRisk,
    money_basis,
    raid_log,
    score_register,
)
from ontrack.engines.schedule.progress import Fact, Status, plan_status
from ontrack.engines.schedule.result import Schedule, TaskSchedule
from ontrack.model import BaselineTask, Plan, Task
from ontrack.model.tracker import Drift, TrackerItem

#: Tags that mark a task as done by someone outside the program (a vendor, a carrier, ...).
EXTERNAL_TAGS = frozenset(
    {"vendor", "external", "third-party", "supplier", "partner", "contractor", "carrier"}
)


@dataclass(frozen=True, slots=True)
class RiskOptions:
    """Thresholds of the detectors; the defaults are documented in docs/risks.md."""

    as_of: dt.date
    deadline_threshold: float = 0.8  # R101: P(on time) below this
    criticality: float = 0.3  # a task drives the finish if critical in this share of iterations
    merge_bias_days: float = 2.0  # R102: working days of merge bias
    merge_inputs: int = 3  # R102: ... at a milestone with at least this many predecessors
    thin_float_paths: int = 2  # R103: near-critical paths besides the critical path
    wide_ratio: float = 3.0  # R104: pessimistic / optimistic at least this
    wide_spread_days: float = 5.0  # R104: ... and pessimistic - optimistic at least this
    long_task_days: float = 20.0  # R105: likely work above this many working days
    bus_factor_share: float = 0.5  # R110: one person's share of the driving work
    bus_factor_days: float = 10.0  # R110: ... and at least this many working days of it
    window_days: int = 10  # R112: windows of this many working days
    overload: float = 1.0  # R112: demand above capacity times this
    time_off_margin: int = 5  # R113: time off this many working days after a finish counts
    away_share: float = 0.5  # R114: share of a team away (more than this)
    slip_days: int = 5  # R141: working days a milestone moved
    stale_days: int = 14  # R142/R143: calendar days without a progress report
    scope_threshold: Fraction = Fraction(1, 10)  # R144: growth above this


@dataclass(frozen=True, slots=True)
class Tracking:
    """What the store knows: a baseline (its plan and frozen schedule, per task id) and
    progress facts."""

    baseline: str | None = None
    baseline_plan: Plan | None = None
    baseline_tasks: Mapping[str, BaselineTask] = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    status: Status | None = None
    drift: tuple[Drift, ...] = ()  # where linked tasks and their tracker items disagree
    linked: Mapping[str, TrackerItem] = field(default_factory=dict)  # task id -> its item


@dataclass(frozen=True, slots=True)
class Context:
    """A detector's inputs, with the indexes several of them share (built once by ``assess``)."""

    plan: Plan
    schedule: Schedule | None
    forecast: Forecast | None
    tracking: Tracking | None
    options: RiskOptions
    register: tuple[ScoredRisk, ...]
    raid: tuple[RaidEntry, ...]
    grid: WorkGrid
    status: Status | None
    scheduled: Mapping[str, TaskSchedule]
    forecasts: Mapping[str, TaskForecast]
    preds: Mapping[str, tuple[str, ...]]  # leaf task -> leaf predecessors (summaries expanded)
    driving: frozenset[str]  # leaf tasks not done that are critical, near-critical or crucial
    external: frozenset[str]  # tasks done by someone outside the program

    def criticality(self, task_id: str) -> float:
        t = self.forecasts.get(task_id)
        return t.criticality if t is not None else 0.0

    def done(self, task_id: str) -> bool:
        s = self.scheduled.get(task_id)
        return s is not None and s.state == "done"

    def work_days(self, task: Task, which: str = "likely") -> float:
        work = task.work
        if work is None:
            return 0.0
        value = getattr(work, which)
        return float(value.days(self.plan.hours_per_day))

    def loc(self, task_id: str, key: str = "") -> SourceLoc:
        task = self.plan.task_by_id.get(task_id)
        if task is None:
            return UNKNOWN_LOC
        return task.locs.get(key, task.loc) if key else task.loc


def is_external(task: Task, tagged: bool) -> bool:
    """Done outside the program: tagged as such, or (in a plan that tags none) a fixed duration
    that names no people or skills (a lead time nobody on the program works on)."""
    if tagged:
        return bool(EXTERNAL_TAGS.intersection(task.tags))
    return (
        task.duration is not None and task.estimate is None and not (task.assignees or task.skills)
    )


def people_work(task: Task) -> bool:
    """Whether the task is work people of the program do (not a lead time or a soak)."""
    if task.milestone or task.is_summary or task.work is None:
        return False
    if task.estimate is not None:
        return True
    return bool(task.assignees or task.skills)


def build_context(
    plan: Plan,
    schedule: Schedule | None,
    forecast: Forecast | None,
    options: RiskOptions,
    tracking: Tracking | None = None,
) -> Context:
    grid = WorkGrid.for_plan(plan)
    scheduled = {t.id: t for t in schedule.tasks} if schedule is not None else {}
    forecasts = {t.id: t for t in forecast.tasks} if forecast is not None else {}
    register = score_register(
        plan,
        program_days=schedule.makespan_days if schedule is not None else 0,
        money_basis=money_basis(
            plan,
            forecast.cost.planned if forecast is not None and forecast.cost is not None else None,
        ),
        as_of=options.as_of,
        forecast_delays={r.id: r.mean_delay_days for r in forecast.risks}
        if forecast is not None
        else None,
    )
    driving: set[str] = set()
    for t in scheduled.values():
        if not t.summary and t.state != "done" and (t.critical or t.near_critical):
            driving.add(t.id)
    for f in forecasts.values():
        task = plan.task_by_id.get(f.id)
        if (
            task is not None
            and not task.is_summary
            and f.criticality >= options.criticality
            and not (f.id in scheduled and scheduled[f.id].state == "done")
        ):
            driving.add(f.id)
    tagged = any(EXTERNAL_TAGS.intersection(t.tags) for t in plan.tasks)
    external = frozenset(
        t.id for t in plan.leaf_tasks() if not t.milestone and is_external(t, tagged)
    )
    status = (
        tracking.status
        if tracking is not None and tracking.status is not None
        else plan_status(plan)
    )
    return Context(
        plan=plan,
        schedule=schedule,
        forecast=forecast,
        tracking=tracking,
        options=options,
        register=register,
        raid=raid_log(plan, options.as_of),
        grid=grid,
        status=status,
        scheduled=scheduled,
        forecasts=forecasts,
        preds=leaf_predecessors(plan),
        driving=frozenset(driving),
        external=external,
    )


def upstream(ctx: Context, task_id: str) -> set[str]:
    """Every leaf task the task waits on, directly or not."""
    return upstream_of(ctx.preds, leaves(ctx.plan, task_id))


def pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def task_days_left(ctx: Context, task: Task) -> float:
    """Working days of work left on a task (what is left when it is under way)."""
    progress = ctx.status.tasks.get(task.id) if ctx.status is not None else None
    if progress is not None:
        left = progress.left(task)
        if left is not None:
            return left / float(ctx.plan.calendar.minutes_per_day)
    return ctx.work_days(task)


def risk_severity(ratings: Iterable[Rating]) -> Rating:
    """A group of register findings is as severe as its worst risk, one step down (a hygiene
    problem, not the risk itself): critical -> high, high or medium -> medium, else low."""
    top = max((r.rank for r in ratings), default=0)
    return Rating.HIGH if top >= 3 else Rating.MEDIUM if top >= 1 else Rating.LOW


def moot(ctx: Context, scored: ScoredRisk) -> bool:
    """Every task the risk affects is done (it can no longer delay anything it names)."""
    affected = [t for t in scored.risk.affects if t in ctx.plan.task_by_id]
    return bool(affected) and all(ctx.done(t) for t in affected)
