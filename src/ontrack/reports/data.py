"""Everything the HTML report shows, gathered once from the engines into one frozen record.

:func:`build_report` schedules and forecasts the plan, reads the optional tracking data (a
baseline, its revisions and the recorded progress, passed in by the caller: this module never
opens the store) and returns a :class:`ReportData` that the renderer only formats. Keeping the
numbers here means the HTML, a Markdown status page or the web app all show the same figures,
and tests can check the figures without parsing HTML.

Extending the report: add an optional field with a default (``()`` or None) to
:class:`ReportData` and a renderer that draws it only when present; ``findings`` and
``compliance`` are such fields, filled by other engines with ``dataclasses.replace``.

The RAG rules (:func:`rag_status`, thresholds in :class:`RagRules`) are documented in
docs/report.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from ontrack.diagnostics import Diagnostic
from ontrack.engines.calendar import WorkGrid, unavailability_by_person
from ontrack.engines.forecast.result import (
    CostForecast,
    DriverContribution,
    Forecast,
    ItemForecast,
    TaskForecast,
)
from ontrack.engines.schedule.planner import SolvedPlan
from ontrack.engines.schedule.progress import Fact, Status
from ontrack.engines.schedule.result import Schedule, TaskSchedule
from ontrack.model import BaselineTask, Plan, RiskStatus

if TYPE_CHECKING:
    from ontrack.engines.budget import BudgetPosition
    from ontrack.engines.compliance import Audit
    from ontrack.engines.dora import DoraReport
    from ontrack.engines.evm import EvmSeries
    from ontrack.engines.readiness import Readiness
    from ontrack.engines.releasecal import ReleaseCalendar
    from ontrack.engines.risk import Assessment as RiskAssessment
    from ontrack.engines.scope import ScopeChange, ScopeWeek

Rag = Literal["green", "amber", "red"]
TaskState = Literal["done", "in-progress", "planned", "late"]
_RANK: Mapping[Rag, int] = {"red": 0, "amber": 1, "green": 2}


# -- options and rules --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RagRules:
    """The limits of the RAG rules (docs/report.md). Probabilities are chances of being on
    time (0..1); indices are SPI and CPI of the latest status period."""

    release_red: float = 0.5  # a release below this is red
    release_amber: float = 0.8  # a release (or the final milestone) below this is amber
    milestone_amber: float = 0.5  # any other milestone with a deadline below this is amber
    index_red: float = 0.90  # SPI or CPI below this is red
    index_amber: float = 0.95  # SPI or CPI below this is amber


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How the report presents the assessment (what it computes is ``AssessOptions``)."""

    rag: RagRules = field(default_factory=RagRules)
    # The Gantt opens summaries level by level while at most this many rows show; deeper
    # levels start collapsed (a 5,000-task plan opens on its top-level work packages).
    expanded_rows: int = 200
    # Dependency arrows are drawn for plans of up to this many tasks; beyond, they would be a
    # thicket, and the critical path's colour carries the message.
    arrows_max_tasks: int = 300
    top_drivers: int = 8
    top_critical: int = 5
    next_milestones: int = 4
    findings: bool = True  # the risk detectors' findings (ontrack risks)
    audit: bool = True  # the DCMA 14-point table (ontrack audit)


# -- the record ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RagStatus:
    colour: Rag
    reason: str  # the one line the header shows: the worst rule that fired
    reasons: tuple[tuple[Rag, str], ...] = ()  # every rule that fired, worst first


@dataclass(frozen=True, slots=True)
class MilestoneRow:
    """A milestone, a release or a task with a deadline: its dates and its odds."""

    id: str
    title: str
    kind: str  # milestone | release | deadline | program
    planned: dt.date
    p50: dt.date
    p80: dt.date
    deadline: dt.date | None
    probability: float | None  # of finishing by the deadline
    baseline: dt.date | None = None
    done: bool = False

    @property
    def p80_late_days(self) -> int | None:
        """Calendar days the P80 lies past the deadline (negative: days to spare)."""
        return None if self.deadline is None else (self.p80 - self.deadline).days


@dataclass(frozen=True, slots=True)
class GanttTask:
    id: str
    title: str
    depth: int  # 0 for top-level tasks
    children: tuple[str, ...]
    summary: bool
    milestone: bool
    start: dt.date
    finish: dt.date
    state: TaskState
    critical: bool
    late_days: int
    total_float_days: int
    assignees: tuple[str, ...]  # names
    predecessors: tuple[tuple[str, str], ...]  # (task id, FS | SS | FF | SF)
    driver: str | None = None  # the predecessor that sets its start, if one does
    percent: float | None = None  # share done (0..1) for work under way
    deadline: dt.date | None = None
    baseline_start: dt.date | None = None
    baseline_finish: dt.date | None = None
    open: bool = True  # a summary shown expanded


@dataclass(frozen=True, slots=True)
class Gantt:
    tasks: tuple[GanttTask, ...]  # plan (WBS) order: a summary before its children
    start: dt.date
    end: dt.date
    status_date: dt.date | None
    arrows: bool  # dependency arrows are drawn
    collapsed: bool  # some summaries start closed
    has_baseline: bool

    @property
    def by_id(self) -> Mapping[str, GanttTask]:
        return {t.id: t for t in self.tasks}


@dataclass(frozen=True, slots=True)
class PersonWeeks:
    id: str
    name: str
    weeks: tuple[tuple[int, int], ...]  # (busy task-days, available days) per week
    busy: int
    available: int

    @property
    def load(self) -> float:
        return self.busy / self.available if self.available else 0.0

    @property
    def over_weeks(self) -> int:
        return sum(1 for b, a in self.weeks if b > a)


@dataclass(frozen=True, slots=True)
class LoadData:
    weeks: tuple[dt.date, ...]  # Mondays
    people: tuple[PersonWeeks, ...]


@dataclass(frozen=True, slots=True)
class ForecastView:
    final: ItemForecast  # the final milestone (or the program's finish)
    program: ItemForecast
    drivers: tuple[DriverContribution, ...]
    critical: tuple[TaskForecast, ...]  # the tasks most often on the critical path
    iterations: int
    seed: int
    distribution: str
    statement: str  # how stable the P80 is
    cost: CostForecast | None


@dataclass(frozen=True, slots=True)
class RiskRow:
    id: str
    title: str
    probability: float
    impact_days: float | None  # likely schedule impact in working days
    cost_impact: Decimal | None
    owner: str | None  # a name when the owner is a person of the plan
    status: str
    response: str | None
    mitigation: str
    affects: tuple[str, ...]
    probability_score: int  # 1..5, the risk engine's matrix (docs/risks.md)
    impact_score: int  # 1..5
    review_date: dt.date | None = None
    rating: str = "low"  # low | medium | high | critical: the engine's rating of the score
    exposure_days: float = 0.0  # the engine's: effective probability x PERT mean impact
    exposure_money: float = 0.0

    @property
    def score(self) -> int:
        return self.probability_score * self.impact_score

    @property
    def in_matrix(self) -> bool:
        """Open or being mitigated: an occurred risk is an issue now, a closed one gone (the
        engine's heat map leaves both out)."""
        return self.status in (RiskStatus.OPEN.value, RiskStatus.MITIGATING.value)

    @property
    def active(self) -> bool:
        return self.status != RiskStatus.CLOSED.value


@dataclass(frozen=True, slots=True)
class Finding:
    """Something a detector found in the plan (risk detectors, plan lint). Rendered, under
    the risk register, only when the report has some."""

    code: str
    severity: str  # high | medium | low
    title: str
    detail: str = ""
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ComplianceRow:
    """One row of the DCMA 14-point table (or another check list). Rendered when present."""

    number: int
    name: str
    value: str
    threshold: str
    passed: bool | None  # None: cannot be assessed (``note`` says why)
    note: str = ""


@dataclass(frozen=True, slots=True)
class BurnPoint:
    week: dt.date  # the Monday
    scope: float  # days of work in the plan that week
    done: float | None  # days done by the week's end (None after the status date)
    planned: float  # days the baseline planned done by then


@dataclass(frozen=True, slots=True)
class TrackingData:
    baseline: str
    revision: int
    unit: str  # money | days
    currency: str  # the program's currency, or "days"
    burn_up: tuple[BurnPoint, ...]
    evm: EvmSeries | None
    scope: ScopeChange
    scope_weeks: tuple[ScopeWeek, ...]
    budget: BudgetPosition | None
    baseline_finish: dt.date

    @property
    def spi(self) -> float | None:
        return self.evm.latest.spi if self.evm is not None else None

    @property
    def cpi(self) -> float | None:
        if self.evm is None:
            return None
        # Finance lags: the latest period that has a CPI speaks for cost.
        return next((p.cpi for p in reversed(self.evm.periods) if p.cpi is not None), None)


@dataclass(frozen=True, slots=True)
class ReportData:
    program: str
    description: str
    currency: str
    status_date: dt.date
    status_from_progress: bool  # False: no progress recorded, the status date is today
    generated: dt.datetime
    start: dt.date
    finish: dt.date
    tasks: int
    people: int
    rag: RagStatus
    final: MilestoneRow
    milestones: tuple[MilestoneRow, ...]
    next_milestones: tuple[MilestoneRow, ...]
    gantt: Gantt
    load: LoadData
    forecast: ForecastView
    risks: tuple[RiskRow, ...]
    options: ReportOptions
    tracking: TrackingData | None = None
    # Filled by other engines (dataclasses.replace); each renders only when present.
    findings: tuple[Finding, ...] = ()
    compliance: tuple[ComplianceRow, ...] = ()
    notes: tuple[str, ...] = ()  # warnings worth a line (deadlines the schedule misses, ...)
    last_progress: dt.date | None = None  # the latest day progress was recorded for
    delivery: DoraReport | None = None  # the DORA metrics of the plan's delivery: section
    releases: tuple[Readiness, ...] = ()  # each release's gates and recommendation
    calendar: ReleaseCalendar | None = None  # the trains' departures (None without trains)


# -- tracking input -----------------------------------------------------------------------------


class ProgressLike(Fact, Protocol):
    """A recorded progress fact (``ontrack.store.repo.ProgressFact``): the scheduler's facts
    and what they cost."""

    @property
    def actual_cost(self) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class TrackingInput:
    """What the store holds for a tracked program, read by the caller."""

    baseline: str
    revision: int
    tasks: Mapping[str, BaselineTask]  # the baseline's frozen schedule, per task id
    cost: Decimal  # the baseline's planned cost
    plan: Plan  # the baseline's revision
    revisions: Sequence[tuple[dt.datetime, Plan]]  # recorded revisions, with their times
    facts: Sequence[ProgressLike]


# -- building -----------------------------------------------------------------------------------


def build_report(
    plan: Plan,
    options: ReportOptions,
    *,
    solved: SolvedPlan,
    simulated: Forecast,
    status: Status | None,
    status_date: dt.date,
    tracking: TrackingInput | None = None,
    assessed: RiskAssessment | None = None,
    audited: Audit | None = None,
    diagnostics: Sequence[Diagnostic] = (),
    generated: dt.datetime | None = None,
    last_progress: dt.date | None = None,
) -> ReportData:
    """Gather what the report shows from the engines' results (the program assessment computes
    them once, ``ontrack.app.assessment``): this module formats, it never re-runs an engine.

    ``status`` is the progress planned around, as of ``status_date``; ``last_progress`` the
    latest day any progress was recorded for (None: none)."""
    result = solved.schedule
    base = tracking.tasks if tracking is not None else None
    gantt = _gantt(plan, result, status, status_date, base, options)
    milestones = _milestones(plan, simulated.milestones, gantt, base)
    final = _final(milestones, simulated.finish)
    track = (
        _tracking(plan, tracking, status_date, simulated.finish.p80, simulated.cost, generated)
        if tracking is not None
        else None
    )
    # What comes next: not done (overdue ones first: they are the most urgent).
    upcoming = sorted((m for m in milestones if not m.done), key=lambda m: (m.p50, m.id))
    return ReportData(
        program=plan.program.name,
        description=plan.program.description.strip(),
        currency=plan.program.currency,
        status_date=status_date,
        status_from_progress=last_progress is not None,
        generated=generated or dt.datetime.now(dt.UTC),
        start=result.start,
        finish=result.finish,
        tasks=len(plan.tasks),
        people=len(plan.people),
        rag=rag_status(
            final,
            milestones,
            track.spi if track else None,
            track.cpi if track else None,
            options.rag,
            status_date=status_date,
        ),
        final=final,
        milestones=milestones,
        next_milestones=tuple(upcoming[: options.next_milestones]),
        gantt=gantt,
        load=_load(plan, result),
        forecast=ForecastView(
            final=next((m for m in simulated.milestones if m.id == final.id), simulated.finish),
            program=simulated.finish,
            drivers=tuple(simulated.drivers[: options.top_drivers]),
            # Critical and uncertain both: the schedule sensitivity index ranks what to watch.
            critical=tuple(
                sorted(
                    (t for t in simulated.tasks if t.criticality > 0 and t.planned_days > 0),
                    key=lambda t: (-t.sensitivity, -t.criticality, t.id),
                )[: options.top_critical]
            ),
            iterations=simulated.iterations,
            seed=simulated.seed,
            distribution=simulated.distribution,
            statement=simulated.convergence.statement,
            cost=simulated.cost,
        ),
        risks=_risks(plan, assessed, result, simulated.cost, status_date),
        findings=_findings(assessed) if options.findings and assessed is not None else (),
        compliance=_compliance(audited) if options.audit and audited is not None else (),
        options=options,
        tracking=track,
        notes=tuple(d.message for d in diagnostics if not d.is_error),
        last_progress=last_progress,
    )


def _findings(assessed: RiskAssessment) -> tuple[Finding, ...]:
    """The risk detectors' findings (ontrack risks), as of the status date."""
    return tuple(
        Finding(
            code=f.code,
            severity="high" if f.severity in ("high", "critical") else f.severity,
            title=f.message,
            detail=f.suggestion,
            subjects=f.subjects,
        )
        for f in assessed.findings
    )


def _compliance(audit: Audit) -> tuple[ComplianceRow, ...]:
    """The DCMA 14-point table (ontrack audit)."""
    rows = []
    for check in audit.dcma:
        value = check.value
        shown = (
            "n/a"
            if check.passed is None
            else f"{check.count}/{check.total}"
            + (f" ({float(value) * 100:.1f}%)" if value is not None and check.total else "")
        )
        rows.append(
            ComplianceRow(
                number=check.number,
                name=check.name,
                value=shown,
                threshold=check.threshold,
                passed=check.passed,
                note=check.note,
            )
        )
    return tuple(rows)


# -- RAG ----------------------------------------------------------------------------------------


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def day_text(day: dt.date) -> str:
    """17 Jul 2026: how the report writes dates (unambiguous everywhere)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def rag_status(
    final: MilestoneRow,
    milestones: Sequence[MilestoneRow],
    spi: float | None,
    cpi: float | None,
    rules: RagRules | None = None,
    *,
    status_date: dt.date | None = None,
) -> RagStatus:
    """Red, amber or green, and why (docs/report.md):

    * red: a milestone or release whose deadline passed before the status date is not done;
      the final milestone's P80 is past its deadline; a release is less than
      ``release_red`` likely on time; SPI or CPI below ``index_red``;
    * amber: a release or the final milestone is less than ``release_amber`` likely on
      time; another milestone with a deadline less than ``milestone_amber``; SPI or CPI
      below ``index_amber``;
    * green otherwise.
    """
    rules = rules or RagRules()
    fired: list[tuple[Rag, str]] = []
    # Work is done only when progress says so: a deadline that passed first is missed.
    if status_date is not None:
        for m in milestones:
            if m.deadline is not None and m.deadline < status_date and not m.done:
                fired.append(
                    (
                        "red",
                        f"'{m.title}' is overdue: its deadline {day_text(m.deadline)} passed "
                        f"and it is not done (forecast {day_text(m.p50)} at P50)",
                    )
                )
    if final.deadline is not None and final.p80 > final.deadline and not final.done:
        fired.append(
            (
                "red",
                f"the final milestone '{final.title}' is only 80% likely by "
                f"{day_text(final.p80)}, {(final.p80 - final.deadline).days} calendar days "
                f"after its deadline {day_text(final.deadline)}",
            )
        )
    for m in milestones:
        if m.probability is None or m.done:
            continue
        due = day_text(m.deadline) if m.deadline else "its date"
        chance = f"'{m.title}' is {_pct(m.probability)} likely to meet {due}"
        if m.kind == "release" and m.probability < rules.release_red:
            fired.append(("red", f"release {chance} (below {_pct(rules.release_red)})"))
        elif m.kind == "release" and m.probability < rules.release_amber:
            fired.append(("amber", f"release {chance} (below {_pct(rules.release_amber)})"))
        elif m.id == final.id and m.probability < rules.release_amber:
            fired.append(
                ("amber", f"the final milestone {chance} (below {_pct(rules.release_amber)})")
            )
        elif m.kind != "release" and m.probability < rules.milestone_amber:
            fired.append(("amber", f"milestone {chance} (below {_pct(rules.milestone_amber)})"))
    for name, value in (("SPI", spi), ("CPI", cpi)):
        if value is None:
            continue
        what = "behind schedule" if name == "SPI" else "over cost"
        if value < rules.index_red:
            fired.append(("red", f"{name} {value:.2f}: {what} (below {rules.index_red:.2f})"))
        elif value < rules.index_amber:
            fired.append(("amber", f"{name} {value:.2f}: {what} (below {rules.index_amber:.2f})"))
    fired.sort(key=lambda r: _RANK[r[0]])  # stable: rule order within a colour
    if fired:
        colour, reason = fired[0]
        return RagStatus(colour, reason[0].upper() + reason[1:], tuple(fired))
    dated = [m for m in milestones if m.probability is not None and not m.done]
    if not dated and final.deadline is None:
        return RagStatus("green", "No deadlines or release dates are at risk: none are set")
    indices = ", ".join(f"{n} {v:.2f}" for n, v in (("SPI", spi), ("CPI", cpi)) if v is not None)
    least = min(dated, key=lambda m: (m.probability or 0.0, m.id), default=None)
    return RagStatus(
        "green",
        "No release or deadline is at risk"
        + (
            f": the least likely, '{least.title}', is {_pct(least.probability)} likely on time"
            if least is not None and least.probability is not None
            else ""
        )
        + (f"; {indices}" if indices else ""),
    )


# -- milestones ---------------------------------------------------------------------------------


def _milestones(
    plan: Plan,
    items: Sequence[ItemForecast],
    gantt: Gantt,
    base: Mapping[str, BaselineTask] | None,
) -> tuple[MilestoneRow, ...]:
    tasks = gantt.by_id

    def baseline_of(ids: Sequence[str]) -> dt.date | None:
        if base is None:
            return None
        dates = [base[i].finish for i in ids if i in base]
        return max(dates) if len(dates) == len(ids) and dates else None

    releases = {r.id: r for r in plan.releases}
    rows = []
    for item in items:
        ids = list(releases[item.id].includes) if item.kind == "release" else [item.id]
        done = all(tasks[i].state == "done" for i in ids if i in tasks)
        rows.append(
            MilestoneRow(
                id=item.id,
                title=item.title,
                kind=item.kind,
                planned=item.planned,
                p50=item.p50,
                p80=item.p80,
                deadline=item.deadline,
                probability=item.probability_on_time,
                baseline=baseline_of(ids),
                done=done,
            )
        )
    rows.sort(key=lambda m: (m.planned, m.kind != "release", m.id))
    return tuple(rows)


def _final(milestones: Sequence[MilestoneRow], finish: ItemForecast) -> MilestoneRow:
    """The last milestone by its planned date (the program's finish when it has none)."""
    marks = [m for m in milestones if m.kind == "milestone"]
    if marks:
        return max(marks, key=lambda m: (m.planned, m.p80, m.id))
    return MilestoneRow(
        finish.id,
        finish.title,
        "program",
        finish.planned,
        finish.p50,
        finish.p80,
        finish.deadline,
        finish.probability_on_time,
    )


# -- the Gantt ----------------------------------------------------------------------------------


def _gantt(
    plan: Plan,
    result: Schedule,
    status: Status | None,
    status_date: dt.date,
    base: Mapping[str, BaselineTask] | None,
    options: ReportOptions,
) -> Gantt:
    scheduled = {t.id: t for t in result.tasks}
    depth: dict[str, int] = {}
    for task in plan.tasks:  # a summary comes before its children
        depth[task.id] = depth[task.parent] + 1 if task.parent in depth else 0
    limit = _open_depth(list(depth.values()), options.expanded_rows)
    states: dict[str, TaskState] = {}
    for task in reversed(plan.tasks):  # children before their summary
        ts = scheduled[task.id]
        if task.is_summary:
            states[task.id] = _rolled_up([states[c] for c in task.children])
        else:
            states[task.id] = _state(ts, base, status_date)
    names = {p.id: p.name for p in plan.people}
    rows = []
    for task in plan.tasks:
        ts = scheduled[task.id]
        progress = status.tasks.get(task.id) if status is not None else None
        planned = base.get(task.id) if base is not None else None
        percent = (
            float(progress.percent_complete)
            if progress is not None and progress.percent_complete is not None
            else None
        )
        rows.append(
            GanttTask(
                id=task.id,
                title=task.title,
                depth=depth[task.id],
                children=task.children,
                summary=task.is_summary,
                milestone=task.milestone,
                start=ts.start,
                finish=ts.finish,
                state=states[task.id],
                critical=ts.critical and states[task.id] != "done",
                late_days=ts.late_days,
                total_float_days=ts.total_float_days,
                assignees=tuple(names.get(p, p) for p in _who(ts, plan)),
                predecessors=tuple((d.task, d.type.value) for d in task.depends),
                driver=ts.driver.task
                if ts.driver is not None and ts.driver.kind == "predecessor"
                else None,
                percent=percent,
                deadline=task.deadline,
                baseline_start=planned.start if planned else None,
                baseline_finish=planned.finish if planned else None,
                open=depth[task.id] < limit,
            )
        )
    dates = [d for r in rows for d in (r.start, r.finish, r.baseline_start, r.baseline_finish) if d]
    dates.append(status_date)
    start, end = min(dates), max(dates)
    # Whole weeks either side, so the first and last bars do not touch the frame.
    start -= dt.timedelta(days=start.weekday())
    end += dt.timedelta(days=7 - end.weekday())
    return Gantt(
        tasks=tuple(rows),
        start=start,
        end=end,
        status_date=status_date,
        arrows=len(rows) <= options.arrows_max_tasks,
        collapsed=any(r.summary and not r.open for r in rows),
        has_baseline=base is not None,
    )


def _who(ts: TaskSchedule, plan: Plan) -> tuple[str, ...]:
    """Who does (or did) a task: the schedule's people, or, for work already done (which the
    scheduler does not assign), the plan's named assignees."""
    return ts.assignees or plan.task_by_id[ts.id].assignees


def _open_depth(depths: Sequence[int], most: int) -> int:
    """Summaries above this depth start open: the deepest level at which at most ``most``
    rows show (the top level always shows)."""
    if not depths:
        return 0
    deepest = max(depths)
    counts = [0] * (deepest + 2)
    for d in depths:
        counts[d] += 1
    shown = 0
    for level in range(deepest + 1):
        shown += counts[level]  # the rows of depth <= level
        if shown > most:
            return max(0, level - 1)  # the last level that fitted
    return deepest + 1


def _state(
    ts: TaskSchedule, base: Mapping[str, BaselineTask] | None, status_date: dt.date
) -> TaskState:
    """Done, in progress or planned as recorded; late when not done and past its deadline,
    or when the baseline had it finished before the status date."""
    if ts.state == "done":
        return "done"
    if ts.late_days > 0 or (ts.deadline is not None and ts.deadline < status_date):
        return "late"
    planned = base.get(ts.id) if base is not None else None
    if planned is not None and planned.finish < status_date:
        return "late"
    return "in-progress" if ts.state == "in-progress" else "planned"


def _rolled_up(states: Sequence[TaskState]) -> TaskState:
    if not states:
        return "planned"
    if all(s == "done" for s in states):
        return "done"
    if "late" in states:
        return "late"
    if any(s in ("done", "in-progress") for s in states):
        return "in-progress"
    return "planned"


# -- resource load ------------------------------------------------------------------------------


def _load(plan: Plan, result: Schedule) -> LoadData:
    """Per person and week: task-days assigned and days available (working days of the
    program's calendar less their time off and their own calendar's holidays). Each working
    day of a task counts one day for each assignee: a half-time person on a stretched task
    is fully booked, as their allocation is already in the task's length."""
    work = [t for t in result.tasks if not t.summary and not t.milestone and _who(t, plan)]
    if not work or not plan.people:
        return LoadData((), ())
    grid = WorkGrid.for_plan(plan)
    last = max(t.finish for t in work)
    horizon = grid.index_on_or_before(last) + 1
    if horizon <= 0:
        return LoadData((), ())
    # Weeks from the program's first; work recorded before it is not on the grid.
    monday = grid.date_of(0) - dt.timedelta(days=grid.date_of(0).weekday())
    epoch = grid.dates_of(np.arange(horizon)).astype(np.int64)
    week_of = (epoch - np.datetime64(monday, "D").astype(np.int64)) // 7
    weeks = int(week_of[-1]) + 1
    index = {p.id: i for i, p in enumerate(plan.people)}
    busy = np.zeros((len(plan.people), horizon + 1), dtype=np.int64)
    for t in work:
        a = grid.index_on_or_after(t.start)
        b = min(grid.index_on_or_before(t.finish) + 1, horizon)
        if b <= a:
            continue
        for person in _who(t, plan):
            if person in index:
                busy[index[person], a] += 1
                busy[index[person], b] -= 1
    daily = np.cumsum(busy, axis=1)[:, :horizon]
    off = unavailability_by_person(plan, grid, horizon)
    people = []
    for p in plan.people:
        i = index[p.id]
        free = np.ones(horizon, dtype=np.int64)
        for a, b in off[p.id]:
            free[a:b] = 0
        booked = np.bincount(week_of, weights=daily[i], minlength=weeks).astype(np.int64)
        available = np.bincount(week_of, weights=free, minlength=weeks).astype(np.int64)
        people.append(
            PersonWeeks(
                p.id,
                p.name,
                tuple(zip(booked.tolist(), available.tolist(), strict=True)),
                int(booked.sum()),
                int(available.sum()),
            )
        )
    return LoadData(tuple(monday + dt.timedelta(weeks=w) for w in range(weeks)), tuple(people))


# -- risks --------------------------------------------------------------------------------------


def _risks(
    plan: Plan,
    assessed: RiskAssessment | None,
    schedule: Schedule,
    cost: CostForecast | None,
    as_of: dt.date,
) -> tuple[RiskRow, ...]:
    """The register as the risk engine scores it (``ontrack risks``): one matrix, so a risk's
    probability, impact, score and rating are the same in every output. Without an assessment
    the engine's own scoring is run on the schedule and the forecast's planned cost."""
    from ontrack.engines.risk.register import money_basis, score_register  # noqa: PLC0415

    register = (
        assessed.register
        if assessed is not None
        else score_register(
            plan,
            program_days=schedule.makespan_days,
            money_basis=money_basis(plan, cost.planned if cost is not None else None),
            as_of=as_of,
        )
    )
    hpd = plan.hours_per_day
    names = {p.id: p.name for p in plan.people}
    rows = []
    for scored in register:
        risk = scored.risk
        rows.append(
            RiskRow(
                id=risk.id,
                title=risk.title,
                probability=float(risk.probability),
                impact_days=float(risk.impact.likely.days(hpd))
                if risk.impact is not None
                else None,
                cost_impact=risk.cost_impact,
                owner=names.get(risk.owner, risk.owner) if risk.owner else None,
                status=risk.status.value,
                response=risk.response.value if risk.response else None,
                mitigation=risk.mitigation,
                affects=risk.affects,
                probability_score=scored.probability_band,
                impact_score=scored.impact_band,
                review_date=risk.review_date,
                rating=scored.rating.value,
                exposure_days=float(scored.exposure_days),
                exposure_money=float(scored.exposure_money),
            )
        )
    # Active risks first, the highest score first: the order a risk review walks.
    rows.sort(key=lambda r: (not r.active, -r.score, -r.probability, r.id))
    return tuple(rows)


def risk_cells(risks: Sequence[RiskRow]) -> list[list[list[str]]]:
    """The 5×5 matrix of open and mitigating risks (the engine's heat map):
    ``cells[p - 1][i - 1]`` lists the ids scored probability ``p`` and impact ``i``."""
    cells: list[list[list[str]]] = [[[] for _ in range(5)] for _ in range(5)]
    for r in risks:
        if r.in_matrix:
            cells[r.probability_score - 1][r.impact_score - 1].append(r.id)
    return cells


# -- tracking -----------------------------------------------------------------------------------


def _tracking(
    plan: Plan,
    inp: TrackingInput,
    status_date: dt.date,
    forecast_p80: dt.date,
    cost: CostForecast | None,
    generated: dt.datetime | None,
) -> TrackingData:
    # The store's libraries and the tracking engines load only for tracked reports.
    from ontrack.engines.budget import budget_position  # noqa: PLC0415
    from ontrack.engines.evm import evm_series  # noqa: PLC0415
    from ontrack.engines.scope import (  # noqa: PLC0415
        burn_up,
        monday,
        scope_change,
        scope_series,
    )
    from ontrack.engines.tracking import baseline_daily_pv, evm_points  # noqa: PLC0415

    facts: list[Any] = [f for f in inp.facts if f.status_date <= status_date]
    points, unit = evm_points(inp.plan, inp.tasks, facts)
    measured = any(p.ev is not None for p in points)
    # Earned schedule in working days off the baseline's daily PV, as `ontrack evm` reads it.
    daily = baseline_daily_pv(inp.plan, inp.tasks)
    series = evm_series(points, daily=daily)[0] if points and measured else None
    money = unit == "money"
    bac = (
        inp.cost
        if money
        else sum((Decimal(t.days) for t in inp.tasks.values() if not t.summary), Decimal(0))
    )
    budget = budget_position(
        currency=plan.program.currency if money else "working days",
        budget=plan.program.budget if money else None,
        bac=bac,
        points=points,
        series=series,
        remaining_cost=cost if money else None,
    )
    starts = [t.start for t in inp.tasks.values()]
    finishes = [t.finish for t in inp.tasks.values()]
    baseline_finish = max(finishes, default=status_date)
    start = min(starts, default=status_date)
    end = max(status_date, baseline_finish, forecast_p80)
    # The working copy is the newest revision (it usually equals the last one applied).
    now = generated or dt.datetime.now(dt.UTC)
    revisions = [*inp.revisions, (now, plan)]
    weekly = scope_series(inp.plan, revisions, start, end)
    burned = burn_up(inp.plan, revisions, facts, start, end)
    planned = _planned_work(inp.plan, inp.tasks, [b.week for b in burned])
    status_week = monday(status_date)
    return TrackingData(
        baseline=inp.baseline,
        revision=inp.revision,
        unit=unit,
        currency=plan.program.currency if money else "days",
        burn_up=tuple(
            BurnPoint(
                b.week,
                float(b.scope),
                float(b.done) if facts and b.week <= status_week else None,
                p,
            )
            for b, p in zip(burned, planned, strict=True)
        ),
        evm=series,
        scope=scope_change(inp.plan, plan),
        scope_weeks=weekly,
        budget=budget if facts or money else None,
        baseline_finish=baseline_finish,
    )


def _planned_work(
    baseline: Plan, frozen: Mapping[str, BaselineTask], weeks: Sequence[dt.date]
) -> list[float]:
    """Days of work the baseline planned done by the end of each week: each leaf task's
    likely work spread evenly over its baseline working days."""
    from ontrack.engines.scope import task_work  # noqa: PLC0415

    calendar = WorkGrid.for_plan(baseline).calendar
    hpd = baseline.hours_per_day
    work, starts, finishes, days = [], [], [], []
    for task in baseline.leaf_tasks():
        planned = frozen.get(task.id)
        amount = task_work(task, hpd)
        if planned is None or amount == 0:
            continue
        work.append(float(amount))
        starts.append(planned.start)
        finishes.append(planned.finish)
        days.append(max(1, planned.days))
    if not work:
        return [0.0] * len(weeks)
    amounts = np.array(work)
    first = np.array(starts, dtype="datetime64[D]")
    last = np.array(finishes, dtype="datetime64[D]")
    length = np.array(days, dtype=np.float64)
    out = []
    for week in weeks:
        end = np.datetime64(week + dt.timedelta(days=7), "D")  # exclusive: the next Monday
        done = calendar.working_days_between_array(first, np.minimum(end, last + 1))
        share = np.clip(done / length, 0.0, 1.0)
        share[end <= first] = 0.0
        share[end > last] = 1.0
        out.append(float((amounts * share).sum()))
    return out


def days_text(value: float | Fraction) -> str:
    """Days for people: one decimal at most."""
    return f"{float(value):,.1f}".rstrip("0").rstrip(".")
