"""Is this schedule fit to steer by? The DCMA 14-point schedule assessment, and a plan lint of
good practice.

The 14 checks are the Defense Contract Management Agency's (2009 guide) with its published
thresholds, measured on ontrack's own schedule: the levelled schedule of ``solve_plan`` (floats as
``ontrack schedule`` shows them; deadlines no schedule can meet are levelled without and measured
with, as negative float), or, when the plan cannot be levelled at all (a task nobody can do), the
logic network alone, so an audit always has an answer. Checks that need tracking data (a status
date, progress, a baseline) say "n/a" and why without it.

The lint looks at the plan itself, whatever its progress: owners, estimates, milestones with
no target, RACI of deliverables, risks without owners.

Everything reads the model, never YAML, so imported plans are audited alike. Pure: the CLI reads
the store and passes the progress and the baseline in. Definitions: docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Literal

from ontrack.diagnostics import Diagnostic
from ontrack.engines.calendar import WorkGrid
from ontrack.engines.schedule.cpm import CpmResult, cpm
from ontrack.engines.schedule.planner import ScheduleOptions, SolvedPlan, solve_plan
from ontrack.engines.schedule.planproblem import PlanProblem, build_network, candidates
from ontrack.engines.schedule.problem import Job, Mode
from ontrack.engines.schedule.progress import Status, TaskProgress, plan_status
from ontrack.model import BaselineTask, DepType, Plan, RiskStatus, Task

Basis = Literal["levelled", "network"]

#: The guide's limits: 44 working days (two months) of float or duration is "high".
HIGH_DAYS = 44
#: The critical path test's delay, in working days (the guide's "large" delay).
DEFAULT_DELAY = 600
FIVE_PERCENT = Fraction(5, 100)
NINETY_PERCENT = Fraction(90, 100)
INDEX_LIMIT = Fraction(95, 100)
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Check:
    """One DCMA check or lint rule: how many of how many, against what, and which ones.

    ``passed`` is None when the check cannot be made (``note`` says why). ``ids`` are the
    offending tasks (risks, for the risk lint rule), in plan order.
    """

    check: str  # stable id, e.g. "high-float"
    name: str
    count: int | None
    total: int | None
    passed: bool | None
    ids: tuple[str, ...] = ()
    threshold: str = ""  # "" for lint rules: any finding is one
    number: int = 0  # the DCMA point, 1..14 (0: a lint rule)
    note: str = ""

    @property
    def value(self) -> Fraction | None:
        """count / total: the share, or the index for CPLI and BEI."""
        if self.count is None or not self.total:
            return None
        return Fraction(self.count, self.total)

    def to_json(self) -> dict[str, Any]:
        value = self.value
        data: dict[str, Any] = {"check": self.check}
        if self.number:
            data["number"] = self.number
        data |= {
            "name": self.name,
            "count": self.count,
            "total": self.total,
            "value": None if value is None else round(float(value), 4),
        }
        if self.number:
            data["threshold"] = self.threshold
        data["pass"] = self.passed
        data["tasks" if self.number else "items"] = list(self.ids)
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True)
class Tracking:
    """Tracking data: progress as of a status date (None: what the plan itself says), and the
    baseline the plan is measured against."""

    status: Status | None = None
    baseline: Mapping[str, BaselineTask] | None = None
    baseline_name: str | None = None


@dataclass(frozen=True, slots=True)
class AuditOptions:
    schedule: ScheduleOptions = field(default_factory=lambda: ScheduleOptions(time_limit=2.0))
    delay_days: int = DEFAULT_DELAY
    critical_task: str | None = None  # the task the critical path test delays (default: chosen)
    # The schedule to measure, when the caller has solved it already (the program assessment):
    # the audit then reads the very dates every other output shows.
    solved: SolvedPlan | None = None


@dataclass(frozen=True, slots=True)
class Audit:
    program: str
    dcma: tuple[Check, ...]
    lint: tuple[Check, ...]
    basis: Basis  # which schedule the float checks measured
    finish: dt.date
    status_date: dt.date | None = None
    baseline: str | None = None

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in (*self.dcma, *self.lint) if c.passed is False)

    def to_json(self) -> dict[str, Any]:
        def tally(checks: Sequence[Check]) -> dict[str, int]:
            return {
                "pass": sum(c.passed is True for c in checks),
                "fail": sum(c.passed is False for c in checks),
                "n/a": sum(c.passed is None for c in checks),
            }

        return {
            "program": self.program,
            "basis": self.basis,
            "finish": self.finish.isoformat(),
            "status_date": self.status_date.isoformat() if self.status_date else None,
            "baseline": self.baseline,
            "summary": {"dcma": tally(self.dcma), "lint": tally(self.lint)},
            "dcma": [c.to_json() for c in self.dcma],
            "lint": [c.to_json() for c in self.lint],
        }


# -- the schedule the checks measure -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Net:
    built: PlanProblem
    modes: tuple[int, ...]
    starts: tuple[int, ...]
    passes: CpmResult  # floats as measured (deadlines in)
    basis: Basis

    def duration(self, job: int) -> int:
        return self.built.problem.jobs[job].modes[self.modes[job]].duration

    def end(self, job: int) -> int:
        return self.starts[job] + self.duration(job)


def _schedule(
    plan: Plan, options: AuditOptions, status: Status | None
) -> tuple[_Net, list[Diagnostic]]:
    schedule_options = replace(options.schedule, status=status)
    solved: SolvedPlan | None
    diagnostics: list[Diagnostic]
    if options.solved is not None:
        solved, diagnostics = options.solved, []
    else:
        solved, diagnostics = solve_plan(plan, schedule_options)
    if solved is not None:
        # Deadlines are targets: the schedule ignores them and its floats show them (negative).
        built = solved.built
        starts, modes = tuple(solved.solution.starts), tuple(solved.solution.modes)
        passes = cpm(built.problem, modes, starts=starts)
        return _Net(built, modes, starts, passes, "levelled"), diagnostics
    # No levelled schedule: the logic network still has floats, and they are what DCMA reads.
    grid = WorkGrid.for_plan(plan)
    network, _ = build_network(plan, grid, status=status)
    if network is None:  # a task nobody can do: every task at one person's full-time pace
        network, _ = build_network(replace(plan, people=()), grid, status=status)
    assert network is not None  # without people every task has a mode
    modes = tuple(_shortest(job) for job in network.problem.jobs)
    passes = cpm(network.problem, modes)
    return _Net(network, modes, passes.early_start, passes, "network"), diagnostics


def _shortest(job: Job) -> int:
    durations = [m.duration for m in job.modes]
    return durations.index(min(durations))


# -- the plan's tasks as the checks see them -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _View:
    plan: Plan
    net: _Net
    status: Status | None
    now: int  # first working-day index after the status date (0 without one)
    leaves: tuple[Task, ...]
    done: frozenset[str]  # leaf ids finished as of the status date
    open_leaves: tuple[Task, ...]  # incomplete leaf tasks, milestones included
    ancestors: Mapping[str, tuple[Task, ...]] = field(repr=False)

    def progress(self, task_id: str) -> TaskProgress | None:
        return self.status.tasks.get(task_id) if self.status else None

    def job(self, task_id: str) -> int:
        return self.net.built.index[(task_id, "task")]


def _view(plan: Plan, net: _Net, status: Status | None) -> _View:
    grid = net.built.grid
    now = grid.index_on_or_after(status.date + _ONE_DAY) if status else 0
    leaves = tuple(plan.leaf_tasks())
    done = frozenset(
        t.id for t in leaves if status and (p := status.tasks.get(t.id)) and p.state == "done"
    )
    ancestors: dict[str, tuple[Task, ...]] = {}
    for task in plan.tasks:  # parents come first, so theirs are known
        parent = plan.task_by_id.get(task.parent) if task.parent else None
        ancestors[task.id] = (parent, *ancestors[parent.id]) if parent else ()
    return _View(
        plan,
        net,
        status,
        now,
        leaves,
        done,
        tuple(t for t in leaves if t.id not in done),
        ancestors,
    )


def _ids(tasks: Iterable[Task]) -> tuple[str, ...]:
    return tuple(t.id for t in tasks)


def _at_most(share: Fraction, count: int, total: int) -> bool | None:
    return None if total == 0 else Fraction(count, total) <= share


def _pct(share: Fraction) -> str:
    return f"{float(share * 100):g}%"


# -- the 14 checks -------------------------------------------------------------------------------


def _logic(v: _View) -> Check:
    """Incomplete tasks without a predecessor or a successor. Logic written on a summary is its
    children's; a milestone may open or close a chain (start and delivery milestones), not
    both."""
    depended = {d.task for t in v.plan.tasks for d in t.depends}
    found = []
    for task in v.open_leaves:
        line = (task, *v.ancestors[task.id])
        has_pred = any(t.depends for t in line)
        has_succ = any(t.id in depended for t in line)
        if (has_pred and has_succ) or (task.milestone and (has_pred or has_succ)):
            continue
        found.append(task)
    return _share_of_open_work(v, "logic", "Missing logic", 1, found)


def _share_of_open_work(v: _View, check: str, name: str, number: int, found: list[Task]) -> Check:
    """A check passed when at most 5 % of the incomplete leaf tasks are found."""
    total = len(v.open_leaves)
    return Check(
        check,
        name,
        len(found),
        total,
        _at_most(FIVE_PERCENT, len(found), total),
        _ids(found),
        f"<= {_pct(FIVE_PERCENT)}",
        number,
        "" if total else "no incomplete tasks",
    )


def _open_links(v: _View) -> list[tuple[Task, DepType, int]]:
    """Relationships into incomplete work: (successor, type, lag in minutes)."""
    open_ids = {t.id for t in v.open_leaves}
    out: list[tuple[Task, DepType, int]] = []
    for task in v.plan.tasks:
        if task.is_summary:
            live = any(d.id in open_ids for d in v.plan.descendants(task.id))
        else:
            live = task.id in open_ids
        if live:
            out.extend((task, d.type, d.lag.minutes) for d in task.depends)
    return out


def _unique(tasks: Iterable[Task]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.id for t in tasks))


def _relationships(v: _View) -> tuple[Check, Check, Check]:
    links = _open_links(v)
    total = len(links)
    leads = [t for t, _, lag in links if lag < 0]
    lags = [t for t, _, lag in links if lag > 0]
    other = [t for t, kind, _ in links if kind is not DepType.FS]
    fs = total - len(other)
    none = "" if total else "no relationships into incomplete work"
    return (
        Check("leads", "Leads", len(leads), total, not leads, _unique(leads), "= 0", 2, none),
        Check(
            "lags",
            "Lags",
            len(lags),
            total,
            _at_most(FIVE_PERCENT, len(lags), total),
            _unique(lags),
            f"<= {_pct(FIVE_PERCENT)}",
            3,
            none,
        ),
        Check(
            "relationship-types",
            "Finish-to-start relationships",
            fs,
            total,
            None if total == 0 else Fraction(fs, total) >= NINETY_PERCENT,
            _unique(other),
            f">= {_pct(NINETY_PERCENT)}",
            4,
            none,
        ),
    )


def _constraints(v: _View) -> Check:
    """DCMA 5 counts hard constraints: must start on, must finish on, start no later than and
    finish no later than, which hold a task to a date whatever its logic says. The plan format
    has none of them. A deadline is not one: it is a target that never moves the schedule (a
    miss shows as negative float, check 7). A start no earlier than is a soft constraint, as in
    the guide: logic can still push the task later. So nothing is counted, and the note says
    how many incomplete tasks carry those two instead. On a summary they bind its tasks."""
    open_ids = {t.id for t in v.open_leaves}

    def live(t: Task) -> bool:
        if t.is_summary:
            return any(d.id in open_ids for d in v.plan.descendants(t.id))
        return t.id in open_ids

    soft = sum(1 for t in v.plan.tasks if t.start_no_earlier_than is not None and live(t))
    targets = sum(1 for t in v.plan.tasks if t.deadline is not None and live(t))
    checked = _share_of_open_work(v, "hard-constraints", "Hard constraints", 5, [])
    if not checked.total:
        return checked
    return replace(
        checked,
        note=f"none: the plan format has no hard constraints; not counted: {soft} start no "
        f"earlier than (soft), {targets} deadline{'' if targets == 1 else 's'} (targets)",
    )


def _floats(v: _View) -> tuple[Check, Check]:
    total_float = v.net.passes.total_float
    high = [t for t in v.open_leaves if total_float[v.job(t.id)] > HIGH_DAYS]
    negative = [t for t in v.open_leaves if total_float[v.job(t.id)] < 0]
    total = len(v.open_leaves)
    return (
        Check(
            "high-float",
            f"High float (> {HIGH_DAYS} days)",
            len(high),
            total,
            _at_most(FIVE_PERCENT, len(high), total),
            _ids(high),
            f"<= {_pct(FIVE_PERCENT)}",
            6,
            "" if total else "no incomplete tasks",
        ),
        Check(
            "negative-float",
            "Negative float",
            len(negative),
            total,
            not negative,
            _ids(negative),
            "= 0",
            7,
        ),
    )


def _durations(v: _View, baseline: Mapping[str, BaselineTask] | None) -> Check:
    """The baseline's duration where there is one (as the guide), else the scheduled one."""
    work = [t for t in v.open_leaves if not t.milestone]

    def days(task: Task) -> int:
        if baseline is not None and task.id in baseline:
            return baseline[task.id].days
        return v.net.duration(v.job(task.id))

    found = [t for t in work if days(t) > HIGH_DAYS]
    return Check(
        "high-duration",
        f"High duration (> {HIGH_DAYS} days)",
        len(found),
        len(work),
        _at_most(FIVE_PERCENT, len(found), len(work)),
        _ids(found),
        f"<= {_pct(FIVE_PERCENT)}",
        8,
        "" if work else "no incomplete tasks with work",
    )


def _invalid_dates(v: _View) -> Check:
    """Actual dates after the status date; forecast dates of unfinished work before it."""
    total = len(v.leaves)
    if v.status is None:
        return Check("invalid-dates", "Invalid dates", None, total, None, (), "= 0", 9, _NO_STATUS)
    date = v.status.date
    grid, net = v.net.built.grid, v.net
    found = []
    for task in v.leaves:
        p = v.progress(task.id)
        actual = [d for d in (p.actual_start, p.actual_finish) if d] if p else []
        bad = any(d > date for d in actual)
        if not bad and task.id not in v.done:
            job = v.job(task.id)
            start, end = net.starts[job], net.end(job)
            forecast = [grid.date_of(max(end - 1, start))]
            if p is None or p.actual_start is None:
                forecast.append(grid.date_of(start))
            bad = any(d < date for d in forecast)
        if bad:
            found.append(task)
    return Check(
        "invalid-dates", "Invalid dates", len(found), total, not found, _ids(found), "= 0", 9
    )


def _staffable(plan: Plan, task: Task) -> bool:
    """Named resources that resolve to someone with time on the program. A plan that lists no
    people is staffed by name alone."""
    if not (task.assignees or task.skills or task.team):
        return False
    if not plan.people:
        return True
    return any(p.allocation > 0 for p in candidates(plan, task))


def _needs_people(task: Task) -> bool:
    """Effort needs people; a fixed duration only if it names who (a vendor's lead time or a
    soak period holds nobody, by design)."""
    if task.milestone or task.work is None or task.work.likely.minutes <= 0:
        return False
    return task.estimate is not None or bool(task.assignees or task.skills or task.team)


def _resources(v: _View) -> Check:
    work = [t for t in v.open_leaves if _needs_people(t)]
    found = [t for t in work if not _staffable(v.plan, t)]
    return Check(
        "resources",
        "Resources",
        len(found),
        len(work),
        not found,
        _ids(found),
        "= 0",
        10,
        "" if work else "no incomplete tasks with work",
    )


_NO_STATUS = "needs progress with a status date (in the plan, or in the store: --progress)"
_NO_BASELINE = "needs a baseline (--baseline NAME)"


def _finished_on(v: _View, task_id: str) -> dt.date | None:
    """When a finished task finished (the status date when it is done without a date)."""
    if task_id not in v.done or v.status is None:
        return None
    p = v.status.tasks[task_id]
    return p.actual_finish or v.status.date


def _tracked(v: _View, baseline: Mapping[str, BaselineTask] | None) -> tuple[Check, Check]:
    """Missed tasks and the baseline execution index."""
    if baseline is None or v.status is None:
        missing = " and ".join(
            what
            for what, absent in ((_NO_BASELINE, baseline is None), (_NO_STATUS, v.status is None))
            if absent
        ).replace(" and needs", " and")
        return (
            Check("missed-tasks", "Missed tasks", None, None, None, (), "<= 5%", 11, missing),
            Check(
                "bei",
                "Baseline execution index (BEI)",
                None,
                None,
                None,
                (),
                ">= 0.95",
                14,
                missing,
            ),
        )
    date = v.status.date
    due = [
        t
        for t in v.leaves
        if t.id in baseline and not baseline[t.id].summary and baseline[t.id].finish <= date
    ]
    missed = []
    for t in due:
        on = _finished_on(v, t.id)
        if on is None or on > baseline[t.id].finish:
            missed.append(t)
    finished = [t for t in v.leaves if (f := _finished_on(v, t.id)) and f <= date]
    behind = [t for t in due if _finished_on(v, t.id) is None]
    nothing_due = "" if due else f"no task was due by the status date {date}"
    return (
        Check(
            "missed-tasks",
            "Missed tasks",
            len(missed),
            len(due),
            _at_most(FIVE_PERCENT, len(missed), len(due)) if due else True,
            _ids(missed),
            f"<= {_pct(FIVE_PERCENT)}",
            11,
            nothing_due,
        ),
        Check(
            "bei",
            "Baseline execution index (BEI)",
            len(finished),
            len(due),
            Fraction(len(finished), len(due)) >= INDEX_LIMIT if due else None,
            _ids(behind),
            f">= {float(INDEX_LIMIT):g}",
            14,
            nothing_due,
        ),
    )


def _driving_floats(net: _Net) -> tuple[int, ...]:
    """Total float against the program finish alone: deadlines left out, so the path that
    drives the finish has zero float."""
    problem = net.built.problem
    free = replace(
        problem, jobs=tuple(replace(j, due=None) if j.due is not None else j for j in problem.jobs)
    )
    return cpm(free, net.modes, starts=net.starts).total_float


def _finish_after_delay(net: _Net, job: int, delay: int) -> int:
    """The program's end when ``job`` takes ``delay`` more days and everything else keeps its
    scheduled start as its earliest (resource order stays; logic pushes)."""
    problem = net.built.problem
    jobs: list[Job] = []
    modes = list(net.modes)
    for j, (spec, start) in enumerate(zip(problem.jobs, net.starts, strict=True)):
        floored = replace(spec, release=max(spec.release, start))
        if j == job:
            mode = spec.modes[modes[j]]
            floored = replace(floored, modes=(Mode(mode.duration + delay, mode.demands),))
            modes[j] = 0
        jobs.append(floored)
    return cpm(replace(problem, jobs=tuple(jobs)), modes).project_end


def _critical_path_test(v: _View, options: AuditOptions) -> Check:
    delay = options.delay_days
    threshold = f"finish moves {delay}d"
    net = v.net
    leaves = {t.id for t in v.leaves}
    if options.critical_task is not None:
        if options.critical_task not in leaves:
            return Check(
                "critical-path-test",
                "Critical path test",
                None,
                delay,
                None,
                (options.critical_task,),
                threshold,
                12,
                f"'{options.critical_task}' is not a leaf task of the plan",
            )
        chosen = v.plan.task_by_id[options.critical_task]
    else:
        floats = _driving_floats(net)
        path = [
            t
            for t in v.open_leaves
            if not t.milestone and net.duration(v.job(t.id)) > 0 and floats[v.job(t.id)] <= 0
        ]
        if not path:
            return Check(
                "critical-path-test",
                "Critical path test",
                None,
                delay,
                None,
                (),
                threshold,
                12,
                "no incomplete task with work on the critical path",
            )
        # The guide delays a critical task near the status date: the first one to start.
        chosen = min(path, key=lambda t: net.starts[v.job(t.id)])
    before = max((net.end(j) for j in range(len(net.starts))), default=0)
    moved = _finish_after_delay(net, v.job(chosen.id), delay) - before
    return Check(
        "critical-path-test",
        "Critical path test",
        moved,
        delay,
        moved == delay,
        (chosen.id,),
        threshold,
        12,
        f"delaying '{chosen.id}' by {delay} working days moves the finish {moved}",
    )


def _cpli(v: _View, baseline: Mapping[str, BaselineTask] | None) -> Check:
    """(critical path length + float of the finish against its target) / critical path length,
    from the status date (the program start without one). The target is the latest deadline in
    the plan (the program's completion), else the baseline's finish."""
    net, grid = v.net, v.net.built.grid
    dated = [t for t in v.plan.tasks if t.deadline is not None]
    ids: tuple[str, ...] = ()
    if dated:
        target = max(dated, key=lambda t: (t.deadline, net.end(net.built.finish_job(t.id))))
        job = net.built.finish_job(target.id)
        finish = net.end(job)
        due = grid.index_on_or_before(target.deadline) + 1 if target.deadline else 0
        ids = (target.id,)
        what = f"'{target.id}' against its deadline {target.deadline}"
    elif baseline:
        finish = max((net.end(j) for j in range(len(net.starts))), default=0)
        planned = max(b.finish for b in baseline.values())
        due = grid.index_on_or_before(planned) + 1
        what = f"the program finish against the baseline's {planned}"
    else:
        return Check(
            "cpli",
            "Critical path length index (CPLI)",
            None,
            None,
            None,
            (),
            f">= {float(INDEX_LIMIT):g}",
            13,
            "needs a deadline in the plan or a baseline (--baseline NAME) to measure against",
        )
    length = finish - v.now
    if length <= 0:
        return Check(
            "cpli",
            "Critical path length index (CPLI)",
            None,
            None,
            None,
            ids,
            f">= {float(INDEX_LIMIT):g}",
            13,
            f"{what}: the finish is not after the status date",
        )
    slack = due - finish
    return Check(
        "cpli",
        "Critical path length index (CPLI)",
        length + slack,
        length,
        Fraction(length + slack, length) >= INDEX_LIMIT,
        ids,
        f">= {float(INDEX_LIMIT):g}",
        13,
        f"{what}: critical path {length} working days, total float {slack:+d}",
    )


# -- the lint ------------------------------------------------------------------------------------


def lint(plan: Plan) -> tuple[Check, ...]:
    """Good practice the 14 points do not cover, on the plan as written (progress aside)."""
    work = [t for t in plan.leaf_tasks() if not t.milestone]
    ownerless = [t for t in work if not (t.assignees or t.skills or t.team)]
    unestimated = [t for t in work if t.estimate is None and t.duration is None]
    released = {i for r in plan.releases for i in r.includes}
    milestones = [t for t in plan.tasks if t.milestone]
    untargeted = [
        t for t in milestones if t.deadline is None and not released.intersection(_line(plan, t))
    ]
    open_risks = [r for r in plan.risks if r.status is not RiskStatus.CLOSED]
    unowned = [r for r in open_risks if r.owner is None]
    return (
        Check(
            "owner",
            "Tasks with no owner",
            len(ownerless),
            len(work),
            not ownerless,
            _ids(ownerless),
        ),
        Check(
            "estimate",
            "Tasks without an estimate",
            len(unestimated),
            len(work),
            not unestimated,
            _ids(unestimated),
        ),
        Check(
            "milestone-target",
            "Milestones in no release and with no deadline",
            len(untargeted),
            len(milestones),
            not untargeted,
            _ids(untargeted),
        ),
        _raci(plan),
        Check(
            "risk-owner",
            "Open risks without an owner",
            len(unowned),
            len(open_risks),
            not unowned,
            tuple(r.id for r in unowned),
        ),
    )


def _line(plan: Plan, task: Task) -> set[str]:
    """The task and its summaries: a release that includes a summary includes what is in it."""
    out = {task.id}
    parent = task.parent
    while parent is not None:
        out.add(parent)
        parent = plan.task_by_id[parent].parent if parent in plan.task_by_id else None
    return out


def _raci(plan: Plan) -> Check:
    """Each deliverable (``deliverable: true``, and every milestone) has one accountable and at
    least one responsible; checked only when the plan names its stakeholders."""
    deliverables = [t for t in plan.tasks if t.deliverable or t.milestone]
    name = "Deliverables without one accountable and a responsible"
    if not plan.stakeholders:
        return Check(
            "raci",
            name,
            None,
            len(deliverables),
            None,
            note="the plan names no stakeholders",
        )
    found = [t for t in deliverables if t.accountable is None or not t.responsible]
    return Check("raci", name, len(found), len(deliverables), not found, _ids(found))


# -- the whole audit -----------------------------------------------------------------------------


def audit(
    plan: Plan, tracking: Tracking | None = None, options: AuditOptions | None = None
) -> tuple[Audit, list[Diagnostic]]:
    """The 14 checks and the lint. The diagnostics are the scheduler's: why the plan could not
    be levelled (the checks then measure the logic network), or deadlines it misses."""
    options = options or AuditOptions()
    tracking = tracking or Tracking()
    status = tracking.status if tracking.status is not None else plan_status(plan)
    net, diagnostics = _schedule(plan, options, status)
    v = _view(plan, net, status)
    leads, lags, types = _relationships(v)
    high_float, negative_float = _floats(v)
    missed, bei = _tracked(v, tracking.baseline)
    checks = (
        _logic(v),
        leads,
        lags,
        types,
        _constraints(v),
        high_float,
        negative_float,
        _durations(v, tracking.baseline),
        _invalid_dates(v),
        _resources(v),
        missed,
        _critical_path_test(v, options),
        _cpli(v, tracking.baseline),
        bei,
    )
    end = max((net.end(j) for j in range(len(net.starts))), default=0)
    grid = net.built.grid
    return (
        Audit(
            plan.program.name,
            checks,
            lint(plan),
            net.basis,
            grid.date_of(max(end - 1, 0)),
            status.date if status else None,
            tracking.baseline_name,
        ),
        diagnostics,
    )
