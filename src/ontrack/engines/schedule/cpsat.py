"""CP-SAT backend: the exact model of the problem, proving optimality where it can.

The model: a start and an end per job; one optional interval per mode, exactly one present
(single-mode jobs get a fixed interval); links as linear constraints; one cumulative per
resource (no-overlap for people of capacity 1), with fixed intervals for lost capacity; the
makespan or the weighted lateness as objective.

Tuned mode (the default) wraps that model in phases (measurements in bench/RESULTS.md):

* warm start: a quick heuristic schedule bounds the horizon and hints the solver; the result
  is never worse than it (or than ``options.hint``);
* probe: CP-SAT alone on every worker for a small share of the time; most easy instances are
  proven optimal here, in hundredths of a second;
* race: CP-SAT on ``workers - 1`` workers beside the heuristic's own search (CP-SAT releases
  the GIL). On hard instances the list heuristic finds better schedules than CP-SAT does,
  and which of the two wins varies per instance, so both run; the race ends early once the
  heuristic stalls without improving;
* final: CP-SAT on every worker from the best schedule so far, its large-neighbourhood search
  polishing it and its bound rising;
* redundant constraints throughout: the work that precedence forces between two jobs (or
  before a job, or after it) needs time at full capacity, which bounds gaps, heads and tails
  well beyond the critical path when resources are tight;
* an early stop whenever the best schedule meets a proven lower bound (``bounds.py``, or
  CP-SAT's own), whichever thread finds or proves it.

``plain=True`` is the bare model alone (no warm start, no redundant constraints, a safe
horizon), kept for the side-by-side benchmark.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from ontrack.engines.schedule.bounds import objective_lower_bound, topological_order
from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.problem import (
    LinkType,
    Problem,
    Solution,
    SolveOptions,
    Status,
    objective_value,
)

# The precedence-energy constraints take O(n^2) memory and O(n^3) time (matrix products):
# instant for PSPLIB's 122 jobs, skipped beyond this size.
_ENERGY_MAX_JOBS = 1000

# -- the model -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuiltModel:
    """A built model and the variables a solution is read from."""

    model: cp_model.CpModel
    starts: list[cp_model.IntVar]
    ends: list[cp_model.IntVar]
    presences: list[list[cp_model.IntVar]]  # per job, per mode; empty for single-mode jobs
    objective: cp_model.IntVar

    def read(self, value: Callable[[cp_model.IntVar], int]) -> tuple[list[int], list[int]]:
        """Starts and modes from a solver or solution callback's ``value``."""
        starts = [int(value(v)) for v in self.starts]
        modes = [
            next((m for m, lit in enumerate(lits) if value(lit)), 0) for lits in self.presences
        ]
        return starts, modes

    def hint(self, starts: Sequence[int], modes: Sequence[int]) -> None:
        for var, start in zip(self.starts, starts, strict=True):
            self.model.add_hint(var, start)
        for lits, mode in zip(self.presences, modes, strict=True):
            for m, lit in enumerate(lits):
                self.model.add_hint(lit, m == mode)


def safe_horizon(problem: Problem) -> int:
    """An end by which some optimal schedule is done.

    Jobs placed one after another in link order, after every release and every capacity loss,
    each waiting out its positive lags: that schedule is feasible, and an active schedule
    (optimal for both objectives) never ends later than it.
    """
    late = max((job.release for job in problem.jobs), default=0)
    for resource in problem.resources:
        late = max(late, max((end for _, end, _ in resource.unavailable), default=0))
    work = sum(max(m.duration for m in job.modes) for job in problem.jobs)
    return max(0, late) + work + sum(max(0, link.lag) for link in problem.links)


Energy = tuple[list[int], list[int], list[tuple[int, int, int]]]  # heads, tails, gaps


def build_model(
    problem: Problem,
    horizon: int,
    lower_bound: int | None = None,
    upper_bound: int | None = None,
    energy: Energy | None = None,
) -> BuiltModel:
    """The CP-SAT model with every job inside ``[0, horizon]``.

    ``lower_bound``/``upper_bound`` bound the objective; ``energy`` (from
    :func:`energetic_delays`) adds the precedence-energy constraints.
    """
    model = cp_model.CpModel()
    starts: list[cp_model.IntVar] = []
    ends: list[cp_model.IntVar] = []
    presences: list[list[cp_model.IntVar]] = []
    heads, tails, pairs = energy or ([], [], [])
    usage: list[list[tuple[cp_model.IntervalVar, int]]] = [[] for _ in problem.resources]
    for j, job in enumerate(problem.jobs):
        shortest = min(m.duration for m in job.modes)
        first = max(0, job.release, heads[j] if heads else 0)
        last = horizon - shortest - (tails[j] if tails and problem.objective == "makespan" else 0)
        start = model.new_int_var(first, max(first, last), f"s{j}")
        end = model.new_int_var(first + shortest, max(first + shortest, horizon), f"e{j}")
        starts.append(start)
        ends.append(end)
        if len(job.modes) == 1:
            mode = job.modes[0]
            interval = model.new_interval_var(start, mode.duration, end, f"i{j}")
            presences.append([])
            usage_of = [(r, u, interval) for r, u in mode.demands]
        else:
            literals = [model.new_bool_var(f"p{j}_{m}") for m in range(len(job.modes))]
            model.add_exactly_one(literals)
            presences.append(literals)
            usage_of = []
            for m, (mode, lit) in enumerate(zip(job.modes, literals, strict=True)):
                optional = model.new_optional_interval_var(
                    start, mode.duration, end, lit, f"i{j}_{m}"
                )
                usage_of += [(r, u, optional) for r, u in mode.demands]
        for r, units, interval in usage_of:
            if units > 0:
                usage[r].append((interval, units))

    into: list[list[cp_model.LinearExprT]] = [[] for _ in problem.jobs]
    spread = [1] * len(problem.jobs)  # bounds a "first" marker's links can reach past [0, H]
    for link in problem.links:
        a = starts[link.pred] if link.type in (LinkType.SS, LinkType.SF) else ends[link.pred]
        into[link.succ].append(a + link.lag)
        spread[link.succ] += abs(link.lag)
        if problem.jobs[link.succ].marker == "first":
            continue  # alternatives: the marker takes the earliest, below
        b = starts[link.succ] if link.type in (LinkType.FS, LinkType.SS) else ends[link.succ]
        model.add(b >= a + link.lag)
    for j, job in enumerate(problem.jobs):
        if job.marker is None:
            continue
        floor = max(0, job.release)
        if job.marker == "last" or not into[j]:
            model.add_max_equality(starts[j], [*into[j], floor])
            continue
        earliest = model.new_int_var(-spread[j], horizon + spread[j], f"first{j}")
        model.add_min_equality(earliest, into[j])
        model.add_max_equality(starts[j], [earliest, floor])
    for i, j, delay in pairs:
        model.add(starts[j] >= ends[i] + delay)

    for r, resource in enumerate(problem.resources):
        tasks = usage[r]
        if not tasks:
            continue
        lost = [
            (model.new_fixed_size_interval_var(begin, end - begin, f"u{r}_{k}"), units)
            for k, (begin, end, units) in enumerate(resource.unavailable)
            if end > begin and units > 0
        ]
        if resource.capacity == 1 and all(units == 1 for _, units in tasks + lost):
            model.add_no_overlap([interval for interval, _ in tasks + lost])
        else:
            capped = [(interval, min(units, resource.capacity)) for interval, units in lost]
            model.add_cumulative(
                [interval for interval, _ in tasks + capped],
                [units for _, units in tasks + capped],
                resource.capacity,
            )

    top = horizon if upper_bound is None else upper_bound
    if problem.objective == "lateness":
        terms = []
        for j, job in enumerate(problem.jobs):
            if job.due is None or job.weight == 0:
                continue
            late = model.new_int_var(0, max(0, horizon - job.due), f"late{j}")
            model.add_max_equality(late, [ends[j] - job.due, 0])  # exact: weights may be < 0
            terms.append(job.weight * late)
        most = sum(
            abs(j.weight) * max(0, horizon - j.due) for j in problem.jobs if j.due is not None
        )
        low = -most if lower_bound is None else max(-most, lower_bound)
        objective = model.new_int_var(low, max(low, top), "lateness")
        model.add(objective == sum(terms))
    else:
        objective = model.new_int_var(min(lower_bound or 0, top), top, "makespan")
        model.add_max_equality(objective, ends)
        if tails:
            for j, tail in enumerate(tails):
                if tail > 0:
                    model.add(objective >= ends[j] + tail)
    model.minimize(objective)
    return BuiltModel(model, starts, ends, presences, objective)


def energetic_delays(problem: Problem) -> Energy:
    """Heads, tails and (i, j, delay) gaps implied by the work that precedence orders.

    Every job that must follow ``i`` and precede ``j`` (through FS links with lags >= 0) runs
    inside ``[end_i, start_j)``; on a resource of capacity ``c`` its least work ``w`` needs at
    least ``ceil(w / c)`` time there. Likewise all the work before a job (its head, from 0) and
    after it (its tail, to the makespan). Gaps are returned only where they beat the longest
    path, which the solver propagates anyway. Capacity losses only make these bounds weaker
    than the truth, so they stay valid.
    """
    n = len(problem.jobs)
    capacities = [r.capacity for r in problem.resources]
    if n == 0 or not capacities or min(capacities) <= 0:
        return [0] * n, [0] * n, []
    energy = np.zeros((n, len(capacities)))
    shortest = np.zeros(n, dtype=np.int64)
    for j, job in enumerate(problem.jobs):
        shortest[j] = min(m.duration for m in job.modes)
        for r in range(len(capacities)):
            energy[j, r] = min(m.duration * dict(m.demands).get(r, 0) for m in job.modes)
    successors: list[list[int]] = [[] for _ in range(n)]
    for link in problem.links:
        # A "first" marker's links are alternatives: none of them alone orders anything.
        if link.type is LinkType.FS and link.lag >= 0 and problem.jobs[link.succ].marker != "first":
            successors[link.pred].append(link.succ)
    order = topological_order(problem)
    after = np.zeros((n, n), dtype=bool)  # after[i, j]: j cannot start before i ends
    for i in reversed(order):
        for s in successors[i]:
            after[i, s] = True
            after[i] |= after[s]
    reach = after.astype(np.float64)
    gap = np.zeros((n, n), dtype=np.int64)
    heads = np.zeros(n, dtype=np.int64)
    tails = np.zeros(n, dtype=np.int64)
    for r, capacity in enumerate(capacities):
        work = energy[:, r]
        between = (reach * work) @ reach  # [i, j]: work of every k with i -> k -> j
        gap = np.maximum(gap, np.ceil(between / capacity - 1e-9).astype(np.int64))
        heads = np.maximum(heads, np.ceil(work @ reach / capacity - 1e-9).astype(np.int64))
        tails = np.maximum(tails, np.ceil(reach @ work / capacity - 1e-9).astype(np.int64))
    # Longest path of shortest durations strictly between i and j, to keep only real news.
    path = np.full((n, n), -1, dtype=np.int64)
    for i in range(n):
        row = path[i]
        for a in order:
            if a != i and not after[i, a]:
                continue
            base = 0 if a == i else row[a] + shortest[a]
            for s in successors[a]:
                row[s] = max(row[s], base)
    rows, cols = np.nonzero(after & (gap > path) & (gap > 0))
    pairs = [(i, j, int(gap[i, j])) for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]
    return heads.tolist(), tails.tolist(), pairs


# -- the search ------------------------------------------------------------------------------


@dataclass
class _Incumbent:
    """The best schedule so far, shared by the CP-SAT thread and the heuristic."""

    problem: Problem
    began: float
    limit: float
    progress: Callable[[float, int | None], None] | None
    starts: list[int] | None = None
    modes: list[int] | None = None
    value: int | None = None
    bound: int | None = None  # proven lower bound on the objective
    found_by: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)

    def solution(
        self, backend: str, seconds: float, stats: dict[str, float], infeasible: bool
    ) -> Solution:
        """The best schedule as the backend's answer: ``optimal`` when it meets the proven
        bound; with none, ``infeasible`` if a CP-SAT run proved so, else ``unknown``."""
        if self.starts is None or self.modes is None or self.value is None:
            status: Status = "infeasible" if infeasible else "unknown"
            return Solution((), (), status, 0, None, backend, seconds, stats)
        proven = self.bound is not None and self.value <= self.bound
        stats["found_by_cpsat"] = float(self.found_by == "cpsat")
        return Solution(
            starts=tuple(self.starts),
            modes=tuple(self.modes),
            status="optimal" if proven else "feasible",
            objective=self.value,
            lower_bound=self.bound,
            backend=backend,
            seconds=seconds,
            stats=stats,
        )

    def offer(self, starts: Sequence[int], modes: Sequence[int], source: str) -> bool:
        value = objective_value(self.problem, starts, modes)
        with self.lock:
            if self.value is not None and value >= self.value:
                return False
            if violations(self.problem, starts, modes):  # never trust, always check
                return False
            self.starts, self.modes, self.value, self.found_by = (
                list(starts),
                list(modes),
                value,
                source,
            )
            self._check_done()
            self._report()
        return True

    def raise_bound(self, bound: int) -> None:
        with self.lock:
            if self.bound is None or bound > self.bound:
                self.bound = bound
                self._check_done()

    def _check_done(self) -> None:
        if self.value is not None and self.bound is not None and self.value <= self.bound:
            self.done.set()

    def _report(self) -> None:
        if self.progress is not None:
            fraction = min(1.0, (time.perf_counter() - self.began) / max(self.limit, 1e-9))
            self.progress(fraction, self.value)

    def remaining(self) -> float:
        return self.limit - (time.perf_counter() - self.began)


class _Watch(cp_model.CpSolverSolutionCallback):
    """Hands every CP-SAT solution to the incumbent; stops when the incumbent is proven."""

    def __init__(self, built: BuiltModel, incumbent: _Incumbent) -> None:
        super().__init__()
        self.built = built
        self.incumbent = incumbent

    def on_solution_callback(self) -> None:
        starts, modes = self.built.read(self.value)
        self.incumbent.offer(starts, modes, "cpsat")
        self.incumbent.raise_bound(math.ceil(self.best_objective_bound - 1e-6))
        if self.incumbent.done.is_set():
            self.stop_search()


@dataclass(frozen=True, slots=True)
class _CpSatRun:
    status: cp_model.CpSolverStatus
    bound: int | None
    seconds: float


def _run_cpsat(
    built: BuiltModel,
    incumbent: _Incumbent,
    seconds: float,
    workers: int,
    seed: int,
    parameters: Mapping[str, object],
    interrupt: threading.Event | None = None,
) -> _CpSatRun:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed % 2**31  # an int32 to CP-SAT; our seeds are 0..2**32-1
    for key, value in parameters.items():
        if isinstance(value, list):
            getattr(solver.parameters, key).extend(value)
        else:
            setattr(solver.parameters, key, value)

    def on_bound(bound: float) -> None:
        incumbent.raise_bound(math.ceil(bound - 1e-6))
        if incumbent.done.is_set():
            solver.stop_search()

    solver.best_bound_callback = on_bound
    finished = threading.Event()
    events = (incumbent.done,) if interrupt is None else (incumbent.done, interrupt)
    stopper = threading.Thread(target=_stop_when, args=(solver, finished, events))
    began = time.perf_counter()
    stopper.start()
    try:
        status = solver.solve(built.model, _Watch(built, incumbent))
    finally:
        finished.set()
        stopper.join()
    seconds = time.perf_counter() - began
    bound: int | None = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN):
        bound = math.ceil(solver.best_objective_bound - 1e-6)
        if status == cp_model.OPTIMAL:
            bound = int(solver.objective_value)
        incumbent.raise_bound(bound)
    return _CpSatRun(status, bound, seconds)


def _stop_when(
    solver: cp_model.CpSolver, finished: threading.Event, events: Sequence[threading.Event]
) -> None:
    """Stops a solve when one of ``events`` is set: the incumbent proven by someone else (the
    heuristic meeting CP-SAT's bound, which CP-SAT's own callbacks never see), or the race
    called off."""
    while not finished.wait(0.02):
        if any(event.is_set() for event in events):
            solver.stop_search()
            return


class _Proven(Exception):
    """Raised from the heuristic's progress hook to end a round once CP-SAT proved the best."""


def _heuristic_rounds(problem: Problem, incumbent: _Incumbent, seed: int, until: float) -> int:
    """Run the heuristic until ``until``, restarting it from the incumbent with a fresh seed
    whenever it stalls and returns early with a better schedule; a stall without one ends
    the rounds (on easy instances that leaves the rest to CP-SAT's proof). The first run
    starts from scratch rather than from the warm schedule, so it explores from its own rules.
    """
    rounds = 0
    heuristic = HeuristicBackend()

    def cancel(fraction: float, best: int | None) -> None:
        if incumbent.done.is_set():
            raise _Proven

    while not incumbent.done.is_set() and until - time.perf_counter() > 0.05:
        hint = None
        with incumbent.lock:
            if rounds and incumbent.starts is not None and incumbent.modes is not None:
                hint = Solution(tuple(incumbent.starts), tuple(incumbent.modes))
        rounds += 1
        options = SolveOptions(
            time_limit=until - time.perf_counter(),
            seed=seed + rounds,
            hint=hint,
            progress=cancel,
        )
        try:
            result = heuristic.solve(problem, options)
        except _Proven:
            break
        if result.status not in ("optimal", "feasible"):
            break
        improved = incumbent.offer(result.starts, result.modes, "heuristic")
        if result.status == "optimal" and result.lower_bound is not None:
            incumbent.raise_bound(result.lower_bound)
        if not improved:
            break
    return rounds


# -- the backend -----------------------------------------------------------------------------


class CpSatBackend:
    """Exact backend on OR-Tools CP-SAT (see the module doc).

    ``plain``: the bare model only, for comparisons. The shares are parts of the time limit:
    ``warm_share`` for the first heuristic schedule, ``probe_share`` for CP-SAT alone from it
    (most easy instances end there), and ``race_share`` (counted from the start) for CP-SAT
    on one worker fewer beside the heuristic. The rest goes to CP-SAT on every worker from
    the best schedule so far. ``parameters``: extra CP-SAT parameters, for tuning.
    """

    name = "cpsat"

    def __init__(
        self,
        plain: bool = False,
        warm_share: float = 0.002,
        probe_share: float = 0.05,
        race_share: float = 0.3,
        parameters: Mapping[str, object] | None = None,
    ) -> None:
        self.plain = plain
        self.warm_share = warm_share
        self.probe_share = probe_share
        self.race_share = race_share
        self.parameters = dict(parameters or {})

    def solve(self, problem: Problem, options: SolveOptions) -> Solution:
        began = time.perf_counter()
        if not problem.jobs:
            return Solution((), (), "optimal", 0, 0, self.name)
        incumbent = _Incumbent(problem, began, options.time_limit, options.progress)
        stats: dict[str, float] = {}
        workers = max(1, options.workers)
        energy = None
        if not self.plain and len(problem.jobs) <= _ENERGY_MAX_JOBS:
            energy = energetic_delays(problem)
        if self.plain:
            alone = self._cpsat(problem, options, incumbent, options.time_limit, workers, None)
            return self._result(incumbent, alone, stats, time.perf_counter() - began)

        lower = objective_lower_bound(problem)
        if lower is not None:
            incumbent.raise_bound(lower)
        if options.hint is not None:
            incumbent.offer(options.hint.starts, options.hint.modes, "hint")
        warm = HeuristicBackend().solve(
            problem,
            SolveOptions(
                time_limit=options.time_limit * self.warm_share,
                seed=options.seed,
                hint=options.hint,
            ),
        )
        if warm.status in ("optimal", "feasible"):
            incumbent.offer(warm.starts, warm.modes, "heuristic")
        stats["warm_seconds"] = time.perf_counter() - began

        def until(share: float) -> float:
            return began + options.time_limit * share - time.perf_counter()

        run: _CpSatRun | None = None
        if not incumbent.done.is_set() and until(self.probe_share) > 0:
            run = self._cpsat(problem, options, incumbent, until(self.probe_share), workers, energy)
            if run.status == cp_model.INFEASIBLE:
                return self._result(incumbent, run, stats, time.perf_counter() - began)
        race_end = began + options.time_limit * self.race_share
        if not incumbent.done.is_set() and until(self.race_share) > 0.05:
            if workers == 1:  # nothing to race with: the heuristic alone
                _heuristic_rounds(problem, incumbent, options.seed, race_end)
            else:
                run = self._race(problem, options, incumbent, race_end, workers - 1, energy)
        if not incumbent.done.is_set() and incumbent.remaining() > 0.05:
            run = self._cpsat(problem, options, incumbent, incumbent.remaining(), workers, energy)
        return self._result(incumbent, run, stats, time.perf_counter() - began)

    def _race(
        self,
        problem: Problem,
        options: SolveOptions,
        incumbent: _Incumbent,
        end: float,
        workers: int,
        energy: Energy | None,
    ) -> _CpSatRun:
        """CP-SAT in a thread (it releases the GIL) beside the heuristic, until ``end`` or
        until the heuristic has nothing more to give."""
        result: list[_CpSatRun] = []
        seconds = end - time.perf_counter()
        over = threading.Event()
        thread = threading.Thread(
            target=lambda: result.append(
                self._cpsat(problem, options, incumbent, seconds, workers, energy, over)
            )
        )
        thread.start()
        try:
            _heuristic_rounds(problem, incumbent, options.seed, end)
        finally:
            over.set()
            thread.join()
        return result[0]

    def _cpsat(
        self,
        problem: Problem,
        options: SolveOptions,
        incumbent: _Incumbent,
        seconds: float,
        workers: int,
        energy: Energy | None,
        interrupt: threading.Event | None = None,
    ) -> _CpSatRun:
        """One CP-SAT solve from the incumbent (its value bounds the horizon for makespan)."""
        with incumbent.lock:
            known = incumbent.value
            starts, modes = incumbent.starts, incumbent.modes
            bound = incumbent.bound
        if self.plain:
            built = build_model(problem, safe_horizon(problem))
        else:
            horizon = known if known is not None and problem.objective == "makespan" else None
            built = build_model(problem, horizon or safe_horizon(problem), bound, known, energy)
        if starts is not None and modes is not None:
            built.hint(starts, modes)
        return _run_cpsat(
            built, incumbent, seconds, workers, options.seed, self.parameters, interrupt
        )

    def _result(
        self,
        incumbent: _Incumbent,
        run: _CpSatRun | None,
        stats: dict[str, float],
        seconds: float,
    ) -> Solution:
        if run is not None:
            stats["cpsat_seconds"] = run.seconds
            if run.bound is not None:
                stats["cpsat_bound"] = float(run.bound)
        infeasible = run is not None and run.status == cp_model.INFEASIBLE
        return incumbent.solution(self.name, seconds, stats, infeasible)
