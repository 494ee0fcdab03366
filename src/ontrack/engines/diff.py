"""What changed between two versions of a plan: tasks added, removed and changed (field by field),
risks added, closed, reopened and removed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ontrack.model import Dependency, Estimate, Plan, Risk, RiskStatus, Task

TaskChangeKind = Literal["added", "removed", "changed"]
RiskChangeKind = Literal["added", "removed", "closed", "reopened", "changed"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: str
    new: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "old": self.old, "new": self.new}


ChangeKind = TaskChangeKind | RiskChangeKind


@dataclass(frozen=True, slots=True)
class Change:
    """A task or a risk that was added, removed or changed (field by field)."""

    kind: ChangeKind
    id: str
    title: str
    fields: tuple[FieldChange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "changes": [f.to_json() for f in self.fields],
        }


@dataclass(frozen=True, slots=True)
class PlanDiff:
    tasks: tuple[Change, ...]
    risks: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.tasks and not self.risks

    def count(self, kind: str) -> int:
        return sum(1 for t in self.tasks if t.kind == kind)

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": {
                "tasks_added": self.count("added"),
                "tasks_removed": self.count("removed"),
                "tasks_changed": self.count("changed"),
                "risks_added": sum(1 for r in self.risks if r.kind == "added"),
                "risks_closed": sum(1 for r in self.risks if r.kind == "closed"),
            },
            "tasks": [t.to_json() for t in self.tasks],
            "risks": [r.to_json() for r in self.risks],
        }


def _estimate(value: Estimate | None, hours_per_day: Any) -> str:
    return value.format(hours_per_day) if value is not None else ""


def _depends(deps: tuple[Dependency, ...], hours_per_day: Any) -> str:
    parts = []
    for d in deps:
        text = d.task if d.type.value == "FS" else f"{d.task} {d.type.value}"
        if d.lag:
            sign = "+" if d.lag.minutes > 0 else "-"
            text += f" {sign}{(-d.lag if d.lag.minutes < 0 else d.lag).format(hours_per_day)}"
        parts.append(text)
    return ", ".join(sorted(parts))


def _task_fields(task: Task, hours_per_day: Any) -> dict[str, str]:
    return {
        "title": task.title,
        "estimate": _estimate(task.estimate, hours_per_day),
        "duration": _estimate(task.duration, hours_per_day),
        "depends": _depends(task.depends, hours_per_day),
        "assignees": ", ".join(task.assignees),
        "team": task.team or "",
        "skills": ", ".join(sorted(task.skills)),
        "priority": str(task.priority),
        "milestone": "yes" if task.milestone else "no",
        "deadline": str(task.deadline or ""),
        "start_no_earlier_than": str(task.start_no_earlier_than or ""),
        "parent": task.parent or "",
    }


def _risk_fields(risk: Risk, hours_per_day: Any) -> dict[str, str]:
    return {
        "title": risk.title,
        "probability": f"{float(risk.probability) * 100:g}%",
        "impact": _estimate(risk.impact, hours_per_day),
        "cost_impact": str(risk.cost_impact or ""),
        "affects": ", ".join(risk.affects),
        "owner": risk.owner or "",
        "response": risk.response.value if risk.response else "",
        "status": risk.status.value,
    }


def _changes(old: dict[str, str], new: dict[str, str]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(k, old[k], new[k]) for k in old if old[k] != new[k])


Dates = Mapping[str, tuple[dt.date, dt.date]]  # task -> scheduled (start, finish)


def diff_plans(
    old: Plan, new: Plan, old_dates: Dates | None = None, new_dates: Dates | None = None
) -> PlanDiff:
    """Changes from ``old`` to ``new``, tasks and risks in the new plan's order (removed ones
    in the old plan's order, after). With both plans' schedules, moved start and finish dates
    are changes too."""
    old_hpd, new_hpd = old.calendar.hours_per_day, new.calendar.hours_per_day
    tasks: list[Change] = []
    for task in new.tasks:
        before = old.task_by_id.get(task.id)
        if before is None:
            tasks.append(Change("added", task.id, task.title))
            continue
        old_fields = _task_fields(before, old_hpd)
        new_fields = _task_fields(task, new_hpd)
        if old_dates is not None and new_dates is not None:
            for i, name in enumerate(("scheduled start", "scheduled finish")):
                old_fields[name] = str(old_dates[task.id][i]) if task.id in old_dates else ""
                new_fields[name] = str(new_dates[task.id][i]) if task.id in new_dates else ""
        fields = _changes(old_fields, new_fields)
        if fields:
            tasks.append(Change("changed", task.id, task.title, fields))
    tasks.extend(
        Change("removed", t.id, t.title) for t in old.tasks if t.id not in new.task_by_id
    )
    old_risks = {r.id: r for r in old.risks}
    new_ids = {r.id for r in new.risks}
    risks: list[Change] = []
    for risk in new.risks:
        before_risk = old_risks.get(risk.id)
        if before_risk is None:
            risks.append(Change("added", risk.id, risk.title))
            continue
        fields = _changes(_risk_fields(before_risk, old_hpd), _risk_fields(risk, new_hpd))
        if not fields:
            continue
        was_closed = before_risk.status is RiskStatus.CLOSED
        is_closed = risk.status is RiskStatus.CLOSED
        kind: RiskChangeKind = (
            "closed"
            if is_closed and not was_closed
            else "reopened"
            if was_closed and not is_closed
            else "changed"
        )
        risks.append(Change(kind, risk.id, risk.title, fields))
    risks.extend(Change("removed", r.id, r.title) for r in old.risks if r.id not in new_ids)
    return PlanDiff(tuple(tasks), tuple(risks))
