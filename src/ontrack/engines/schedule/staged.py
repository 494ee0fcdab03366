"""The default backend for plans: the priority-rule heuristic, then the genetic algorithm.

The heuristic (``heuristic.py``) gives a good schedule of any plan within a second and proves the
small ones optimal; it stalls a percent or two above the lower bound on plans of hundreds of
tasks with skill pools and part-time people, where the activity-list GA with forward-backward
improvement (``ga.py``) keeps finding better schedules: on generated plans of 300, 1,000 and 3,000
tasks one GA population found 1–3 working days more, in less time than the heuristic's sampling
(bench/RESULTS.md, "The default schedule of a plan: heuristic, then the GA").

So: up to ``_SAMPLED_JOBS`` jobs, the whole heuristic (priority rules, justification, biased
sampling); above, its priority rules alone. When that schedule is proven optimal, or within
``_WORTH`` of the lower bound, it is the answer: loading the GA's compiled code alone costs about
a third of a second, more than a 100-task plan's whole search. Otherwise the GA goes on for the
rest of the time limit, on the problems it supports (else the heuristic samples as before), and
stops when it stops improving (``_STALL_WORK`` job placements' worth of schedules without a
better one): the better schedule wins, the heuristic's on a tie (it puts high-priority work
first among equals). Both stop on work, not on the clock, so the result depends on the plan and
the seed alone; the time limit is a cap for slow machines and huge plans.
"""

from __future__ import annotations

import time
from dataclasses import replace
from fractions import Fraction

from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.problem import Problem, Solution, SolveOptions

#: A schedule this close to its lower bound (a share of the bound's span from the earliest
#: release: a plan re-planned late in its life is measured on the work left) is kept as it is.
_WORTH = Fraction(1, 100)
#: The GA stops after this many job placements' worth of schedules without a better one.
_STALL_WORK = 1_000_000
_STALL_MIN = 500
#: Problems of more jobs than this go from the priority rules straight to the GA.
_SAMPLED_JOBS = 200
#: Past this many jobs the GA's job-pair table would not fit (``ga._MAX_CELLS``, a test keeps
#: them in step): the heuristic samples as before, and the GA is not even loaded.
_GA_MAX_JOBS = 4_472


class StagedBackend:
    """The heuristic, then the GA where it may still gain (module doc)."""

    name = "heuristic"

    def solve(self, problem: Problem, options: SolveOptions) -> Solution:
        began = time.perf_counter()
        # Past _SAMPLED_JOBS the GA takes over from the priority rules (it finds more than the
        # heuristic's sampling in less time there); below, sampling often proves the plan
        # optimal without loading the GA at all.
        n = len(problem.jobs)
        if n > _GA_MAX_JOBS:
            return HeuristicBackend().solve(problem, options)
        big = n > _SAMPLED_JOBS and problem.objective == "makespan"
        hook = options.progress
        if hook is not None:
            # The heuristic ends its bar at 100 %; the GA may still follow: time gone instead.
            def seen(fraction: float, best: int | None) -> None:
                spent = (time.perf_counter() - began) / max(options.time_limit, 1e-9)
                hook(min(fraction, spent, 1.0), best)

            options = replace(options, progress=seen)
        first = HeuristicBackend(sample=not big).solve(problem, options)
        left = options.time_limit - (time.perf_counter() - began)
        lower = first.lower_bound
        if (
            first.status != "feasible"
            or problem.objective != "makespan"
            or left <= 0
            or lower is None
            or first.objective - lower <= _WORTH * (lower - _earliest(problem))
        ):
            return replace(first, seconds=time.perf_counter() - began)
        from ontrack.engines.schedule import ga  # noqa: PLC0415 - numba loads only when needed

        arrays = ga.compiled(problem)
        if arrays is None:
            if not big:
                return first
            return HeuristicBackend().solve(problem, replace(options, time_limit=left))
        second = ga.GaBackend(stall_work=_STALL_WORK, stall_min=_STALL_MIN).solve_compiled(
            problem,
            SolveOptions(time_limit=left, seed=options.seed, workers=1, progress=options.progress),
            arrays,
            lower,
        )
        stats = {
            **first.stats,
            "heuristic_objective": float(first.objective),
            "ga_objective": float(second.objective),
            "ga_seconds": second.seconds,
            "ga_schedules": second.stats.get("schedules", 0.0),
        }
        best = (
            second
            if len(second.starts) == len(problem.jobs) and second.objective < first.objective
            else first
        )
        return replace(
            best,
            lower_bound=lower,
            backend=self.name,
            seconds=time.perf_counter() - began,
            stats=stats,
        )


def _earliest(problem: Problem) -> int:
    """Where the work can begin: the earliest release of a job with work (the status date, on a
    plan re-planned as of a later day; summary markers and milestones keep release 0)."""
    releases = [job.release for job in problem.jobs if any(m.duration > 0 for m in job.modes)]
    return max(0, min(releases, default=0))
