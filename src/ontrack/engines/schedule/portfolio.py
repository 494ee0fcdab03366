"""``auto``: the heuristic and CP-SAT as one portfolio; the best schedule wins.

Neither backend is best everywhere: CP-SAT proves most small problems optimal in a fraction of a
second where the heuristic stalls a few percent above the optimum, and on large problems the
heuristic's list scheduling finds good schedules long before CP-SAT has loaded its model. The
portfolio runs both, on the machine's two cores:

1. **Heuristic, with the caller's seed**, in a thread for the heuristic's share of the time
   limit (``heuristic_share``, for PSPLIB-sized problems; the whole limit when that is short,
   see ``full_heuristic_below``, and on problems of more than ``whole_heuristic_from`` jobs,
   where the heuristic is the stronger search and CP-SAT's model is slow to build). It is the
   same search as ``--backend heuristic`` with the same seed, so when it ends on its own (it
   stops once it stalls) the portfolio's answer is never worse than the heuristic's.
2. **CP-SAT beside it**, on the other worker(s), from the moment the heuristic has its first
   schedule, whose makespan bounds CP-SAT's objective and horizon (CP-SAT releases the GIL).
   Small problems are proven optimal here and the heuristic is stopped.
3. **CP-SAT on every worker** for the rest of the time, from the best schedule so far (as hint,
   and its value as the upper bound and horizon), its bound rising and its large-neighbourhood
   search polishing the schedule.

On problems the genetic algorithm supports (``ga.supported``: single-mode, finish-to-start
links, constant capacities, makespan: the PSPLIB case), the GA takes the heuristic's place:

1. **The GA, one island with the caller's seed**, for ``ga_share`` of the time limit (it stops
   sooner at the lower bound, when CP-SAT proves the best, or after ``ga_handover_passes`` SGS
   passes without a better schedule: a stalled GA hands CP-SAT both workers, which is what
   proves and improves the small hard instances). Every improvement is offered to the shared
   incumbent at once.
2. **CP-SAT beside it** on the other worker(s) from the GA's first population (priority-rule
   lists, forward-backward improved): it proves small problems (j30) in a fraction of a second,
   and the GA is stopped.
3. **CP-SAT on every worker** for the rest, hinted with the GA's best and bounded by its value.

With a budget of schedules (``ga_max_schedules``) the GA's part is deterministic for a seed, and
the portfolio is never worse than ``GaBackend`` with one island, that seed and that budget.

The search ends as soon as the best schedule meets a proven lower bound: the critical-path and
resource bounds of ``bounds.py``, or CP-SAT's own. The returned ``lower_bound`` is the best of
them, and ``status`` is ``optimal`` exactly when the schedule meets it. Problems with more than
``cpsat_max_jobs`` jobs skip CP-SAT (its model alone would take the time) and keep the
heuristic's answer, with the whole time limit.

Determinism: with one worker and a search that ends on its own the heuristic is deterministic
for a seed; CP-SAT with several workers in a wall-time-limited run is not (which worker finds
what first depends on timing), nor is the moment the heuristic is stopped. So the portfolio's
*makespan* is reproducible when it is proven optimal, and otherwise can vary from run to run
by what each backend reached in time. CP-SAT's deterministic mode (``interleave_search`` with a
deterministic time limit) would make its part repeatable, but it synchronises its workers in
fixed batches and stops at a count of work rather than at the wall-clock limit, and the
heuristic's hand-over would still follow the clock; we accept the variation, as ``--backend
cpsat`` does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from ortools.sat.python import cp_model

from ontrack.engines.schedule.bounds import objective_lower_bound
from ontrack.engines.schedule.cpsat import (
    _ENERGY_MAX_JOBS,
    Energy,
    _CpSatRun,
    _Incumbent,
    _run_cpsat,
    build_model,
    energetic_delays,
    safe_horizon,
)
from ontrack.engines.schedule.ga import _Arrays, _arrays, _Island, _rules, _run_island
from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.problem import Problem, Solution, SolveOptions


class _Stop(Exception):
    """Raised from the heuristic's progress hook once the incumbent is proven optimal."""


class AutoBackend:
    """The portfolio of the heuristic and CP-SAT (see the module doc).

    ``heuristic_share``: the part of the time limit the heuristic may run (it usually stalls and
    stops sooner); limits up to ``full_heuristic_below`` seconds, and problems of more than
    ``whole_heuristic_from`` jobs, give it the whole limit.
    ``cpsat_max_jobs``: larger problems are left to the heuristic alone. ``parameters``: extra
    CP-SAT parameters, for tuning.
    ``ga_share``: on problems the GA supports, the part of the limit the GA runs (beside CP-SAT
    on the other worker) before CP-SAT polishes its best on every worker; ``ga_max_schedules``
    caps the GA's SGS passes (None: the clock decides), ``use_ga`` False keeps the heuristic;
    ``ga_handover_passes``: a lone GA island stops after that many passes without a better
    schedule (None: it runs its whole share).
    """

    name = "auto"

    def __init__(
        self,
        heuristic_share: float = 0.3,
        full_heuristic_below: float = 1.0,
        whole_heuristic_from: int = 500,
        cpsat_max_jobs: int = 20_000,
        parameters: Mapping[str, object] | None = None,
        ga_share: float = 0.8,
        ga_max_schedules: int | None = None,
        use_ga: bool = True,
        ga_islands_above: int = 60,
        ga_handover_passes: int | None = 300_000,
    ) -> None:
        self.ga_islands_above = ga_islands_above
        self.ga_handover_passes = ga_handover_passes
        self.ga_share = ga_share
        self.ga_max_schedules = ga_max_schedules
        self.use_ga = use_ga
        self.heuristic_share = heuristic_share
        self.full_heuristic_below = full_heuristic_below
        self.whole_heuristic_from = whole_heuristic_from
        self.cpsat_max_jobs = cpsat_max_jobs
        self.parameters = dict(parameters or {})

    def solve(self, problem: Problem, options: SolveOptions) -> Solution:
        began = time.perf_counter()
        if not problem.jobs:
            return Solution((), (), "optimal", 0, 0, self.name)
        limit = max(0.0, options.time_limit)
        incumbent = _Incumbent(problem, began, limit, options.progress)
        lower = objective_lower_bound(problem)
        if lower is not None:
            incumbent.raise_bound(lower)
        if options.hint is not None:
            incumbent.offer(options.hint.starts, options.hint.modes, "hint")
        workers = max(1, options.workers)
        use_cpsat = len(problem.jobs) <= self.cpsat_max_jobs
        if self.use_ga and use_cpsat and options.hint is None:
            arrays = _arrays(problem)
            if arrays is not None:
                return self._solve_with_ga(problem, options, incumbent, began, limit, arrays)
        share = 1.0
        small = len(problem.jobs) <= self.whole_heuristic_from
        if use_cpsat and small and limit > self.full_heuristic_below:
            share = max(self.heuristic_share, self.full_heuristic_below / limit)
        stats: dict[str, float] = {}
        energy: list[Energy | None] = []  # computed once, by whichever CP-SAT run comes first
        runs: list[_CpSatRun] = []
        over = threading.Event()
        side: list[threading.Thread] = []

        def beside(upper: int) -> None:
            seconds = began + limit - time.perf_counter()
            runs.append(
                self._cpsat(problem, options, incumbent, seconds, workers - 1, energy, upper, over)
            )

        def hook(fraction: float, best: int | None) -> None:
            if incumbent.done.is_set():
                raise _Stop
            if not side and use_cpsat and workers > 1 and best is not None:
                side.append(threading.Thread(target=beside, args=(best,), daemon=True))
                side[0].start()
            if options.progress is not None:
                known = incumbent.value
                shown = best if known is None or (best is not None and best < known) else known
                options.progress(min(1.0, (time.perf_counter() - began) / max(limit, 1e-9)), shown)

        found: list[Solution] = []
        finished = threading.Event()

        def search() -> None:
            try:
                found.append(
                    HeuristicBackend().solve(
                        problem,
                        SolveOptions(
                            time_limit=limit * share,
                            seed=options.seed,
                            workers=1,
                            hint=options.hint,
                            progress=hook,
                        ),
                    )
                )
            except _Stop:
                pass
            finally:
                finished.set()

        # The heuristic runs in a thread so that a proof by CP-SAT returns at once: the
        # heuristic sees it only at its next progress call (a few times a second) and then
        # stops on its own.
        heuristic = threading.Thread(target=search, daemon=True)
        heuristic.start()
        try:
            while not finished.wait(0.01) and not incumbent.done.is_set():
                pass
        finally:
            stats["heuristic_seconds"] = time.perf_counter() - began
            over.set()
            for thread in list(side):
                thread.join()
        if found:
            result = found[0]
            if result.status == "infeasible":  # a job needs more than a resource ever has
                return Solution((), (), "infeasible", backend=self.name, seconds=result.seconds)
            if result.status in ("optimal", "feasible"):
                incumbent.offer(result.starts, result.modes, "heuristic")
        if use_cpsat and not incumbent.done.is_set() and incumbent.remaining() > 0.05:
            known = incumbent.value
            runs.append(
                self._cpsat(
                    problem, options, incumbent, incumbent.remaining(), workers, energy, known
                )
            )
        return self._result(incumbent, runs, stats, time.perf_counter() - began)

    def _solve_with_ga(
        self,
        problem: Problem,
        options: SolveOptions,
        incumbent: _Incumbent,
        began: float,
        limit: float,
        a: _Arrays,
    ) -> Solution:
        """The GA (one island, the caller's seed) for ``ga_share`` of the limit with CP-SAT on
        the other worker(s) from the GA's first population, then CP-SAT on every worker from
        the best schedule; it ends once the best meets a proven bound."""
        workers = max(1, options.workers)
        lft, rules = _rules(problem, a)
        floor = incumbent.bound if incumbent.bound is not None else 0
        stats: dict[str, float] = {}
        energy: list[Energy | None] = []
        runs: list[_CpSatRun] = []
        over = threading.Event()
        stop = threading.Event()
        side: list[threading.Thread] = []
        modes = [0] * len(problem.jobs)

        def beside() -> None:
            seconds = began + limit - time.perf_counter()
            runs.append(
                self._cpsat(problem, options, incumbent, seconds, workers - 1, energy, None, over)
            )

        # Past ``ga_islands_above`` jobs CP-SAT rarely proves anything beside the GA in the
        # time (j120: 3 of 20), so a second island (seed + 1) takes the other worker instead;
        # CP-SAT still polishes from the best at the end.
        islands = 2 if workers > 1 and len(problem.jobs) > self.ga_islands_above else 1
        lock = threading.Lock()

        def report(island: _Island) -> None:
            with lock:
                incumbent.offer(island.starts[0].tolist(), modes, "ga")
                if incumbent.done.is_set():
                    stop.set()
                elif not side and workers > 1 and islands == 1:
                    side.append(threading.Thread(target=beside, daemon=True))
                    side[0].start()

        found: list[_Island] = []

        def search(seed: int) -> None:
            found.append(
                _run_island(
                    a,
                    lft,
                    rules,
                    seed,
                    began + limit * self.ga_share,
                    self.ga_max_schedules,
                    floor,
                    stop,
                    report,
                    # One island beside CP-SAT: hand over both workers once it stalls.
                    self.ga_handover_passes if islands == 1 else None,
                )
            )

        threads = [
            threading.Thread(target=search, args=(options.seed + i,), daemon=True)
            for i in range(islands)
        ]
        for thread in threads:
            thread.start()
        try:
            while any(t.is_alive() for t in threads):
                threads[0].join(0.01)
                if incumbent.done.is_set():
                    stop.set()
        finally:
            for thread in threads:
                thread.join()
            stats["ga_seconds"] = time.perf_counter() - began
            over.set()
            for thread in list(side):
                thread.join()
        for island in found:
            incumbent.offer(island.starts[0].tolist(), modes, "ga")
        if found:
            stats["schedules"] = float(sum(island.passes for island in found))
        if not incumbent.done.is_set() and incumbent.remaining() > 0.05:
            runs.append(
                self._cpsat(
                    problem,
                    options,
                    incumbent,
                    incumbent.remaining(),
                    workers,
                    energy,
                    incumbent.value,
                )
            )
        return self._result(incumbent, runs, stats, time.perf_counter() - began)

    def _cpsat(
        self,
        problem: Problem,
        options: SolveOptions,
        incumbent: _Incumbent,
        seconds: float,
        workers: int,
        energy: list[Energy | None],
        upper: int | None,
        interrupt: threading.Event | None = None,
    ) -> _CpSatRun:
        """One CP-SAT solve bounded by ``upper`` (a makespan some schedule reaches) and hinted
        with the incumbent's schedule when there is one."""
        if not energy:
            energy.append(
                energetic_delays(problem) if len(problem.jobs) <= _ENERGY_MAX_JOBS else None
            )
        with incumbent.lock:
            known = incumbent.value
            starts, modes = incumbent.starts, incumbent.modes
            bound = incumbent.bound
        if known is not None and (upper is None or known < upper):
            upper = known
        horizon = upper if upper is not None and problem.objective == "makespan" else None
        built = build_model(problem, horizon or safe_horizon(problem), bound, upper, energy[0])
        if starts is not None and modes is not None:
            built.hint(starts, modes)
        seconds = min(seconds, incumbent.remaining())
        return _run_cpsat(
            built, incumbent, seconds, workers, options.seed, self.parameters, interrupt
        )

    def _result(
        self,
        incumbent: _Incumbent,
        runs: list[_CpSatRun],
        stats: dict[str, float],
        seconds: float,
    ) -> Solution:
        stats["cpsat_runs"] = float(len(runs))
        stats["cpsat_seconds"] = sum(run.seconds for run in runs)
        bounds = [run.bound for run in runs if run.bound is not None]
        if bounds:
            stats["cpsat_bound"] = float(max(bounds))
        infeasible = any(run.status == cp_model.INFEASIBLE for run in runs)
        return incumbent.solution(self.name, seconds, stats, infeasible)
