"""What a forecast tells a TPM: the odds for each date, what drives them, and how sure we are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

ItemKind = Literal["milestone", "deadline", "release", "program", "task"]
DriverKind = Literal["task", "risk", "merge"]


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """The S-curve: the chance of being done by ``date``."""

    date: dt.date
    probability: float


@dataclass(frozen=True, slots=True)
class ItemForecast:
    """The finish of a milestone, a task with a deadline, a release, or the whole program."""

    id: str
    title: str
    kind: ItemKind
    deadline: dt.date | None
    planned: dt.date  # the deterministic schedule's date (likely estimates, no risks)
    p10: dt.date
    p50: dt.date
    p80: dt.date
    p95: dt.date
    mean_days: float  # working days from the program start to the finish, averaged
    probability_on_time: float | None
    merge_bias_days: float  # how much later it is, on average, than its latest input path
    curve: tuple[CurvePoint, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "deadline": _iso(self.deadline),
            "planned": self.planned.isoformat(),
            "p10": self.p10.isoformat(),
            "p50": self.p50.isoformat(),
            "p80": self.p80.isoformat(),
            "p95": self.p95.isoformat(),
            "mean_days": round(self.mean_days, 2),
            "probability_on_time": None
            if self.probability_on_time is None
            else round(self.probability_on_time, 4),
            "merge_bias_days": round(self.merge_bias_days, 2),
            "s_curve": [
                {"date": p.date.isoformat(), "probability": round(p.probability, 4)}
                for p in self.curve
            ],
        }


@dataclass(frozen=True, slots=True)
class TaskForecast:
    id: str
    title: str
    criticality: float  # share of iterations in which it drives the program finish
    cruciality: float  # correlation of its duration with the program finish
    sensitivity: float  # schedule sensitivity index: criticality x sd(task) / sd(finish)
    planned_days: int
    mean_days: float
    mean_finish: dt.date  # the mean finish, as a date

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "criticality": round(self.criticality, 4),
            "cruciality": round(self.cruciality, 4),
            "sensitivity": round(self.sensitivity, 4),
            "planned_days": self.planned_days,
            "mean_days": round(self.mean_days, 2),
            "mean_finish": self.mean_finish.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class DriverContribution:
    """Working days a task's overrun, a risk, or merging paths add to the mean program finish
    beyond the deterministic date (what moves the finish, not just what varies)."""

    kind: DriverKind
    id: str
    title: str
    days: float
    share: float  # of the mean delay

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "days": round(self.days, 2),
            "share": round(self.share, 4),
        }


@dataclass(frozen=True, slots=True)
class RiskForecast:
    id: str
    title: str
    probability: float  # as the register gives it (1 for a risk that has occurred)
    occurred: float  # share of iterations in which it happened
    mean_delay_days: float  # working days added to the program finish on average

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "probability": round(self.probability, 4),
            "occurred": round(self.occurred, 4),
            "mean_delay_days": round(self.mean_delay_days, 2),
        }


@dataclass(frozen=True, slots=True)
class CostForecast:
    currency: str
    planned: float
    mean: float
    p50: float
    p80: float
    p95: float
    budget: float | None
    probability_within_budget: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "planned": round(self.planned, 2),
            "mean": round(self.mean, 2),
            "p50": round(self.p50, 2),
            "p80": round(self.p80, 2),
            "p95": round(self.p95, 2),
            "budget": self.budget,
            "probability_within_budget": None
            if self.probability_within_budget is None
            else round(self.probability_within_budget, 4),
        }


@dataclass(frozen=True, slots=True)
class Convergence:
    """When the P80 of the program finish stopped moving: its 95 % confidence interval is
    within +-1 % of the P80's working days from the start."""

    stable_after: int | None  # iterations; None when not yet stable
    p80_halfwidth_days: float  # at the end of the run
    p80_halfwidth_percent: float
    statement: str

    def to_json(self) -> dict[str, Any]:
        return {
            "stable_after": self.stable_after,
            "p80_halfwidth_days": round(self.p80_halfwidth_days, 2),
            "p80_halfwidth_percent": round(self.p80_halfwidth_percent, 3),
            "statement": self.statement,
        }


@dataclass(frozen=True, slots=True)
class Forecast:
    iterations: int
    seed: int
    distribution: str
    mode: Literal["network", "resources"]
    start: dt.date
    finish: ItemForecast
    milestones: tuple[ItemForecast, ...]
    tasks: tuple[TaskForecast, ...]
    drivers: tuple[DriverContribution, ...]
    risks: tuple[RiskForecast, ...]
    cost: CostForecast | None
    convergence: Convergence
    seconds: float
    # Tasks the caller asked to follow (ForecastOptions.watch) beyond milestones and deadlines:
    # each with its own finish distribution, as a tracker write-back needs.
    watched: tuple[ItemForecast, ...] = ()

    def to_json(self) -> dict[str, Any]:
        extra = {"watched": [w.to_json() for w in self.watched]} if self.watched else {}
        return extra | {
            "iterations": self.iterations,
            "seed": self.seed,
            "distribution": self.distribution,
            "mode": self.mode,
            "start": self.start.isoformat(),
            "finish": self.finish.to_json(),
            "milestones": [m.to_json() for m in self.milestones],
            "tasks": [t.to_json() for t in self.tasks],
            "drivers": [d.to_json() for d in self.drivers],
            "risks": [r.to_json() for r in self.risks],
            "cost": self.cost.to_json() if self.cost else None,
            "convergence": self.convergence.to_json(),
            "seconds": round(self.seconds, 3),
        }
