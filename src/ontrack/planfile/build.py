"""Turn validated specs into model records, resolving durations against the calendar.

Cross-record rules (references, cycles, …) are not checked here: they live in ``ontrack.checks``
and run on the model, so plans imported from other tools get the same checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from ontrack.checks.limits import MAX_WORK_DAYS
from ontrack.diagnostics import UNKNOWN_LOC, Diagnostic, SourceLoc, error
from ontrack.model import (
    Calendar,
    ChecklistItem,
    ChecklistStatus,
    DateRange,
    Delivery,
    Dependency,
    DepType,
    Duration,
    Estimate,
    Level,
    Person,
    Program,
    RaidItem,
    RaidStatus,
    Release,
    Risk,
    RiskResponse,
    RiskStatus,
    Stakeholder,
    Task,
    Team,
    Train,
)
from ontrack.model.records import WEEKDAYS
from ontrack.model.tracker import (
    DEFAULT_ESTIMATE,
    HOURS_FIELDS,
    Match,
    Source,
    TrackerKind,
    TrackerLink,
)
from ontrack.planfile import schema as s
from ontrack.planfile.validate import Item
from ontrack.planfile.values import DurationText, EstimateText
from ontrack.planfile.yamlread import PosDict, PosList


class Builder:
    """Builds records for one plan; collects the diagnostics building finds (E112)."""

    def __init__(self, hours_per_day: Fraction, days_per_week: int) -> None:
        self.hours_per_day = hours_per_day
        self.days_per_week = max(days_per_week, 1)
        self.diagnostics: list[Diagnostic] = []
        self._durations: dict[DurationText, Duration] = {}

    # -- quantities -------------------------------------------------------------------------
    def duration(self, text: DurationText) -> Duration:
        # Cached: a 10,000-task plan spells a few dozen durations tens of thousands of times.
        found = self._durations.get(text)
        if found is None:
            found = self._durations[text] = text.to_duration(self.hours_per_day, self.days_per_week)
        return found

    def bounded(self, text: DurationText, where: SourceLoc, label: str, what: str) -> Duration:
        """The duration, with an E110 when it is more than ``MAX_WORK_DAYS`` working days of
        this calendar (the parser's bound allows for any length of day; this one is exact)."""
        found = self.duration(text)
        if abs(found.minutes) > MAX_WORK_DAYS * 60 * self.hours_per_day:
            self.diagnostics.append(
                error(
                    "E110",
                    where,
                    f"{label}: {what} {text} is longer than {MAX_WORK_DAYS} working days "
                    f"of {self.hours_per_day}h (ten years)",
                    "split the work into tasks, or check the number and its unit",
                )
            )
        return found

    def estimate(
        self, text: EstimateText | None, where: SourceLoc, label: str, what: str = "estimate"
    ) -> Estimate | None:
        if text is None:
            return None
        o, m, p = (self.duration(x) for x in (text.optimistic, text.likely, text.pessimistic))
        longest = max((text.pessimistic, text.likely, text.optimistic), key=self.duration)
        self.bounded(longest, where, label, what)
        if not o <= m <= p:
            self.diagnostics.append(
                error(
                    "E112",
                    where,
                    f"{label}: estimate {text.optimistic}/{text.likely}/{text.pessimistic} "
                    "is out of order",
                    "write optimistic/likely/pessimistic with optimistic ≤ likely ≤ pessimistic",
                )
            )
        return Estimate(o, m, p)

    # -- records ----------------------------------------------------------------------------
    @staticmethod
    def program(item: Item[s.ProgramSpec] | None) -> Program:
        if item is None:  # only to run the other checks; the plan is refused anyway
            return Program(name="(no program)", start=dt.date(2000, 1, 1))
        spec = item.spec
        return Program(
            spec.name,
            spec.start,
            spec.currency,
            spec.calendar,
            spec.budget,
            spec.description,
            spec.uncertainty,
            spec.status_date,
            item.raw.loc,
            _locs(item.raw, ("calendar", "start", "uncertainty", "status_date")),
        )

    @staticmethod
    def calendar(spec: s.CalendarSpec, ident: str, loc: SourceLoc) -> Calendar:
        return Calendar(
            ident,
            frozenset(WEEKDAYS.index(d) for d in spec.workweek),
            spec.hours_per_day,
            _days_of(spec.holidays),
            loc,
        )

    def person(self, item: Item[s.PersonSpec]) -> Person:
        spec, raw = item.spec, item.raw
        locs = _locs(raw, ("time_off", "calendar", "skills", "allocation"))
        ranges = tuple(
            DateRange(a, b, locs.get(f"time_off[{i}]", raw.loc))
            for i, (a, b) in enumerate(spec.time_off)
        )
        return Person(
            spec.id,
            spec.name or spec.id,
            tuple(spec.skills),
            spec.allocation,
            spec.rate,
            ranges,
            spec.calendar,
            spec.email,
            raw.loc,
            locs,
        )

    @staticmethod
    def team(item: Item[s.TeamSpec]) -> Team:
        spec, raw = item.spec, item.raw
        return Team(
            spec.id,
            spec.name or spec.id,
            tuple(spec.members),
            spec.lead,
            raw.loc,
            _locs(raw, ("members", "lead")),
        )

    def task(self, item: Item[s.TaskSpec], parent: Task | None) -> Task:
        spec, raw = item.spec, item.raw
        locs = _locs(
            raw,
            (
                "id",
                "title",
                "estimate",
                "duration",
                "depends",
                "assignee",
                "team",
                "skills",
                "deadline",
                "milestone",
                "start_no_earlier_than",
                "tasks",
                "actual_start",
                "actual_finish",
                "percent_complete",
                "remaining",
                "accountable",
                "responsible",
                "tracker",
            ),
        )
        label = f"task '{spec.id}'"
        depends = tuple(
            Dependency(
                d.task,
                DepType(d.type),
                self.bounded(d.lag, locs.get(f"depends[{i}]", raw.loc), label, "lag"),
                locs.get(f"depends[{i}]", raw.loc),
            )
            for i, d in enumerate(spec.depends)
        )
        # Children inherit their summary's team and tags: a WBS branch usually belongs to one team.
        team = spec.team if spec.team is not None else (parent.team if parent else None)
        tags = tuple(dict.fromkeys([*(parent.tags if parent else ()), *spec.tags]))
        return Task(
            id=spec.id,
            title=spec.title,
            estimate=self.estimate(spec.estimate, locs.get("estimate", raw.loc), label),
            duration=self.estimate(spec.duration, locs.get("duration", raw.loc), label, "duration"),
            depends=depends,
            skills=tuple(spec.skills),
            assignees=tuple(spec.assignee),
            team=team,
            team_inherited=spec.team is None and team is not None,
            priority=spec.priority,
            milestone=spec.milestone,
            deadline=spec.deadline,
            start_no_earlier_than=spec.start_no_earlier_than,
            tags=tags,
            parent=item.parent,
            children=tuple(item.children),
            notes=spec.notes,
            actual_start=spec.actual_start,
            actual_finish=spec.actual_finish,
            percent_complete=spec.percent_complete,
            remaining=(
                self.bounded(spec.remaining, locs.get("remaining", raw.loc), label, "remaining")
                if spec.remaining is not None
                else None
            ),
            fixed_cost=spec.cost,
            deliverable=spec.deliverable,
            accountable=spec.accountable,
            responsible=tuple(spec.responsible),
            tracker=TrackerLink(*spec.tracker.split("#", 1)) if spec.tracker else None,
            loc=raw.loc,
            locs=locs,
        )

    def risk(self, item: Item[s.RiskSpec]) -> Risk:
        spec, raw = item.spec, item.raw
        locs = _locs(
            raw,
            ("id", "title", "affects", "owner", "impact", "review_date", "probability", "status"),
        )
        return Risk(
            spec.id,
            spec.title,
            spec.probability,
            self.estimate(spec.impact, locs.get("impact", raw.loc), f"risk '{spec.id}'", "impact"),
            spec.cost_impact,
            tuple(spec.affects),
            spec.owner,
            RiskResponse(spec.response) if spec.response else None,
            spec.mitigation,
            RiskStatus(spec.status),
            spec.review_date,
            raw.loc,
            locs,
        )

    @staticmethod
    def release(item: Item[s.ReleaseSpec]) -> Release:
        spec, raw = item.spec, item.raw
        listed = raw.get("checklist")
        checklist = tuple(
            Builder._checklist_item(c, listed[i] if isinstance(listed, PosList) else raw)
            for i, c in enumerate(spec.checklist)
        )
        return Release(
            spec.id,
            spec.title,
            spec.date,
            tuple(spec.includes),
            raw.loc,
            _locs(raw, ("includes", "date", "train", "tracker_items", "min_odds", "signoffs")),
            spec.train,
            tuple(spec.tracker_items),
            spec.min_odds,
            tuple(dict.fromkeys(r.strip().lower() for r in spec.signoffs if r.strip())),
            checklist,
        )

    @staticmethod
    def _checklist_item(spec: s.ChecklistItemSpec, raw: Any) -> ChecklistItem:
        loc = raw.loc if isinstance(raw, PosDict) else UNKNOWN_LOC
        return ChecklistItem(
            spec.id,
            spec.title,
            spec.owner,
            spec.due,
            ChecklistStatus(spec.status),
            spec.note,
            loc,
            _locs(raw, ("id", "owner", "due", "status"))
            if isinstance(raw, PosDict)
            else MappingProxyType({}),
        )

    @staticmethod
    def train(item: Item[s.TrainSpec]) -> Train:
        spec, raw = item.spec, item.raw
        return Train(
            spec.id,
            spec.title or spec.id,
            spec.first,
            spec.every,
            spec.until,
            spec.code_freeze,
            spec.hardening,
            raw.loc,
            _locs(raw, ("first", "every", "until", "code_freeze", "hardening")),
        )

    @staticmethod
    def delivery(item: Item[s.DeliverySpec] | None) -> Delivery | None:
        if item is None:
            return None
        spec, raw = item.spec, item.raw
        return Delivery(
            spec.deployments,
            spec.repo,
            spec.incidents,
            spec.environment,
            spec.period,
            raw.loc,
            _locs(raw, ("repo", "deployments", "incidents")),
        )

    @staticmethod
    def stakeholder(item: Item[s.StakeholderSpec]) -> Stakeholder:
        spec = item.spec
        return Stakeholder(
            spec.id,
            spec.name,
            spec.role,
            Level(spec.interest),
            Level(spec.influence),
            spec.email,
            item.raw.loc,
        )

    @staticmethod
    def raid(item: Item[s.RaidSpec]) -> RaidItem:
        spec, raw = item.spec, item.raw
        return RaidItem(
            spec.id,
            spec.title,
            spec.owner,
            RaidStatus(spec.status),
            spec.severity,
            spec.raised,
            spec.due,
            tuple(spec.affects),
            spec.notes,
            raw.loc,
            _locs(raw, ("owner", "affects", "raised", "due")),
        )

    def source(self, item: Item[s.SourceSpec]) -> Source:
        spec = item.spec
        kind = TrackerKind(spec.kind)
        default_field, default_unit = DEFAULT_ESTIMATE[kind]
        field = spec.estimate.field if spec.estimate else default_field
        unit_text = spec.estimate.unit if spec.estimate else None
        if unit_text is not None:
            unit = self.duration(unit_text)
        elif field in HOURS_FIELDS or (field == default_field and default_unit == "1h"):
            unit = Duration(60)
        else:  # a day of the program's calendar (story points, weights, estimate labels)
            unit = Duration(int(self.hours_per_day * 60))
        match = spec.match
        return Source(
            name=spec.name,
            kind=kind,
            url=spec.url,
            project=spec.project,
            token_env=spec.token_env,
            user_env=spec.user_env,
            match=Match(tuple(match.labels), match.milestone, match.parent, match.query),
            estimate_field=field,
            estimate_unit=unit,
            people=MappingProxyType(dict(spec.people)),
            started=tuple(spec.started),
            done=tuple(spec.done),
            loc=item.raw.loc,
        )

    def tasks(self, items: Sequence[Item[s.TaskSpec]]) -> tuple[Task, ...]:
        built: dict[str, Task] = {}
        out: list[Task] = []
        for item in items:  # parents come before their children
            parent = built.get(item.parent) if item.parent else None
            task = self.task(item, parent)
            built.setdefault(task.id, task)
            out.append(task)
        return tuple(out)


def _days_of(ranges: Sequence[tuple[dt.date, dt.date]]) -> tuple[dt.date, ...]:
    """Every day of inclusive date ranges, sorted and unique. Overlapping ranges are merged
    first, so the work is the days covered (at most the date horizon), not the ranges' sum."""
    days: list[dt.date] = []
    covered: dt.date | None = None  # the last day listed so far
    for start, end in sorted(ranges):
        first = start if covered is None else max(start, covered + dt.timedelta(days=1))
        days.extend(first + dt.timedelta(days=i) for i in range((end - first).days + 1))
        covered = end if covered is None else max(covered, end)
    return tuple(days)


def _locs(raw: PosDict, keys: Sequence[str]) -> MappingProxyType[str, SourceLoc]:
    """Positions of the named fields, and of each item of the list-valued ones."""
    out: dict[str, SourceLoc] = {}
    for key in keys:
        if key not in raw:
            continue
        out[key] = raw.value_locs[key]
        value: Any = raw[key]
        if isinstance(value, PosList):
            for i, loc in enumerate(value.item_locs):
                out[f"{key}[{i}]"] = loc
        else:
            out[f"{key}[0]"] = raw.value_locs[key]
    return MappingProxyType(out)
