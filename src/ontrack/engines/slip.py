"""Scope slipping: which unstarted tasks to move to the next train so a release makes its date.

When the Monte Carlo says a release will probably miss its date, the usual answer is to ship
less on time rather than everything late. This engine finds the smallest set of unstarted tasks
of the release's work whose removal brings its on-time odds back to a target (the release's
``min_odds``, else 80 %), as a what-if: the plan is never changed, a changed copy is simulated.

The release's work is what readiness calls it (:meth:`Plan.release_work`): its scope (what
``includes`` names, a summary with everything under it, its tracker items) and everything the
scope waits for, transitively. A release that includes only milestones thus has the work its
milestones depend on as candidates.

What moving a set of tasks means for the simulation (:func:`what_if_plan`):

* the moved tasks leave the release: its forecast finish is the latest finish of what it still
  includes (an included summary task that loses some of its children is replaced by the
  children it keeps);
* they are deferred to the next train: ``start_no_earlier_than`` becomes the day after the
  release's date (unless it was later already), so they stop competing for people before the
  release ships (a milestone moved along has no work and is not deferred);
* dependencies: a task that stays in the release may not depend, directly or transitively and
  through any dependency type (also through a summary task, or a summary it sits under), on a
  moved task, so moving a task moves the release's work that depends on it, milestones outside
  the release's scope included. A milestone of the scope is the exception: it marks the
  release, so it never moves; its links to moved work are dropped (a link to a summary task
  that loses children becomes links to the children it keeps), since the milestone now marks
  the reduced release. Dropping those links is what takes work the release only waits for out
  of it. Work that waits for such a milestone still moves with what the milestone waited for
  (it keeps its dependency rather than losing it through the dropped link);
* work left behind moves too: what nothing left in the release waits for any more (the
  predecessors that only the moved work needed) leaves with it, and is deferred and counted,
  so cutting the last task of a chain moves the chain (:func:`left_behind`).

Started and done tasks never move, nor does a task whose move would drag a started one along.

Search: every evaluation is a Monte Carlo of the changed plan with the same seed (common random
numbers, so two candidate sets are compared on the same draws) and ``search_iterations``
iterations. With few candidates (``exact_limit``) the closed sets are tried exactly, smallest
first (fewest tasks, then least work); otherwise greedily, each step moving the candidate (with
its forced dependents and the work it leaves behind) that raises the odds most per working
day moved (candidates that come to the same set are simulated once), then a pruning pass
puts back every moved task (with the moved tasks it depends on) whose return keeps the target
met, so no task can be returned. The proposal is confirmed with ``iterations`` (10,000); when
the confirmation falls short, the greedy step continues at the full count.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Literal

from ontrack.diagnostics import Diagnostic, error
from ontrack.engines.calendar import WorkCalendar
from ontrack.engines.forecast.distributions import Distribution
from ontrack.engines.forecast.montecarlo import ForecastOptions, forecast
from ontrack.engines.schedule.progress import Status
from ontrack.engines.trains import Departure, next_departure
from ontrack.model import Dependency, Plan, Release, Task

CODES = ("E480", "E481", "E482")
DEFAULT_TARGET = Fraction(4, 5)
SEARCH_ITERATIONS = 2_000
EXACT_LIMIT = 12
#: Evaluations the exact search may spend before it gives way to the greedy one.
EXACT_BUDGET = 300

Outcome = Literal["on-target", "proposed", "short", "infeasible", "nothing-movable"]
TargetSource = Literal["option", "release", "default"]


@dataclass(frozen=True, slots=True)
class SlipOptions:
    target: Fraction | None = None  # None: the release's min_odds, else 80 %
    iterations: int = 10_000  # the confirmation (and the before/after figures)
    search_iterations: int = SEARCH_ITERATIONS
    seed: int = 0
    distribution: Distribution = Distribution.PERT
    schedule_time_limit: float = 5.0  # the before figures and the confirmation
    # The search's schedules: 0 takes the heuristic's first priority-rule schedule, which is
    # deterministic and some 20 times faster than its improvement passes.
    search_time_limit: float = 0.0
    exact_limit: int = EXACT_LIMIT
    progress: Callable[[float], None] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Odds:
    """The release's forecast: its chance of shipping by its date and its dates."""

    probability: float
    planned: dt.date | None
    p50: dt.date | None
    p80: dt.date | None
    mean_days: float

    def to_json(self) -> dict[str, Any]:
        return {
            "probability_on_time": round(self.probability, 4),
            "planned": _iso(self.planned),
            "p50": _iso(self.p50),
            "p80": _iso(self.p80),
        }


@dataclass(frozen=True, slots=True)
class MovedTask:
    id: str
    title: str
    work_days: float  # likely working days (effort or duration)
    work: str  # the estimate as written, e.g. 3d/5d/8d
    reason: str  # why it moves: chosen, or which moved task it depends on

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "work_days": round(self.work_days, 2),
            "work": self.work,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class SlipProposal:
    """What to move out of ``release`` so it makes its date, and the odds before and after.

    ``outcome``: on-target (nothing to move), proposed (the target is met), infeasible (even
    moving everything movable does not reach it: ``moved`` is the best set found), short (the
    search stopped below the target), nothing-movable (no unstarted task with work in the
    release's work)."""

    release: str
    title: str
    date: dt.date
    target: float
    target_source: TargetSource
    outcome: Outcome
    before: Odds
    after: Odds | None
    moved: tuple[MovedTask, ...]
    defer_to: dt.date  # the moved tasks' start_no_earlier_than in the what-if
    dropped_links: tuple[tuple[str, str], ...]  # (milestone, moved task) links dropped
    train: str | None
    departure: Departure | None  # the next departure of the release's train after its date
    next_release: str | None  # the next release on the same train, if the plan has one
    candidates: int
    unmovable: tuple[tuple[str, str], ...]  # (task, why) in the release's work, not movable
    method: Literal["none", "exact", "greedy"]
    evaluations: int
    iterations: int
    search_iterations: int
    seed: int
    seconds: float

    @property
    def moved_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.moved)

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "title": self.title,
            "date": self.date.isoformat(),
            "target": round(self.target, 4),
            "target_source": self.target_source,
            "outcome": self.outcome,
            "before": self.before.to_json(),
            "after": self.after.to_json() if self.after is not None else None,
            "moved": [m.to_json() for m in self.moved],
            "work_days_moved": round(sum(m.work_days for m in self.moved), 2),
            "defer_to": self.defer_to.isoformat(),
            "dropped_links": [{"milestone": m, "task": t} for m, t in self.dropped_links],
            "train": self.train,
            "departure": self.departure.to_json() if self.departure is not None else None,
            "next_release": self.next_release,
            "candidates": self.candidates,
            "unmovable": [{"task": t, "reason": r} for t, r in self.unmovable],
            "method": self.method,
            "evaluations": self.evaluations,
            "iterations": self.iterations,
            "search_iterations": self.search_iterations,
            "seed": self.seed,
            "seconds": round(self.seconds, 3),
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# -- the what-if --------------------------------------------------------------------------------


def defer_day(release: Release) -> dt.date:
    """The day moved tasks may start: the day after the release ships."""
    assert release.date is not None
    return release.date + dt.timedelta(days=1)


def _leaves(plan: Plan, task_id: str) -> list[str]:
    task = plan.task_by_id.get(task_id)
    if task is None or not task.is_summary:
        return [task_id]
    return [t.id for t in plan.descendants(task_id) if not t.is_summary]


def what_if_plan(
    plan: Plan, release: Release, moved: Iterable[str]
) -> tuple[Plan, tuple[tuple[str, str], ...]]:
    """The plan with ``moved`` slipped out of ``release`` (module docstring), and the
    (milestone, moved task) links dropped to do it."""
    gone = frozenset(moved)
    if not gone:
        return plan, ()
    scope = set(plan.release_scope(release))
    includes: list[str] = []
    for ident in release.includes:
        task = plan.task_by_id.get(ident)
        if ident in gone:
            continue
        if task is not None and task.is_summary and any(x in gone for x in _leaves(plan, ident)):
            includes.extend(x for x in _leaves(plan, ident) if x not in gone)
        else:
            includes.append(ident)
    new_release = replace(release, includes=tuple(dict.fromkeys(includes)))
    defer = defer_day(release)
    dropped: list[tuple[str, str]] = []
    tasks: list[Task] = []
    for original in plan.tasks:
        task = original
        if task.id in gone:
            if not task.milestone:  # a milestone moved along has no work to defer
                start = task.start_no_earlier_than
                task = replace(task, start_no_earlier_than=max(start, defer) if start else defer)
        elif task.milestone and task.id in scope:
            depends: list[Dependency] = []
            cut = False
            for dep in task.depends:
                leaves = _leaves(plan, dep.task)
                if not any(x in gone for x in leaves):
                    depends.append(dep)
                    continue
                dropped.extend((task.id, x) for x in leaves if x in gone)
                cut = True
                if plan.task_by_id.get(dep.task) is not None and dep.task not in gone:
                    depends.extend(replace(dep, task=x) for x in leaves if x not in gone)
            if cut:
                task = replace(task, depends=tuple(depends))
        tasks.append(task)
    releases = tuple(new_release if r.id == release.id else r for r in plan.releases)
    return replace(plan, tasks=tuple(tasks), releases=releases), tuple(dict.fromkeys(dropped))


# -- dependencies -------------------------------------------------------------------------------


def _ancestors(plan: Plan, task: Task) -> Iterable[Task]:
    parent = task.parent
    while parent is not None and parent in plan.task_by_id:
        up = plan.task_by_id[parent]
        yield up
        parent = up.parent


def dependents_in_work(plan: Plan, work: Iterable[str]) -> dict[str, set[str]]:
    """Task -> the tasks of ``work`` (not summaries) that depend on it directly: through any
    dependency type, a dependency on a summary (each task under it), or a dependency of a
    summary they sit under. Milestones are dependents too: a milestone outside the release's
    scope moves along with what it waits for, and one of the scope (which stays) passes the
    move on to the work that waits for it (:func:`movable`)."""
    out: dict[str, set[str]] = {}
    for ident in work:
        task = plan.task_by_id[ident]
        if task.is_summary:
            continue
        links = [*task.depends, *(d for up in _ancestors(plan, task) for d in up.depends)]
        for dep in links:
            if dep.task not in plan.task_by_id:
                continue
            for pred in _leaves(plan, dep.task):
                if pred != ident:
                    out.setdefault(pred, set()).add(ident)
    return out


def release_milestones(plan: Plan, release: Release) -> frozenset[str]:
    """The milestones of the release's scope: they mark the release, so they never move."""
    return frozenset(t for t in plan.release_scope(release) if plan.task_by_id[t].milestone)


def movable(
    start: Iterable[str], edges: Mapping[str, set[str]], stay: frozenset[str]
) -> frozenset[str]:
    """What moves when ``start`` moves: everything of the release's work that waits for it,
    transitively, except the release's milestones ``stay`` (which drop their links instead,
    yet still pass the move on: work that waits for such a milestone waits for what it
    waited for)."""
    return _closure(start, edges) - stay


def left_behind(
    plan: Plan, release: Release, moved: Iterable[str], edges: Mapping[str, set[str]]
) -> frozenset[str]:
    """The release's work that nothing left in it waits for once ``moved`` goes: the
    predecessors that only moved work (or a link a milestone drops) needed. Everything the scope
    still reaches, not passing through moved work, stays."""
    gone = frozenset(moved)
    preds = _inverse(edges)
    work = plan.release_work(release)
    reached = {t for t in plan.release_scope(release) if t not in gone}
    stack = list(reached)
    while stack:
        for pred in preds.get(stack.pop(), ()):
            if pred not in reached and pred not in gone:
                reached.add(pred)
                stack.append(pred)
    return frozenset(
        t for t in work if t not in reached and t not in gone and not plan.task_by_id[t].is_summary
    )


def _inverse(edges: Mapping[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for pred, succs in edges.items():
        for succ in succs:
            out.setdefault(succ, set()).add(pred)
    return out


def _closure(start: Iterable[str], edges: Mapping[str, set[str]]) -> frozenset[str]:
    seen = set(start)
    stack = list(seen)
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return frozenset(seen)


# -- the search ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Eval:
    odds: Odds
    moved: frozenset[str]


class _Search:
    def __init__(
        self, plan: Plan, release: Release, status: Status | None, options: SlipOptions
    ) -> None:
        self.plan = plan
        self.release = release
        self.status = status
        self.options = options
        self.cache: dict[tuple[frozenset[str], int, bool], _Eval] = {}
        self.edges: Mapping[str, set[str]] = {}
        self.started: frozenset[str] = frozenset()
        self.completed: dict[frozenset[str], frozenset[str]] = {}
        self.evaluations = 0
        self.expected = 1
        self.reported = 0.0
        self.problems: list[Diagnostic] = []

    def tick(self) -> None:
        if self.options.progress is not None:
            self.reported = max(self.reported, min(0.99, self.evaluations / self.expected))
            self.options.progress(self.reported)

    def complete(self, moved: frozenset[str]) -> frozenset[str]:
        """``moved`` and the unstarted work it leaves behind (:func:`left_behind`): it leaves
        the release too, so it is deferred and counted with the move."""
        if not moved:
            return moved
        if moved not in self.completed:
            extra = left_behind(self.plan, self.release, moved, self.edges) - self.started
            self.completed[moved] = moved | extra
        return self.completed[moved]

    def evaluate(self, moved: frozenset[str], iterations: int, full: bool = False) -> _Eval | None:
        """The release's odds with ``moved`` (and what it leaves behind) slipped; ``full``: with
        the schedule the forecast command makes (else the search's quicker one)."""
        moved = self.complete(moved)
        key = (moved, iterations, full)
        if key in self.cache:
            return self.cache[key]
        changed, _ = what_if_plan(self.plan, self.release, moved)
        result, problems = forecast(
            changed,
            ForecastOptions(
                iterations=iterations,
                seed=self.options.seed,
                distribution=self.options.distribution,
                schedule_time_limit=self.options.schedule_time_limit
                if full
                else self.options.search_time_limit,
                status=self.status,
            ),
        )
        self.evaluations += 1
        self.tick()
        if result is None:
            self.problems = problems
            return None
        item = next(
            (m for m in result.milestones if m.kind == "release" and m.id == self.release.id),
            None,
        )
        if item is None:  # nothing left in the release: it ships whatever happens
            odds = Odds(1.0, None, None, None, 0.0)
        else:
            odds = Odds(
                item.probability_on_time if item.probability_on_time is not None else 0.0,
                item.planned,
                item.p50,
                item.p80,
                item.mean_days,
            )
        found = _Eval(odds, moved)
        self.cache[key] = found
        return found


def _work_days(plan: Plan, task: Task) -> float:
    work = task.work
    if work is None:
        return 0.0
    return float(work.likely.days(plan.hours_per_day))


def propose_slip(
    plan: Plan, release_id: str, status: Status | None, options: SlipOptions | None = None
) -> tuple[SlipProposal | None, list[Diagnostic]]:
    """The tasks to move out of release ``release_id`` so it makes its date (module docstring),
    or None and why: E480 unknown release, E481 a release without a date, E482 a target outside
    (0, 100 %], or the forecast's own diagnostics."""
    options = options or SlipOptions()
    began = time.perf_counter()
    release = next((r for r in plan.releases if r.id == release_id), None)
    if release is None:
        known = ", ".join(r.id for r in plan.releases) or "none"
        return None, [
            error(
                "E480",
                plan.program.loc,
                f"no release '{release_id}' in the plan",
                f"releases: {known}",
            )
        ]
    if release.date is None:
        return None, [
            error(
                "E481",
                release.loc,
                f"release '{release.id}' has no date: there is nothing to make",
                "give it a `date:` (or a `train:` departure date)",
            )
        ]
    source: TargetSource
    if options.target is not None:
        target, source = options.target, "option"
    elif release.min_odds is not None:
        target, source = release.min_odds, "release"
    else:
        target, source = DEFAULT_TARGET, "default"
    if not 0 < target <= 1:
        return None, [
            error(
                "E482",
                release.loc,
                f"target odds {float(target):.0%} are outside 1..100 %",
                "use e.g. --target 80%",
            )
        ]
    goal = float(target)
    search = _Search(plan, release, status, options)
    before = search.evaluate(frozenset(), options.iterations, full=True)
    if before is None:
        return None, search.problems

    # Candidates (the release's work: its scope and what the scope waits for), and what each
    # drags along.
    scope = plan.release_work(release)
    stay = release_milestones(plan, release)
    progress = status.tasks if status is not None else {}
    started = {t for t in scope if t in progress and progress[t].state != "planned"}
    edges = dependents_in_work(plan, scope)
    closures: dict[str, frozenset[str]] = {}
    unmovable: list[tuple[str, str]] = []
    for ident in scope:
        task = plan.task_by_id[ident]
        if task.is_summary or task.milestone:
            continue
        if ident in started:
            unmovable.append((ident, f"{progress[ident].state}"))
            continue
        if _work_days(plan, task) <= 0:
            continue
        group = movable([ident], edges, stay)
        blocked = sorted(group & started)
        if blocked:
            unmovable.append((ident, f"{', '.join(blocked)} depends on it and has started"))
            continue
        closures[ident] = group
    search.edges, search.started = edges, frozenset(started)
    work = {t: _work_days(plan, plan.task_by_id[t]) for t in scope}
    method: Literal["none", "exact", "greedy"] = "none"
    chosen: _Eval | None = None
    outcome: Outcome
    if before.odds.probability >= goal:
        outcome = "on-target"
    elif not closures:
        outcome = "nothing-movable"
    else:
        everything = frozenset().union(*closures.values())
        search.expected = 2 + len(closures) * (len(closures) + 3) // 2
        most = search.evaluate(everything, options.search_iterations)
        if most is None:
            return None, search.problems
        if most.odds.probability < goal:
            confirmed = search.evaluate(everything, options.iterations, full=True)
            if confirmed is None:
                return None, search.problems
            if confirmed.odds.probability < goal:
                outcome, chosen, method = "infeasible", confirmed, "greedy"
        if chosen is None:
            found, method = None, "exact"
            if len(closures) <= options.exact_limit:
                found = _exact(search, closures, work, goal)
            if found is None:
                method = "greedy"
                found = _greedy(search, closures, work, goal, frozenset(), None)
                if found is not None and found.odds.probability >= goal:
                    found = _prune(search, found, edges, work, goal)
            if found is None:
                return None, search.problems
            confirmed = search.evaluate(found.moved, options.iterations, full=True)
            if confirmed is None:
                return None, search.problems
            if confirmed.odds.probability < goal:  # the short run was lucky: keep going
                confirmed = _greedy(
                    search, closures, work, goal, confirmed.moved, options.iterations
                )
                if confirmed is None:
                    return None, search.problems
            chosen = confirmed
            outcome = "proposed" if chosen.odds.probability >= goal else "short"
    if options.progress is not None:
        options.progress(1.0)
    moved = _describe(plan, chosen.moved if chosen else frozenset(), scope, edges, stay)
    _, dropped = what_if_plan(plan, release, chosen.moved if chosen else ())
    train = next((t for t in plan.trains if t.id == release.train), None)
    departure = (
        next_departure(train, WorkCalendar.of(plan.calendar), defer_day(release))
        if train is not None
        else None
    )
    later = sorted(
        (r for r in plan.releases if r.train is not None and r.train == release.train),
        key=lambda r: (r.date or dt.date.max, r.id),
    )
    following = next((r.id for r in later if r.date is not None and r.date > release.date), None)
    return (
        SlipProposal(
            release=release.id,
            title=release.title,
            date=release.date,
            target=goal,
            target_source=source,
            outcome=outcome,
            before=before.odds,
            after=chosen.odds if chosen is not None else None,
            moved=moved,
            defer_to=defer_day(release),
            dropped_links=dropped,
            train=release.train if train is not None else None,
            departure=departure,
            next_release=following,
            candidates=len(closures),
            unmovable=tuple(unmovable),
            method=method,
            evaluations=search.evaluations,
            iterations=options.iterations,
            search_iterations=options.search_iterations,
            seed=options.seed,
            seconds=time.perf_counter() - began,
        ),
        [],
    )


def _cost(moved: frozenset[str], work: Mapping[str, float]) -> float:
    return sum(work.get(t, 0.0) for t in moved)


def _exact(
    search: _Search,
    closures: Mapping[str, frozenset[str]],
    work: Mapping[str, float],
    goal: float,
) -> _Eval | None:
    """The smallest closed set (fewest tasks, then least work) that meets the goal, or None
    when the budget runs out first."""
    seeds = sorted(closures)
    sets: set[frozenset[str]] = set()
    for k in range(1, len(seeds) + 1):
        for combo in itertools.combinations(seeds, k):
            sets.add(search.complete(frozenset().union(*(closures[s] for s in combo))))
    ordered = sorted(sets, key=lambda s: (len(s), _cost(s, work), sorted(s)))
    search.expected = search.evaluations + min(len(ordered), EXACT_BUDGET) + 1
    for spent, moved in enumerate(ordered):
        if spent >= EXACT_BUDGET:
            return None
        found = search.evaluate(moved, search.options.search_iterations)
        if found is None:
            return None
        if found.odds.probability >= goal:
            return found
    return None


def _greedy(
    search: _Search,
    closures: Mapping[str, frozenset[str]],
    work: Mapping[str, float],
    goal: float,
    start: frozenset[str],
    iterations: int | None,
) -> _Eval | None:
    """Move, one step at a time, the candidate whose move raises the odds most per working
    day moved (then lowers the mean finish most), until the goal is met or nothing is left."""
    n = iterations or search.options.search_iterations
    full = iterations is not None
    current = search.evaluate(start, n, full)
    while current is not None and current.odds.probability < goal:
        steps = {closures[c] - current.moved for c in closures if not closures[c] <= current.moved}
        if not steps:
            break
        left = len(steps)
        search.expected = max(search.expected, search.evaluations + left * (left + 1) // 2 + 2)
        best: tuple[tuple[float, float, float], _Eval] | None = None
        for step in sorted(steps, key=sorted):
            found = search.evaluate(current.moved | step, n, full)
            if found is None:
                return None
            days = max(_cost(found.moved - current.moved, work), 0.25)
            gain = found.odds.probability - current.odds.probability
            faster = current.odds.mean_days - found.odds.mean_days
            key = (gain / days, faster / days, -days)
            if best is None or key > best[0]:
                best = (key, found)
        assert best is not None
        current = best[1]
    return current


def _prune(
    search: _Search,
    found: _Eval,
    edges: Mapping[str, set[str]],
    work: Mapping[str, float],
    goal: float,
) -> _Eval:
    """Put back every moved task (with the moved tasks it depends on) whose return keeps the
    goal met, largest first, until none can return."""
    preds = _inverse(edges)
    current = found
    changed = True
    while changed:
        changed = False
        for task in sorted(current.moved, key=lambda t: (-work.get(t, 0.0), t)):
            if task not in current.moved:
                continue
            back = _closure([task], preds) & current.moved
            trial = search.evaluate(current.moved - back, search.options.search_iterations)
            if (
                trial is not None
                and trial.moved != current.moved
                and trial.odds.probability >= goal
            ):
                current, changed = trial, True
    return current


def _describe(
    plan: Plan,
    moved: frozenset[str],
    work: Iterable[str],
    edges: Mapping[str, set[str]],
    stay: frozenset[str],
) -> tuple[MovedTask, ...]:
    """The moved tasks in plan order, each with why: chosen, the moved task it depends on, or
    the moved task it waits for through a release milestone (which stays)."""
    because: dict[str, str] = {}
    for pred, succs in edges.items():
        if pred in moved:
            for succ in sorted(succs):
                if succ in moved and succ not in because:
                    because[succ] = f"depends on {pred}"
    # A release milestone waiting (perhaps through another one) for moved work passes it on.
    origin: dict[str, str] = {}
    frontier = [p for p in edges if p in moved]
    while frontier:
        pred = frontier.pop(0)
        for succ in sorted(edges.get(pred, ())):
            if succ in stay and succ not in origin:
                origin[succ] = origin.get(pred, pred)
                frontier.append(succ)
    for milestone, source in origin.items():
        for succ in sorted(edges.get(milestone, ())):
            if succ in moved and succ not in because:
                because[succ] = f"waits for {source} through milestone {milestone}"
    out = []
    for ident in work:
        if ident not in moved:
            continue
        task = plan.task_by_id[ident]
        estimate = task.work
        out.append(
            MovedTask(
                ident,
                task.title,
                _work_days(plan, task),
                estimate.format(plan.hours_per_day) if estimate is not None else "",
                because.get(ident, "chosen: its work holds the release back"),
            )
        )
    return tuple(out)
