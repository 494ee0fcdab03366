"""What a plan holds, in totals a TPM quotes: counts, estimated work by team, exposure to risk.

Work totals are exact working days (fractions); the PERT mean (o + 4m + p) / 6 is the figure to
quote for a three-point plan, the likely sum is what people remember saying.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ontrack.model import Estimate, Plan, Risk, RiskStatus


@dataclass(frozen=True, slots=True)
class Work:
    """Working days of effort: optimistic, likely, pessimistic and PERT-mean totals."""

    tasks: int = 0
    optimistic: Fraction = Fraction(0)
    likely: Fraction = Fraction(0)
    pessimistic: Fraction = Fraction(0)
    pert: Fraction = Fraction(0)

    def plus(self, estimate: Estimate, minutes_per_day: Fraction) -> Work:
        return Work(
            self.tasks + 1,
            self.optimistic + estimate.optimistic.minutes / minutes_per_day,
            self.likely + estimate.likely.minutes / minutes_per_day,
            self.pessimistic + estimate.pessimistic.minutes / minutes_per_day,
            self.pert + estimate.pert_mean_minutes / minutes_per_day,
        )


@dataclass(frozen=True, slots=True)
class TeamLine:
    id: str
    name: str
    members: int
    lead: str | None
    tasks: int
    work: Work


@dataclass(frozen=True, slots=True)
class PersonLine:
    id: str
    name: str
    teams: tuple[str, ...]
    skills: tuple[str, ...]
    allocation: Fraction
    rate: str
    assigned: int  # tasks that name them as an assignee (skill-matched work is the scheduler's)
    days_off: int


@dataclass(frozen=True, slots=True)
class MilestoneLine:
    id: str
    title: str
    deadline: dt.date | None


@dataclass(frozen=True, slots=True)
class ReleaseLine:
    id: str
    title: str
    date: dt.date | None
    includes: int


@dataclass(frozen=True, slots=True)
class RiskLine:
    id: str
    title: str
    probability: Fraction
    impact_days: Fraction | None
    exposure_days: Fraction | None
    cost_exposure: Decimal | None
    owner: str | None
    status: str
    response: str | None


@dataclass(frozen=True, slots=True)
class PlanSummary:
    name: str
    start: dt.date
    currency: str
    budget: Decimal | None
    counts: dict[str, int]
    effort: Work
    fixed_duration: Work
    unestimated: int
    teams: tuple[TeamLine, ...]
    people: tuple[PersonLine, ...]
    milestones: tuple[MilestoneLine, ...]
    releases: tuple[ReleaseLine, ...]
    risks: tuple[RiskLine, ...]
    exposure_days: Fraction
    cost_exposure: Decimal


def summarise(plan: Plan) -> PlanSummary:
    per_day = plan.calendar.minutes_per_day
    effort, fixed = Work(), Work()
    by_team: dict[str | None, Work] = defaultdict(Work)
    tasks_by_team: Counter[str | None] = Counter()
    assigned: Counter[str] = Counter()
    unestimated = 0
    for task in plan.leaf_tasks():
        if task.milestone:
            continue
        tasks_by_team[task.team] += 1
        assigned.update(task.assignees)
        if task.estimate is not None:
            effort = effort.plus(task.estimate, per_day)
            by_team[task.team] = by_team[task.team].plus(task.estimate, per_day)
        elif task.duration is not None:
            fixed = fixed.plus(task.duration, per_day)
        else:
            unestimated += 1
    teams_of: dict[str, list[str]] = defaultdict(list)
    for team in plan.teams:
        for member in team.members:
            teams_of[member].append(team.id)
    risks = tuple(_risk_line(plan, r) for r in plan.risks)
    live = [
        r for r, src in zip(risks, plan.risks, strict=True) if src.status is not RiskStatus.CLOSED
    ]
    counts = {
        "tasks": len(plan.tasks),
        "work_tasks": sum(1 for t in plan.leaf_tasks() if not t.milestone),
        # Work that names nobody: the scheduler gives it to whoever has the skills and is free.
        "unassigned_tasks": sum(
            1 for t in plan.leaf_tasks() if not t.milestone and not t.assignees
        ),
        "summary_tasks": sum(1 for t in plan.tasks if t.is_summary),
        "milestones": sum(1 for t in plan.tasks if t.milestone),
        "people": len(plan.people),
        "teams": len(plan.teams),
        "risks": len(plan.risks),
        "active_risks": len(live),
        "releases": len(plan.releases),
        "stakeholders": len(plan.stakeholders),
    }
    return PlanSummary(
        name=plan.program.name,
        start=plan.program.start,
        currency=plan.program.currency,
        budget=plan.program.budget,
        counts=counts,
        effort=effort,
        fixed_duration=fixed,
        unestimated=unestimated,
        teams=tuple(
            TeamLine(t.id, t.name, len(t.members), t.lead, tasks_by_team[t.id], by_team[t.id])
            for t in plan.teams
        ),
        people=tuple(
            PersonLine(
                p.id,
                p.name,
                tuple(teams_of[p.id]),
                p.skills,
                p.allocation,
                str(p.rate) if p.rate else "",
                assigned[p.id],
                sum(_working_days_off(plan, p.id)),
            )
            for p in plan.people
        ),
        milestones=tuple(
            MilestoneLine(t.id, t.title, t.deadline) for t in plan.tasks if t.milestone
        ),
        releases=tuple(ReleaseLine(r.id, r.title, r.date, len(r.includes)) for r in plan.releases),
        risks=risks,
        exposure_days=sum((r.exposure_days or Fraction(0) for r in live), Fraction(0)),
        cost_exposure=sum((r.cost_exposure or Decimal(0) for r in live), Decimal(0)),
    )


def _risk_line(plan: Plan, risk: Risk) -> RiskLine:
    per_day = plan.calendar.minutes_per_day
    impact = risk.impact.pert_mean_minutes / per_day if risk.impact else None
    cost = (
        (
            risk.cost_impact
            * Decimal(risk.probability.numerator)
            / Decimal(risk.probability.denominator)
        )
        if risk.cost_impact is not None
        else None
    )
    return RiskLine(
        risk.id,
        risk.title,
        risk.probability,
        impact,
        impact * risk.probability if impact is not None else None,
        cost,
        risk.owner,
        risk.status.value,
        risk.response.value if risk.response else None,
    )


def _working_days_off(plan: Plan, person_id: str) -> list[int]:
    """Working days lost to each time-off range, on the person's own calendar."""
    person = plan.person_by_id[person_id]
    calendar = plan.calendar_of(person)
    return [
        sum(1 for i in range(r.days) if calendar.is_working_day(r.start + dt.timedelta(days=i)))
        for r in person.time_off
    ]
