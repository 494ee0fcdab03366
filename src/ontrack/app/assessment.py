"""The program assessment: schedule, forecast, tracking measures, risk scores and findings,
audit, and the RAG with its reasons — computed once per (plan revision, tracking data, as-of
date, options) and rendered by every output (``ontrack assess``, ``forecast``, ``risks``,
``audit``, ``budget``, ``report``, ``status``). Two outputs that show the same figure read it
from here, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from ontrack.app.asof import AsOf, resolve_as_of, status_as_of
from ontrack.diagnostics import Diagnostic
from ontrack.engines.readiness import Readiness
from ontrack.engines.schedule.planner import BackendName, ScheduleOptions, SolvedPlan, solve_plan
from ontrack.engines.schedule.progress import Status
from ontrack.model import Plan
from ontrack.model.signoff import SignOff
from ontrack.model.tracker import Drift, TrackerItem
from ontrack.reports.data import ReportData, ReportOptions, TrackingInput, build_report

if TYPE_CHECKING:
    from ontrack.engines.compliance import Audit, AuditOptions
    from ontrack.engines.dora import DoraReport
    from ontrack.engines.forecast.result import Forecast
    from ontrack.engines.risk import Assessment as RiskAssessment
    from ontrack.engines.risk import RiskOptions

#: One iteration count everywhere: the Monte Carlo is fast enough for 10,000 on any plan a
#: person reads a report of, and the same count means the same odds in every output.
DEFAULT_ITERATIONS = 10_000
DEFAULT_TIME_LIMIT = 5.0  # seconds for the deterministic schedule

MilestoneState = Literal["done", "overdue", "late", "at-risk", "on-track", "no-deadline"]


@dataclass(frozen=True, slots=True)
class AssessOptions:
    """Everything that changes the numbers (part of what the assessment is computed for)."""

    iterations: int = DEFAULT_ITERATIONS
    seed: int = 0
    time_limit: float = DEFAULT_TIME_LIMIT
    backend: BackendName = "heuristic"
    distribution: str = "pert"
    resources: bool = False
    correlation: float = 0.0
    correlate_by: Literal["team", "tag"] = "team"
    near_critical_days: int = 5
    # The detectors' thresholds (its as_of is replaced by the assessment's).
    risk: RiskOptions | None = None
    # The audit's options (its schedule is replaced by the assessment's).
    audit: AuditOptions | None = None
    # How the report presents it; its ``findings`` and ``audit`` switch those engines off.
    report: ReportOptions = field(default_factory=ReportOptions)


@dataclass(frozen=True, slots=True)
class Assessment:
    """One program's assessment as of one day."""

    plan: Plan
    as_of: AsOf
    status: Status
    options: AssessOptions
    solved: SolvedPlan
    forecast: Forecast
    risks: RiskAssessment
    audit: Audit | None
    report: ReportData
    tracking: TrackingInput | None
    diagnostics: tuple[Diagnostic, ...]
    # Each release's gates and go/no-go recommendation (ontrack.engines.readiness).
    releases: tuple[Readiness, ...] = ()
    # The DORA metrics of the plan's ``delivery:`` section (None without one, or when its logs
    # cannot be used: then warnings say why). See ontrack.app.delivery.
    delivery: DoraReport | None = None

    @property
    def schedule(self) -> Any:
        return self.solved.schedule

    def milestone_state(self, row: Any) -> MilestoneState:
        """done (progress says so), overdue (its deadline passed before it was done), late
        (the schedule finishes after the deadline), at-risk (under the RAG's odds), on-track,
        or no-deadline."""
        if row.done:
            return "done"
        if row.deadline is None:
            return "no-deadline"
        if row.deadline < self.as_of.date:
            return "overdue"
        if row.planned > row.deadline:
            return "late"
        rules = self.options.report.rag
        limit = rules.release_amber if row.kind == "release" else rules.milestone_amber
        if row.probability is not None and row.probability < limit:
            return "at-risk"
        return "on-track"

    def to_json(self) -> dict[str, Any]:
        """The whole assessment (``ontrack assess --format json``): what scripts and tests
        compare every other output with."""
        data = self.report
        items = {m.id: m for m in self.forecast.milestones}
        cost = self.forecast.cost
        budget = data.tracking.budget if data.tracking is not None else None
        return {
            "program": data.program,
            "as_of": self.as_of.to_json(),
            "options": {
                "iterations": self.forecast.iterations,
                "seed": self.forecast.seed,
                "distribution": self.forecast.distribution,
                "resources": self.options.resources,
                "backend": self.options.backend,
            },
            "rag": {
                "rating": data.rag.colour,
                "reason": data.rag.reason,
                "reasons": [{"rating": c, "reason": r} for c, r in data.rag.reasons],
            },
            "schedule": {
                "start": data.start.isoformat(),
                "finish": data.finish.isoformat(),
                "status": self.solved.schedule.status,
                "critical_path": list(self.solved.schedule.critical_path),
            },
            "finish": self.forecast.finish.to_json(),
            "milestones": [
                {
                    "id": m.id,
                    "title": m.title,
                    "kind": m.kind,
                    "deadline": m.deadline.isoformat() if m.deadline else None,
                    "planned": m.planned.isoformat(),
                    "baseline": m.baseline.isoformat() if m.baseline else None,
                    "p50": m.p50.isoformat(),
                    "p80": m.p80.isoformat(),
                    "p95": items[m.id].p95.isoformat() if m.id in items else None,
                    "probability_on_time": None
                    if m.probability is None
                    else round(m.probability, 4),
                    "state": self.milestone_state(m),
                }
                for m in data.milestones
            ],
            "cost": None if cost is None else cost.to_json(),
            "budget": None if budget is None else budget.to_json(),
            "evm": None if data.tracking is None else _evm(data.tracking),
            "risks": [
                {
                    "id": s.risk.id,
                    "title": s.risk.title,
                    "probability": s.probability_band,
                    "impact": s.impact_band,
                    "score": s.score,
                    "rating": s.rating.value,
                    "status": s.risk.status.value,
                }
                for s in self.risks.ranked_register()
            ],
            "findings": [f.to_json() for f in self.risks.findings],
            "dcma": None
            if self.audit is None
            else [
                {
                    "number": c.number,
                    "name": c.name,
                    "passed": c.passed,
                    "count": c.count,
                    "total": c.total,
                }
                for c in self.audit.dcma
            ],
            # What `ontrack dora --format json` prints for the same logs and window.
            "dora": None if self.delivery is None else self.delivery.to_json(),
            "releases": [r.to_json() for r in self.releases],
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }

    def release(self, ident: str) -> Readiness | None:
        return next((r for r in self.releases if r.release == ident), None)


#: Per source name: the items stored by ``ontrack sync``, with what both sides last agreed on.
Synced = Mapping[str, Sequence[tuple[TrackerItem, Mapping[str, Any] | None]]]


def tracker_view(
    plan: Plan, synced: Synced, status: Status, day: dt.date
) -> tuple[tuple[Drift, ...], dict[str, TrackerItem]]:
    """The drift a sync would report now, and each linked task's item, for the plan's sources
    that have been synced (the same reconciliation ``ontrack sync`` runs, writing nothing)."""
    from ontrack.engines.trackersync import reconcile  # noqa: PLC0415

    drift: list[Drift] = []
    linked: dict[str, TrackerItem] = {}
    for source in plan.trackers:
        stored = synced.get(source.name)
        if not stored:
            continue
        items = {item.key: item for item, _ in stored}
        agreed = {item.key: agreement for item, agreement in stored}
        outcome = reconcile(plan, source, items, agreed, status.tasks, day)
        drift.extend(outcome.drift)
        for task in plan.tasks:
            link = task.tracker
            if link is not None and link.source == source.name and link.key in items:
                linked[task.id] = items[link.key]
    return tuple(drift), linked


def assess(
    plan: Plan,
    options: AssessOptions | None = None,
    *,
    as_of: AsOf | None = None,
    facts: Sequence[Any] = (),
    tracking: TrackingInput | None = None,
    generated: dt.datetime | None = None,
    progress: Callable[[float], None] | None = None,
    synced: Synced | None = None,
    signoffs: Sequence[SignOff] = (),
) -> tuple[Assessment | None, list[Diagnostic]]:
    """Assess ``plan`` with the store's progress ``facts`` (and a baseline's ``tracking``, and
    the tracker items ``ontrack sync`` stored: their drift and staleness are risks).

    ``as_of`` defaults to the one rule (:func:`ontrack.app.asof.resolve_as_of`). Returns None
    and the reasons only when the plan truly cannot be scheduled (nobody can do a task, a
    calendar with no working days); a deadline that cannot be met is a warning."""
    # Engines load numpy, scipy and OR-Tools: only when an assessment is made.
    from ontrack.engines import compliance, risk  # noqa: PLC0415
    from ontrack.engines.forecast.distributions import Distribution  # noqa: PLC0415
    from ontrack.engines.forecast.montecarlo import ForecastOptions, forecast  # noqa: PLC0415

    options = options or AssessOptions()
    as_of = as_of or resolve_as_of(plan, facts)
    chosen = [f for f in facts if f.status_date <= as_of.date]
    status = status_as_of(plan, chosen, as_of)
    solved, diagnostics = solve_plan(
        plan,
        ScheduleOptions(
            backend=options.backend,
            time_limit=options.time_limit,
            seed=options.seed,
            near_critical_days=options.near_critical_days,
            status=status,
        ),
    )
    if solved is None:
        return None, diagnostics
    simulated, problems = forecast(
        plan,
        ForecastOptions(
            iterations=options.iterations,
            seed=options.seed,
            distribution=Distribution(options.distribution),
            resources=options.resources,
            correlation=options.correlation,
            correlate_by=options.correlate_by,
            schedule_time_limit=options.time_limit,
            status=status,
            solved=solved,  # the forecast simulates this very schedule
            progress=progress,
        ),
    )
    seen = {(d.code, d.message) for d in diagnostics}
    diagnostics += [d for d in problems if (d.code, d.message) not in seen]
    if simulated is None:
        return None, diagnostics
    drift, linked = tracker_view(plan, synced or {}, status, as_of.date)
    known = risk.Tracking(
        baseline=tracking.baseline if tracking else None,
        baseline_plan=tracking.plan if tracking else None,
        baseline_tasks=tracking.tasks if tracking else {},
        facts=tuple(chosen),
        status=status,
        drift=drift,
        linked=linked,
    )
    thresholds = replace(options.risk or risk.RiskOptions(as_of=as_of.date), as_of=as_of.date)
    assessed = risk.assess(plan, solved.schedule, simulated, thresholds, known)
    audited = None
    if options.report.audit:
        audited, _ = compliance.audit(
            plan,
            compliance.Tracking(
                status=status,
                baseline=tracking.tasks if tracking else None,
                baseline_name=tracking.baseline if tracking else None,
            ),
            replace(options.audit or compliance.AuditOptions(), solved=solved),
        )
    report = build_report(
        plan,
        options.report,
        solved=solved,
        simulated=simulated,
        status=status,
        status_date=as_of.date,
        tracking=replace(tracking, facts=chosen) if tracking is not None else None,
        assessed=assessed,
        audited=audited,
        diagnostics=diagnostics,
        generated=generated,
        last_progress=as_of.last_progress,
    )
    delivered = None
    if plan.delivery is not None:
        from ontrack.app.delivery import delivery_report  # noqa: PLC0415

        delivered, problems = delivery_report(plan, as_of.date)
        diagnostics += problems
        report = replace(report, delivery=delivered)
    from ontrack.engines.readiness import Inputs, assess_releases  # noqa: PLC0415

    releases = assess_releases(
        Inputs(
            plan=plan,
            as_of=as_of.date,
            schedule=solved.schedule,
            forecast=simulated,
            status=status,
            risks=assessed,
            audit=audited,
            drift=drift,
            signoffs=signoffs,
            default_min_odds=options.report.rag.release_amber,
        )
    )
    report = replace(report, releases=releases, calendar=_calendar(plan, solved))
    return (
        Assessment(
            plan=plan,
            as_of=as_of,
            status=status,
            options=options,
            solved=solved,
            forecast=simulated,
            risks=assessed,
            audit=audited,
            report=report,
            tracking=tracking,
            diagnostics=tuple(diagnostics),
            releases=releases,
            delivery=delivered,
        ),
        diagnostics,
    )


def _evm(tracking: Any) -> dict[str, Any] | None:
    """The latest earned-value figures, rounded as `ontrack evm --format json` prints them."""
    series = tracking.evm
    if series is None:
        return None
    latest = series.latest

    def r(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    return {
        "status_date": latest.date.isoformat() if latest.date else None,
        "spi": r(tracking.spi),
        "cpi": r(tracking.cpi),
        "spi_t": r(latest.spi_t),
        "planned_finish": series.planned_finish.isoformat() if series.planned_finish else None,
        "forecast_finish": latest.forecast_finish.isoformat() if latest.forecast_finish else None,
    }


def _calendar(plan: Plan, solved: SolvedPlan) -> Any:
    """The trains' departures over the program (and two cycles past its finish), each with the
    releases leaving on it; None for a plan without trains."""
    if not plan.trains:
        return None
    from ontrack.engines.releasecal import default_window, release_calendar  # noqa: PLC0415

    schedule = solved.schedule
    start, end = default_window(plan, schedule.finish)
    return release_calendar(plan, start, end, {t.id: t.finish for t in schedule.tasks})
