"""What a schedule tells a TPM: dates, who, float, the critical path, and why each task starts when
it does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

DriverKind = Literal[
    "program-start", "constraint", "predecessor", "person", "time-off", "levelling"
]


@dataclass(frozen=True, slots=True)
class Driver:
    """Why a task starts when it does: the binding constraint on its start."""

    kind: DriverKind
    text: str
    task: str | None = None  # the predecessor (or the task that kept the person busy)
    person: str | None = None


@dataclass(frozen=True, slots=True)
class TaskSchedule:
    id: str
    title: str
    start: dt.date
    finish: dt.date
    duration_days: int
    assignees: tuple[str, ...]
    total_float_days: int
    free_float_days: int
    critical: bool
    near_critical: bool
    milestone: bool
    summary: bool
    deadline: dt.date | None
    late_days: int  # working days past the deadline (0 when on time or no deadline)
    driver: Driver | None
    state: str = "planned"  # done | in-progress | planned (from the progress, if any)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "start": self.start.isoformat(),
            "finish": self.finish.isoformat(),
            "duration_days": self.duration_days,
            "assignees": list(self.assignees),
            "total_float_days": self.total_float_days,
            "free_float_days": self.free_float_days,
            "critical": self.critical,
            "near_critical": self.near_critical,
            "milestone": self.milestone,
            "summary": self.summary,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "late_days": self.late_days,
            "state": self.state,
            "driver": None
            if self.driver is None
            else {
                "kind": self.driver.kind,
                "text": self.driver.text,
                "task": self.driver.task,
                "person": self.driver.person,
            },
        }


@dataclass(frozen=True, slots=True)
class PersonLoad:
    id: str
    tasks: int
    busy_days: int
    available_days: int  # working days in the schedule's span, less their time off

    @property
    def load(self) -> float:
        return self.busy_days / self.available_days if self.available_days else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "load": round(self.load, 3),
            "tasks": self.tasks,
            "busy_days": self.busy_days,
            "available_days": self.available_days,
        }


@dataclass(frozen=True, slots=True)
class Schedule:
    start: dt.date
    finish: dt.date
    status: str  # optimal | feasible
    lower_bound_finish: dt.date | None
    backend: str
    seconds: float
    tasks: tuple[TaskSchedule, ...]
    people: tuple[PersonLoad, ...]
    critical_path: tuple[str, ...]
    makespan_days: int
    status_date: dt.date | None = None  # progress was planned around as of this day

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "finish": self.finish.isoformat(),
            "status": self.status,
            "lower_bound_finish": self.lower_bound_finish.isoformat()
            if self.lower_bound_finish
            else None,
            "makespan_days": self.makespan_days,
            "status_date": self.status_date.isoformat() if self.status_date else None,
            "backend": self.backend,
            "seconds": round(self.seconds, 3),
            "critical_path": list(self.critical_path),
            "tasks": [t.to_json() for t in self.tasks],
            "people": [p.to_json() for p in self.people],
        }
