"""The weekly status report (``ontrack status``): a record built from evidence, and its Markdown
and HTML.

:func:`build_status` reads what :func:`ontrack.reports.data.build_report` gathered (the
schedule, the forecast, the tracking figures, the risk register and the detectors' findings),
the plan itself (its work breakdown, RAID log and stakeholders), the progress facts and the
plan's recorded changes, and returns a :class:`StatusReport`. Every sentence in it is computed
from those inputs: a date, a count, a variance in working days, the task whose slip moved a
milestone. A section with nothing to say says "None" rather than disappearing, so a reader can
tell "nothing to ask" from "forgot to ask".

:func:`render_markdown` and :func:`render_html` write a report out for its audience: ``exec``
(RAG, summary, milestones, top risks, decisions and asks, budget) or ``team`` (all of that plus
highlights, lowlights, blockers per owner, per-workstream detail, every task finished or
started, and the plan's changes). The HTML is one self-contained page with inline styles (mail
clients drop ``<style>`` blocks) and every piece of plan text escaped.

Pure: nothing here reads a clock, a file or the store; the caller passes the facts and the
changes. The rules (workstreams, RAG, variance and its cause, asks) are in
docs/status-report.md.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, Literal, Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ontrack.engines.calendar import WorkCalendar
from ontrack.engines.diff import Change, PlanDiff
from ontrack.engines.graph import leaf_predecessors
from ontrack.engines.schedule.progress import TaskProgress, facts_status, plan_status
from ontrack.model import Plan, RaidItem, RaidStatus, Task
from ontrack.reports.data import (
    GanttTask,
    MilestoneRow,
    ProgressLike,
    Rag,
    RagRules,
    ReportData,
    RiskRow,
    TrackingInput,
    day_text,
)

Audience = Literal["exec", "team"]
Grouping = Literal["auto", "wbs", "team"]

_RANK: Mapping[str, int] = {"red": 0, "amber": 1, "green": 2}
# Progress older than this (calendar days) is a lowlight: the picture is stale (risks' R143 too).
STALE_DAYS = 14

# Within a colour, rules rank in this order (docs/status-report.md), then by their value.
_RULE_ORDER: Mapping[str, int] = {
    "missed": 0,
    "final-late": 1,
    "release-red": 2,
    "index-red": 3,
    "release-amber": 4,
    "final-amber": 5,
    "milestone-amber": 6,
    "index-amber": 7,
}
_ACTIVE_RISK = ("open", "mitigating")


# -- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusRules:
    """The limits of the status rules (docs/status-report.md). ``rag`` holds the chances and
    indices that colour a workstream, shared with the HTML report's program RAG."""

    rag: RagRules = field(default_factory=RagRules)
    # A workstream's SPI and CPI count once its baseline planned at least this share of its
    # budget done by the status date: before that, a day's slip swings the index wildly.
    index_min_planned: float = 0.10
    # A milestone is a lowlight when its schedule slipped this many working days past its
    # baseline, or when the forecast alone puts its P50 ``forecast_slip_days`` past it (the
    # forecast's spread puts most future dates a little later than the schedule's).
    slip_days: int = 1
    forecast_slip_days: int = 5
    ahead_days: int = 1  # ... this many before it, a highlight
    stale_days: int = 14  # work under way with no report for longer is a blocker
    exec_milestones: int = 8
    exec_risks: int = 3
    team_risks: int = 5
    exec_asks: int = 3  # asks derived from findings; RAID decisions and issues always show
    causes: int = 2  # tasks named as a milestone's cause
    # Findings a stakeholder must act on (the rest are the team's to handle).
    ask_codes: frozenset[str] = frozenset({"R101", "R110", "R112", "R120", "R141", "R144"})


class NotedFact(ProgressLike, Protocol):
    """A recorded progress fact with its note (``ontrack.store.repo.ProgressFact``)."""

    @property
    def note(self) -> str: ...


@dataclass(frozen=True, slots=True)
class RevisionNote:
    number: int
    created_at: dt.datetime
    author: str
    message: str


@dataclass(frozen=True, slots=True)
class PlanChanges:
    """What the store recorded about the plan in the report's window."""

    revisions: tuple[RevisionNote, ...]  # recorded in the window, oldest first
    before: int | None  # the last revision recorded before the window (None: there is none)
    diff: PlanDiff | None  # from ``before`` to the latest revision (None: nothing to compare)


# -- the record ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signal:
    """A rule that fired for a workstream: its colour, which rule, the sentence, and a value
    to rank it by within the rule (lower is worse)."""

    colour: Rag
    rule: str
    text: str
    value: float = 0.0

    @property
    def key(self) -> tuple[int, int, float]:
        return (_RANK[self.colour], _RULE_ORDER.get(self.rule, 99), self.value)


@dataclass(frozen=True, slots=True)
class Cause:
    """Why a milestone moved: a task that added slip, or the forecast's uncertainty."""

    kind: Literal["late", "behind", "added", "uncertainty"]
    subject: str  # a task id, or a risk id (uncertainty), or "" when no risk is named
    days: int  # working days it accounts for
    text: str


@dataclass(frozen=True, slots=True)
class MilestoneStatus:
    id: str
    title: str
    kind: str  # milestone | release | deadline | program
    workstream: str  # the id of the workstream it belongs to
    baseline: dt.date | None
    planned: dt.date  # the deterministic schedule (likely estimates, no risks)
    p50: dt.date
    p80: dt.date
    deadline: dt.date | None
    probability: float | None  # of meeting the deadline
    done: bool
    done_on: dt.date | None
    variance_days: int | None  # working days from the baseline to the P50 (negative: ahead)
    schedule_days: int | None  # of which the schedule's slip (baseline to planned)
    causes: tuple[Cause, ...] = ()

    @property
    def uncertainty_days(self) -> int | None:
        if self.variance_days is None or self.schedule_days is None:
            return None
        return self.variance_days - self.schedule_days

    @property
    def cause_text(self) -> str:
        return "; ".join(c.text for c in self.causes)


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """A task that finished or started in the window."""

    id: str
    title: str
    kind: Literal["finished", "started"]
    day: dt.date
    workstream: str
    owners: tuple[str, ...]
    baseline: dt.date | None  # its baseline finish (finished) or start (started)
    variance_days: int | None  # working days after that baseline date (negative: ahead)
    text: str


@dataclass(frozen=True, slots=True)
class WorkstreamStatus:
    id: str
    title: str
    colour: Rag
    reason: str
    signals: tuple[Signal, ...]
    tasks: int  # leaf tasks (milestones not counted)
    done: int
    in_progress: int
    late: int
    spi: float | None
    cpi: float | None
    next_milestone: str  # a sentence, "" when none is left


@dataclass(frozen=True, slots=True)
class RiskLine:
    id: str
    title: str
    probability: float
    impact_days: float | None
    owner: str | None
    status: str
    added: bool  # recorded in the window
    forecast_days: float | None  # working days it adds to the mean finish (forecast)
    text: str


@dataclass(frozen=True, slots=True)
class Ask:
    kind: Literal["decision", "issue", "ask"]
    subject: str  # the RAID item's or the finding's first subject's id
    who: str  # a name (and role), or "" when nobody is named
    text: str


@dataclass(frozen=True, slots=True)
class Blocker:
    owner: str
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class StatusReport:
    program: str
    audience: Audience
    status_date: dt.date
    since: dt.date
    generated: dt.datetime
    baseline: str | None
    iterations: int
    seed: int
    colour: Rag
    reason: str  # the one line under the colour
    worst: str | None  # the workstream whose rule set the colour (None: a program rule did)
    summary: tuple[str, ...]  # three to five sentences
    highlights: tuple[str, ...]
    lowlights: tuple[str, ...]
    blockers: tuple[Blocker, ...]
    milestones: tuple[MilestoneStatus, ...]
    workstreams: tuple[WorkstreamStatus, ...]
    finished: tuple[TaskEvent, ...]
    started: tuple[TaskEvent, ...]
    changes: tuple[str, ...]
    notes: tuple[str, ...]  # progress notes recorded in the window
    risks: tuple[RiskLine, ...]
    asks: tuple[Ask, ...]
    budget: tuple[str, ...]
    grouping: Literal["wbs", "team", "program"]
    rules: StatusRules = field(default_factory=StatusRules)

    @property
    def shown_milestones(self) -> tuple[MilestoneStatus, ...]:
        """The rows the audience sees: every one for the team; for executives, what was
        reached in the window and what is still to come (soonest first, a handful)."""
        if self.audience == "team":
            return self.milestones
        reached = {e.id for e in self.finished}
        recent = [m for m in self.milestones if m.done and m.id in reached]
        ahead = [m for m in self.milestones if not m.done]
        return tuple(recent + ahead[: self.rules.exec_milestones])

    @property
    def shown_risks(self) -> tuple[RiskLine, ...]:
        limit = self.rules.team_risks if self.audience == "team" else self.rules.exec_risks
        return self.risks[:limit]

    @property
    def shown_asks(self) -> tuple[Ask, ...]:
        """RAID decisions and issues always; the findings' asks, the first few for executives."""
        if self.audience == "team":
            return self.asks
        raid = [a for a in self.asks if a.kind != "ask"]
        found = [a for a in self.asks if a.kind == "ask"]
        return tuple(raid + found[: self.rules.exec_asks])


# -- building -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Workstream:
    id: str
    title: str
    tasks: frozenset[str]  # every task in it, summaries included


class _Ctx:
    """What the builders share: indexes over the plan, the report and the progress."""

    def __init__(
        self,
        data: ReportData,
        plan: Plan,
        since: dt.date,
        facts: Sequence[NotedFact],
        tracking: TrackingInput | None,
        rules: StatusRules,
    ) -> None:
        self.data = data
        self.plan = plan
        self.today = data.status_date
        self.since = since
        self.rules = rules
        self.tracking = tracking
        self.calendar = WorkCalendar.of(plan.calendar)
        self.rows: Mapping[str, GanttTask] = data.gantt.by_id
        self.facts = [f for f in facts if f.status_date <= self.today]
        self.preds = leaf_predecessors(plan)
        self.names = {p.id: p.name for p in plan.people}
        self.stakeholders = {s.id: s for s in plan.stakeholders}
        self.now = _progress(plan, self.facts, self.today)
        self.then = _progress(plan, self.facts, since)
        self.milestone_rows = {m.id: m for m in data.milestones}
        self.releases = {r.id: r for r in plan.releases}

    def wd(self, start: dt.date, end: dt.date) -> int:
        """Working days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        return self.calendar.working_days_between(start, end)

    def state(self, task_id: str, then: bool = False) -> str:
        p = (self.then if then else self.now).get(task_id)
        return p.state if p is not None else "planned"

    def finish(self, task_id: str) -> dt.date | None:
        p = self.now.get(task_id)
        if p is not None and p.actual_finish is not None:
            return p.actual_finish
        row = self.rows.get(task_id)
        return row.finish if row is not None else None

    def slip(self, task_id: str) -> int | None:
        row = self.rows.get(task_id)
        if row is None or row.baseline_finish is None:
            return None
        return self.wd(row.baseline_finish, row.finish)

    def who(self, task_id: str) -> tuple[str, ...]:
        """The people on a task, else its team, else nobody."""
        row = self.rows.get(task_id)
        if row is not None and row.assignees:
            return row.assignees
        task = self.plan.task_by_id.get(task_id)
        if task is not None and task.team is not None and task.team in self.plan.team_by_id:
            return (self.plan.team_by_id[task.team].name,)
        return ()

    def person(self, ident: str | None) -> str:
        if ident is None:
            return ""
        if ident in self.names:
            return self.names[ident]
        if ident in self.stakeholders:
            return self.stakeholders[ident].name
        return ident

    def leaves(self, task_id: str) -> list[str]:
        task = self.plan.task_by_id.get(task_id)
        if task is None:
            return []
        if not task.is_summary:
            return [task_id]
        return [t.id for t in self.plan.descendants(task_id) if not t.is_summary]

    def upstream(self, ids: Iterable[str]) -> set[str]:
        """The leaf tasks ``ids`` wait on, transitively, and their own leaves."""
        seen: set[str] = set()
        stack = [leaf for i in ids for leaf in self.leaves(i)]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(self.preds.get(node, ()))
        return seen


def _progress(plan: Plan, facts: Sequence[NotedFact], day: dt.date) -> dict[str, TaskProgress]:
    """Each task's progress as known on ``day``: the recorded facts when there are any (as the
    report plans around them), else what the plan itself records, dated."""
    if facts:
        status = facts_status(plan, facts, day)
        return dict(status.tasks) if status is not None else {}
    own = plan_status(plan)
    if own is None:
        return {}
    out = {}
    for task_id, p in own.tasks.items():
        started = p.actual_start if p.actual_start and p.actual_start <= day else None
        finished = p.actual_finish if p.actual_finish and p.actual_finish <= day else None
        # Undated figures (percent, remaining) hold as of the plan's status date only.
        current = own.date <= day
        out[task_id] = TaskProgress(
            started,
            finished,
            p.percent_complete if current else None,
            p.remaining_minutes if current else None,
        )
    return out


def build_status(
    data: ReportData,
    plan: Plan,
    *,
    since: dt.date,
    audience: Audience = "exec",
    facts: Sequence[NotedFact] = (),
    tracking: TrackingInput | None = None,
    changes: PlanChanges | None = None,
    grouping: Grouping = "auto",
    rules: StatusRules | None = None,
) -> StatusReport:
    """The status report as of ``data.status_date``, with the changes after ``since``.

    ``plan`` is the plan ``data`` was built from; ``facts`` the recorded progress (the plan's
    own progress fields count when there are none); ``tracking`` what ``build_report`` was
    given (it adds each workstream's SPI and CPI); ``changes`` the revisions recorded in the
    window. ``grouping`` picks the workstreams: top-level WBS summaries, teams, or ``auto``
    (summaries when the plan has any, else teams).
    """
    rules = rules or StatusRules()
    ctx = _Ctx(data, plan, since, facts, tracking, rules)
    kind, streams = _workstreams(plan, grouping)
    stream_of = {t: w.id for w in streams for t in w.tasks}
    milestones = tuple(_milestone(ctx, m, stream_of) for m in data.milestones)
    finished, started = _events(ctx, stream_of, streams)
    workstreams = tuple(_stream_status(ctx, w, milestones) for w in streams)
    single = {w.id for w in streams if w.id in (LOOSE, NO_TEAM) and len(w.tasks) == 1}
    colour, reason, worst, clause = _overall(data, workstreams, single)
    diff = changes.diff if changes is not None else None
    risks = _risk_lines(ctx, diff)
    asks = _asks(ctx)
    highlights = _highlights(ctx, milestones, finished, diff)
    lowlights = _lowlights(ctx, milestones, diff)
    return StatusReport(
        program=data.program,
        audience=audience,
        status_date=data.status_date,
        since=since,
        generated=data.generated,
        baseline=data.tracking.baseline if data.tracking is not None else None,
        iterations=data.forecast.iterations,
        seed=data.forecast.seed,
        colour=colour,
        reason=reason,
        worst=worst,
        summary=_summary(ctx, colour, clause, milestones, finished, started, risks),
        highlights=tuple(highlights),
        lowlights=tuple(text for _, text in lowlights),
        blockers=tuple(_blockers(ctx)),
        milestones=milestones,
        workstreams=workstreams,
        finished=tuple(finished),
        started=tuple(started),
        changes=tuple(_change_lines(ctx, changes)),
        notes=tuple(_notes(ctx)),
        risks=risks,
        asks=asks,
        budget=tuple(_budget(data)),
        grouping=kind,
        rules=rules,
    )


# -- workstreams and the RAG --------------------------------------------------------------------


# Groups that are no workstream of the plan's own: the tasks left over by the WBS or the teams.
LOOSE = "(top level)"
NO_TEAM = "(no team)"


def _workstreams(
    plan: Plan, grouping: Grouping
) -> tuple[Literal["wbs", "team", "program"], list[_Workstream]]:
    """Top-level WBS summaries (loose top-level tasks together as one more), or teams (a
    task's own or inherited team, else its first assignee's); the whole program as one when
    neither applies."""
    summaries = [t for t in plan.tasks if t.parent is None and t.is_summary]
    use = grouping if grouping != "auto" else ("wbs" if summaries or not plan.teams else "team")
    if use == "wbs" and summaries:
        out = [
            _Workstream(t.id, t.title, frozenset({t.id, *(d.id for d in plan.descendants(t.id))}))
            for t in summaries
        ]
        loose = [t for t in plan.tasks if t.parent is None and not t.is_summary]
        if loose:
            # Named for what they are: one task by its own title, several as the program's.
            title = (
                loose[0].title if len(loose) == 1 else f"{plan.program.name}: program-level tasks"
            )
            out.append(_Workstream(LOOSE, title, frozenset(t.id for t in loose)))
        return "wbs", out
    if use == "team" and plan.teams:
        member_of: dict[str, str] = {}
        for team in plan.teams:
            for m in team.members:
                member_of.setdefault(m, team.id)
        groups: dict[str, set[str]] = defaultdict(set)
        for task in plan.tasks:
            team_id = task.team or next(
                (member_of[a] for a in task.assignees if a in member_of), None
            )
            groups[team_id or NO_TEAM].add(task.id)
        out = [
            _Workstream(team.id, team.name, frozenset(groups[team.id]))
            for team in plan.teams
            if groups.get(team.id)
        ]
        if groups.get(NO_TEAM):
            out.append(_Workstream(NO_TEAM, "Unassigned to a team", frozenset(groups[NO_TEAM])))
        return "team", out
    return "program", [_Workstream("(program)", plan.program.name, frozenset(plan.task_by_id))]


def _stream_status(
    ctx: _Ctx, stream: _Workstream, milestones: Sequence[MilestoneStatus]
) -> WorkstreamStatus:
    rules = ctx.rules.rag
    final = ctx.data.final
    mine = [m for m in milestones if m.workstream == stream.id]
    signals: list[Signal] = []
    for m in mine:
        if m.done:
            continue
        title = f"'{m.title}'"
        if m.deadline is not None and m.deadline < ctx.today:
            overdue = ctx.wd(m.deadline, ctx.today)
            signals.append(
                Signal(
                    "red",
                    "missed",
                    f"{title} was due {day_text(m.deadline)} and is not done",
                    -float(overdue),
                )
            )
            continue
        if m.id == final.id and m.deadline is not None and m.p80 > m.deadline:
            signals.append(
                Signal(
                    "red",
                    "final-late",
                    f"the final milestone {title} is only 80% likely by {day_text(m.p80)}, "
                    f"{ctx.wd(m.deadline, m.p80)} working days after its deadline "
                    f"{day_text(m.deadline)}",
                    -float(ctx.wd(m.deadline, m.p80)),
                )
            )
            continue
        if m.probability is None or m.deadline is None:
            continue
        chance = f"{title} is {_pct(m.probability)} likely to meet {day_text(m.deadline)}"
        p = m.probability
        if m.kind == "release" and p < rules.release_red:
            signals.append(
                Signal(
                    "red", "release-red", f"release {chance} (below {_pct(rules.release_red)})", p
                )
            )
        elif m.kind == "release" and p < rules.release_amber:
            signals.append(
                Signal(
                    "amber",
                    "release-amber",
                    f"release {chance} (below {_pct(rules.release_amber)})",
                    p,
                )
            )
        elif m.id == final.id and p < rules.release_amber:
            signals.append(
                Signal(
                    "amber",
                    "final-amber",
                    f"the final milestone {chance} (below {_pct(rules.release_amber)})",
                    p,
                )
            )
        elif m.kind != "release" and p < rules.milestone_amber:
            signals.append(
                Signal(
                    "amber",
                    "milestone-amber",
                    f"milestone {chance} (below {_pct(rules.milestone_amber)})",
                    p,
                )
            )
    # Indices judge work still to manage: a finished workstream's overrun is history.
    spi, cpi = _indices(ctx, stream) if _open_work(ctx, stream) else (None, None)
    for name, value in (("SPI", spi), ("CPI", cpi)):
        if value is None:
            continue
        what = "behind schedule" if name == "SPI" else "over cost"
        limits: tuple[tuple[Rag, str, float], ...] = (
            ("red", "index-red", rules.index_red),
            ("amber", "index-amber", rules.index_amber),
        )
        for level, rule, limit in limits:
            if value < limit:
                text = f"{name} {_index(value, limit)}: {what} (below {limit:.2f})"
                signals.append(Signal(level, rule, text, value))
                break
    signals.sort(key=lambda s: s.key)
    leaves = [
        t
        for t in stream.tasks
        if t in ctx.plan.task_by_id
        and not ctx.plan.task_by_id[t].is_summary
        and not ctx.plan.task_by_id[t].milestone
    ]
    states = [ctx.state(t) for t in leaves]
    late = sum(1 for t in leaves if ctx.rows[t].state == "late") if leaves else 0
    upcoming = [m for m in mine if not m.done and m.kind != "release"]
    nxt = min(upcoming, key=lambda m: (m.p50, m.id), default=None)
    if signals:
        colour, reason = signals[0].colour, _capital(signals[0].text)
    else:
        colour = "green"
        reason = (
            "Every milestone is on course"
            if any(not m.done for m in mine)
            else "No milestone left to meet"
        )
        if spi is not None or cpi is not None:
            reason += "; " + ", ".join(
                f"{n} {v:.2f}" for n, v in (("SPI", spi), ("CPI", cpi)) if v is not None
            )
    return WorkstreamStatus(
        id=stream.id,
        title=stream.title,
        colour=colour,
        reason=reason,
        signals=tuple(signals),
        tasks=len(leaves),
        done=sum(1 for s in states if s == "done"),
        in_progress=sum(1 for s in states if s == "in-progress"),
        late=late,
        spi=spi,
        cpi=cpi,
        next_milestone=(
            f"'{nxt.title}' P50 {day_text(nxt.p50)}"
            + (f" ({_pct(nxt.probability)} on time)" if nxt.probability is not None else "")
            if nxt is not None
            else ""
        ),
    )


def _open_work(ctx: _Ctx, stream: _Workstream) -> bool:
    return any(
        not ctx.plan.task_by_id[t].is_summary and ctx.state(t) != "done"
        for t in stream.tasks
        if t in ctx.plan.task_by_id
    )


def _indices(ctx: _Ctx, stream: _Workstream) -> tuple[float | None, float | None]:
    """The workstream's SPI and CPI of the latest period: the EVM engine run on its own
    tasks' baseline budgets (None before it planned ``index_min_planned`` of them done)."""
    tracking = ctx.tracking
    if tracking is None or not ctx.facts:
        return None, None
    from ontrack.engines.evm import evm_series  # noqa: PLC0415 - tracked reports only
    from ontrack.engines.tracking import evm_points  # noqa: PLC0415

    frozen = {k: v for k, v in tracking.tasks.items() if k in stream.tasks}
    facts: list[Any] = list(ctx.facts)  # the engine reads them by attribute, as data.py does
    points, _ = evm_points(tracking.plan, frozen, facts)
    if not any(p.ev is not None for p in points):
        return None, None
    series, _ = evm_series(points)
    if series is None or series.bac <= 0:
        return None, None
    latest = series.latest
    if float(latest.pv / series.bac) < ctx.rules.index_min_planned:
        return None, None
    cpi = next((p.cpi for p in reversed(series.periods) if p.cpi is not None), None)
    return latest.spi, cpi


def _overall(
    data: ReportData, streams: Sequence[WorkstreamStatus], single: Collection[str] = ()
) -> tuple[Rag, str, str | None, str]:
    """The headline is the program assessment's RAG (docs/report.md), the same in every
    output; the workstreams add their own view, and the summary names the worst of them.
    Returns the colour, the one-line reason, the worst workstream's id and the summary's first
    clause.

    ``single`` names the leftover groups (loose top-level tasks, tasks of no team) that hold one
    task: such a group is the worst only when no real workstream is amber or red, since its one
    task (usually the launch milestone) is late because of the workstreams that feed it. On a
    tie a real workstream goes before a leftover group."""
    colour, reason = data.rag.colour, data.rag.reason
    flagged = [s for s in streams if s.signals and s.colour != "green"]
    real = [s for s in flagged if s.id not in (LOOSE, NO_TEAM)]
    if real:
        flagged = [s for s in flagged if s.id not in single]
    worst = min(
        flagged,
        key=lambda s: (s.signals[0].key, s.id in (LOOSE, NO_TEAM), s.title),
        default=None,
    )
    clause = _lower_first(reason)
    if worst is not None and len(streams) > 1:
        what = "workstream" if worst.id not in (LOOSE, NO_TEAM) else "part"
        clause += f"; the worst {what} is '{worst.title}' ({worst.colour.upper()}), where " + (
            _lower_first(worst.reason)
        )
        return colour, reason, worst.id, clause
    if colour == "green" and len(streams) > 1:
        clause = f"all {len(streams)} workstreams are green; " + clause
    return colour, reason, None, clause


# -- milestones ---------------------------------------------------------------------------------


def _milestone(ctx: _Ctx, m: MilestoneRow, stream_of: Mapping[str, str]) -> MilestoneStatus:
    ids = list(ctx.releases[m.id].includes) if m.kind == "release" else [m.id]
    ids = [i for i in ids if i in ctx.rows]
    # A release belongs where its date is set: with the included item that finishes last.
    last = max(
        ids,
        key=lambda i: (
            ctx.milestone_rows[i].p50 if i in ctx.milestone_rows else ctx.rows[i].finish,
            i,
        ),
        default=None,
    )
    stream = stream_of.get(last, "(program)") if last is not None else "(program)"
    done_on = max((ctx.finish(i) or m.p50 for i in ids), default=None) if m.done else None
    p50 = done_on if done_on is not None else m.p50
    planned = done_on if done_on is not None else m.planned
    variance = ctx.wd(m.baseline, p50) if m.baseline is not None else None
    schedule = ctx.wd(m.baseline, planned) if m.baseline is not None else None
    causes: list[Cause] = []
    if variance is not None and schedule is not None and variance > 0 and last is not None:
        if schedule > 0:
            causes.extend(_chain_causes(ctx, last, schedule))
        uncertain = variance - schedule
        if uncertain > 0 and not m.done:
            causes.append(_uncertainty(ctx, ids, uncertain))
    return MilestoneStatus(
        id=m.id,
        title=m.title,
        kind=m.kind,
        workstream=stream,
        baseline=m.baseline,
        planned=planned,
        p50=p50,
        p80=done_on if done_on is not None else m.p80,
        deadline=m.deadline,
        probability=m.probability,
        done=m.done,
        done_on=done_on,
        variance_days=variance,
        schedule_days=schedule,
        causes=tuple(causes),
    )


def _chain_causes(ctx: _Ctx, start: str, slip: int) -> list[Cause]:
    """Walk back from ``start`` along the predecessor that finishes last (the one holding it
    up) while the slip against the baseline goes on; stop at the first task already done (its
    lateness is history), at work added since the baseline, or where the slip begins.

    Each task on the way accounts for the slip it added beyond its predecessor's, the last one
    for all of its own (work added since the baseline: for the slip of what waits on it). Where
    float in between absorbed some of it, the tasks nearest ``start`` are counted first, so the
    causes never account for more than ``slip``; the largest few are named."""
    chain: list[tuple[str, int | None]] = [(start, slip)]
    seen = {start}
    node = start
    while True:
        preds = [p for p in ctx.preds.get(node, ()) if p in ctx.rows and p not in seen]
        if not preds:
            break
        pred = max(preds, key=lambda p: (ctx.rows[p].finish, p))
        pred_slip = ctx.slip(pred)
        if pred_slip is not None and pred_slip <= 0:
            break
        chain.append((pred, pred_slip))
        seen.add(pred)
        node = pred
        if pred_slip is None or ctx.state(pred) == "done":
            break
    causes: list[Cause] = []
    left = slip
    for i, (task_id, own) in enumerate(chain):
        last = i + 1 == len(chain)
        upstream = None if last else chain[i + 1][1]
        if own is None:
            before = chain[i - 1][1] if i > 0 else None
            added: int = before or 0
            kind: Literal["late", "behind", "added"] = "added"
        elif not last and upstream is None:
            continue  # the added task before it takes its slip
        else:
            added = own - (upstream or 0)
            kind = "late" if ctx.state(task_id) == "done" else "behind"
        task = ctx.plan.task_by_id.get(task_id)
        days = min(added, left)
        if days <= 0 or task is None or (task.milestone and i == 0):
            continue
        left -= days
        causes.append(_cause(ctx, task_id, kind, days))
    causes.sort(key=lambda c: -c.days)
    return causes[: ctx.rules.causes]


def _cause(ctx: _Ctx, task_id: str, kind: Literal["late", "behind", "added"], days: int) -> Cause:
    row = ctx.rows[task_id]
    title = f"'{row.title}'"
    if kind == "added":
        return Cause(kind, task_id, days, f"{title} was added after the baseline")
    slip = ctx.slip(task_id) or 0
    if kind == "late":
        return Cause(
            kind,
            task_id,
            days,
            f"{title} finished on {day_text(row.finish)}, {_wd(slip)} after its baseline",
        )
    if ctx.state(task_id) == "planned" and row.baseline_start and row.baseline_start <= ctx.today:
        return Cause(
            kind,
            task_id,
            days,
            f"{title} has not started (baseline start {day_text(row.baseline_start)}) and now "
            f"finishes {day_text(row.finish)}, {_wd(slip)} late",
        )
    under_way = " is under way and" if ctx.state(task_id) == "in-progress" else ""
    return Cause(
        kind,
        task_id,
        days,
        f"{title}{under_way} now finishes {day_text(row.finish)}, {_wd(slip)} after its baseline",
    )


def _uncertainty(ctx: _Ctx, ids: Sequence[str], days: int) -> Cause:
    """The forecast's margin over the schedule, with the open risk that threatens the
    milestone's remaining work most (chance times likely impact)."""
    upstream = ctx.upstream(ids)
    open_work = {t for t in upstream if ctx.state(t) != "done"}
    best: RiskRow | None = None
    for r in ctx.data.risks:
        if r.status not in _ACTIVE_RISK:
            continue
        hit = {leaf for a in r.affects for leaf in ctx.leaves(a)}
        if not hit & open_work:
            continue
        if best is None or _exposure(r) > _exposure(best):
            best = r
    text = f"forecast uncertainty adds {_wd(days)}"
    if best is not None:
        text += f" (largest open risk: '{best.title}', {_pct(best.probability)} likely" + (
            f", {_days(best.impact_days)} if it happens)" if best.impact_days else ")"
        )
    return Cause("uncertainty", best.id if best else "", days, text)


def _exposure(r: RiskRow) -> float:
    return r.probability * (r.impact_days or 0.0)


# -- progress in the window ---------------------------------------------------------------------


def _events(
    ctx: _Ctx, stream_of: Mapping[str, str], streams: Sequence[_Workstream]
) -> tuple[list[TaskEvent], list[TaskEvent]]:
    """Tasks done now that were not done on ``since`` (finished), and tasks under way now
    that had not started then (started): what the facts recorded in the window changed, even
    when a finish was reported late."""
    titles = {w.id: w.title for w in streams}
    finished, started = [], []
    for task in ctx.plan.tasks:
        if task.is_summary or task.id not in ctx.rows:
            continue
        now, then = ctx.state(task.id), ctx.state(task.id, then=True)
        row = ctx.rows[task.id]
        progress = ctx.now.get(task.id)
        stream = titles.get(stream_of.get(task.id, ""), "")
        if now == "done" and then != "done":
            day = (progress.actual_finish if progress else None) or row.finish
            base = row.baseline_finish
            variance = ctx.wd(base, day) if base is not None else None
            text = f"'{task.title}' " + ("was reached" if task.milestone else "finished")
            text += f" on {day_text(day)}" + _against(variance, "baseline")
            finished.append(
                TaskEvent(
                    task.id,
                    task.title,
                    "finished",
                    day,
                    stream,
                    ctx.who(task.id),
                    base,
                    variance,
                    text,
                )
            )
        elif now == "in-progress" and then == "planned":
            day = (progress.actual_start if progress else None) or row.start
            base = row.baseline_start
            variance = ctx.wd(base, day) if base is not None else None
            percent = (
                f"; {float(progress.percent_complete) * 100:.0f}% done"
                if progress is not None and progress.percent_complete
                else ""
            )
            text = f"'{task.title}' started on {day_text(day)}" + _against(
                variance, "baseline start"
            )
            started.append(
                TaskEvent(
                    task.id,
                    task.title,
                    "started",
                    day,
                    stream,
                    ctx.who(task.id),
                    base,
                    variance,
                    text + percent,
                )
            )
    finished.sort(key=lambda e: (e.day, e.id))
    started.sort(key=lambda e: (e.day, e.id))
    return finished, started


def _against(variance: int | None, what: str) -> str:
    if variance is None:
        return ""
    if variance == 0:
        return f", on its {what}"
    if variance > 0:
        return f", {_wd(variance)} after its {what}"
    return f", {_wd(-variance)} ahead of its {what}"


def _late_tasks(ctx: _Ctx) -> list[tuple[str, int, str]]:
    """Work behind the baseline on the status date: (task, working days behind, sentence)."""
    out = []
    for task in ctx.plan.leaf_tasks():
        row = ctx.rows.get(task.id)
        if row is None or task.milestone or row.baseline_finish is None:
            continue
        state = ctx.state(task.id)
        if state == "done":
            continue
        title = f"'{task.title}'"
        if row.baseline_finish < ctx.today:
            behind = ctx.wd(row.baseline_finish, ctx.today + dt.timedelta(days=1)) - 1
            progress = ctx.now.get(task.id)
            done = (
                f", {float(progress.percent_complete) * 100:.0f}% done"
                if progress is not None and progress.percent_complete
                else ""
            )
            text = (
                f"{title} is not finished: its baseline finish was "
                f"{day_text(row.baseline_finish)} ({_wd(behind)} behind{done})"
            )
        elif (
            row.baseline_start is not None
            and row.baseline_start <= ctx.today
            and state == "planned"
        ):
            behind = ctx.wd(row.baseline_start, ctx.today + dt.timedelta(days=1))
            text = (
                f"{title} has not started: its baseline start was "
                f"{day_text(row.baseline_start)} ({_wd(behind)} behind)"
            )
        else:
            continue
        if behind >= 1:
            out.append((task.id, behind, text))
    out.sort(key=lambda x: (-x[1], x[0]))
    return out


# -- highlights, lowlights, blockers ------------------------------------------------------------


def _highlights(
    ctx: _Ctx,
    milestones: Sequence[MilestoneStatus],
    finished: Sequence[TaskEvent],
    diff: PlanDiff | None,
) -> list[str]:
    out = []
    reached = {e.id for e in finished}
    for m in milestones:
        if not m.done or m.done_on is None:
            continue
        if m.kind != "release" and m.id not in reached:
            continue
        if m.kind == "release" and not (ctx.since < m.done_on <= ctx.today):
            continue
        v = m.variance_days
        if v is not None and v > 0:
            continue  # reached late: a lowlight
        verb = "was delivered" if m.kind == "release" else "was reached"
        out.append(
            f"'{m.title}' {verb} on {day_text(m.done_on)}"
            + (
                f", {_wd(-v)} ahead of its baseline"
                if v is not None and v < 0
                else ", on its baseline date"
                if v == 0
                else ""
            )
            + "."
        )
    ahead = [
        m
        for m in milestones
        if not m.done and m.variance_days is not None and m.variance_days <= -ctx.rules.ahead_days
    ]
    for m in sorted(ahead, key=lambda m: (m.variance_days or 0, m.id)):
        assert m.baseline is not None and m.variance_days is not None
        out.append(
            f"'{m.title}' is forecast for {day_text(m.p50)}, {_wd(-m.variance_days)} ahead of "
            f"its baseline {day_text(m.baseline)}."
        )
    tasks = [e for e in finished if not ctx.plan.task_by_id[e.id].milestone]
    if tasks:
        on_time = sum(1 for e in tasks if e.variance_days is not None and e.variance_days <= 0)
        measured = sum(1 for e in tasks if e.variance_days is not None)
        out.append(
            f"{_count(len(tasks), 'task')} reported finished since {day_text(ctx.since)}"
            + (
                f", {on_time} of them on or ahead of their baseline finish"
                if measured and on_time
                else ""
            )
            + "."
        )
    if diff is not None:
        for r in diff.risks:
            if r.kind == "closed":
                out.append(f"Risk '{r.title}' was closed.")
    track = ctx.data.tracking
    if track is not None:
        for name, value in (("SPI", track.spi), ("CPI", track.cpi)):
            if value is not None and value >= 1:
                what = (
                    "work is ahead of the baseline plan"
                    if name == "SPI"
                    else "work costs no more than planned"
                )
                out.append(f"{name} {value:.2f}: {what}.")
    return out


def _lowlights(
    ctx: _Ctx, milestones: Sequence[MilestoneStatus], diff: PlanDiff | None
) -> list[tuple[str, str]]:
    """(kind, sentence), the most serious first: milestones overdue, progress gone stale,
    milestones slipping against the baseline, risks that occurred, work behind the baseline,
    indices below 1, risks raised."""
    out: list[tuple[str, str]] = []
    # Work is done only when progress says so: a deadline that passed first is missed.
    for due in ctx.data.milestones:
        if due.deadline is not None and due.deadline < ctx.today and not due.done:
            out.append(
                (
                    "overdue",
                    f"'{due.title}' is overdue: it was due {day_text(due.deadline)} and is not "
                    f"done; forecast {day_text(due.p50)} at P50.",
                )
            )
    last = ctx.data.last_progress
    if last is not None and (ctx.today - last).days > STALE_DAYS:
        out.append(
            (
                "stale",
                f"No progress has been recorded since {day_text(last)} "
                f"({(ctx.today - last).days} days).",
            )
        )
    reached = {m.id for m in milestones if m.done and m.done_on and ctx.since < m.done_on}
    slipped = [
        m
        for m in milestones
        if m.variance_days is not None
        and (not m.done or m.id in reached)
        and (
            (m.schedule_days or 0) >= ctx.rules.slip_days
            or m.variance_days >= ctx.rules.forecast_slip_days
        )
    ]
    slipped.sort(key=lambda m: (-(m.variance_days or 0), m.p50, m.id))
    for m in slipped:
        assert m.baseline is not None and m.variance_days is not None
        if m.done and m.done_on is not None:
            text = (
                f"'{m.title}' was reached on {day_text(m.done_on)}, {_wd(m.variance_days)} after "
                f"its baseline {day_text(m.baseline)}"
            )
        elif (m.schedule_days or 0) > 0:
            text = (
                f"'{m.title}' slipped {_wd(m.variance_days)} since the baseline (forecast P50 "
                f"{day_text(m.p50)} against {day_text(m.baseline)})"
            )
        else:  # the schedule holds; the forecast's spread puts the P50 later
            text = (
                f"'{m.title}' is forecast {_wd(m.variance_days)} after its baseline (P50 "
                f"{day_text(m.p50)} against {day_text(m.baseline)})"
            )
        out.append(("milestone", text + (f": {m.cause_text}." if m.causes else ".")))
    for r in ctx.data.risks:
        if r.status == "occurred":
            out.append(
                (
                    "risk",
                    f"Risk '{r.title}' has occurred"
                    + (f" ({_days(r.impact_days)} of impact)" if r.impact_days else "")
                    + (f"; owner {r.owner}" if r.owner else "")
                    + ".",
                )
            )
    late = _late_tasks(ctx)
    if late:
        out.append(
            (
                "late",
                f"{_count(len(late), 'task')} behind the baseline: "
                + "; ".join(text for _, _, text in late[:3])
                + (f"; and {len(late) - 3} more" if len(late) > 3 else "")
                + ".",
            )
        )
    track = ctx.data.tracking
    budget = track.budget if track is not None else None
    if track is not None and track.spi is not None and track.spi < 1:
        out.append(
            (
                "index",
                f"SPI {track.spi:.2f}: {100 * (1 - track.spi):.0f}% of the work the baseline "
                f"planned by {day_text(ctx.today)} is not done.",
            )
        )
    if track is not None and track.cpi is not None and track.cpi < 1:
        text = f"CPI {track.cpi:.2f}: work done costs more than planned"
        if budget is not None and budget.actual_cost is not None and budget.earned_value:
            text += (
                f" ({_money(budget.actual_cost, budget.currency)} spent for "
                f"{_money(budget.earned_value, budget.currency)} of earned value)"
            )
        out.append(("index", text + "."))
    if diff is not None:
        for c in diff.risks:
            if c.kind in ("added", "reopened"):
                row = next((x for x in ctx.data.risks if x.id == c.id), None)
                detail = (
                    f" ({_pct(row.probability)} likely"
                    + (f", {_days(row.impact_days)}" if row.impact_days else "")
                    + ")"
                    if row is not None
                    else ""
                )
                out.append(("risk", f"Risk '{c.title}' was {c.kind}{detail}."))
    return out


def _blockers(ctx: _Ctx) -> list[Blocker]:
    """What stops work, per owner: work behind the baseline, work under way nobody reported
    on lately, risks that occurred, open issues, decisions past due."""
    out: list[Blocker] = []
    for task_id, _, text in _late_tasks(ctx):
        for owner in ctx.who(task_id) or ("Unassigned",):
            out.append(Blocker(owner, task_id, text))
    latest: dict[str, dt.date] = {}
    for f in ctx.facts:
        latest[f.task_id] = max(f.status_date, latest.get(f.task_id, f.status_date))
    for task_id, day in sorted(latest.items()):
        age = (ctx.today - day).days
        if ctx.state(task_id) == "in-progress" and age > ctx.rules.stale_days:
            title = ctx.rows[task_id].title if task_id in ctx.rows else task_id
            for owner in ctx.who(task_id) or ("Unassigned",):
                out.append(
                    Blocker(
                        owner,
                        task_id,
                        f"'{title}' is under way with no progress report since "
                        f"{day_text(day)} ({age} days)",
                    )
                )
    for r in ctx.data.risks:
        if r.status == "occurred":
            out.append(Blocker(r.owner or "Unassigned", r.id, f"Risk '{r.title}' has occurred"))
    for item in ctx.plan.issues:
        if item.status is RaidStatus.OPEN:
            out.append(
                Blocker(
                    ctx.person(item.owner) or "Unassigned", item.id, _raid_text(ctx, "Issue", item)
                )
            )
    for item in ctx.plan.decisions:
        if item.status is RaidStatus.OPEN and item.due is not None and item.due < ctx.today:
            out.append(
                Blocker(
                    ctx.person(item.owner) or "Unassigned",
                    item.id,
                    _raid_text(ctx, "Decision", item),
                )
            )
    out.sort(key=lambda b: (b.owner == "Unassigned", b.owner, b.subject))
    return out


# -- risks, asks, budget ------------------------------------------------------------------------


def _risk_lines(ctx: _Ctx, diff: PlanDiff | None) -> tuple[RiskLine, ...]:
    """Active risks, the ones that move the forecast finish most first, then by score."""
    moves = {d.id: float(d.days) for d in ctx.data.forecast.drivers if d.kind == "risk"}
    added = {r.id for r in diff.risks if r.kind in ("added", "reopened")} if diff else set()
    # A risk whose affected work is all done can no longer happen (R134 flags it for closing).
    active = [r for r in ctx.data.risks if r.status in _ACTIVE_RISK and not _moot(ctx, r)]
    active.sort(key=lambda r: (-max(moves.get(r.id, 0.0), 0.0), -r.score, -r.probability, r.id))
    out = []
    for r in active:
        parts = [f"{_pct(r.probability)} likely"]
        if r.impact_days:
            parts.append(f"{_days(r.impact_days)} if it happens")
        if r.cost_impact:
            parts.append(_money(r.cost_impact, ctx.data.currency))
        text = f"'{r.title}': " + ", ".join(parts)
        if moves.get(r.id, 0.0) > 0:
            text += f"; adds {moves[r.id]:.1f} working days to the mean finish"
        text += f"; owner {r.owner}" if r.owner else "; no owner"
        if r.mitigation:
            text += f"; {r.response or 'response'}: {r.mitigation}"
        if r.id in added:
            text += " (new this period)"
        out.append(
            RiskLine(
                r.id,
                r.title,
                r.probability,
                r.impact_days,
                r.owner,
                r.status,
                r.id in added,
                moves.get(r.id),
                text,
            )
        )
    return tuple(out)


def _moot(ctx: _Ctx, r: RiskRow) -> bool:
    hit = [leaf for a in r.affects for leaf in ctx.leaves(a)]
    return bool(hit) and all(ctx.state(t) == "done" for t in hit)


def _raid_text(ctx: _Ctx, kind: str, item: RaidItem) -> str:
    text = f"{kind} '{item.title}'"
    bits = []
    if item.severity in ("high", "critical"):
        bits.append(item.severity)
    if item.owner:
        bits.append(f"owner {ctx.person(item.owner)}")
    if item.due is not None:
        overdue = (ctx.today - item.due).days
        bits.append(
            f"due {day_text(item.due)}" + (f", {overdue} days overdue" if overdue > 0 else "")
        )
    return text + (f" ({'; '.join(bits)})" if bits else "")


def _sponsor(ctx: _Ctx, subjects: Sequence[str]) -> str:
    """Who an ask goes to: the stakeholder accountable for the subject (or a summary above
    it), else the most influential and interested stakeholder (the sponsor)."""
    for subject in subjects:
        task: Task | None = ctx.plan.task_by_id.get(subject)
        while task is not None:
            if task.accountable and task.accountable in ctx.stakeholders:
                return _stakeholder(ctx, task.accountable)
            task = ctx.plan.task_by_id.get(task.parent) if task.parent else None
    order = {"high": 0, "medium": 1, "low": 2}
    ranked = sorted(
        ctx.plan.stakeholders,
        key=lambda s: (order.get(s.influence.value, 3), order.get(s.interest.value, 3)),
    )
    return _stakeholder(ctx, ranked[0].id) if ranked else ""


def _stakeholder(ctx: _Ctx, ident: str) -> str:
    s = ctx.stakeholders[ident]
    return f"{s.name}, {s.role}" if s.role else s.name


def _asks(ctx: _Ctx) -> tuple[Ask, ...]:
    """Open decisions and issues of the RAID log, then the findings a stakeholder must act on
    (codes in ``ask_codes``, medium severity or worse), each addressed to someone."""
    out = []
    for item in ctx.plan.decisions:
        if item.status is RaidStatus.OPEN:
            text = _raid_text(ctx, "Decision needed:", item)
            out.append(Ask("decision", item.id, ctx.person(item.owner), text))
    for item in ctx.plan.issues:
        if item.status is RaidStatus.OPEN:
            text = _raid_text(ctx, "Open issue", item)
            out.append(Ask("issue", item.id, ctx.person(item.owner), text))
    for f in ctx.data.findings:
        if f.code not in ctx.rules.ask_codes or f.severity not in ("medium", "high", "critical"):
            continue
        who = _sponsor(ctx, f.subjects)
        row = ctx.milestone_rows.get(f.subjects[0]) if f.subjects else None
        if f.code == "R101" and row is not None and row.deadline and row.probability is not None:
            # The detector's sentence names ids and ISO dates; lead with what an executive
            # reads: the title, the odds and the dates.
            steps = [
                part.removeprefix("protect the date: ")
                for part in f.detail.split("; ")
                if part and not part.startswith("or agree a new date")
            ]
            text = (
                f"Protect '{row.title}' or agree a new date: it is {_pct(row.probability)} "
                f"likely to meet {day_text(row.deadline)} and 80% likely by {day_text(row.p80)}"
                + (f"; to protect it, {'; '.join(steps)}" if steps else "")
            )
        else:
            text = _capital(f.title) + (f": {f.detail}" if f.detail else "")
        out.append(Ask("ask", f.subjects[0] if f.subjects else f.code, who, text))
    return tuple(out)


def _money(value: Decimal | float, currency: str) -> str:
    return f"{float(value):,.0f} {currency}"


def _budget(data: ReportData) -> list[str]:
    track = data.tracking
    budget = track.budget if track is not None else None
    if budget is not None and track is not None:
        cur = budget.currency
        out = []
        if budget.actual_cost is not None and budget.status_date is not None:
            out.append(
                f"Spent {_money(budget.actual_cost, cur)} to {day_text(budget.status_date)}"
                + (
                    f" for {_money(budget.earned_value, cur)} of earned value"
                    if budget.earned_value is not None
                    else ""
                )
                + (f" (CPI {budget.cpi:.2f})" if budget.cpi is not None else "")
                + "."
            )
        eac = budget.eac_p80 or budget.eac_cpi or budget.eac_budget_rate
        label = (
            "Forecast at completion (P80)"
            if budget.eac_p80 is not None
            else "Forecast at completion"
        )
        if eac is not None:
            parts = [f"{label}: {_money(eac, cur)}"]
            if budget.eac_p50 is not None and budget.eac_p80 is not None:
                parts[0] += f" (P50 {_money(budget.eac_p50, cur)})"
            if budget.bac:
                gap = 100 * float((eac - budget.bac) / budget.bac)
                parts.append(
                    f"{abs(gap):.1f}% {'over' if gap > 0 else 'under'} the baseline's planned "
                    f"cost of {_money(budget.bac, cur)}"
                )
            if budget.budget is not None:
                verdict = "over" if eac > budget.budget else "within"
                parts.append(f"{verdict} the approved budget of {_money(budget.budget, cur)}")
            out.append("; ".join(parts) + ".")
        else:
            out.append(_capital(budget.headline) + ".")
        if budget.burn_per_week is not None:
            out.append(
                f"Recent burn: {_money(budget.burn_per_week, cur)} a week"
                + (
                    f"; {budget.weeks_of_budget_left:.0f} weeks of budget left at that rate"
                    if budget.weeks_of_budget_left is not None
                    else ""
                )
                + "."
            )
        return out
    cost = data.forecast.cost
    if cost is None:
        return ["No cost is forecast: the plan has no rates or costs."]
    text = (
        f"Forecast cost: P50 {_money(cost.p50, cost.currency)}, P80 "
        f"{_money(cost.p80, cost.currency)} (planned {_money(cost.planned, cost.currency)})"
    )
    if cost.budget is not None:
        text += f", against a budget of {_money(cost.budget, cost.currency)}"
        if cost.probability_within_budget is not None:
            text += f" ({_pct(cost.probability_within_budget)} likely within it)"
    return [text + ".", "No spending is tracked: the report has no baseline and progress."]


# -- changes and notes --------------------------------------------------------------------------


def _change_lines(ctx: _Ctx, changes: PlanChanges | None) -> list[str]:
    if changes is None:
        return ["Not tracked: the report was made without the store's revision history."]
    if not changes.revisions:
        return [f"No plan revision was recorded since {day_text(ctx.since)}."]
    out = []
    for r in changes.revisions:
        when = r.created_at.date()
        out.append(
            f"Revision {r.number} recorded on {day_text(when)}"
            + (f" by {r.author}" if r.author else "")
            + (f": {r.message}" if r.message else "")
        )
    diff = changes.diff
    if diff is None:
        out.append(
            f"Revision {changes.revisions[0].number} is the first one recorded: there is no "
            "earlier one to compare it with."
        )
        return out
    if diff.empty:
        out.append(f"No task or risk changed since revision {changes.before}.")
        return out
    for c in diff.tasks:
        out.append("Task " + _change_text(c))
    for c in diff.risks:
        out.append("Risk " + _change_text(c))
    return out


def _change_text(c: Change) -> str:
    if c.kind in ("added", "removed", "closed", "reopened"):
        return f"'{c.title}' {c.kind}"
    fields = "; ".join(
        f"{f.field} {f.old or 'none'} → {f.new or 'none'}" for f in c.fields if f.field != "title"
    )
    renamed = next((f for f in c.fields if f.field == "title"), None)
    text = f"'{c.title}' changed"
    if renamed is not None:
        text += f" (was '{renamed.old}')"
    return text + (f": {fields}" if fields else "")


def _notes(ctx: _Ctx) -> list[str]:
    out = []
    for f in sorted(ctx.facts, key=lambda f: (f.status_date, f.task_id)):
        note = f.note.strip()
        if note and ctx.since < f.status_date <= ctx.today:
            title = ctx.rows[f.task_id].title if f.task_id in ctx.rows else f.task_id
            out.append(f"'{title}' ({day_text(f.status_date)}): {note}")
    return out


# -- the summary --------------------------------------------------------------------------------


def _summary(
    ctx: _Ctx,
    colour: Rag,
    clause: str,
    milestones: Sequence[MilestoneStatus],
    finished: Sequence[TaskEvent],
    started: Sequence[TaskEvent],
    risks: Sequence[RiskLine],
) -> tuple[str, ...]:
    """Three to five sentences: the colour and why, the final milestone's forecast, the
    period's progress, then the worst slip, the tracking figures and the largest risk as far
    as there is room."""
    data = ctx.data
    out = [f"{data.program} is {colour.upper()} as of {day_text(ctx.today)}: {clause}."]
    final = next((m for m in milestones if m.id == data.final.id), None)
    if final is not None:
        out.append(_final_sentence(final))
    if not ctx.now:
        out.append("No progress is recorded for the program yet.")
    else:
        tasks = [e for e in finished if not ctx.plan.task_by_id[e.id].milestone]
        marks = [e for e in finished if ctx.plan.task_by_id[e.id].milestone]
        if tasks or started or marks:
            # "Reported": a finish recorded in the window may have happened before it.
            text = (
                f"Progress reported since {day_text(ctx.since)}: {_count(len(tasks), 'task')} "
                f"finished and {len(started)} started"
            )
            if marks:
                text += "; " + " and ".join(
                    f"'{e.title}' was reached on {day_text(e.day)}" for e in marks[:2]
                )
            out.append(text + ".")
        else:
            out.append(f"No task finished or started since {day_text(ctx.since)}.")
    last = data.last_progress
    if ctx.now and last is not None and last < ctx.since:
        # Say plainly how stale the picture is: nothing recorded is not the same as nothing done.
        out.append(
            f"No progress has been recorded since {day_text(last)} "
            f"({(data.status_date - last).days} days before this report): the dates above "
            "assume the work not reported done since then has not happened."
        )
    extra: list[str] = []
    # The biggest slip, among dated milestones and releases first (the dates people were
    # promised), with the cause that accounts for most of it.
    slipped = [
        m
        for m in milestones
        if not m.done and m.causes and (m.variance_days or 0) >= ctx.rules.slip_days
    ]
    worst = max(
        slipped,
        key=lambda m: (m.deadline is not None, m.variance_days or 0, -m.p50.toordinal()),
        default=None,
    )
    if worst is not None and worst.variance_days is not None:
        cause = max(worst.causes, key=lambda c: c.days)
        extra.append(
            f"'{worst.title}' is forecast {_wd(worst.variance_days)} after its baseline: "
            f"{cause.text}."
        )
    track = data.tracking
    if track is not None and (track.spi is not None or track.cpi is not None):
        figures = " and ".join(
            f"{n} {v:.2f}" for n, v in (("SPI", track.spi), ("CPI", track.cpi)) if v is not None
        )
        extra.append(
            f"Against the baseline '{track.baseline}', {figures}"
            + (f"; {track.budget.headline}" if track.budget is not None else "")
            + "."
        )
    top = next((r for r in risks if r.forecast_days and r.forecast_days > 0), None)
    if top is not None and top.forecast_days is not None:
        extra.append(
            f"The largest threat to the finish is '{top.title}', which adds "
            f"{top.forecast_days:.1f} working days to the mean finish."
        )
    delivery = _delivery_sentence(data)
    if delivery:
        extra.append(delivery)
    return tuple(out + extra[: max(0, 5 - len(out))])


def _delivery_sentence(data: ReportData) -> str:
    """One line on delivery performance (the assessment's DORA metrics, all services), each
    measured metric with its State of DevOps band; empty without them."""
    report = data.delivery
    if report is None or not report.overall.total.deployments:
        return ""
    m = report.overall.total
    bands = m.bands()

    def timed(seconds: float) -> str:
        return f"{seconds / 3600:.1f} h" if seconds < 86400 else f"{seconds / 86400:.1f} d"

    parts = [
        (f"{m.per_week:.2f} deployments a week", "deployment_frequency")
        if m.per_week is not None
        else None,
        (f"median lead time {timed(m.lead_time_median)}", "lead_time")
        if m.lead_time_median is not None
        else None,
        (f"change fail rate {_pct(m.change_fail_rate)}", "change_fail_rate")
        if m.change_fail_rate is not None
        else None,
        (f"median recovery {timed(m.recovery_median)}", "recovery_time")
        if m.recovery_median is not None
        else None,
    ]
    shown = [f"{text} ({bands[key]})" if bands[key] else text for text, key in filter(None, parts)]
    first = report.since.date()
    return f"Delivery to {report.environment} since {day_text(first)}: " + ", ".join(shown) + "."


def _final_sentence(m: MilestoneStatus) -> str:
    if m.done and m.done_on is not None:
        return f"The final milestone, '{m.title}', was reached on {day_text(m.done_on)}."
    text = (
        f"The final milestone, '{m.title}', is forecast for {day_text(m.p50)} (P50) and is 80% "
        f"likely by {day_text(m.p80)}"
    )
    if m.variance_days is not None and m.baseline is not None:
        v = m.variance_days
        text += (
            f", {_wd(abs(v))} {'after' if v > 0 else 'ahead of'} its baseline "
            f"{day_text(m.baseline)}"
            if v
            else f", on its baseline {day_text(m.baseline)}"
        )
    if m.deadline is not None and m.probability is not None:
        text += (
            f"; it has a {_pct(m.probability)} chance of meeting its deadline "
            f"{day_text(m.deadline)}"
        )
    return text + "."


# -- wording ------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _index(value: float, limit: float) -> str:
    """Two decimals, or three where two would round up to the limit it is below."""
    text = f"{value:.2f}"
    return f"{value:.3f}" if value < limit <= float(text) else text


def _wd(n: int) -> str:
    return f"{n} working day{'s' if abs(n) != 1 else ''}"


def _days(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} working day{'s' if text != '1' else ''}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    # Lower a leading capital of an ordinary word, never of a name or an acronym ("SPI").
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


# -- rendering ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


_Block = str | tuple[str, ...] | _Table  # a paragraph, a bullet list, a table


@dataclass(frozen=True, slots=True)
class _Section:
    id: str
    title: str
    blocks: tuple[_Block, ...]


_NONE = "None."


def _variance(v: int | None) -> str:
    if v is None:
        return "—"
    return f"+{v} wd" if v > 0 else f"−{-v} wd" if v < 0 else "0 wd"


def _on_time(m: MilestoneStatus) -> str:
    if m.done:
        return "done"
    if m.probability is None or m.deadline is None:
        return "—"
    return f"{_pct(m.probability)} by {day_text(m.deadline)}"


def _sections(r: StatusReport) -> list[_Section]:
    team = r.audience == "team"
    out = [_Section("summary", "Summary", (" ".join(r.summary),))]
    if team:
        out.append(_Section("highlights", "Highlights", (r.highlights or (_NONE,),)))
        out.append(_Section("lowlights", "Lowlights", (r.lowlights or (_NONE,),)))
        by_owner: dict[str, list[str]] = defaultdict(list)
        for b in r.blockers:
            by_owner[b.owner].append(b.text)
        blocks: list[_Block] = []
        for owner, texts in by_owner.items():
            blocks.append(f"{owner}:")
            blocks.append(tuple(texts))
        out.append(_Section("blockers", "Blockers by owner", tuple(blocks) or (_NONE,)))
    rows = tuple(
        (
            m.title + (" (release)" if m.kind == "release" else ""),
            day_text(m.baseline) if m.baseline else "—",
            day_text(m.done_on) + " (done)" if m.done and m.done_on else day_text(m.p50),
            "—" if m.done else day_text(m.p80),
            _variance(m.variance_days),
            _on_time(m),
            m.cause_text or "—",
        )
        for m in r.shown_milestones
    )
    out.append(
        _Section(
            "milestones",
            "Milestones",
            (
                _Table(
                    (
                        "Milestone",
                        "Baseline",
                        "Forecast (P50)",
                        "P80",
                        "Variance",
                        "On time",
                        "Cause",
                    ),
                    rows,
                    "Variance: the forecast P50 (or the day it was reached) minus the baseline, "
                    "in working days.",
                ),
            )
            if rows
            else (_NONE,),
        )
    )
    if team:
        ws_rows = tuple(
            (
                w.title,
                w.colour.upper(),
                w.reason,
                f"{w.done}/{w.tasks} done, {w.in_progress} under way, {w.late} late",
                f"{w.spi:.2f}" if w.spi is not None else "—",
                f"{w.cpi:.2f}" if w.cpi is not None else "—",
                w.next_milestone or "—",
            )
            for w in r.workstreams
        )
        out.append(
            _Section(
                "workstreams",
                "Workstreams",
                (
                    _Table(
                        ("Workstream", "RAG", "Why", "Tasks", "SPI", "CPI", "Next milestone"),
                        ws_rows,
                    ),
                ),
            )
        )
        blocks = []
        groups: dict[str, list[str]] = defaultdict(list)
        for e in sorted([*r.finished, *r.started], key=lambda e: (e.workstream, e.day, e.id)):
            owners = f" ({', '.join(e.owners)})" if e.owners else ""
            groups[e.workstream or "Other"].append(e.text + owners)
        for name, texts in groups.items():
            blocks.append(f"{name}:")
            blocks.append(tuple(texts))
        out.append(
            _Section(
                "progress",
                f"Finished and started since {day_text(r.since)}",
                tuple(blocks) or (_NONE,),
            )
        )
        change_blocks: list[_Block] = [tuple(r.changes)]
        if r.notes:
            change_blocks += ["Progress notes:", tuple(r.notes)]
        out.append(_Section("changes", f"Changes since {day_text(r.since)}", tuple(change_blocks)))
    risks = r.shown_risks
    out.append(
        _Section(
            "risks",
            "Top risks",
            (tuple(x.text for x in risks),) if risks else (_NONE,),
        )
    )
    asks = r.shown_asks
    out.append(
        _Section(
            "asks",
            "Decisions and asks",
            (tuple((f"{a.who}: " if a.who and a.kind == "ask" else "") + a.text for a in asks),)
            if asks
            else (_NONE,),
        )
    )
    out.append(_Section("budget", "Budget", (r.budget or (_NONE,),)))
    return out


def _meta(r: StatusReport) -> str:
    parts = [
        f"{'Team' if r.audience == 'team' else 'Executive'} status as of {day_text(r.status_date)}",
        f"changes since {day_text(r.since)}",
    ]
    if r.baseline:
        parts.append(f"baseline '{r.baseline}'")
    parts.append(f"forecast of {r.iterations:,} iterations, seed {r.seed}")
    return " · ".join(parts)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def _md(text: str) -> str:
    """Plan text made inert in Markdown: its markup characters escaped, lines joined."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


_BADGE = {"red": "🔴 RED", "amber": "🟠 AMBER", "green": "🟢 GREEN"}


def render_markdown(r: StatusReport) -> str:
    """The report as Markdown (GitHub flavoured: tables)."""
    lines = [
        f"# {_md(r.program)}: status {day_text(r.status_date)}",
        "",
        f"**{_BADGE[r.colour]}**: {_md(r.reason)}",
        "",
        f"_{_md(_meta(r))}_",
    ]
    for s in _sections(r):
        lines += ["", f"## {s.title}", ""]
        for block in s.blocks:
            if isinstance(block, str):
                lines += [_md(block), ""]
            elif isinstance(block, tuple):
                lines += [f"- {_md(item)}" for item in block] + [""]
            else:
                lines.append("| " + " | ".join(_md(h) for h in block.header) + " |")
                lines.append("|" + "|".join("---" for _ in block.header) + "|")
                lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
                lines.append("")
                if block.note:
                    lines += [f"_{_md(block.note)}_", ""]
        while lines and lines[-1] == "":
            lines.pop()
    return "\n".join(lines) + "\n"


_COLOURS = {"red": "#cf222e", "amber": "#bf8700", "green": "#1a7f37"}


def _text(value: str) -> Markup:
    """Plan text escaped for an HTML text node (no plan text goes in attributes)."""
    return Markup(html.escape(value, quote=False))


@cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("ontrack.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["t"] = _text
    return env


def _kind(block: _Block) -> str:
    if isinstance(block, str):
        return "paragraph"
    return "list" if isinstance(block, tuple) else "table"


def render_html(r: StatusReport) -> str:
    """The report as one self-contained HTML page for e-mail (templates/status.html.j2): inline
    styles only, no script, no outside resource; all text escaped."""
    sections = [
        {"id": s.id, "title": s.title, "blocks": [(_kind(b), b) for b in s.blocks]}
        for s in _sections(r)
    ]
    return (
        _templates()
        .get_template("status.html.j2")
        .render(
            r=r,
            day=day_text(r.status_date),
            meta=_meta(r),
            sections=sections,
            colours=_COLOURS,
            generated=r.generated.strftime("%Y-%m-%d %H:%M %Z").strip(),
        )
    )


def render(r: StatusReport, fmt: Literal["markdown", "html"]) -> str:
    return render_html(r) if fmt == "html" else render_markdown(r)
