"""The RAID log scored, and risks found before a person would: ``assess(...) -> Assessment``.

Two halves:

* The **register**: each risk of the plan scored on a 5x5 probability-impact matrix (bands
  below), its exposure (probability x PERT mean impact, in working days and in money), the
  heat map, overdue reviews and unowned risks; the assumptions, issues and decisions with the
  ones past their due date.
* The **detectors**: one pure function each, ``(Context) -> list[Finding]``, reading the plan,
  its schedule, its forecast and (when given) tracking data, each finding with a stable code
  (R100-R199), a severity, the subjects, the evidence in numbers and a suggested response.
  A detector that crashes becomes an R199 finding, never a traceback.

Bands (documented in docs/risks.md, tested at their edges): probability 1 <= 10 % < 2 <= 30 % <
3 <= 50 % < 4 <= 70 % < 5; impact from days as a share of the program's planned working days
and from money as a share of the budget (else of the planned cost), 1 <= 2 % < 2 <= 5 % < 3 <=
10 % < 4 <= 20 % < 5, the larger of the two. Score = P x I; 1-4 low, 5-9 medium, 10-16 high,
20-25 critical.

Pure: the CLI reads the plan, the store and runs the schedule and the forecast; nothing here
reads a clock, a file or a database.
"""

from __future__ import annotations

import datetime as dt
import math
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from ontrack.diagnostics import UNKNOWN_LOC, Diagnostic, SourceLoc
from ontrack.engines.calendar import WorkGrid, unavailability_by_person
from ontrack.engines.forecast.result import Forecast, ItemForecast, TaskForecast
from ontrack.engines.schedule.cpm import cpm
from ontrack.engines.schedule.planproblem import build_network, candidates
from ontrack.engines.schedule.progress import Fact, Status, plan_status
from ontrack.engines.schedule.result import Schedule, TaskSchedule
from ontrack.engines.scope import scope_change
from ontrack.model import Plan, RaidItem, RaidStatus, Risk, RiskStatus, Task

# -- scales ---------------------------------------------------------------------------------------

#: Upper bounds (inclusive) of probability bands 1-4; above the last is band 5.
PROBABILITY_BANDS: tuple[Fraction, ...] = (
    Fraction(1, 10),
    Fraction(3, 10),
    Fraction(1, 2),
    Fraction(7, 10),
)
#: Upper bounds (inclusive) of impact bands 1-4, as a share of the program's planned working
#: days (schedule impact) or of the budget (cost impact); above the last is band 5.
IMPACT_BANDS: tuple[Fraction, ...] = (
    Fraction(2, 100),
    Fraction(5, 100),
    Fraction(10, 100),
    Fraction(20, 100),
)

Floats = npt.NDArray[np.float64]

#: Tags that mark a task as done by someone outside the program (a vendor, a carrier, ...).
EXTERNAL_TAGS = frozenset(
    {"vendor", "external", "third-party", "supplier", "partner", "contractor", "carrier"}
)


class Rating(StrEnum):
    """A risk's rating on the matrix, and a finding's severity."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Rating.LOW: 0, Rating.MEDIUM: 1, Rating.HIGH: 2, Rating.CRITICAL: 3}


def band(share: Fraction, bounds: Sequence[Fraction]) -> int:
    """1 + the number of bounds ``share`` is above: 1..len(bounds) + 1."""
    return 1 + sum(share > b for b in bounds)


def rating(score: int) -> Rating:
    """1-4 low, 5-9 medium, 10-16 high, 20-25 critical."""
    if score >= 20:
        return Rating.CRITICAL
    if score >= 10:
        return Rating.HIGH
    if score >= 5:
        return Rating.MEDIUM
    return Rating.LOW


#: Finding codes, their short names and what they mean (docs/risks.md has the long form).
CODES: Mapping[str, tuple[str, str]] = {
    "R100": ("unschedulable", "the plan cannot be scheduled, so dates and odds are unknown"),
    "R101": ("deadline-at-risk", "a deadline's chance of being met is below the threshold"),
    "R102": ("merge-bias", "many paths join at a milestone and make it later than any of them"),
    "R103": ("thin-float", "several paths besides the critical one are (nearly) critical"),
    "R104": ("wide-estimate", "a driving task's pessimistic estimate is far above its optimistic"),
    "R105": ("long-task", "a task too long to track without decomposing it"),
    "R110": ("bus-factor", "most of the driving work rests on one person"),
    "R111": ("single-skill", "a needed skill is held by one person only"),
    "R112": ("over-allocation", "more work than people's time in a window, before levelling"),
    "R113": ("time-off-crunch", "driving work overlaps its people's time off"),
    "R114": ("team-away", "most of a team is away in a week with work scheduled"),
    "R120": ("external-dependency", "a vendor or outside lead time on the driving path"),
    "R121": ("cross-team-handoff", "a driving task waits on another team's driving task"),
    "R130": ("unowned-risk", "open risks with no owner"),
    "R131": ("unmitigated-risk", "a high or critical risk with no response or mitigation"),
    "R132": ("stale-risk", "risks whose review date has passed"),
    "R133": ("overdue-raid", "an assumption, issue or decision past its due date, still open"),
    "R134": ("moot-risk", "open risks whose affected tasks are all done"),
    "R140": ("late-task", "a task behind its baseline as of the status date"),
    "R141": ("slipping-milestone", "a milestone's date moved later than its baseline"),
    "R142": ("stale-update", "tasks under way with no progress reported recently"),
    "R143": ("stale-status", "no progress recorded recently for the program"),
    "R144": ("scope-creep", "scope grew past the threshold since the baseline"),
    "R199": ("detector-failed", "a detector failed; the others ran"),
}


# -- options and inputs ---------------------------------------------------------------------------


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
    """What the store knows: a baseline (its plan and frozen schedule) and progress facts.

    ``baseline_tasks`` is the baseline's frozen schedule as the store keeps it: per task id a
    mapping with ``start``, ``finish`` (ISO dates), ``days``, ``summary`` and ``milestone``.
    """

    baseline: str | None = None
    baseline_plan: Plan | None = None
    baseline_tasks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    status: Status | None = None


# -- the register ---------------------------------------------------------------------------------


def _days(value: Fraction | float) -> float:
    return round(float(value), 2)


@dataclass(frozen=True, slots=True)
class ScoredRisk:
    risk: Risk
    probability: Fraction  # effective: 1 once it occurred, 0 once closed
    probability_band: int
    time_band: int
    cost_band: int
    impact_days: Fraction  # PERT mean of the impact, in working days
    exposure_days: Fraction
    exposure_money: Decimal
    review_overdue_days: int | None  # calendar days past the review date; None when not due
    forecast_delay_days: float | None  # working days it adds to the mean finish (forecast)

    @property
    def impact_band(self) -> int:
        return max(self.time_band, self.cost_band)

    @property
    def score(self) -> int:
        return self.probability_band * self.impact_band

    @property
    def rating(self) -> Rating:
        return rating(self.score)

    @property
    def active(self) -> bool:
        """Open or being mitigated: still a risk (occurred ones are issues now)."""
        return self.risk.status in (RiskStatus.OPEN, RiskStatus.MITIGATING)

    @property
    def unowned(self) -> bool:
        return self.risk.owner is None and self.risk.status is not RiskStatus.CLOSED

    def to_json(self, hours_per_day: Fraction) -> dict[str, Any]:
        r = self.risk

        def days(value: Any) -> float:
            return _days(value.days(hours_per_day))

        impact = (
            None
            if r.impact is None
            else {
                "optimistic": days(r.impact.optimistic),
                "likely": days(r.impact.likely),
                "pessimistic": days(r.impact.pessimistic),
                "mean": _days(self.impact_days),
            }
        )
        return {
            "id": r.id,
            "title": r.title,
            "status": r.status.value,
            "owner": r.owner,
            "response": r.response.value if r.response else None,
            "mitigation": r.mitigation,
            "review_date": r.review_date.isoformat() if r.review_date else None,
            "review_overdue_days": self.review_overdue_days,
            "unowned": self.unowned,
            "affects": list(r.affects),
            "probability": round(float(r.probability), 4),
            "effective_probability": round(float(self.probability), 4),
            "impact_days": impact,
            "cost_impact": str(r.cost_impact) if r.cost_impact is not None else None,
            "probability_band": self.probability_band,
            "time_band": self.time_band,
            "cost_band": self.cost_band,
            "impact_band": self.impact_band,
            "score": self.score,
            "rating": self.rating.value,
            "exposure_days": _days(self.exposure_days),
            "exposure_money": str(self.exposure_money.quantize(Decimal("0.01"))),
            "forecast_delay_days": None
            if self.forecast_delay_days is None
            else round(self.forecast_delay_days, 2),
            "file": r.loc.file,
            "line": r.loc.line,
        }


def score_risk(
    risk: Risk,
    *,
    hours_per_day: Fraction,
    program_days: int,
    money_basis: Decimal | None,
    as_of: dt.date,
    forecast_delay_days: float | None = None,
) -> ScoredRisk:
    """Bands, score and exposure of one risk.

    ``program_days`` is the program's planned length in working days (the impact in days is
    banded as a share of it); ``money_basis`` the budget, else the planned cost (None: cost
    impact is not banded). An occurred risk counts as certain, a closed one as gone.
    """
    if risk.status is RiskStatus.OCCURRED:
        probability = Fraction(1)
    elif risk.status is RiskStatus.CLOSED:
        probability = Fraction(0)
    else:
        probability = Fraction(risk.probability)
    mean = (
        risk.impact.pert_mean_minutes / 60 / Fraction(hours_per_day)
        if risk.impact is not None
        else Fraction(0)
    )
    time_band = band(mean / program_days, IMPACT_BANDS) if program_days > 0 and mean > 0 else 1
    cost = risk.cost_impact or Decimal(0)
    cost_band = (
        band(Fraction(cost) / Fraction(money_basis), IMPACT_BANDS)
        if money_basis is not None and money_basis > 0 and cost > 0
        else 1
    )
    overdue = (
        (as_of - risk.review_date).days
        if risk.review_date is not None
        and risk.review_date < as_of
        and risk.status is not RiskStatus.CLOSED
        else None
    )
    # The band is of the stated probability (the matrix is what the register says); an
    # occurred risk sits in the top row, since it is certain now.
    p_band = band(
        probability if risk.status is RiskStatus.OCCURRED else risk.probability, PROBABILITY_BANDS
    )
    return ScoredRisk(
        risk=risk,
        probability=probability,
        probability_band=p_band,
        time_band=time_band,
        cost_band=cost_band,
        impact_days=mean,
        exposure_days=probability * mean,
        exposure_money=Decimal(probability.numerator) * cost / Decimal(probability.denominator),
        review_overdue_days=overdue,
        forecast_delay_days=forecast_delay_days,
    )


@dataclass(frozen=True, slots=True)
class HeatCell:
    probability: int
    impact: int
    risks: tuple[str, ...]

    @property
    def score(self) -> int:
        return self.probability * self.impact

    def to_json(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "impact": self.impact,
            "score": self.score,
            "rating": rating(self.score).value,
            "count": len(self.risks),
            "risks": list(self.risks),
        }


def heatmap(register: Iterable[ScoredRisk]) -> tuple[HeatCell, ...]:
    """All 25 cells, probability 5 to 1, impact 1 to 5; occurred and closed risks left out
    (they are no longer uncertain)."""
    cells: dict[tuple[int, int], list[str]] = defaultdict(list)
    for s in register:
        if s.active:
            cells[(s.probability_band, s.impact_band)].append(s.risk.id)
    return tuple(
        HeatCell(p, i, tuple(cells.get((p, i), ()))) for p in range(5, 0, -1) for i in range(1, 6)
    )


@dataclass(frozen=True, slots=True)
class RaidEntry:
    kind: str  # assumption | issue | decision
    item: RaidItem
    overdue_days: int | None

    def to_json(self) -> dict[str, Any]:
        i = self.item
        return {
            "id": i.id,
            "kind": self.kind,
            "title": i.title,
            "owner": i.owner,
            "status": i.status.value,
            "severity": i.severity,
            "raised": i.raised.isoformat() if i.raised else None,
            "due": i.due.isoformat() if i.due else None,
            "overdue_days": self.overdue_days,
            "affects": list(i.affects),
            "notes": i.notes,
            "file": i.loc.file,
            "line": i.loc.line,
        }


def raid_log(plan: Plan, as_of: dt.date) -> tuple[RaidEntry, ...]:
    """Assumptions, issues and decisions, each with the calendar days it is past due (if open)."""
    out = []
    for kind, items in (
        ("assumption", plan.assumptions),
        ("issue", plan.issues),
        ("decision", plan.decisions),
    ):
        for item in items:
            overdue = (
                (as_of - item.due).days
                if item.due is not None and item.due < as_of and item.status is RaidStatus.OPEN
                else None
            )
            out.append(RaidEntry(kind, item, overdue))
    return tuple(out)


# -- findings -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected risk. ``exposure_days`` is what is at stake in working days (expected days
    late, merge bias, excess work, ...), 0 where a finding has no natural measure; findings are
    ranked by severity, then exposure."""

    code: str
    severity: Rating
    message: str
    subjects: tuple[str, ...]
    evidence: Mapping[str, Any]
    suggestion: str
    exposure_days: float = 0.0
    loc: SourceLoc = UNKNOWN_LOC

    @property
    def name(self) -> str:
        return CODES[self.code][0]

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "subjects": list(self.subjects),
            "evidence": dict(self.evidence),
            "suggestion": self.suggestion,
            "exposure_days": round(self.exposure_days, 2),
            "file": self.loc.file,
            "line": self.loc.line,
        }


def rank_key(f: Finding) -> tuple[int, float, str, tuple[str, ...]]:
    return (-f.severity.rank, -f.exposure_days, f.code, f.subjects)


# -- context: what several detectors read -----------------------------------------------------


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


def leaf_predecessors(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Each leaf task's leaf predecessors: its own and its ancestors' dependencies, with a
    dependency on a summary standing for one on each leaf below it."""
    leaves_of: dict[str, tuple[str, ...]] = {}

    def leaves(task_id: str) -> tuple[str, ...]:
        task = plan.task_by_id[task_id]
        if not task.is_summary:
            return (task_id,)
        if task_id not in leaves_of:
            leaves_of[task_id] = tuple(d.id for d in plan.descendants(task_id) if not d.is_summary)
        return leaves_of[task_id]

    inherited: dict[str, frozenset[str]] = {}
    out: dict[str, tuple[str, ...]] = {}
    for task in plan.tasks:  # a summary comes before its children
        mine = set(inherited.get(task.parent, frozenset()) if task.parent else ())
        for dep in task.depends:
            if dep.task in plan.task_by_id:
                mine.update(leaves(dep.task))
        if task.is_summary:
            inherited[task.id] = frozenset(mine)
        else:
            mine.discard(task.id)
            out[task.id] = tuple(sorted(mine))
    return out


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
    hpd = plan.hours_per_day
    program_days = schedule.makespan_days if schedule is not None else 0
    money_basis = plan.program.budget
    if money_basis is None and forecast is not None and forecast.cost is not None:
        money_basis = Decimal(str(round(forecast.cost.planned, 2))) or None
    delays = {r.id: r.mean_delay_days for r in forecast.risks} if forecast is not None else {}
    register = tuple(
        score_risk(
            r,
            hours_per_day=hpd,
            program_days=program_days,
            money_basis=money_basis,
            as_of=options.as_of,
            forecast_delay_days=delays.get(r.id),
        )
        for r in plan.risks
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


def _upstream(ctx: Context, task_id: str) -> set[str]:
    """Every leaf task the task waits on, directly or not."""
    seen: set[str] = set()
    start = (
        [d.id for d in ctx.plan.descendants(task_id) if not d.is_summary]
        if ctx.plan.task_by_id[task_id].is_summary
        else [task_id]
    )
    stack = [p for s in start for p in ctx.preds.get(s, ())]
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        stack.extend(ctx.preds.get(t, ()))
    return seen


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# -- detectors: forecast and schedule shape -------------------------------------------------------


def _expected_late_days(grid: WorkGrid, item: ItemForecast) -> float:
    """E[max(0, finish - deadline)] in working days, from the S-curve (one point per day)."""
    if item.deadline is None:
        return 0.0
    due = grid.index_on_or_before(item.deadline)
    total, previous = 0.0, 0.0
    for point in item.curve:
        late = grid.index_on_or_before(point.date) - due
        if late > 0:
            total += (point.probability - previous) * late
        previous = point.probability
    return total


def deadline_at_risk(ctx: Context) -> list[Finding]:
    """R101: a milestone, deadline or release whose chance of being met (forecast) is below the
    threshold. A release due the same day as one of its milestones that is flagged is named in
    that milestone's finding rather than repeated."""
    forecast = ctx.forecast
    if forecast is None:
        return []
    threshold = ctx.options.deadline_threshold
    at_risk = [
        m
        for m in forecast.milestones
        if m.probability_on_time is not None and m.probability_on_time < threshold
    ]
    flagged = {m.id: m for m in at_risk if m.kind != "release"}
    folded: dict[str, list[str]] = defaultdict(list)  # milestone -> releases named with it
    skipped: set[str] = set()
    releases = {r.id: r for r in ctx.plan.releases}
    for m in at_risk:
        if m.kind != "release" or m.id not in releases:
            continue
        same = [
            t for t in releases[m.id].includes if t in flagged and flagged[t].deadline == m.deadline
        ]
        if same:
            folded[same[0]].append(m.id)
            skipped.add(m.id)
    out: list[Finding] = []
    for m in at_risk:
        if m.id in skipped:
            continue
        p = m.probability_on_time or 0.0
        late = _expected_late_days(ctx.grid, m)
        severity = Rating.CRITICAL if p < 0.2 else Rating.HIGH if p < 0.5 else Rating.MEDIUM
        upstream: set[str] = set()
        if m.kind == "release" and m.id in releases:
            for t in releases[m.id].includes:
                if t in ctx.plan.task_by_id:
                    upstream |= _upstream(ctx, t)
        elif m.id in ctx.plan.task_by_id:
            upstream = _upstream(ctx, m.id) | (
                {m.id} if not ctx.plan.task_by_id[m.id].milestone else set()
            )
        movers = sorted(
            (
                ctx.forecasts[t]
                for t in upstream
                if t in ctx.forecasts and not ctx.done(t) and ctx.forecasts[t].sensitivity > 0.01
            ),
            key=lambda f: (-f.sensitivity, f.id),
        )[:3]
        risks = sorted(
            (
                s
                for s in ctx.register
                if s.active and upstream.intersection(s.risk.affects) and not _moot(ctx, s)
            ),
            key=lambda s: (-s.exposure_days, s.risk.id),
        )[:3]
        what = {"milestone": "milestone", "deadline": "deadline of", "release": "release"}[m.kind]
        also = folded.get(m.id, [])
        message = (
            f"{what} '{m.id}' has a {_pct(p)} chance of meeting {m.deadline} "
            f"(P50 {m.p50}, P80 {m.p80}; {_fmt(late)} working days late on average)"
            + (f"; release {', '.join(also)} with it" if also else "")
        )
        suggestion = (
            "protect the date: "
            + (
                "shorten or de-risk " + ", ".join(f"'{f.id}'" for f in movers) + "; "
                if movers
                else ""
            )
            + ("act on " + ", ".join(f"'{s.risk.id}'" for s in risks) + "; " if risks else "")
            + f"or agree a new date (the P80 is {m.p80})"
        )
        out.append(
            Finding(
                "R101",
                severity,
                message,
                (m.id, *also),
                {
                    "kind": m.kind,
                    "deadline": m.deadline.isoformat() if m.deadline else None,
                    "probability_on_time": round(p, 4),
                    "threshold": threshold,
                    "planned": m.planned.isoformat(),
                    "p50": m.p50.isoformat(),
                    "p80": m.p80.isoformat(),
                    "p95": m.p95.isoformat(),
                    "expected_late_days": round(late, 2),
                    "drivers": [
                        {"task": f.id, "sensitivity": round(f.sensitivity, 3)} for f in movers
                    ],
                    "risks": [s.risk.id for s in risks],
                    "releases": also,
                },
                suggestion,
                late,
                ctx.loc(m.id, "deadline"),
            )
        )
    return out


def merge_bias(ctx: Context) -> list[Finding]:
    """R102: a milestone (or release) that many paths join, made later by their merging than the
    latest of them on average (the forecast's merge bias)."""
    forecast = ctx.forecast
    if forecast is None:
        return []
    opts = ctx.options
    releases = {r.id: r for r in ctx.plan.releases}
    out = []
    for m in forecast.milestones:
        if m.kind == "release":
            inputs = len(releases[m.id].includes) if m.id in releases else 0
        elif m.id in ctx.plan.task_by_id:
            inputs = len(ctx.plan.task_by_id[m.id].depends)
        else:
            continue
        if inputs < opts.merge_inputs or m.merge_bias_days < opts.merge_bias_days:
            continue
        out.append(
            Finding(
                "R102",
                Rating.MEDIUM,
                f"'{m.id}' joins {inputs} paths: merging them adds {_fmt(m.merge_bias_days)} "
                f"working days on average beyond the latest single path",
                (m.id,),
                {
                    "inputs": inputs,
                    "merge_bias_days": round(m.merge_bias_days, 2),
                    "planned": m.planned.isoformat(),
                    "p50": m.p50.isoformat(),
                    "threshold_days": opts.merge_bias_days,
                },
                "finish the inputs early or in sequence, cut an input that is not needed for "
                "the milestone, or hold a buffer before it",
                m.merge_bias_days,
                ctx.loc(m.id),
            )
        )
    return out


def _components(nodes: set[str], ctx: Context) -> list[list[str]]:
    """Groups of tasks linked by dependencies among themselves."""
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for n in sorted(nodes):
        for p in ctx.preds.get(n, ()):
            if p in parent:
                a, b = root(n), root(p)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        groups[root(n)].append(n)

    def order(t: str) -> tuple[dt.date, str]:
        s = ctx.scheduled.get(t)
        return (s.start if s else dt.date.min, t)

    return sorted((sorted(g, key=order) for g in groups.values()), key=lambda g: order(g[0]))


def thin_float(ctx: Context) -> list[Finding]:
    """R103: paths off the critical path that are near-critical (float within the schedule's
    near-critical days) or drive the finish in many iterations (criticality): at least
    ``thin_float_paths`` of them, or one critical in half the iterations or more (its float is
    thinner than it looks). A path is a group of such tasks linked by dependencies; milestones
    join paths but are not counted as tasks."""
    if ctx.schedule is None:
        return []
    near = {t for t in ctx.driving if t in ctx.scheduled and not ctx.scheduled[t].critical}
    paths = [
        p
        for p in (
            [t for t in group if not ctx.plan.task_by_id[t].milestone]
            for group in _components(near, ctx)
        )
        if p
    ]
    if not paths:
        return []
    described: list[dict[str, Any]] = [
        {
            "tasks": len(p),
            "first": p[0],
            "last": p[-1],
            "min_float_days": min(ctx.scheduled[t].total_float_days for t in p),
            "max_criticality": round(max(ctx.criticality(t) for t in p), 3),
        }
        for p in paths
    ]
    hottest = max(d["max_criticality"] for d in described)
    if len(paths) < ctx.options.thin_float_paths and hottest < 0.5:
        return []
    return [
        Finding(
            "R103",
            Rating.HIGH if hottest >= 0.5 else Rating.MEDIUM,
            f"{len(paths)} path(s) besides the critical path can take it over "
            f"({sum(len(p) for p in paths)} tasks): "
            + "; ".join(
                (f"{d['first']} … {d['last']}" if d["tasks"] > 1 else d["first"])
                + f" (float {d['min_float_days']} d, critical in "
                f"{_pct(d['max_criticality'])} of iterations)"
                for d in described[:5]
            ),
            tuple(t for p in paths for t in p),
            {"paths": described, "critical_path_tasks": len(ctx.schedule.critical_path)},
            "watch these paths as closely as the critical path; add float where it is cheap "
            "(start them earlier, remove a dependency that is only a preference)",
            0.0,
            ctx.plan.program.loc,
        )
    ]


def wide_estimates(ctx: Context) -> list[Finding]:
    """R104: a driving task whose pessimistic estimate is at least ``wide_ratio`` times its
    optimistic one and at least ``wide_spread_days`` above it (a 1d/2d/3d task is not wide)."""
    opts = ctx.options
    out = []
    for task_id in sorted(ctx.driving):
        task = ctx.plan.task_by_id[task_id]
        work = task.work
        if work is None or work.is_single or task.milestone:
            continue
        o, lk, p = (ctx.work_days(task, w) for w in ("optimistic", "likely", "pessimistic"))
        ratio = p / o if o > 0 else math.inf
        if ratio < opts.wide_ratio or p - o < opts.wide_spread_days:
            continue
        crit = ctx.criticality(task_id)
        on_cp = task_id in ctx.scheduled and ctx.scheduled[task_id].critical
        weight = 1.0 if on_cp else crit
        out.append(
            Finding(
                "R104",
                Rating.HIGH if on_cp and crit >= 0.5 else Rating.MEDIUM,
                f"'{task_id}' is estimated {work.format(ctx.plan.hours_per_day)}: pessimistic "
                f"{_fmt(ratio)}x optimistic on a driving task "
                f"({'critical' if on_cp else 'critical in ' + _pct(crit) + ' of iterations'})",
                (task_id,),
                {
                    "optimistic_days": round(o, 2),
                    "likely_days": round(lk, 2),
                    "pessimistic_days": round(p, 2),
                    "ratio": round(ratio, 2) if math.isfinite(ratio) else None,
                    "criticality": round(crit, 3),
                    "critical": on_cp,
                },
                "narrow it before it bites: a spike or prototype, split the unknown part out, "
                "or agree what would be cut if it runs to the pessimistic case",
                weight * (p - lk),
                ctx.loc(task_id, "estimate") if task.estimate else ctx.loc(task_id, "duration"),
            )
        )
    return out


def long_tasks(ctx: Context) -> list[Finding]:
    """R105: a leaf task of people's work whose likely work exceeds ``long_task_days``: too long
    to know whether it is on track."""
    limit = ctx.options.long_task_days
    out = []
    for task in ctx.plan.leaf_tasks():
        if not people_work(task) or ctx.done(task.id):
            continue
        days = ctx.work_days(task)
        if days <= limit:
            continue
        driving = task.id in ctx.driving
        out.append(
            Finding(
                "R105",
                Rating.MEDIUM if driving else Rating.LOW,
                f"'{task.id}' is {_fmt(days)} working days of work in one task "
                f"(more than {_fmt(limit)})" + (" on a driving path" if driving else ""),
                (task.id,),
                {"likely_days": round(days, 2), "limit_days": limit, "driving": driving},
                "break it into pieces of two weeks or less with something to show at the end "
                "of each, so a slip shows early",
                0.0,
                ctx.loc(task.id, "estimate" if task.estimate else "duration"),
            )
        )
    return out


# -- detectors: people ----------------------------------------------------------------------------


def _task_days(ctx: Context, task: Task) -> float:
    """Working days of work left on a task (what is left when it is under way)."""
    progress = ctx.status.tasks.get(task.id) if ctx.status is not None else None
    if progress is not None:
        left = progress.left(task)
        if left is not None:
            return left / float(ctx.plan.calendar.minutes_per_day)
    return ctx.work_days(task)


def bus_factor(ctx: Context) -> list[Finding]:
    """R110: one person holds at least ``bus_factor_share`` of the driving work left (and at
    least ``bus_factor_days`` of it): their absence moves the finish."""
    if ctx.schedule is None:
        return []
    per_person: dict[str, float] = defaultdict(float)
    tasks_of: dict[str, list[str]] = defaultdict(list)
    total = 0.0
    for task_id in ctx.driving:
        task = ctx.plan.task_by_id[task_id]
        s = ctx.scheduled.get(task_id)
        if s is None or not people_work(task) or not s.assignees:
            continue
        days = _task_days(ctx, task)
        total += days
        for person in s.assignees:
            per_person[person] += days / len(s.assignees)
            tasks_of[person].append(task_id)
    if total <= 0:
        return []
    out = []
    opts = ctx.options
    for person, days in sorted(per_person.items()):
        share = days / total
        if share < opts.bus_factor_share or days < opts.bus_factor_days:
            continue
        who = ctx.plan.person_by_id.get(person)
        out.append(
            Finding(
                "R110",
                Rating.HIGH,
                f"{who.name if who else person} holds {_pct(share)} of the driving work left "
                f"({_fmt(days)} of {_fmt(total)} working days, {len(tasks_of[person])} tasks)",
                (person, *sorted(tasks_of[person])),
                {
                    "person": person,
                    "days": round(days, 2),
                    "driving_days": round(total, 2),
                    "share": round(share, 3),
                    "tasks": sorted(tasks_of[person]),
                },
                "pair someone with them on the driving tasks, move some of the work to others "
                "with the skills, and write down what only they know",
                days * share,
                who.loc if who else UNKNOWN_LOC,
            )
        )
    return out


def single_skill(ctx: Context) -> list[Finding]:
    """R111: a skill that work still to do needs, held by one person with time on the program
    (one finding per person, naming their skills)."""
    holders: dict[str, list[str]] = defaultdict(list)
    for person in ctx.plan.people:
        if person.allocation > 0:
            for skill in person.skills:
                holders[skill].append(person.id)
    needed: dict[str, list[str]] = defaultdict(list)
    for task in ctx.plan.leaf_tasks():
        if task.milestone or ctx.done(task.id) or task.assignees:
            continue
        for skill in task.skills:
            if len(holders.get(skill, ())) == 1:
                needed[skill].append(task.id)
    by_person: dict[str, list[str]] = defaultdict(list)
    for skill in needed:
        by_person[holders[skill][0]].append(skill)
    out = []
    for person_id, skills in sorted(by_person.items()):
        tasks = sorted({t for s in skills for t in needed[s]})
        days = sum(ctx.work_days(ctx.plan.task_by_id[t]) for t in tasks)
        driving = sorted(t for t in tasks if t in ctx.driving)
        person = ctx.plan.person_by_id[person_id]
        out.append(
            Finding(
                "R111",
                Rating.MEDIUM if driving else Rating.LOW,
                f"only {person.name} has {', '.join(sorted(skills))}, needed by {len(tasks)} "
                f"task(s) still to do ({_fmt(days)} working days)"
                + (f", {len(driving)} of them driving" if driving else ""),
                (person_id, *tasks),
                {
                    "person": person_id,
                    "skills": sorted(skills),
                    "tasks": tasks,
                    "days": round(days, 2),
                    "driving": driving,
                    "allocation": round(float(person.allocation), 3),
                },
                "train or hire a second person, or line up a contractor for the skill",
                0.0,
                person.loc,
            )
        )
    return out


def _window_slices(start: int, end: int, a: int, width: int) -> Iterable[tuple[int, int]]:
    """(window, overlap days) of [start, end) with windows [a + k*width, a + (k+1)*width)."""
    if end <= start:
        return
    for k in range((start - a) // width, (end - 1 - a) // width + 1):
        lo, hi = a + k * width, a + (k + 1) * width
        days = min(end, hi) - max(start, lo)
        if days > 0:
            yield k, days


def over_allocation(ctx: Context) -> list[Finding]:
    """R112: in a window of ``window_days`` working days, the work that the unlevelled network
    puts there (every task at its early dates, its work spread evenly) exceeds what the people
    who can do it have (working days less time off, times allocation).

    Pools are the sets of people able to do each task and each team; a window is reported for
    the smallest overloaded pool only (if Priya alone is overloaded, Priya-and-Marcus is too).
    Severity is high when even the work that cannot move out of the window (energetic
    reasoning with the late dates) exceeds it: then levelling must delay the finish.
    """
    plan, opts = ctx.plan, ctx.options
    if ctx.schedule is None or not plan.people:
        return []
    network, _ = build_network(plan, ctx.grid, "makespan", ctx.status)
    if network is None:
        return []
    passes = cpm(network.problem)
    now = (
        ctx.grid.index_on_or_after(ctx.status.date + dt.timedelta(days=1))
        if ctx.status is not None
        else 0
    )
    width = max(1, opts.window_days)
    end = passes.project_end
    if end <= now:
        return []
    windows = math.ceil((end - now) / width)
    horizon = now + windows * width
    demand: dict[frozenset[str], Floats] = {}
    must: dict[frozenset[str], Floats] = {}
    contrib: dict[frozenset[str], dict[str, Floats]] = defaultdict(dict)
    for job, ref in enumerate(network.refs):
        if ref.kind != "task":
            continue
        task = plan.task_by_id[ref.task]
        if not people_work(task) or ctx.done(task.id):
            continue
        pool = frozenset(p.id for p in candidates(plan, task))
        if not pool:
            continue
        days = _task_days(ctx, task)
        if task.estimate is None:  # a fixed duration holds its people throughout
            days *= max(1, len(task.assignees))
        es, ef = passes.early_start[job], passes.early_finish[job]
        ls = max(es, passes.late_start[job])
        length = ef - es
        if length <= 0 or days <= 0:
            continue
        rate = days / length
        row = demand.setdefault(pool, np.zeros(windows))
        must_row = must.setdefault(pool, np.zeros(windows))
        mine = np.zeros(windows)
        for k, overlap in _window_slices(es, ef, now, width):
            mine[k] += rate * overlap
        for k, _ in _window_slices(es, ls + length, now, width):
            lo, hi = now + k * width, now + (k + 1) * width
            early = max(0, min(hi, ef) - max(lo, es))
            late = max(0, min(hi, ls + length) - max(lo, ls))
            must_row[k] += rate * min(early, late)
        row += mine
        contrib[pool][task.id] = mine
    if not demand:
        return []
    off = unavailability_by_person(plan, ctx.grid, horizon)
    capacity: dict[str, Floats] = {}
    for person in plan.people:
        free = np.ones(horizon)
        for a, b in off.get(person.id, ()):
            free[a:b] = 0
        capacity[person.id] = free[now:].reshape(windows, width).sum(axis=1) * float(
            person.allocation
        )
    team_pools = {
        frozenset(m for m in team.members if m in capacity and capacity[m].any())
        for team in plan.teams
    }
    pools = sorted({*demand, *(p for p in team_pools if p)}, key=lambda p: (len(p), sorted(p)))
    sets = list(demand)
    over: dict[frozenset[str], tuple[Floats, Floats, Floats]] = {}
    for pool in pools:
        inside = [s for s in sets if s <= pool]
        if not inside:
            continue
        d = np.sum([demand[s] for s in inside], axis=0)
        m = np.sum([must[s] for s in inside], axis=0)
        c = np.sum([capacity[p] for p in pool], axis=0)
        over[pool] = (d, m, c)
    flagged: dict[frozenset[str], list[int]] = defaultdict(list)
    for k in range(windows):
        hot = [
            p
            for p, (d, _, c) in over.items()
            if d[k] > c[k] * opts.overload + 1e-9 and d[k] - c[k] >= 1
        ]
        for p in hot:
            if not any(q < p for q in hot):
                flagged[p].append(k)
    out = []
    for pool, ks in flagged.items():
        d, m, c = over[pool]
        runs: list[list[int]] = []
        for k in ks:
            if runs and runs[-1][-1] == k - 1:
                runs[-1].append(k)
            else:
                runs.append([k])
        for run in runs:
            dd, mm, cc = (float(x[run].sum()) for x in (d, m, c))
            first = ctx.grid.date_of(now + run[0] * width)
            last = ctx.grid.date_of(now + (run[-1] + 1) * width - 1)
            tasks: dict[str, float] = defaultdict(float)
            for s in (s for s in sets if s <= pool):
                for t, row in contrib[s].items():
                    share = float(row[run].sum())
                    if share > 0:
                        tasks[t] += share
            top = sorted(tasks.items(), key=lambda kv: (-kv[1], kv[0]))
            names = sorted(pool)
            per_day = cc / (len(run) * width) if cc > 0 else 0.0
            excess = dd - cc
            out.append(
                Finding(
                    "R112",
                    Rating.HIGH if mm > cc + 1e-9 else Rating.MEDIUM,
                    f"{', '.join(names)}: {_fmt(dd)} days of work at early dates in {first}.."
                    f"{last} against {_fmt(cc)} days available ({_pct(dd / cc) if cc else '∞'})"
                    + (f"; {_fmt(mm)} days of it cannot move" if mm > cc + 1e-9 else "")
                    + " ("
                    + ", ".join(t for t, _ in top[:3])
                    + (f" and {len(top) - 3} more" if len(top) > 3 else "")
                    + ")",
                    (*names, *(t for t, _ in top[:8])),
                    {
                        "people": names,
                        "from": first.isoformat(),
                        "to": last.isoformat(),
                        "demand_days": round(dd, 2),
                        "fixed_days": round(mm, 2),
                        "capacity_days": round(cc, 2),
                        "load": round(dd / cc, 3) if cc else None,
                        "tasks": [{"task": t, "days": round(v, 2)} for t, v in top[:8]],
                    },
                    "spread the work: give some of these tasks to people outside this group "
                    "(add the skill), stagger their start dates, or accept the later dates "
                    "levelling gives",
                    excess / per_day if per_day else float(len(run) * width),
                    plan.person_by_id[names[0]].loc
                    if names[0] in plan.person_by_id
                    else UNKNOWN_LOC,
                )
            )
    return out


def time_off_crunch(ctx: Context) -> list[Finding]:
    """R113: driving work and its people's time off meet: the task waits for someone's time
    off to end (the schedule's time-off driver: tasks are not split around days off), its
    window holds days off, or time off starts within ``time_off_margin`` working days after
    its finish (a small slip would then wait out the whole absence)."""
    if ctx.schedule is None:
        return []
    grid, margin = ctx.grid, ctx.options.time_off_margin
    horizon = ctx.schedule.makespan_days + margin + 1
    off = unavailability_by_person(ctx.plan, ctx.grid, horizon)
    out = []
    for task_id in sorted(ctx.driving):
        s = ctx.scheduled.get(task_id)
        task = ctx.plan.task_by_id[task_id]
        if s is None or not s.assignees or not people_work(task):
            continue
        a = grid.index_on_or_after(s.start)
        b = grid.index_on_or_before(s.finish) + 1
        for person in s.assignees:
            held = (
                s.driver is not None and s.driver.kind == "time-off" and s.driver.person == person
            )
            spans = [
                (x, y)
                for x, y in off.get(person, ())
                if (x < b + margin and y > a) or (held and y == a)
            ]
            if not spans:
                continue
            waited = sum(y - x for x, y in spans if held and y == a)
            inside = sum(max(0, min(y, b) - max(x, a)) for x, y in spans)
            after = sum(max(0, min(y, b + margin) - max(x, b)) for x, y in spans)
            dates = [
                f"{grid.date_of(x)}..{grid.date_of(y - 1)}" if y - x > 1 else str(grid.date_of(x))
                for x, y in spans
            ]
            who = ctx.plan.person_by_id.get(person)
            name = who.name if who else person
            how = []
            if waited:
                how.append(f"waits {waited} working days for {name}'s time off")
            if inside:
                how.append(f"holds {inside} of {name}'s days off")
            if after:
                how.append(f"{name}'s time off starts within {margin} working days of its finish")
            out.append(
                Finding(
                    "R113",
                    Rating.HIGH if s.critical else Rating.MEDIUM,
                    f"'{task_id}' ({s.start}..{s.finish}, "
                    f"{'critical' if s.critical else 'float ' + str(s.total_float_days) + ' d'}) "
                    + "; ".join(how)
                    + f" ({', '.join(dates)})",
                    (task_id, person),
                    {
                        "person": person,
                        "start": s.start.isoformat(),
                        "finish": s.finish.isoformat(),
                        "days_waited": waited,
                        "days_off_inside": inside,
                        "days_off_just_after": after,
                        "time_off": dates,
                        "total_float_days": s.total_float_days,
                    },
                    "hand the task to someone else with the skills, start it before the time "
                    "off, or agree to move the time off",
                    float(waited + inside + after),
                    ctx.loc(task_id),
                )
            )
    return out


def team_away(ctx: Context) -> list[Finding]:
    """R114: a week in which more than ``away_share`` of a team is away (each for at least half
    the week's working days) while the team has work scheduled."""
    if ctx.schedule is None:
        return []
    grid = ctx.grid
    start = (
        grid.index_on_or_after(ctx.status.date + dt.timedelta(days=1))
        if ctx.status is not None
        else 0
    )
    end = ctx.schedule.makespan_days
    if end <= start:
        return []
    off = unavailability_by_person(ctx.plan, ctx.grid, end)
    weeks: dict[dt.date, list[int]] = defaultdict(list)  # Monday -> grid days
    for i in range(start, end):
        day = grid.date_of(i)
        weeks[day - dt.timedelta(days=day.weekday())].append(i)
    out = []
    for team in ctx.plan.teams:
        members = [m for m in team.members if m in ctx.plan.person_by_id]
        if len(members) < 2:
            continue
        running = [
            s
            for s in ctx.scheduled.values()
            if not s.summary
            and s.state != "done"
            and s.duration_days > 0
            and ctx.plan.task_by_id[s.id].team == team.id
        ]
        for monday, days in sorted(weeks.items()):
            lo, hi = days[0], days[-1] + 1
            away = []
            for m in members:
                gone = sum(max(0, min(y, hi) - max(x, lo)) for x, y in off.get(m, ()))
                if gone * 2 >= len(days):
                    away.append(m)
            if len(away) <= ctx.options.away_share * len(members):
                continue
            work = sorted(
                s.id
                for s in running
                if grid.index_on_or_after(s.start) < hi and grid.index_on_or_before(s.finish) >= lo
            )
            if not work:
                continue
            driving = [t for t in work if t in ctx.driving]
            out.append(
                Finding(
                    "R114",
                    Rating.HIGH if driving else Rating.MEDIUM,
                    f"week of {monday}: {len(away)} of {len(members)} people of team "
                    f"'{team.id}' are away ({', '.join(away)}) while {len(work)} of its tasks "
                    f"are scheduled" + (f", {len(driving)} driving" if driving else ""),
                    (team.id, *away, *work),
                    {
                        "team": team.id,
                        "week": monday.isoformat(),
                        "away": away,
                        "members": len(members),
                        "tasks": work,
                        "driving": driving,
                    },
                    "stagger the time off, or plan lighter work (or none on the driving path) "
                    "that week",
                    float(len(driving)),
                    team.loc,
                )
            )
    return out


# -- detectors: dependencies ----------------------------------------------------------------------


def external_dependency(ctx: Context) -> list[Finding]:
    """R120: work done outside the program (tagged ``vendor``, ``external``, ...; in a plan
    with no such tags, a fixed duration naming no people or skills) on the driving path."""
    out = []
    for task_id in sorted(ctx.external & ctx.driving):
        task = ctx.plan.task_by_id[task_id]
        s = ctx.scheduled.get(task_id)
        crit = ctx.criticality(task_id)
        on_cp = s is not None and s.critical
        work = task.work
        lk = ctx.work_days(task)
        p = ctx.work_days(task, "pessimistic")
        risks = [r.risk.id for r in ctx.register if r.active and task_id in r.risk.affects]
        exposure = (1.0 if on_cp else crit) * max(p - lk, 0.0)
        out.append(
            Finding(
                "R120",
                Rating.HIGH if on_cp or crit >= 0.5 or exposure >= 5 else Rating.MEDIUM,
                f"'{task_id}' is outside the program's control "
                f"({work.format(ctx.plan.hours_per_day) if work else 'no estimate'}) and "
                + (
                    "on the critical path"
                    if on_cp
                    else f"critical in {_pct(crit)} of iterations"
                    + (f" (float {s.total_float_days} d)" if s else "")
                )
                + (f"; register: {', '.join(risks)}" if risks else "; no risk in the register"),
                (task_id, *risks),
                {
                    "likely_days": round(lk, 2),
                    "pessimistic_days": round(p, 2),
                    "criticality": round(crit, 3),
                    "critical": on_cp,
                    "total_float_days": s.total_float_days if s else None,
                    "tags": list(task.tags),
                    "risks": risks,
                },
                "get a committed date in writing, track it weekly with the supplier, and plan "
                "a fallback (interim option, earlier order, penalty clause)"
                + ("" if risks else "; add it to the risk register"),
                exposure,
                ctx.loc(task_id),
            )
        )
    return out


def _driving_any(ctx: Context) -> set[str]:
    """Driving leaf tasks and every summary above one."""
    out = set(ctx.driving)
    for task_id in ctx.driving:
        parent = ctx.plan.task_by_id[task_id].parent
        while parent is not None and parent not in out:
            out.add(parent)
            parent = ctx.plan.task_by_id[parent].parent
    return out


def cross_team(ctx: Context) -> list[Finding]:
    """R121: a dependency between two teams' tasks (or summaries) where both ends are on a
    driving path: a hand-off that sets the finish (one finding per pair of teams; links as
    written in the plan)."""
    driving = _driving_any(ctx)
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for task in ctx.plan.tasks:
        if task.team is None or task.id not in driving:
            continue
        for dep in task.depends:
            pred = ctx.plan.task_by_id.get(dep.task)
            if pred is None or pred.team is None or pred.team == task.team:
                continue
            if pred.id in driving:
                pairs[(pred.team, task.team)].append((pred.id, task.id))
    out = []
    for (src, dst), links in sorted(pairs.items()):
        links.sort()
        crit = max(
            (
                1.0 if ctx.scheduled.get(b) and ctx.scheduled[b].critical else ctx.criticality(b)
                for _, b in links
            ),
            default=0.0,
        )
        # Hand-offs on the critical path itself matter more than ones with some float.
        out.append(
            Finding(
                "R121",
                Rating.MEDIUM,
                f"team '{dst}' waits on team '{src}' on the driving path: "
                + ", ".join(f"{a} → {b}" for a, b in links[:4])
                + (f" and {len(links) - 4} more" if len(links) > 4 else ""),
                (src, dst, *sorted({t for link in links for t in link})),
                {
                    "from_team": src,
                    "to_team": dst,
                    "links": [{"from": a, "to": b} for a, b in links],
                    "max_criticality": round(crit, 3),
                },
                "agree the hand-off explicitly: a named owner on each side, a date, and what "
                "'done' means; review it in the cross-team sync",
                0.0,
                ctx.loc(links[0][1]),
            )
        )
    return out


# -- detectors: the register ----------------------------------------------------------------------


def _risk_severity(ratings: Iterable[Rating]) -> Rating:
    """A group of register findings is as severe as its worst risk, one step down (a hygiene
    problem, not the risk itself): critical -> high, high or medium -> medium, else low."""
    top = max((r.rank for r in ratings), default=0)
    return Rating.HIGH if top >= 3 else Rating.MEDIUM if top >= 1 else Rating.LOW


def _moot(ctx: Context, scored: ScoredRisk) -> bool:
    """Every task the risk affects is done (it can no longer delay anything it names)."""
    affected = [t for t in scored.risk.affects if t in ctx.plan.task_by_id]
    return bool(affected) and all(ctx.done(t) for t in affected)


def moot_risks(ctx: Context) -> list[Finding]:
    """R134: open or mitigating risks whose affected tasks are all done: close them, or point
    them at the work they still threaten (one finding for all of them)."""
    found = [s for s in ctx.register if s.active and _moot(ctx, s)]
    if not found:
        return []
    return [
        Finding(
            "R134",
            Rating.LOW,
            f"{len(found)} open risk(s) only affect work that is done: "
            + ", ".join(f"{s.risk.id} ({', '.join(s.risk.affects)})" for s in found),
            tuple(s.risk.id for s in found),
            {
                "risks": [
                    {
                        "id": s.risk.id,
                        "affects": list(s.risk.affects),
                        "status": s.risk.status.value,
                    }
                    for s in found
                ]
            },
            "close them (the register overstates the exposure), or update what they affect "
            "if the threat moved to later work",
            0.0,
            found[0].risk.loc,
        )
    ]


def unowned_risks(ctx: Context) -> list[Finding]:
    """R130: risks not closed with no owner (one finding for all of them)."""
    found = [s for s in ctx.register if s.unowned]
    if not found:
        return []
    return [
        Finding(
            "R130",
            _risk_severity(s.rating for s in found),
            f"{len(found)} risk(s) have no owner: "
            + ", ".join(f"{s.risk.id} ({s.rating.value})" for s in found),
            tuple(s.risk.id for s in found),
            {"risks": [{"id": s.risk.id, "rating": s.rating.value} for s in found]},
            "give each an owner who watches it and acts on it; a risk nobody owns is nobody's job",
            float(sum(s.exposure_days for s in found)),
            found[0].risk.loc,
        )
    ]


def unmitigated_risks(ctx: Context) -> list[Finding]:
    """R131: an open (not yet mitigating) high or critical risk with no response, or with a
    response other than accept and no mitigation written."""
    out = []
    for s in ctx.register:
        r = s.risk
        if r.status is not RiskStatus.OPEN or s.rating.rank < Rating.HIGH.rank:
            continue
        if r.response is not None and (r.response.value == "accept" or r.mitigation.strip()):
            continue
        out.append(
            Finding(
                "R131",
                Rating.CRITICAL if s.rating is Rating.CRITICAL else Rating.HIGH,
                f"'{r.id}' is rated {s.rating.value} (P{s.probability_band} x "
                f"I{s.impact_band} = {s.score}) with "
                + (
                    "no response"
                    if r.response is None
                    else f"'{r.response.value}' but no mitigation"
                ),
                (r.id,),
                {
                    "score": s.score,
                    "rating": s.rating.value,
                    "response": r.response.value if r.response else None,
                    "exposure_days": _days(s.exposure_days),
                    "exposure_money": str(s.exposure_money.quantize(Decimal("0.01"))),
                },
                "decide the response (avoid, mitigate, transfer or accept) and write down "
                "the actions, their owner and date",
                float(s.exposure_days),
                r.loc,
            )
        )
    return out


def stale_risks(ctx: Context) -> list[Finding]:
    """R132: risks not closed whose review date has passed (one finding for all of them)."""
    found = sorted(
        (s for s in ctx.register if s.review_overdue_days is not None),
        key=lambda s: (-(s.review_overdue_days or 0), s.risk.id),
    )
    if not found:
        return []
    return [
        Finding(
            "R132",
            _risk_severity(s.rating for s in found),
            f"{len(found)} risk review(s) overdue as of {ctx.options.as_of}: "
            + ", ".join(f"{s.risk.id} ({s.review_overdue_days} d)" for s in found[:6])
            + (f" and {len(found) - 6} more" if len(found) > 6 else ""),
            tuple(s.risk.id for s in found),
            {
                "as_of": ctx.options.as_of.isoformat(),
                "risks": [
                    {
                        "id": s.risk.id,
                        "review_date": s.risk.review_date.isoformat()
                        if s.risk.review_date
                        else None,
                        "days_overdue": s.review_overdue_days,
                        "rating": s.rating.value,
                    }
                    for s in found
                ],
            },
            "review them at the next risk meeting: update probability, impact and status, "
            "and set the next review date",
            float(sum(s.exposure_days for s in found)),
            found[0].risk.loc,
        )
    ]


_RAID_SEVERITY = {
    "low": Rating.LOW,
    "medium": Rating.MEDIUM,
    "high": Rating.HIGH,
    "critical": Rating.CRITICAL,
}


def overdue_raid(ctx: Context) -> list[Finding]:
    """R133: an assumption, issue or decision past its due date and still open."""
    out = []
    for e in ctx.raid:
        if e.overdue_days is None:
            continue
        i = e.item
        out.append(
            Finding(
                "R133",
                _RAID_SEVERITY.get(i.severity, Rating.MEDIUM),
                f"{e.kind} '{i.id}' ({i.title}) was due {i.due}, still open "
                f"({e.overdue_days} days overdue)" + ("" if i.owner else "; no owner"),
                (i.id, *i.affects),
                {
                    "kind": e.kind,
                    "due": i.due.isoformat() if i.due else None,
                    "days_overdue": e.overdue_days,
                    "owner": i.owner,
                    "severity": i.severity,
                    "affects": list(i.affects),
                },
                {
                    "assumption": "validate it now, or plan for it being false",
                    "issue": "escalate it: agree the fix, its owner and a new date",
                    "decision": "get the decision made, or escalate to whoever can make it",
                }[e.kind],
                0.0,
                i.locs.get("due", i.loc),
            )
        )
    return out


# -- detectors: tracking --------------------------------------------------------------------------


def _iso(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def late_tasks(ctx: Context) -> list[Finding]:
    """R140: as of the status date, a task the baseline had started (not started yet) or
    finished (not done yet); one finding per driving task, one for the rest."""
    t = ctx.tracking
    if t is None or not t.baseline_tasks or ctx.status is None:
        return []
    today = ctx.status.date
    grid = ctx.grid
    late: list[dict[str, Any]] = []
    for task_id, base in t.baseline_tasks.items():
        task = ctx.plan.task_by_id.get(task_id)
        if task is None or task.is_summary or base.get("summary") or task.milestone:
            continue
        progress = ctx.status.tasks.get(task_id)
        state = progress.state if progress is not None else "planned"
        start, finish = _iso(base.get("start")), _iso(base.get("finish"))
        if start is None or finish is None or state == "done":
            continue
        if finish <= today:
            kind, since = "not finished", finish
        elif start <= today and state == "planned":
            kind, since = "not started", start
        else:
            continue
        behind = grid.working_days_between(since, today + dt.timedelta(days=1)) - (
            1 if kind == "not finished" else 0
        )
        if behind < 1:
            continue
        late.append(
            {
                "task": task_id,
                "late": kind,
                "baseline_start": start.isoformat(),
                "baseline_finish": finish.isoformat(),
                "state": state,
                "percent_complete": round(float(progress.percent_complete) * 100, 1)
                if progress is not None and progress.percent_complete is not None
                else None,
                "working_days_behind": behind,
            }
        )
    late.sort(key=lambda d: (-d["working_days_behind"], d["task"]))
    out = []
    rest = []
    for d in late:
        if d["task"] not in ctx.driving:
            rest.append(d)
            continue
        out.append(
            Finding(
                "R140",
                Rating.HIGH,
                f"'{d['task']}' is {d['late']} {d['working_days_behind']} working days after "
                f"its baseline {'finish' if d['late'] == 'not finished' else 'start'} "
                f"({d['baseline_finish'] if d['late'] == 'not finished' else d['baseline_start']})"
                f" on a driving path",
                (d["task"],),
                d | {"baseline": t.baseline, "status_date": today.isoformat()},
                "find out what blocks it and unblock it this week; re-plan what depends on it",
                float(d["working_days_behind"]),
                ctx.loc(d["task"]),
            )
        )
    if rest:
        out.append(
            Finding(
                "R140",
                Rating.MEDIUM,
                f"{len(rest)} task(s) behind the baseline '{t.baseline}' as of {today}: "
                + ", ".join(f"{d['task']} ({d['working_days_behind']} d)" for d in rest[:6])
                + (f" and {len(rest) - 6} more" if len(rest) > 6 else ""),
                tuple(d["task"] for d in rest),
                {"baseline": t.baseline, "status_date": today.isoformat(), "tasks": rest},
                "they have float for now; check each has an owner and a date, so the float is "
                "not all used up",
                float(max(d["working_days_behind"] for d in rest)),
                ctx.loc(rest[0]["task"]),
            )
        )
    return out


def slipping_milestones(ctx: Context) -> list[Finding]:
    """R141: a milestone (or a task with a deadline) now scheduled ``slip_days`` or more working
    days after its baseline date."""
    t = ctx.tracking
    if t is None or not t.baseline_tasks or ctx.schedule is None:
        return []
    grid = ctx.grid
    out = []
    for task in ctx.plan.tasks:
        if not (task.milestone or task.deadline) or task.id not in t.baseline_tasks:
            continue
        s = ctx.scheduled.get(task.id)
        base = _iso(t.baseline_tasks[task.id].get("finish"))
        if s is None or base is None or s.state == "done":
            continue
        slip = grid.working_days_between(base, s.finish)
        if slip < ctx.options.slip_days:
            continue
        past = task.deadline is not None and s.finish > task.deadline
        out.append(
            Finding(
                "R141",
                Rating.HIGH if past else Rating.MEDIUM,
                f"'{task.id}' now finishes {s.finish}, {slip} working days after its baseline "
                f"{base}" + (f" and past its deadline {task.deadline}" if past else ""),
                (task.id,),
                {
                    "baseline": t.baseline,
                    "baseline_finish": base.isoformat(),
                    "finish": s.finish.isoformat(),
                    "slip_days": slip,
                    "deadline": task.deadline.isoformat() if task.deadline else None,
                },
                "tell its stakeholders now, with the cause and a recovery plan (or a new "
                "baseline if the change is accepted)",
                float(slip),
                ctx.loc(task.id),
            )
        )
    return out


def stale_updates(ctx: Context) -> list[Finding]:
    """R142: tasks under way whose latest progress report is more than ``stale_days`` calendar
    days older than the status date."""
    t = ctx.tracking
    if t is None or not t.facts or ctx.status is None:
        return []
    latest: dict[str, dt.date] = {}
    for f in t.facts:
        if f.status_date <= ctx.status.date and f.status_date > latest.get(f.task_id, dt.date.min):
            latest[f.task_id] = f.status_date
    stale = []
    for task_id, p in ctx.status.tasks.items():
        if p.state != "in-progress" or task_id not in latest:
            continue
        age = (ctx.status.date - latest[task_id]).days
        if age > ctx.options.stale_days:
            stale.append((task_id, latest[task_id], age))
    if not stale:
        return []
    stale.sort(key=lambda x: (-x[2], x[0]))
    driving = [s for s in stale if s[0] in ctx.driving]
    return [
        Finding(
            "R142",
            Rating.MEDIUM if driving else Rating.LOW,
            f"{len(stale)} task(s) under way have no progress report for more than "
            f"{ctx.options.stale_days} days: "
            + ", ".join(f"{x[0]} (last {x[1]})" for x in stale[:6])
            + (f" and {len(stale) - 6} more" if len(stale) > 6 else ""),
            tuple(x[0] for x in stale),
            {
                "status_date": ctx.status.date.isoformat(),
                "tasks": [
                    {"task": x[0], "last_report": x[1].isoformat(), "days": x[2]} for x in stale
                ],
            },
            "ask the owners for an update; a task nobody reports on is often a stuck one",
            0.0,
            ctx.loc(stale[0][0]),
        )
    ]


def stale_status(ctx: Context) -> list[Finding]:
    """R143: with tracking, no progress recorded at all, or the latest more than ``stale_days``
    calendar days before the as-of date: the dates and odds are planned from old news."""
    t = ctx.tracking
    if t is None:
        return []
    latest = max((f.status_date for f in t.facts), default=None)
    age = (ctx.options.as_of - latest).days if latest is not None else None
    if latest is not None and age is not None and age <= ctx.options.stale_days:
        return []
    return [
        Finding(
            "R143",
            Rating.MEDIUM,
            "no progress is recorded for the program"
            if latest is None
            else f"the latest progress is from {latest}, {age} days before {ctx.options.as_of}",
            (),
            {
                "latest_status_date": latest.isoformat() if latest else None,
                "as_of": ctx.options.as_of.isoformat(),
                "days": age,
            },
            "record this period's progress (`ontrack progress FILE`) before trusting the dates",
            0.0,
            ctx.plan.program.loc,
        )
    ]


def scope_creep(ctx: Context) -> list[Finding]:
    """R144: the scope (likely work plus realised risks) grew more than ``scope_threshold``
    since the baseline (see the scope engine)."""
    t = ctx.tracking
    if t is None or t.baseline_plan is None:
        return []
    change = scope_change(t.baseline_plan, ctx.plan)
    threshold = ctx.options.scope_threshold
    if not change.creep(threshold):
        return []
    growth = change.growth
    top = change.contributors(5)
    return [
        Finding(
            "R144",
            Rating.HIGH if growth is None or growth > 2 * threshold else Rating.MEDIUM,
            f"scope grew {_fmt(float(change.baseline_days))} → {_fmt(float(change.current_days))} "
            f"days since baseline '{t.baseline}'"
            + (f" (+{_pct(float(growth))})" if growth is not None else "")
            + (
                ": largest " + ", ".join(f"{i.id} +{_fmt(float(i.delta))} d" for i in top[:3])
                if top
                else ""
            ),
            tuple(i.id for i in top),
            {
                "baseline": t.baseline,
                "baseline_days": round(float(change.baseline_days), 2),
                "current_days": round(float(change.current_days), 2),
                "growth": round(float(growth), 4) if growth is not None else None,
                "threshold": round(float(threshold), 4),
                **change.components_json(),
                "contributors": [i.to_json() for i in top],
            },
            "take the additions to change control: trade them against other scope, or "
            "re-baseline with the sponsor's agreement",
            float(change.change),
            ctx.plan.program.loc,
        )
    ]


# -- the whole assessment -------------------------------------------------------------------------

Detector = Callable[[Context], list[Finding]]

#: Every detector, in code order. A tuple: the registry cannot be changed at run time.
DETECTORS: tuple[tuple[str, Detector], ...] = (
    ("R101", deadline_at_risk),
    ("R102", merge_bias),
    ("R103", thin_float),
    ("R104", wide_estimates),
    ("R105", long_tasks),
    ("R110", bus_factor),
    ("R111", single_skill),
    ("R112", over_allocation),
    ("R113", time_off_crunch),
    ("R114", team_away),
    ("R120", external_dependency),
    ("R121", cross_team),
    ("R130", unowned_risks),
    ("R131", unmitigated_risks),
    ("R132", stale_risks),
    ("R133", overdue_raid),
    ("R134", moot_risks),
    ("R140", late_tasks),
    ("R141", slipping_milestones),
    ("R142", stale_updates),
    ("R143", stale_status),
    ("R144", scope_creep),
)


@dataclass(frozen=True, slots=True)
class Assessment:
    as_of: dt.date
    program_days: int
    register: tuple[ScoredRisk, ...]
    heatmap: tuple[HeatCell, ...]
    raid: tuple[RaidEntry, ...]
    findings: tuple[Finding, ...]
    hours_per_day: Fraction
    currency: str
    status_date: dt.date | None = None
    baseline: str | None = None

    def ranked_register(self) -> tuple[ScoredRisk, ...]:
        """By exposure in days, then money, then score."""
        return tuple(
            sorted(
                self.register,
                key=lambda s: (-s.exposure_days, -s.exposure_money, -s.score, s.risk.id),
            )
        )

    def to_json(self) -> dict[str, Any]:
        by_kind: dict[str, list[dict[str, Any]]] = {
            "assumptions": [],
            "issues": [],
            "decisions": [],
        }
        for e in self.raid:
            by_kind[e.kind + "s"].append(e.to_json())
        return {
            "as_of": self.as_of.isoformat(),
            "status_date": self.status_date.isoformat() if self.status_date else None,
            "baseline": self.baseline,
            "program_days": self.program_days,
            "currency": self.currency,
            "register": [s.to_json(self.hours_per_day) for s in self.ranked_register()],
            "heatmap": [c.to_json() for c in self.heatmap],
            "raid": by_kind,
            "findings": [f.to_json() for f in self.findings],
        }


def assess(
    plan: Plan,
    schedule: Schedule | None,
    forecast: Forecast | None,
    options: RiskOptions,
    tracking: Tracking | None = None,
    schedule_problems: Sequence[Diagnostic] = (),
    detectors: Sequence[tuple[str, Detector]] = DETECTORS,
) -> Assessment:
    """Score the register and run every detector. ``schedule`` None (the plan cannot be
    scheduled; ``schedule_problems`` say why) leaves the register and the plan-only detectors."""
    ctx = build_context(plan, schedule, forecast, options, tracking)
    findings: list[Finding] = []
    if schedule is None:
        findings.append(
            Finding(
                "R100",
                Rating.CRITICAL,
                "the plan cannot be scheduled: "
                + ("; ".join(f"{d.code} {d.message}" for d in schedule_problems[:3]) or "unknown"),
                tuple(sorted({s for d in schedule_problems for s in d.subjects})),
                {"problems": [d.to_json() for d in schedule_problems]},
                "fix the problems `ontrack schedule` reports; until then no date can be trusted",
                0.0,
                schedule_problems[0].loc if schedule_problems else plan.program.loc,
            )
        )
    for code, detector in detectors:
        try:
            findings.extend(detector(ctx))
        except Exception as exc:  # a bug in one detector must not hide the others' findings
            findings.append(
                Finding(
                    "R199",
                    Rating.LOW,
                    f"detector {code} ({CODES[code][0]}) failed: {type(exc).__name__}: {exc}",
                    (code,),
                    {"detector": code, "error": "".join(traceback.format_exception_only(exc))},
                    "this is a bug in ontrack; please report it with the plan",
                )
            )
    findings.sort(key=rank_key)
    return Assessment(
        as_of=options.as_of,
        program_days=schedule.makespan_days if schedule is not None else 0,
        register=ctx.register,
        heatmap=heatmap(ctx.register),
        raid=ctx.raid,
        findings=tuple(findings),
        hours_per_day=plan.hours_per_day,
        currency=plan.program.currency,
        status_date=ctx.status.date if ctx.status is not None else None,
        baseline=tracking.baseline if tracking is not None else None,
    )
