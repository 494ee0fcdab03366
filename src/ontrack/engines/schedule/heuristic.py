"""Priority-rule heuristic: serial schedule generation, justification, then biased sampling.

The fast backend: a 5,000-task plan gets its first schedule in about a second, and every
schedule it returns is feasible by construction (the checker in ``check.py`` confirms it in
the tests). It does not prove optimality except when it meets the lower bound of
``bounds.py``.

How it works:

* Serial schedule generation (SGS) over a precedence-feasible job list: each job in turn, in
  each mode, starts at the earliest time that satisfies its links to the jobs already placed
  and leaves enough capacity on every resource for its whole duration; the mode that ends
  first wins (then the one with less work, then the lower index). Scheduling in an order that
  respects the link DAG makes SS/FF/SF links and negative lags plain lower bounds.
* Capacity is a step function per resource (breakpoints, free units); finding the first gap
  long enough is a bisect and a short walk, which is what makes capacity-1 people cheap.
* A ``"first"`` marker (a summary's start) goes after all its predecessors and takes the earliest
  of their bounds; a ``"last"`` marker (a summary's finish) is an ordinary zero-length job. In
  mirrored time (right-justifying, latest finishes) a ``"first"`` marker's links count as plain
  ones: every child starts by the marker, stricter than the truth ("some child does"), which
  only orders the next forward pass, and gives the children the urgency of the summary's
  successors (on generated 5,000-task plans it finds the optimum where leaving them out did not).
* Several priority rules build the first lists; forward-backward improvement (right-justify
  in mirrored time, then left-justify) compacts each schedule; the rest of the time limit
  goes to regret-biased sampling and to a random walk over perturbed start-time orders
  (with crossover against an elite pool), each schedule justified too.

The search stops when it stops improving, not at its time limit: after a number of samples
in a row without a better schedule that shrinks as the problem grows (``_stall_limit``), at
once when the incumbent meets the lower bound, and after a fixed number of samples in any
case. Counted in samples, not seconds, so the result is deterministic for a seed while the
time limit does not cut the search.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ontrack.engines.schedule.bounds import objective_lower_bound, topological_order
from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.problem import (
    LinkType,
    Problem,
    Solution,
    SolveOptions,
    Status,
    is_marker_shape,
)

# Link kinds as small ints for the inner loop; mirroring time swaps SS and FF.
_FS, _SS, _FF, _SF = 0, 1, 2, 3
_KIND = {LinkType.FS: _FS, LinkType.SS: _SS, LinkType.FF: _FF, LinkType.SF: _SF}
_MIRROR = (_FS, _FF, _SS, _SF)

_NEVER = 1 << 62
_SAMPLE_PASSES = 20_000  # the search stops after this many sampling passes ...
# ... or when it stops improving: this many job placements' worth of samples in a row without
# a better schedule (a sample places every job at least once), between the bounds below, and
# never before as many samples as it took to find the incumbent. Work, not seconds, so the
# result depends on the seed alone; the time limit is only a cap.
_STALL_WORK = 50_000
_STALL_MIN = 50
_STALL_MAX = 2_000
# Tuned on PSPLIB j120: one sample in four is drawn fresh from a rule; the others perturb the
# current schedule's start times (a random walk that accepts equal or better), a third of
# them mixed with one of the best schedules seen (uniform crossover of the start times).
_EXPLORE_EVERY = 4
_PERTURB = (0.02, 0.05, 0.1, 0.2)
_CROSSOVER = 0.3
_ELITE = 10
_RBRS_MAX_JOBS = 400  # larger problems sample by noisy keys: O(n log n) instead of O(n^2)

# A usable mode, compiled: (duration, ((resource, units), ...), units x duration, index).
_Mode = tuple[int, tuple[tuple[int, int], ...], int, int]
_Profile = tuple[list[int], list[int]]  # breakpoints, free units from each to the next


@dataclass(frozen=True, slots=True)
class _Net:
    """The links seen from one direction of time (forward, or mirrored for right-justifying)."""

    preds: tuple[tuple[tuple[int, int, int], ...], ...]  # per job: (pred, kind, lag)
    succs: tuple[tuple[int, ...], ...]  # per job: successor per link (repeats allowed)
    indegree: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Compiled:
    modes: tuple[tuple[_Mode, ...], ...]  # usable modes only (demand within capacity)
    original: tuple[tuple[int, ...], ...]  # compiled mode index -> Problem mode index
    release: tuple[int, ...]  # earliest start, never negative
    first: tuple[bool, ...]  # per job: a "first" marker (its links are alternatives)
    forward: _Net
    backward: _Net
    capacity: tuple[int, ...]
    lateness: bool
    due: tuple[int | None, ...]
    weight: tuple[int, ...]


# -- capacity profiles -----------------------------------------------------------------------


def _earliest(times: list[int], free: list[int], t: int, d: int, q: int, limit: int) -> int:
    """First start >= t with q units free over [start, start + d), or anything > limit.

    The last segment always has the full capacity, so the walk ends.
    """
    j = bisect_right(times, t) - 1
    end = t + d
    n = len(times)
    while j < n:
        if times[j] >= end:
            return t
        j += 1
        if free[j - 1] < q:
            t = times[j]
            if t > limit:
                return t
            end = t + d
    return t


def _reserve(times: list[int], free: list[int], s: int, e: int, q: int) -> None:
    """Take q units over [s, e), merging equal neighbours so walks stay short."""
    i = bisect_right(times, s) - 1
    if times[i] != s:
        i += 1
        times.insert(i, s)
        free.insert(i, free[i - 1])
    j = i
    n = len(times)
    while j < n and times[j] < e:
        free[j] -= q
        j += 1
    if j == n or times[j] != e:
        times.insert(j, e)
        free.insert(j, free[j - 1] + q)
    elif free[j] == free[j - 1]:
        del times[j], free[j]
    if i > 0 and free[i - 1] == free[i]:
        del times[i], free[i]


def _profiles(
    capacity: Sequence[int], periods: Sequence[Sequence[tuple[int, int, int]]]
) -> list[_Profile]:
    """Free capacity per resource after the given (start, end, units lost) periods."""
    out: list[_Profile] = []
    for cap, lost in zip(capacity, periods, strict=True):
        times, free = [0], [cap]
        for begin, end, units in lost:
            if end > max(begin, 0) and units > 0:
                _reserve(times, free, max(begin, 0), end, units)
        out.append((times, free))
    return out


def _copy(profiles: Sequence[_Profile]) -> list[_Profile]:
    return [(t[:], f[:]) for t, f in profiles]


# -- schedule generation ---------------------------------------------------------------------


def _sgs(
    order: Sequence[int],
    preds: Sequence[Sequence[tuple[int, int, int]]],
    release: Sequence[int],
    choices: Sequence[Sequence[_Mode]],
    profiles: list[_Profile],
    first: Sequence[bool] = (),
) -> tuple[list[int], list[int], list[int]]:
    """Serial SGS: place each job of ``order`` at its earliest feasible start in its best mode.

    ``order`` must list every job after all its predecessors. ``first`` marks the jobs placed at
    the earliest of their links' bounds (``"first"`` markers: zero-length, holding nothing)
    rather than the latest. Returns starts, ends and the compiled mode index of every job;
    ``profiles`` is used up.
    """
    n = len(release)
    start = [0] * n
    end = [0] * n
    mode = [0] * n
    for j in order:
        if first and first[j]:
            s = _first_bound(preds[j], start, end, release[j])
            start[j] = s
            end[j] = s + choices[j][0][0]
            mode[j] = choices[j][0][3]
            continue
        lo_start = release[j]
        lo_end = lo_start
        # Plain comparisons rather than max(): this is the inner loop.
        for p, kind, lag in preds[j]:
            if kind == _FS:
                v = end[p] + lag
                if v > lo_start:  # noqa: PLR1730
                    lo_start = v
            elif kind == _SS:
                v = start[p] + lag
                if v > lo_start:  # noqa: PLR1730
                    lo_start = v
            else:
                v = (end[p] if kind == _FF else start[p]) + lag
                if v > lo_end:  # noqa: PLR1730
                    lo_end = v
        best_f = _NEVER
        best_w = 0
        best: _Mode | None = None
        for m in choices[j]:
            d, demands, work, _ = m
            t = lo_end - d
            if t < lo_start:  # noqa: PLR1730
                t = lo_start
            if d > 0 and demands:
                limit = best_f - d  # a later start cannot win, not even a tie
                if t > limit:
                    continue
                k = len(demands)
                ok = 0
                i = 0
                while ok < k:  # until every resource accepts the same start
                    r, q = demands[i]
                    times, free = profiles[r]
                    t2 = _earliest(times, free, t, d, q, limit)
                    if t2 != t:
                        t = t2
                        if t > limit:
                            break
                        ok = 1
                    else:
                        ok += 1
                    i = i + 1 if i + 1 < k else 0
                if t > limit:
                    continue
            f = t + d
            if f < best_f or (f == best_f and work < best_w):
                best_f = f
                best_w = work
                best = m
        assert best is not None  # every job has a usable mode, and the first always fits
        d, demands, _, index = best
        s = best_f - d
        start[j] = s
        end[j] = best_f
        mode[j] = index
        if d > 0:
            for r, q in demands:
                times, free = profiles[r]
                _reserve(times, free, s, best_f, q)
    return start, end, mode


def _first_bound(
    preds: Sequence[tuple[int, int, int]], start: Sequence[int], end: Sequence[int], release: int
) -> int:
    """Where a "first" marker goes: the earliest bound of its links, not before its release."""
    if not preds:
        return release
    low = min((start[p] if kind in (_SS, _SF) else end[p]) + lag for p, kind, lag in preds)
    return low if low > release else release


def _job_list(net: _Net, keys: Sequence[float]) -> list[int]:
    """Precedence-feasible list taking the eligible job with the smallest key (then index)."""
    indegree = list(net.indegree)
    heap = [(keys[j], j) for j, deg in enumerate(indegree) if deg == 0]
    heapq.heapify(heap)
    out: list[int] = []
    succs = net.succs
    while heap:
        _, j = heapq.heappop(heap)
        out.append(j)
        for s in succs[j]:
            indegree[s] -= 1
            if indegree[s] == 0:
                heapq.heappush(heap, (keys[s], s))
    return out


def _sampled_list(net: _Net, values: Sequence[float], rng: random.Random) -> list[int]:
    """Regret-biased random sampling: an eligible job is drawn with probability proportional
    to how much better its value is than the worst eligible one (plus one)."""
    indegree = list(net.indegree)
    eligible = [j for j, deg in enumerate(indegree) if deg == 0]
    out: list[int] = []
    succs = net.succs
    while eligible:
        worst = max(values[j] for j in eligible)
        weights = [worst - values[j] + 1.0 for j in eligible]
        x = rng.random() * sum(weights)
        k = 0
        while k < len(weights) - 1:
            x -= weights[k]
            if x < 0:
                break
            k += 1
        j = eligible[k]
        eligible[k] = eligible[-1]
        eligible.pop()
        out.append(j)
        for s in succs[j]:
            indegree[s] -= 1
            if indegree[s] == 0:
                eligible.append(s)
    return out


# -- problem compilation and priority values -------------------------------------------------


def _compile(problem: Problem) -> _Compiled | None:
    """Flat tuples for the inner loops; None when some job has no mode that can ever run."""
    topological_order(problem)  # raises on cycles and bad indices
    capacity = tuple(r.capacity for r in problem.resources)
    modes: list[tuple[_Mode, ...]] = []
    original: list[tuple[int, ...]] = []
    for job in problem.jobs:
        if job.marker is not None and not is_marker_shape(job):
            raise ValueError(f"job {job.id}: a marker is one zero-length mode holding nothing")
        usable: list[_Mode] = []
        index: list[int] = []
        for m, mode in enumerate(job.modes):
            need: dict[int, int] = {}
            for r, q in mode.demands:
                if not 0 <= r < len(capacity):
                    raise ValueError(f"job {job.id}: resource index {r} does not exist")
                if q > 0:
                    need[r] = need.get(r, 0) + q
            if mode.duration < 0:
                raise ValueError(f"job {job.id}: negative duration {mode.duration}")
            if mode.duration > 0 and any(q > capacity[r] for r, q in need.items()):
                continue
            d = mode.duration
            demands = tuple(sorted(need.items())) if d > 0 else ()
            usable.append((d, demands, d * sum(need.values()), len(usable)))
            index.append(m)
        if not usable:
            return None
        modes.append(tuple(usable))
        original.append(tuple(index))
    n = len(problem.jobs)
    first = tuple(job.marker == "first" for job in problem.jobs)
    fwd: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
    bwd: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
    for link in problem.links:
        kind = _KIND[link.type]
        fwd[link.succ].append((link.pred, kind, link.lag))
        bwd[link.pred].append((link.succ, _MIRROR[kind], link.lag))
    return _Compiled(
        modes=tuple(modes),
        original=tuple(original),
        release=tuple(max(0, job.release) for job in problem.jobs),
        first=first,
        forward=_net(fwd),
        backward=_net(bwd),
        capacity=capacity,
        lateness=problem.objective == "lateness",
        due=tuple(job.due for job in problem.jobs),
        weight=tuple(job.weight for job in problem.jobs),
    )


def _net(preds: list[list[tuple[int, int, int]]]) -> _Net:
    succs: list[list[int]] = [[] for _ in preds]
    for j, incoming in enumerate(preds):
        for p, _, _ in incoming:
            succs[p].append(j)
    return _Net(
        preds=tuple(tuple(x) for x in preds),
        succs=tuple(tuple(x) for x in succs),
        indegree=tuple(len(x) for x in preds),
    )


def _latest_finishes(c: _Compiled, order: Sequence[int], due: bool) -> list[int]:
    """Backward CPM pass with shortest modes: latest finish without delaying the project
    (with ``due``: nor any job past its due time)."""
    n = len(order)
    dmin = [min(m[0] for m in modes) for modes in c.modes]
    es = [0] * n
    ef = [0] * n
    for j in order:
        if c.first[j]:
            es[j] = ef[j] = _first_bound(c.forward.preds[j], es, ef, c.release[j])
            continue
        s, e = c.release[j], 0
        for p, kind, lag in c.forward.preds[j]:
            if kind == _FS:
                s = max(s, ef[p] + lag)
            elif kind == _SS:
                s = max(s, es[p] + lag)
            else:
                e = max(e, (ef[p] if kind == _FF else es[p]) + lag)
        es[j] = max(s, e - dmin[j])
        ef[j] = es[j] + dmin[j]
    horizon = max(ef, default=0)
    ls = [0] * n
    lf = [0] * n
    for j in reversed(order):
        s_hi, f_hi = _NEVER, horizon
        wanted = c.due[j]
        if due and wanted is not None:
            f_hi = min(f_hi, wanted)
        for k, kind, lag in c.backward.preds[j]:  # mirrored: the successors of j
            if kind == _FS:
                f_hi = min(f_hi, ls[k] - lag)
            elif kind == _FF:  # an SS link, mirrored
                s_hi = min(s_hi, ls[k] - lag)
            elif kind == _SS:  # an FF link, mirrored
                f_hi = min(f_hi, lf[k] - lag)
            else:
                s_hi = min(s_hi, lf[k] - lag)
        ls[j] = min(s_hi, f_hi - dmin[j])
        lf[j] = ls[j] + dmin[j]
    return lf


def _rules(problem: Problem, c: _Compiled) -> list[tuple[str, list[float]]]:
    """Priority values per rule, smaller first. Ties go to the lower job index."""
    order = topological_order(problem)
    n = len(order)
    lft = _latest_finishes(c, order, due=False)
    dmin = [min(m[0] for m in modes) for modes in c.modes]
    lst = [f - d for f, d in zip(lft, dmin, strict=True)]
    # Most total successors: transitive closure as int bitsets, cheap even at 5,000 jobs.
    below = [0] * n
    for j in reversed(order):
        bits = 0
        for s in c.forward.succs[j]:
            bits |= below[s] | (1 << s)
        below[j] = bits
    mts = [-float(b.bit_count()) for b in below]
    grpw = [-float(dmin[j] + sum(dmin[s] for s in set(c.forward.succs[j]))) for j in range(n)]
    # With lateness, latest finishes also respect due times: the urgency that matters then.
    urgency = _latest_finishes(c, order, due=True) if c.lateness else lft
    span = max(urgency, default=0) - min(urgency, default=0) + 1
    prio = [-float(job.priority) * span + urgency[j] for j, job in enumerate(problem.jobs)]
    # Priority first: later rules replace its schedule only when strictly better, so among
    # equally good schedules a plan gets the one that starts its high-priority tasks first.
    rules = [
        ("priority", prio),
        ("lft", [float(x) for x in lft]),
        ("lst", [float(x) for x in lst]),
        ("mts", mts),
        ("grpw", grpw),
    ]
    if c.lateness:
        rules.insert(1, ("due", [float(x) for x in urgency]))
    return rules


# -- search ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Best:
    starts: list[int]
    modes: list[int]
    objective: int


class _Search:
    """One solve: the compiled problem, the incumbent, the clock and the counters."""

    def __init__(self, problem: Problem, c: _Compiled, lower: int | None, deadline: float) -> None:
        self.c = c
        self.lower = lower
        self.deadline = deadline
        self.periods = [r.unavailable for r in problem.resources]
        self.initial = _profiles(c.capacity, self.periods)  # copied by every forward pass
        self.best: _Best | None = None
        self.passes = 0
        self.pass_seconds = 0.0  # the latest full pass, to avoid starting one we cannot finish

    def objective(self, ends: Sequence[int]) -> int:
        if not self.c.lateness:
            return max(ends, default=0)
        return sum(
            w * max(0, e - d)
            for e, d, w in zip(ends, self.c.due, self.c.weight, strict=True)
            if d is not None
        )

    def done(self) -> bool:
        best, lower = self.best, self.lower
        if best is not None and lower is not None and best.objective <= lower:
            return True
        return time.perf_counter() + self.pass_seconds > self.deadline

    def offer(self, starts: list[int], modes: list[int], value: int) -> bool:
        if self.best is None or value < self.best.objective:
            self.best = _Best(starts, modes, value)
            return True
        return False

    def justify(self, starts: list[int], ends: list[int], modes: list[int]) -> _Best:
        """Forward-backward improvement from one schedule; offers each better one found and
        returns the last.

        Right-justifying is a forward SGS in mirrored time (t -> H - t), with the links
        reversed and SS/FF swapped; releases become deadlines there, and a pass that would
        break one is abandoned.
        """
        c = self.c
        value = self.objective(ends)
        choices = [(ms[m],) for ms, m in zip(c.modes, modes, strict=True)]
        zeros = [0] * len(starts)
        while time.perf_counter() < self.deadline:
            horizon = max(ends, default=0)
            mirrored = _profiles(
                c.capacity,
                [[(horizon - e, horizon - b, u) for b, e, u in p] for p in self.periods],
            )
            order = _job_list(c.backward, [horizon - e for e in ends])
            _, back_ends, _ = _sgs(order, c.backward.preds, zeros, choices, mirrored)
            right = [horizon - e for e in back_ends]
            if any(s < r for s, r in zip(right, c.release, strict=True)):
                break
            order = _job_list(c.forward, right)
            starts2, ends2, _ = _sgs(
                order, c.forward.preds, c.release, choices, _copy(self.initial), c.first
            )
            value2 = self.objective(ends2)
            self.passes += 2
            if value2 >= value:
                break
            starts, ends, value = starts2, ends2, value2
            self.offer(starts, modes, value)
        return _Best(starts, modes, value)

    def run_list(self, order: Sequence[int]) -> _Best:
        """Schedule a job list choosing modes, justify the result, keep the best; returns the
        justified schedule."""
        began = time.perf_counter()
        c = self.c
        starts, ends, modes = _sgs(
            order, c.forward.preds, c.release, c.modes, _copy(self.initial), c.first
        )
        self.passes += 1
        self.offer(starts, modes, self.objective(ends))
        result = self.justify(starts, ends, modes)
        self.pass_seconds = time.perf_counter() - began
        return result


class Leveller:
    """One serial SGS pass in a fixed priority order, with new durations on each call.

    The forecaster re-levels every Monte Carlo iteration with it (``--resources``): the same
    people, calendars and priorities as the deterministic schedule, each task taking its drawn
    time, and whoever is free first among the people who could do it picking it up.
    """

    def __init__(self, problem: Problem, priority: Sequence[float]) -> None:
        c = _compile(problem)
        if c is None:
            raise ValueError("some job needs more of a resource than it ever has")
        self._c = c
        self.order: tuple[int, ...] = tuple(_job_list(c.forward, priority))
        self._initial = _profiles(c.capacity, [r.unavailable for r in problem.resources])
        self._demands = tuple(
            tuple(
                tuple(sorted((r, q) for r, q in problem.jobs[j].modes[m].demands if q > 0))
                for m in c.original[j]
            )
            for j in range(len(problem.jobs))
        )
        self._units = tuple(tuple(sum(q for _, q in d) for d in ds) for ds in self._demands)

    def run(self, durations: Sequence[Sequence[int]]) -> tuple[list[int], list[int], list[int]]:
        """Schedule with ``durations[j][m]`` for job j in (problem) mode m; returns the starts,
        the ends and the problem mode of every job."""
        c = self._c
        choices: list[tuple[_Mode, ...]] = []
        for j, original in enumerate(c.original):
            given = durations[j]
            units = self._units[j]
            demands = self._demands[j]
            choices.append(
                tuple(
                    (given[m], demands[k] if given[m] > 0 else (), given[m] * units[k], k)
                    for k, m in enumerate(original)
                )
            )
        starts, ends, modes = _sgs(
            self.order, c.forward.preds, c.release, choices, _copy(self._initial), c.first
        )
        return starts, ends, [c.original[j][m] for j, m in enumerate(modes)]


class HeuristicBackend:
    """Priority rules + forward-backward improvement + biased sampling (see the module doc)."""

    name = "heuristic"

    def __init__(self, sample: bool = True) -> None:
        # Without sampling: the priority rules, each justified (the staged default then hands
        # the search to the GA).
        self.sample = sample

    def solve(self, problem: Problem, options: SolveOptions) -> Solution:
        began = time.perf_counter()
        n = len(problem.jobs)
        if n == 0:
            return Solution((), (), "optimal", 0, 0, self.name)
        c = _compile(problem)
        if c is None:  # some job needs more of a resource than it ever has
            return Solution((), (), "infeasible", backend=self.name)
        lower = objective_lower_bound(problem)
        search = _Search(problem, c, lower, began + max(0.0, options.time_limit))
        progress = _Progress(options.progress, began, options.time_limit)
        rng = random.Random(options.seed)

        if options.hint is not None:
            _use_hint(search, problem, options.hint)
        rules = _rules(problem, c)
        first = 0.0
        for _, values in rules:
            if search.best is not None and search.done():
                break
            search.run_list(_job_list(c.forward, values))
            first = first or time.perf_counter() - began
            progress.tick(search)

        # Sampling: now and then a regret-biased list from a random rule; otherwise the
        # current schedule's start times plus noise (sometimes crossed with an elite
        # schedule's) as the keys of a new list, which _job_list keeps precedence-feasible.
        stall = 0
        samples = 0
        found = 0  # the sample that found the incumbent
        patience = _stall_limit(n)
        assert search.best is not None
        current = search.best
        elite: list[_Best] = [current]
        limit = _SAMPLE_PASSES if self.sample else 0
        while samples < limit and stall < max(patience, found) and not search.done():
            samples += 1
            before = search.best.objective
            if samples % _EXPLORE_EVERY == 1:
                _, values = rules[rng.randrange(len(rules))]
                if n <= _RBRS_MAX_JOBS:
                    order = _sampled_list(c.forward, values, rng)
                else:
                    order = _job_list(c.forward, _noisy(values, rng, 0.2))
                search.run_list(order)
            else:
                keys = _noisy(current.starts, rng, rng.choice(_PERTURB))
                if rng.random() < _CROSSOVER:
                    other = elite[rng.randrange(len(elite))].starts
                    keys = [
                        k if rng.random() < 0.5 else o for k, o in zip(keys, other, strict=True)
                    ]
                result = search.run_list(_job_list(c.forward, keys))
                if result.objective <= current.objective:
                    current = result
                _remember(elite, result, _ELITE)
            if search.best.objective != before:
                stall = 0
                found = samples
            else:
                stall += 1
            progress.tick(search)

        best = search.best
        assert best is not None
        status: Status = "optimal" if lower is not None and best.objective <= lower else "feasible"
        progress.tick(search, final=True)
        return Solution(
            starts=tuple(best.starts),
            modes=tuple(c.original[j][m] for j, m in enumerate(best.modes)),
            status=status,
            objective=best.objective,
            lower_bound=lower,
            backend=self.name,
            seconds=time.perf_counter() - began,
            stats={
                "first_schedule_seconds": first,
                "passes": float(search.passes),
                "samples": float(samples),
            },
        )


def _stall_limit(jobs: int) -> int:
    """Samples in a row without a better schedule after which the search stops: a fixed amount
    of work (job placements), so fewer samples on bigger problems, within bounds."""
    return min(_STALL_MAX, max(_STALL_MIN, _STALL_WORK // max(1, jobs)))


def _remember(elite: list[_Best], result: _Best, size: int) -> None:
    """Keep the ``size`` best distinct schedules seen."""
    if any(e.starts == result.starts for e in elite):
        return
    elite.append(result)
    elite.sort(key=lambda e: e.objective)
    del elite[size:]


def _noisy(values: Sequence[float], rng: random.Random, amount: float) -> list[float]:
    """Values plus uniform noise of ``amount`` times their spread (at least 1)."""
    spread = max(1.0, (max(values) - min(values)) * amount) if values else 1.0
    return [v + rng.random() * spread for v in values]


def _use_hint(search: _Search, problem: Problem, hint: Solution) -> None:
    """Start from a hint that is feasible and uses usable modes; ignore it otherwise."""
    if violations(problem, hint.starts, hint.modes):
        return
    c = search.c
    modes: list[int] = []
    for j, m in enumerate(hint.modes):
        if m not in c.original[j]:
            return
        modes.append(c.original[j].index(m))
    starts = list(hint.starts)
    ends = [s + c.modes[j][m][0] for j, (s, m) in enumerate(zip(starts, modes, strict=True))]
    search.offer(starts, modes, search.objective(ends))
    search.justify(starts, ends, modes)


@dataclass(slots=True)
class _Progress:
    """Calls the caller's progress hook at most a few times a second."""

    hook: Callable[[float, int | None], None] | None
    began: float
    limit: float
    last: float = -math.inf

    def tick(self, search: _Search, final: bool = False) -> None:
        if self.hook is None:
            return
        now = time.perf_counter()
        if not final and now - self.last < 0.25:
            return
        self.last = now
        fraction = 1.0 if final else min(1.0, (now - self.began) / max(self.limit, 1e-9))
        self.hook(fraction, search.best.objective if search.best else None)
