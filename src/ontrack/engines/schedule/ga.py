"""Activity-list genetic algorithm with forward-backward improvement, compiled with numba.

Two decoders under one search. The single-mode resource-constrained project scheduling problem
(RCPSP, the PSPLIB case: one mode per job, constant capacities, finish-to-start links with
lags, releases) runs on the plain serial SGS below, the only one the portfolio (``auto``) uses.
Plans' problems (several modes per job, capacity that drops in some periods, SS/FF/SF links
with any lags, "first"/"last" markers) run on the plan decoder of ``ga_modes``, which places
jobs exactly as the heuristic's SGS does, and stop when the search stops improving (see
``_stall_passes``). The lateness objective, a link cycle, a job with no mode that fits, or a
usage profile above ``_MAX_CELLS`` go to the priority-rule heuristic instead, so this backend
never returns a schedule it cannot stand behind; every schedule is also re-checked with
``check.violations``.

How it works (Hartmann 1998; Valls, Ballestín and Quintanilla 2005; Kolisch and Hartmann 2006):

* Encoding: a precedence-feasible activity list; the serial schedule generation scheme (SGS)
  places each job in turn at the earliest time its links and a time-indexed resource-usage
  profile allow. The SGS, list building, crossover, mutation and justification are compiled
  to machine code by numba (``cache=True``: compiled once per machine, then loaded), so a
  120-job schedule takes tens of microseconds.
* Seeds: lists from priority rules (latest finish, latest start, most total successors,
  greatest rank positional weight), the rest of the population by regret-biased random sampling
  on the latest finish times.
* Each generation pairs parents by binary tournament, makes two children with Hartmann's
  two-point crossover (the head from one parent, the middle in the other's order, the tail in
  the first's order: precedence-feasible by construction), mutates them by swapping adjacent
  unlinked jobs and by shifting one job within the window its links allow, and improves every
  child by forward-backward improvement (double justification): right-justify in mirrored time,
  left-justify again, repeat while the makespan drops. The child's list becomes the start order
  of its justified schedule. Survivors are the best of parents and children, duplicates dropped.
  When the best has not improved for a while the population is re-seeded around the best ones.
* With ``workers`` > 1, independent islands (seeds ``seed``, ``seed + 1``, ...) run in threads;
  the compiled code releases the GIL, so they use separate cores. The best schedule wins.

Stops at the time limit, the schedule budget (``max_schedules`` SGS passes per island), the
lower bound of ``bounds.py`` or, on plans, the stall rule. Deterministic for a seed when the
budget or the stall rule, not the clock, stops it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

from ontrack.engines.schedule.bounds import objective_lower_bound, topological_order
from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.ga_modes import ModeArrays, Modes, _sgs_modes, mode_arrays
from ontrack.engines.schedule.heuristic import HeuristicBackend
from ontrack.engines.schedule.problem import (
    Job,
    Link,
    LinkType,
    Mode,
    Problem,
    Resource,
    Solution,
    SolveOptions,
    Status,
    makespan,
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U64 = npt.NDArray[np.uint64]
B = npt.NDArray[np.bool_]

_F = TypeVar("_F", bound=Callable[..., Any])

_MAX_CELLS = 20_000_000  # horizon x resources of the usage profile; larger goes to the heuristic
_FBI_ROUNDS = 4  # forward-backward passes per child while the makespan still drops
_POPULATION = 100
_MUTATION = 0.05  # per position: swap with the next job when they are not linked
_SHIFT = 0.3  # per child: move one job within its precedence window
_STALL_GENERATIONS = 150  # then re-seed all but the best _KEEP
_KEEP = 10
# A plan's search stops after this many job placements' worth of SGS passes in a row without a
# better schedule, between the bounds below (see _stall_passes).
_STALL_WORK = 20_000_000
_STALL_MIN = 5_000
_STALL_MAX = 200_000
_FAILED = 1 << 62  # the makespan of a list the plan decoder could not place (never expected)
_EMPTY = np.zeros(0, np.int64)
# The plan decoder's arrays when the plain one decodes: empty (ga_modes.Modes).
_NO_PLAN: Modes = (*(_EMPTY,) * 9, np.zeros((0, 1), np.int64))


def _jit(fn: _F) -> _F:
    return cast(_F, numba.njit(cache=True, nogil=True)(fn))


# -- random numbers (xorshift64*, state in a one-element array: deterministic per island) ------


@_jit
def _next(state: U64) -> np.uint64:
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return np.uint64(x * np.uint64(2685821657736338717))


@_jit
def _randint(state: U64, n: int) -> int:
    return int((_next(state) >> np.uint64(11)) % np.uint64(n))


@_jit
def _random(state: U64) -> float:
    return float(_next(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


# -- serial SGS on a time-indexed profile ----------------------------------------------------


@_jit
def _sgs(
    order: I64,
    dur: I64,
    dem: I64,
    cap: I64,
    release: I64,
    p_ptr: I64,
    p_idx: I64,
    p_lag: I64,
    usage: I64,
    starts: I64,
) -> int:
    """Place the jobs of ``order`` (precedence-feasible) one by one at their earliest feasible
    start; writes ``starts`` and returns the makespan. ``usage`` is all zero before and after."""
    n = order.shape[0]
    n_res = cap.shape[0]
    span = 0
    for k in range(n):
        j = order[k]
        t = release[j]
        for e in range(p_ptr[j], p_ptr[j + 1]):
            i = p_idx[e]
            b = starts[i] + dur[i] + p_lag[e]
            t = max(t, b)
        d = dur[j]
        if d > 0:
            tau = t + d - 1
            while tau >= t:
                clash = False
                for r in range(n_res):
                    q = dem[j, r]
                    if q > 0 and usage[tau, r] + q > cap[r]:
                        clash = True
                        break
                if clash:
                    t = tau + 1
                    tau = t + d - 1
                else:
                    tau -= 1
            for tau in range(t, t + d):
                for r in range(n_res):
                    usage[tau, r] += dem[j, r]
        starts[j] = t
        span = max(span, t + d)
    for tau in range(span):
        for r in range(n_res):
            usage[tau, r] = 0
    return span


@_jit
def _list_from_keys(keys: F64, p_ptr: I64, s_ptr: I64, s_idx: I64, out: I64) -> None:
    """The precedence-feasible list that takes, each time, the eligible job of least key."""
    n = keys.shape[0]
    indeg = np.empty(n, np.int64)
    eligible = np.empty(n, np.int64)
    m = 0
    for j in range(n):
        indeg[j] = p_ptr[j + 1] - p_ptr[j]
        if indeg[j] == 0:
            eligible[m] = j
            m += 1
    for k in range(n):
        best = 0
        for a in range(1, m):
            if keys[eligible[a]] < keys[eligible[best]]:
                best = a
        j = eligible[best]
        out[k] = j
        m -= 1
        eligible[best] = eligible[m]
        for e in range(s_ptr[j], s_ptr[j + 1]):
            s = s_idx[e]
            indeg[s] -= 1
            if indeg[s] == 0:
                eligible[m] = s
                m += 1


@_jit
def _list_sampled(values: F64, p_ptr: I64, s_ptr: I64, s_idx: I64, state: U64, out: I64) -> None:
    """Regret-biased random sampling: an eligible job is drawn with weight
    (largest value among the eligible - its value + 1), so small values (urgent) go first."""
    n = values.shape[0]
    indeg = np.empty(n, np.int64)
    eligible = np.empty(n, np.int64)
    m = 0
    for j in range(n):
        indeg[j] = p_ptr[j + 1] - p_ptr[j]
        if indeg[j] == 0:
            eligible[m] = j
            m += 1
    for k in range(n):
        top = values[eligible[0]]
        for a in range(1, m):
            top = max(top, values[eligible[a]])
        total = 0.0
        for a in range(m):
            total += top - values[eligible[a]] + 1.0
        pick = _random(state) * total
        chosen = m - 1
        for a in range(m):
            pick -= top - values[eligible[a]] + 1.0
            if pick < 0.0:
                chosen = a
                break
        j = eligible[chosen]
        out[k] = j
        m -= 1
        eligible[chosen] = eligible[m]
        for e in range(s_ptr[j], s_ptr[j + 1]):
            s = s_idx[e]
            indeg[s] -= 1
            if indeg[s] == 0:
                eligible[m] = s
                m += 1


@_jit
def _evaluate(
    order: I64,
    dur: I64,
    dem: I64,
    cap: I64,
    release: I64,
    zero: I64,
    f_ptr: I64,
    f_idx: I64,
    f_lag: I64,
    b_ptr: I64,
    b_idx: I64,
    b_lag: I64,
    usage: I64,
    best_starts: I64,
    best_modes: I64,
    g: Modes,
) -> tuple[int, int]:
    """Forward SGS, then forward-backward improvement while the makespan drops. Writes the best
    schedule into ``best_starts`` and its start order into ``order``; returns (makespan, passes).
    ``f_*`` are each job's predecessors (the forward network), ``b_*`` its successors. With
    plan arrays in ``g`` (see ``ga_modes``) the plan decoder runs instead, and writes the modes
    into ``best_modes``."""
    if g[0].shape[0] > 0:
        return _evaluate_modes(
            order, cap, release, zero, f_ptr, f_idx, f_lag, b_ptr, b_idx, b_lag,
            usage, best_starts, best_modes, g,
        )  # fmt: skip
    n = order.shape[0]
    starts = np.empty(n, np.int64)
    mirror = np.empty(n, np.int64)
    keys = np.empty(n, np.float64)
    listed = np.empty(n, np.int64)
    span = _sgs(order, dur, dem, cap, release, f_ptr, f_idx, f_lag, usage, starts)
    best_starts[:] = starts
    passes = 1
    for _ in range(_FBI_ROUNDS):
        # Right-justify: in mirrored time a job's successors are its predecessors; the jobs
        # that end last go first.
        for j in range(n):
            keys[j] = float(span - starts[j] - dur[j])
        _list_from_keys(keys, b_ptr, f_ptr, f_idx, listed)
        back = _sgs(listed, dur, dem, cap, zero, b_ptr, b_idx, b_lag, usage, mirror)
        # Left-justify in the order of the right-justified starts.
        for j in range(n):
            keys[j] = float(back - mirror[j] - dur[j])
        _list_from_keys(keys, f_ptr, b_ptr, b_idx, listed)
        again = _sgs(listed, dur, dem, cap, release, f_ptr, f_idx, f_lag, usage, starts)
        passes += 2
        if again >= span:
            break
        span = again
        best_starts[:] = starts
    for j in range(n):
        keys[j] = float(best_starts[j])
    _list_from_keys(keys, f_ptr, b_ptr, b_idx, order)
    return span, passes


@_jit
def _evaluate_modes(
    order: I64,
    cap: I64,
    release: I64,
    zero: I64,
    f_ptr: I64,
    f_idx: I64,
    f_lag: I64,
    b_ptr: I64,
    b_idx: I64,
    b_lag: I64,
    usage: I64,
    best_starts: I64,
    best_modes: I64,
    g: Modes,
) -> tuple[int, int]:
    """``_evaluate`` with the plan decoder: forward SGS choosing modes, then forward-backward
    improvement with the modes kept (right-justified schedules only order the next pass; a
    round that would start a job before its release is given up)."""
    m_ptr, mdur, mwork, md_ptr, md_res, md_q, first, f_kind, b_kind, base = g
    n = order.shape[0]
    starts = np.empty(n, np.int64)
    mirror = np.empty(n, np.int64)
    keys = np.empty(n, np.float64)
    listed = np.empty(n, np.int64)
    span = _sgs_modes(
        order, True, m_ptr, mdur, mwork, md_ptr, md_res, md_q, cap, release, first,
        f_ptr, f_idx, f_kind, f_lag, base, -1, usage, starts, best_modes,
    )  # fmt: skip
    if span < 0:  # never expected: the profile is sized for the worst list
        return _FAILED, 1
    best_starts[:] = starts
    modes = best_modes.copy()
    passes = 1
    for _ in range(_FBI_ROUNDS):
        for j in range(n):
            keys[j] = float(span - starts[j] - mdur[modes[j]])
        _list_from_keys(keys, b_ptr, f_ptr, f_idx, listed)
        back = _sgs_modes(
            listed, False, m_ptr, mdur, mwork, md_ptr, md_res, md_q, cap, zero, zero,
            b_ptr, b_idx, b_kind, b_lag, base, span, usage, mirror, modes,
        )  # fmt: skip
        passes += 1
        if back < 0:
            break
        late = False
        for j in range(n):
            if span - mirror[j] - mdur[modes[j]] < release[j]:
                late = True
                break
        if late:
            break
        for j in range(n):
            keys[j] = float(back - mirror[j] - mdur[modes[j]])
        _list_from_keys(keys, f_ptr, b_ptr, b_idx, listed)
        again = _sgs_modes(
            listed, False, m_ptr, mdur, mwork, md_ptr, md_res, md_q, cap, release, first,
            f_ptr, f_idx, f_kind, f_lag, base, -1, usage, starts, modes,
        )  # fmt: skip
        passes += 1
        if again < 0 or again >= span:
            break
        span = again
        best_starts[:] = starts
    for j in range(n):
        keys[j] = float(best_starts[j])
    _list_from_keys(keys, f_ptr, b_ptr, b_idx, order)
    return span, passes


@_jit
def _crossover(mother: I64, father: I64, q1: int, q2: int, child: I64) -> None:
    """Hartmann's two-point crossover: mother's first q1 jobs, then father's jobs in his order
    up to position q2, then the rest in mother's order. Precedence-feasible when both are."""
    n = mother.shape[0]
    taken = np.zeros(n, np.bool_)
    k = 0
    for a in range(q1):
        child[k] = mother[a]
        taken[mother[a]] = True
        k += 1
    for a in range(n):
        if k >= q2:
            break
        j = father[a]
        if not taken[j]:
            child[k] = j
            taken[j] = True
            k += 1
    for a in range(n):
        j = mother[a]
        if not taken[j]:
            child[k] = j
            taken[j] = True
            k += 1


@_jit
def _mutate(
    child: I64, linked: B, f_ptr: I64, f_idx: I64, b_ptr: I64, b_idx: I64, state: U64
) -> None:
    n = child.shape[0]
    for a in range(n - 1):
        if _random(state) < _MUTATION and not linked[child[a], child[a + 1]]:
            j = child[a]
            child[a] = child[a + 1]
            child[a + 1] = j
    if _random(state) >= _SHIFT:
        return
    position = np.empty(n, np.int64)
    for a in range(n):
        position[child[a]] = a
    a = _randint(state, n)
    j = child[a]
    low = 0
    for e in range(f_ptr[j], f_ptr[j + 1]):
        low = max(low, position[f_idx[e]] + 1)
    high = n - 1
    for e in range(b_ptr[j], b_ptr[j + 1]):
        high = min(high, position[b_idx[e]] - 1)
    if high <= low:
        return
    target = low + _randint(state, high - low + 1)
    if target > a:
        for b in range(a, target):
            child[b] = child[b + 1]
    else:
        for b in range(a, target, -1):
            child[b] = child[b - 1]
    child[target] = j


@_jit
def _hash(starts: I64) -> np.uint64:
    h = np.uint64(1469598103934665603)
    for j in range(starts.shape[0]):
        h ^= np.uint64(starts[j] + 1)
        h *= np.uint64(1099511628211)
    return h


@_jit
def _generation(
    pop: I64,
    fit: I64,
    pop_starts: I64,
    pop_modes: I64,
    hashes: U64,
    dur: I64,
    dem: I64,
    cap: I64,
    release: I64,
    zero: I64,
    f_ptr: I64,
    f_idx: I64,
    f_lag: I64,
    b_ptr: I64,
    b_idx: I64,
    b_lag: I64,
    linked: B,
    usage: I64,
    state: U64,
    g: Modes,
) -> int:
    """One generation in place: tournament parents, two children per pair, FBI on each,
    survival of the best distinct schedules. Returns the SGS passes it took."""
    size, n = pop.shape
    kids = np.empty((size, n), np.int64)
    kid_fit = np.empty(size, np.int64)
    kid_starts = np.empty((size, n), np.int64)
    kid_modes = np.zeros((size, n), np.int64)
    kid_hash = np.empty(size, np.uint64)
    passes = 0
    for c in range(0, size - 1, 2):
        a = _randint(state, size)
        b = _randint(state, size)
        mother = a if fit[a] <= fit[b] else b
        a = _randint(state, size)
        b = _randint(state, size)
        father = a if fit[a] <= fit[b] else b
        q1 = _randint(state, n + 1)
        q2 = _randint(state, n + 1)
        if q1 > q2:
            q1, q2 = q2, q1
        _crossover(pop[mother], pop[father], q1, q2, kids[c])
        _crossover(pop[father], pop[mother], q1, q2, kids[c + 1])
        for k in (c, c + 1):
            _mutate(kids[k], linked, f_ptr, f_idx, b_ptr, b_idx, state)
            span, used = _evaluate(
                kids[k], dur, dem, cap, release, zero, f_ptr, f_idx, f_lag,
                b_ptr, b_idx, b_lag, usage, kid_starts[k], kid_modes[k], g,
            )  # fmt: skip
            kid_fit[k] = span
            kid_hash[k] = _hash(kid_starts[k])
            passes += used
    made = size - size % 2
    # Survival: best of parents and children, one copy of each schedule; children win ties
    # (they come first in the merged order), which keeps the population moving.
    total = size + made
    all_fit = np.empty(total, np.int64)
    for a in range(made):
        all_fit[a] = kid_fit[a]
    for a in range(size):
        all_fit[made + a] = fit[a]
    ranked = np.argsort(all_fit, kind="mergesort")
    new_pop = np.empty((size, n), np.int64)
    new_fit = np.empty(size, np.int64)
    new_starts = np.empty((size, n), np.int64)
    new_modes = np.empty((size, n), np.int64)
    new_hash = np.empty(size, np.uint64)
    k = 0
    for pass_ in range(2):  # the second pass fills up with duplicates if too few are distinct
        for r in range(total):
            if k >= size:
                break
            a = ranked[r]
            h = kid_hash[a] if a < made else hashes[a - made]
            seen = False
            for b in range(k):
                if new_hash[b] == h:
                    seen = True
                    break
            if seen != (pass_ == 1):
                continue
            if a < made:
                new_pop[k] = kids[a]
                new_starts[k] = kid_starts[a]
                new_modes[k] = kid_modes[a]
            else:
                new_pop[k] = pop[a - made]
                new_starts[k] = pop_starts[a - made]
                new_modes[k] = pop_modes[a - made]
            new_fit[k] = all_fit[a]
            new_hash[k] = h
            k += 1
    pop[:] = new_pop
    fit[:] = new_fit
    pop_starts[:] = new_starts
    pop_modes[:] = new_modes
    hashes[:] = new_hash
    return passes


# -- the problem as arrays -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Arrays:
    dur: I64
    dem: I64
    cap: I64
    release: I64
    zero: I64
    f_ptr: I64  # predecessors per job (CSR), with the lags
    f_idx: I64
    f_lag: I64
    b_ptr: I64  # successors per job (CSR), with the lags
    b_idx: I64
    b_lag: I64
    linked: B
    horizon: int
    plan: ModeArrays | None = None  # the plan decoder's arrays, when it decodes

    @property
    def g(self) -> Modes:
        return self.plan.g if self.plan is not None else _NO_PLAN


def supported(problem: Problem) -> bool:
    """Whether the GA can schedule the problem itself (else the heuristic does)."""
    return compiled(problem) is not None


def compiled(problem: Problem) -> _Arrays | None:
    """The problem as the GA's decoders take it, or None where the GA does not apply (then the
    heuristic schedules it): build once, hand to :meth:`GaBackend.solve_compiled`."""
    try:
        return _any_arrays(problem)
    except ValueError:  # a cycle, a bad index, a malformed marker: the heuristic says so
        return None


def _any_arrays(problem: Problem) -> _Arrays | None:
    """The arrays of either decoder: the plain one where it applies, else the plan decoder."""
    simple = _arrays(problem)
    if simple is not None or problem.objective != "makespan" or not problem.jobs:
        return simple
    return _plan_arrays(problem)


def _arrays(problem: Problem) -> _Arrays | None:
    """Single-mode RCPSP (PSPLIB) for the plain decoder, or None. The portfolio (``auto``)
    uses the GA only on these."""
    jobs = problem.jobs
    n = len(jobs)
    if problem.objective != "makespan" or n == 0:
        return None
    if any(len(job.modes) != 1 or job.marker is not None for job in jobs):
        return None
    if any(link.type != LinkType.FS for link in problem.links):
        return None
    if any(r.unavailable for r in problem.resources):
        return None
    n_res = max(1, len(problem.resources))
    dem = np.zeros((n, n_res), np.int64)
    cap = np.zeros(n_res, np.int64)
    for r, resource in enumerate(problem.resources):
        cap[r] = resource.capacity
    for j, job in enumerate(jobs):
        mode = job.modes[0]
        if mode.duration < 0:
            return None
        for r, units in mode.demands:
            if not 0 <= r < len(problem.resources) or units < 0:
                return None
            dem[j, r] += units
    if np.any(dem > cap[None, :]):
        return None
    if len(topological_order(problem)) != n:  # a link cycle
        return None
    dur = np.array([job.modes[0].duration for job in jobs], np.int64)
    release = np.array([max(0, job.release) for job in jobs], np.int64)
    horizon = (
        int(release.max()) + int(dur.sum()) + sum(max(0, link.lag) for link in problem.links) + 1
    )
    if horizon * n_res > _MAX_CELLS or n * n > _MAX_CELLS:
        return None
    preds: list[list[tuple[int, int]]] = [[] for _ in jobs]
    succs: list[list[tuple[int, int]]] = [[] for _ in jobs]
    linked = np.zeros((n, n), np.bool_)
    for link in problem.links:
        preds[link.succ].append((link.pred, link.lag))
        succs[link.pred].append((link.succ, link.lag))
        linked[link.pred, link.succ] = True
    f_ptr, f_idx, f_lag = _csr(preds)
    b_ptr, b_idx, b_lag = _csr(succs)
    return _Arrays(
        dur, dem, cap, release, np.zeros(n, np.int64),
        f_ptr, f_idx, f_lag, b_ptr, b_idx, b_lag, linked, horizon,
    )  # fmt: skip


def _plan_arrays(problem: Problem) -> _Arrays | None:
    """Anything else with the makespan objective: the plan decoder of ``ga_modes``, or None
    when some job has no mode that fits, or the usage profile would be too large."""
    n = len(problem.jobs)
    if n * n > _MAX_CELLS:
        return None
    if len(topological_order(problem)) != n:  # raises on a cycle
        return None
    plan = mode_arrays(problem)
    if plan is None:
        return None
    n_res = max(1, len(problem.resources))
    if plan.horizon * n_res > _MAX_CELLS:
        return None
    cap = np.zeros(n_res, np.int64)
    for r, resource in enumerate(problem.resources):
        cap[r] = resource.capacity
    preds: list[list[tuple[int, int]]] = [[] for _ in problem.jobs]
    succs: list[list[tuple[int, int]]] = [[] for _ in problem.jobs]
    linked = np.zeros((n, n), np.bool_)
    for link in problem.links:
        preds[link.succ].append((link.pred, link.lag))
        succs[link.pred].append((link.succ, link.lag))
        linked[link.pred, link.succ] = True
    f_ptr, f_idx, f_lag = _csr(preds)
    b_ptr, b_idx, b_lag = _csr(succs)
    m_ptr, mdur = plan.g[0], plan.g[1]
    return _Arrays(
        mdur[m_ptr[:-1]].copy(), np.zeros((n, n_res), np.int64), cap,
        np.array([max(0, job.release) for job in problem.jobs], np.int64),
        np.zeros(n, np.int64), f_ptr, f_idx, f_lag, b_ptr, b_idx, b_lag, linked,
        plan.horizon, plan,
    )  # fmt: skip


def _csr(rows: list[list[tuple[int, int]]]) -> tuple[I64, I64, I64]:
    ptr = np.zeros(len(rows) + 1, np.int64)
    ptr[1:] = np.cumsum([len(row) for row in rows])
    idx = np.array([j for row in rows for j, _ in row], np.int64)
    lag = np.array([lag for row in rows for _, lag in row], np.int64)
    return ptr, idx, lag


def _rules(problem: Problem, a: _Arrays) -> tuple[F64, list[F64]]:
    """Latest finish times (the sampling values) and the keys of the seed rules."""
    if a.plan is not None:
        return a.plan.lft, a.plan.rules
    order = topological_order(problem)
    n = len(order)
    dur = a.dur.tolist()
    early = [0] * n
    for j in order:
        s = int(a.release[j])
        for e in range(a.f_ptr[j], a.f_ptr[j + 1]):
            s = max(s, early[a.f_idx[e]] + dur[a.f_idx[e]] + int(a.f_lag[e]))
        early[j] = s
    end = max((early[j] + dur[j] for j in range(n)), default=0)
    late_finish = [end] * n
    below = [0] * n  # transitive successors, as bit sets
    for j in reversed(order):
        f = end
        bits = 0
        for e in range(a.b_ptr[j], a.b_ptr[j + 1]):
            s = int(a.b_idx[e])
            f = min(f, late_finish[s] - dur[s] - int(a.b_lag[e]))
            bits |= below[s] | (1 << s)
        late_finish[j] = f
        below[j] = bits
    lft = np.array(late_finish, np.float64)
    lst = lft - a.dur
    mts = -np.array([bits.bit_count() for bits in below], np.float64)
    grpw = -np.array(
        [
            dur[j] + sum(dur[int(a.b_idx[e])] for e in range(a.b_ptr[j], a.b_ptr[j + 1]))
            for j in range(n)
        ],
        np.float64,
    )
    # Ties of the rules broken by the latest finish, then the index.
    tie = lft / (end + 1.0) * 1e-3 + np.arange(n) * 1e-9
    return lft, [lft + np.arange(n) * 1e-9, lst + tie, mts + tie, grpw + tie]


# -- the search ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Island:
    """One GA population and its random stream."""

    a: _Arrays
    pop: I64
    fit: I64
    starts: I64
    modes: I64
    hashes: U64
    usage: I64
    state: U64
    passes: int = 0
    generations: int = 0


def _seed_state(seed: int) -> U64:
    # splitmix-style scramble so nearby seeds give unrelated streams; never zero.
    x = (seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & ((1 << 64) - 1)
    x ^= x >> 31
    return np.array([x or 1], np.uint64)


def _fill(island: _Island, lft: F64, rules: list[F64], first: int) -> None:
    """(Re-)seed members ``first``.. from the rules (on a fresh start) and by sampling."""
    a = island.a
    size = island.pop.shape[0]
    for k in range(first, size):
        order = island.pop[k]
        rule = k - first
        if first == 0 and rule < len(rules):
            _list_from_keys(rules[rule], a.f_ptr, a.b_ptr, a.b_idx, order)
        else:
            _list_sampled(lft, a.f_ptr, a.b_ptr, a.b_idx, island.state, order)
        span, used = _evaluate(
            order, a.dur, a.dem, a.cap, a.release, a.zero, a.f_ptr, a.f_idx, a.f_lag,
            a.b_ptr, a.b_idx, a.b_lag, island.usage, island.starts[k], island.modes[k], a.g,
        )  # fmt: skip
        island.fit[k] = span
        island.hashes[k] = _hash(island.starts[k])
        island.passes += used
    ranked = np.argsort(island.fit, kind="mergesort")
    island.pop[:] = island.pop[ranked]
    island.fit[:] = island.fit[ranked]
    island.starts[:] = island.starts[ranked]
    island.modes[:] = island.modes[ranked]
    island.hashes[:] = island.hashes[ranked]


def _run_island(
    a: _Arrays,
    lft: F64,
    rules: list[F64],
    seed: int,
    deadline: float,
    budget: int | None,
    lower: int,
    stop: threading.Event | None = None,
    report: Callable[[_Island], None] | None = None,
    patience: int | None = None,
) -> _Island:
    """Run one island until the deadline, the budget, the lower bound or ``stop``; ``report``
    is called with the island after its first population and on every improvement (its best
    is member 0), for a portfolio that shares the incumbent. ``patience``: also stop after that
    many SGS passes without a better schedule (plans always have one, see ``_stall_passes``)."""
    n = a.dur.shape[0]
    size = _POPULATION
    island = _Island(
        a,
        np.zeros((size, n), np.int64),
        np.zeros(size, np.int64),
        np.zeros((size, n), np.int64),
        np.zeros((size, n), np.int64),
        np.zeros(size, np.uint64),
        np.zeros((a.horizon, a.cap.shape[0]), np.int64),
        _seed_state(seed),
    )
    _fill(island, lft, rules, 0)
    best = int(island.fit[0])
    if report is not None:
        report(island)
    stall = 0
    # Plans stop when the search stops improving: _stall_passes(n) SGS passes in a row without
    # a better schedule, and never before as many as it took to find the incumbent.
    if patience is None and a.plan is not None:
        patience = _stall_passes(n)
    found = improved = island.passes
    while best > lower and time.perf_counter() < deadline:
        if budget is not None and island.passes >= budget:
            break
        if stop is not None and stop.is_set():
            break
        if patience is not None and island.passes - improved >= max(patience, found):
            break
        island.passes += _generation(
            island.pop, island.fit, island.starts, island.modes, island.hashes,
            a.dur, a.dem, a.cap, a.release, a.zero, a.f_ptr, a.f_idx, a.f_lag,
            a.b_ptr, a.b_idx, a.b_lag, a.linked, island.usage, island.state, a.g,
        )  # fmt: skip
        island.generations += 1
        if island.fit[0] < best:
            best = int(island.fit[0])
            stall = 0
            found = improved = island.passes
            if report is not None:
                report(island)
        else:
            stall += 1
            if stall >= _STALL_GENERATIONS:
                _fill(island, lft, rules, _KEEP)
                stall = 0
    return island


def _stall_passes(jobs: int, work: int = _STALL_WORK, least: int = _STALL_MIN) -> int:
    """SGS passes in a row without a better schedule after which a plan's search stops: a
    fixed amount of work (job placements), so fewer passes on bigger problems, within bounds."""
    return min(_STALL_MAX, max(least, work // max(1, jobs)))


class GaBackend:
    """Genetic algorithm with forward-backward improvement (see the module doc); problems it
    does not support go to ``HeuristicBackend``."""

    name = "ga"

    def __init__(
        self,
        max_schedules: int | None = None,
        stall_work: int = _STALL_WORK,
        stall_min: int = _STALL_MIN,
    ) -> None:
        self.max_schedules = max_schedules  # SGS passes per island; None: the clock decides
        # Plans: stop after stall_work job placements' worth of passes without a better one.
        self.stall_work = stall_work
        self.stall_min = stall_min

    def solve(self, problem: Problem, options: SolveOptions) -> Solution:
        a = compiled(problem)
        if a is None:
            return HeuristicBackend().solve(problem, options)
        return self.solve_compiled(problem, options, a, objective_lower_bound(problem))

    def solve_compiled(
        self, problem: Problem, options: SolveOptions, a: _Arrays, lower: int | None
    ) -> Solution:
        """:meth:`solve` with the arrays of :func:`compiled` and the lower bound already in
        hand (a caller that has them saves rebuilding them: 0.4 s on a 3,000-task plan)."""
        began = time.perf_counter()
        floor = lower if lower is not None else 0
        lft, rules = _rules(problem, a)
        deadline = began + max(0.0, options.time_limit)
        islands = max(1, options.workers)
        seeds = [options.seed + k for k in range(islands)]
        patience = (
            _stall_passes(len(problem.jobs), self.stall_work, self.stall_min)
            if a.plan is not None
            else None  # PSPLIB: the clock or the budget decides, as ever
        )
        report = _reporter(options, began)
        if islands == 1:
            results = [
                _run_island(
                    a,
                    lft,
                    rules,
                    seeds[0],
                    deadline,
                    self.max_schedules,
                    floor,
                    report=report,
                    patience=patience,
                )
            ]
        else:
            with ThreadPoolExecutor(islands) as pool:
                results = list(
                    pool.map(
                        lambda s: _run_island(
                            a,
                            lft,
                            rules,
                            s,
                            deadline,
                            self.max_schedules,
                            floor,
                            report=report,
                            patience=patience,
                        ),
                        seeds,
                    )
                )
        winner = min(results, key=lambda island: int(island.fit[0]))  # first island on ties
        starts = tuple(int(s) for s in winner.starts[0])
        modes = _problem_modes(a, winner.modes[0])
        span = int(winner.fit[0])
        if violations(problem, starts, modes) or span != makespan(
            problem, starts, modes
        ):  # never expected; a wrong schedule must not get out
            return HeuristicBackend().solve(problem, options)
        status: Status = "optimal" if lower is not None and span <= lower else "feasible"
        seconds = time.perf_counter() - began
        passes = sum(island.passes for island in results)
        return Solution(
            starts=starts,
            modes=modes,
            status=status,
            objective=span,
            lower_bound=lower,
            backend=self.name,
            seconds=seconds,
            stats={
                "schedules": float(passes),
                "generations": float(sum(island.generations for island in results)),
                "islands": float(islands),
            },
        )


def _reporter(options: SolveOptions, began: float) -> Callable[[_Island], None] | None:
    """The caller's progress hook fed with each island's improvements: the share of the time
    limit gone and the best makespan of all islands so far."""
    hook = options.progress
    if hook is None:
        return None
    lock = threading.Lock()
    best: list[int] = []

    def report(island: _Island) -> None:
        with lock:
            value = int(island.fit[0])
            if not best or value < best[0]:
                best[:] = [value]
            spent = (time.perf_counter() - began) / max(options.time_limit, 1e-9)
            hook(min(1.0, spent), best[0])

    return report


def _problem_modes(a: _Arrays, modes: I64) -> tuple[int, ...]:
    """The Problem's mode index of each job, from the decoder's global mode numbers."""
    if a.plan is None:
        return (0,) * len(modes)
    m_ptr = a.plan.g[0]
    return tuple(a.plan.original[j][int(m) - int(m_ptr[j])] for j, m in enumerate(modes.tolist()))


def sgs_rate(problem: Problem, passes: int, seed: int = 0) -> float:
    """Serial SGS passes per second on random precedence-feasible lists (compiled code only):
    the raw speed the GA builds on. Raises ValueError for a problem the GA does not support."""
    a = _arrays(problem)
    if a is None or a.plan is not None:
        raise ValueError("the GA does not support this problem with its single-mode decoder")
    n = a.dur.shape[0]
    lft, _ = _rules(problem, a)
    state = _seed_state(seed)
    order = np.empty(n, np.int64)
    starts = np.empty(n, np.int64)
    usage = np.zeros((a.horizon, a.cap.shape[0]), np.int64)
    _list_sampled(lft, a.f_ptr, a.b_ptr, a.b_idx, state, order)
    _sgs(order, a.dur, a.dem, a.cap, a.release, a.f_ptr, a.f_idx, a.f_lag, usage, starts)
    began = time.perf_counter()
    _sgs_many(
        order, a.dur, a.dem, a.cap, a.release, a.f_ptr, a.f_idx, a.f_lag, usage, starts, passes
    )
    return passes / max(time.perf_counter() - began, 1e-9)


@_jit
def _sgs_many(
    order: I64,
    dur: I64,
    dem: I64,
    cap: I64,
    release: I64,
    p_ptr: I64,
    p_idx: I64,
    p_lag: I64,
    usage: I64,
    starts: I64,
    passes: int,
) -> int:
    total = 0
    for _ in range(passes):
        total += _sgs(order, dur, dem, cap, release, p_ptr, p_idx, p_lag, usage, starts)
    return total


def warm_up() -> None:
    """Compile both decoders now (``make setup`` runs this once per install): numba's cache then
    holds the machine code, so a user's first schedule does not spend its time limit compiling."""
    one = Problem(
        (
            Job("a", (Mode(2, ((0, 1),)),)),
            Job("b", (Mode(3, ((0, 1),)),)),
            Job("c", (Mode(1, ((0, 1),)),)),
        ),
        (Link(0, 2),),
        (Resource("r", 1),),
    )
    plan = Problem(
        (
            Job("a", (Mode(2, ((0, 1),)), Mode(4, ((1, 1),)))),
            Job("b", (Mode(3, ((1, 1),)), Mode(3, ((0, 1),)))),
            Job("m", (Mode(0),), marker="first"),
            Job("c", (Mode(1, ((0, 1),)),), release=1),
        ),
        (Link(0, 2, LinkType.SS), Link(1, 2, LinkType.SS), Link(2, 3, LinkType.FF, -1)),
        (Resource("p", 1, ((3, 5, 1),)), Resource("q", 1)),
    )
    for problem in (one, plan):
        a = _any_arrays(problem)
        assert a is not None
        lft, rules = _rules(problem, a)
        # A lower bound of 0 is never met, so generations run (and compile) until the budget.
        _run_island(a, lft, rules, 0, time.perf_counter() + 600, 400, 0)
