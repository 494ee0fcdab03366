"""Schedule Monte Carlo: the odds for every milestone, and what drives them.

Each iteration draws every task's working time from its estimate (see ``distributions``), lets
each risk of the register happen with its probability (adding its delay to the tasks it affects
and its cost to the cost), and computes the dates. Everything is vectorised over iterations: the
network is walked once per chunk of iterations, each step a numpy operation on a whole chunk,
which is how 10,000 iterations of a 5,000-task plan take about a second.

Two modes:

* network (default): the deterministic schedule's assignments are kept as sequencing links
  (see ``simnet``), people's days off are honoured; with likely estimates and no risks it gives
  exactly the scheduler's dates.
* resources: every iteration is re-levelled by the heuristic scheduler's serial schedule
  generation (whoever is free and able takes the task, in the deterministic priority order).

Results: percentiles and S-curves of every milestone, deadline, release and of the program
finish; per task the criticality index (share of iterations on a critical path), cruciality
(correlation of its duration with the finish) and schedule sensitivity index; drivers (working
days each task's overrun and each risk add to the mean finish along the driving path of each
iteration, the rest being merge bias and path switching); merge bias at merge points; cost;
and when the P80 stopped moving.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import mmap
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import special

from ontrack.diagnostics import Diagnostic, error
from ontrack.engines.calendar import WorkGrid
from ontrack.engines.forecast.distributions import LEVELS, Distribution, level_of
from ontrack.engines.forecast.result import (
    Convergence,
    CostForecast,
    CurvePoint,
    DriverContribution,
    Forecast,
    ItemForecast,
    ItemKind,
    RiskForecast,
    TaskForecast,
)
from ontrack.engines.forecast.simnet import FF, FS, SS, SimNet, compile_network
from ontrack.engines.schedule.heuristic import Leveller
from ontrack.engines.schedule.planner import ScheduleOptions, SolvedPlan, solve_plan
from ontrack.engines.schedule.problem import Problem
from ontrack.engines.schedule.progress import Status
from ontrack.gcpause import gc_paused
from ontrack.model import Plan

CODES = ("E330", "E331", "E332")
MAX_ITERATIONS = 10_000_000
# Jobs x iterations held at once: starts, ends and durations (int32) plus two flag arrays,
# about 14 bytes a cell: about 110 MB whatever the plan's size, reused by every chunk. Larger
# chunks save little Python overhead and cost more memory than they save.
_CELLS_PER_CHUNK = 14_000_000
_RESOURCE_CHUNK = 100
_PARALLEL_CELLS = 5_000_000  # jobs x iterations below which one process is faster
_QUANTILES = (0.10, 0.50, 0.80, 0.95)

Ints = npt.NDArray[np.int32]
Flags = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ForecastOptions:
    iterations: int = 10_000
    seed: int = 0
    distribution: Distribution = Distribution.PERT
    resources: bool = False  # re-level every iteration instead of keeping the assignments
    correlation: float = 0.0  # between tasks of the same group, through a Gaussian copula
    correlate_by: Literal["team", "tag"] = "team"
    schedule_time_limit: float = 5.0  # for the deterministic schedule the forecast starts from
    workers: int | None = None  # processes (at most 2); None: 2 on a multi-core machine
    status: Status | None = None  # progress to plan around (None: what the plan says)
    watch: tuple[str, ...] = ()  # more tasks to give a finish distribution (Forecast.watched)
    # A schedule already solved for this plan (and status) to start from, instead of solving.
    solved: SolvedPlan | None = field(default=None, compare=False)
    progress: Callable[[float], None] | None = field(default=None, compare=False)


def forecast(
    plan: Plan, options: ForecastOptions | None = None
) -> tuple[Forecast | None, list[Diagnostic]]:
    """Simulate the plan. Returns None and the reasons when it cannot be forecast."""
    options = options or ForecastOptions()
    began = time.perf_counter()
    problems = _check_options(plan, options)
    if problems:
        return None, problems
    diagnostics: list[Diagnostic] = []
    if options.solved is not None:  # the caller's schedule: no second solve
        solved = options.solved
    else:
        found, diagnostics = solve_plan(
            plan,
            ScheduleOptions(
                backend="heuristic",
                time_limit=options.schedule_time_limit,
                seed=options.seed,
                status=options.status,
            ),
        )
        if found is None:
            return None, diagnostics
        solved = found
    net = compile_network(plan, solved, options.distribution)
    if (
        not any(net.base)
        and all(t is None for t in net.tables)
        and not any(r.impact is not None for r in net.risks)
    ):
        return None, [
            error(
                "E332",
                plan.program.loc,
                "nothing to forecast: every task's estimate is zero and no risk has an impact",
                "give the tasks estimates (e.g. `estimate: 3d/5d/8d`)",
            )
        ]
    # The plan's many small records make garbage collection passes costly, and the
    # simulation creates no cycles: collecting during it only wastes time.
    with gc_paused():
        simulation = _Simulation(plan, solved, net, options)
        simulation.run()
        return simulation.result(time.perf_counter() - began), diagnostics


def _check_options(plan: Plan, options: ForecastOptions) -> list[Diagnostic]:
    found = []
    if not 1 <= options.iterations <= MAX_ITERATIONS:
        found.append(
            error(
                "E330",
                plan.program.loc,
                f"--iterations {options.iterations} is outside 1..{MAX_ITERATIONS:,}",
                "10,000 iterations give P80 dates stable to about a day on most plans",
            )
        )
    if not 0 <= options.correlation < 1:
        found.append(
            error(
                "E331",
                plan.program.loc,
                f"--correlation {options.correlation:g} is outside 0..0.99",
                "use e.g. 0.3 for tasks of a team that tend to overrun together",
            )
        )
    return found


# -- the simulation ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    id: str
    title: str
    kind: ItemKind
    deadline: dt.date | None
    due: int | None  # exclusive end index the deadline allows
    jobs: tuple[int, ...]


class _Simulation:
    def __init__(
        self, plan: Plan, solved: SolvedPlan, net: SimNet, options: ForecastOptions
    ) -> None:
        self.plan = plan
        self.net = net
        self.options = options
        self.grid: WorkGrid = solved.built.grid
        self.refs = solved.built.refs
        n = len(net.base)
        self.n = n
        self.iterations = options.iterations
        self.items = _items(plan, solved, self.grid, options.watch)
        self.risk_jobs: list[list[int]] = [[] for _ in range(n)]  # job -> risks that lengthen it
        for r, risk in enumerate(net.risks):
            if risk.impact is not None:
                for j in risk.jobs:
                    self.risk_jobs[j].append(r)
        # Jobs whose duration varies (their estimate, or a risk), and their rows of levels.
        # Jobs whose duration varies: those with a distribution first (one row of levels
        # each, drawn in one gather), then those only a risk can lengthen.
        drawn = [j for j in range(n) if net.tables[j] is not None]
        self.varying = drawn + [j for j in range(n) if net.tables[j] is None and self.risk_jobs[j]]
        self.level_row = {j: k for k, j in enumerate(drawn)}
        tables: dict[int, int] = {}  # id(table) -> its row in the stacked tables
        stacked: list[npt.NDArray[np.int32]] = []
        for j in drawn:
            table = net.tables[j]
            assert table is not None
            if id(table) not in tables:
                tables[id(table)] = len(stacked)
                stacked.append(table)
        self.flat_tables = np.concatenate(stacked) if stacked else np.zeros(1, np.int32)
        self.table_offset = np.array(
            [tables[id(net.tables[j])] * LEVELS for j in drawn], dtype=np.int32
        ).reshape(-1, 1)
        # Merge bias is measured where it is reported: milestones and deadlines that join paths.
        self.merge_jobs = [
            item.jobs[0]
            for item in self.items
            if len(item.jobs) == 1 and len(net.incoming[item.jobs[0]]) >= 2
        ]
        self.groups = _groups(plan, solved, options) if options.correlation > 0 else None
        self.has_cost = any(net.day_cost) or any(r.cost for r in net.risks) or net.fixed_cost > 0
        # Per-iteration results live in memory shared with a second worker process, if any;
        # the per-job sums below are added up when it is done.
        self.finish = _shared((self.iterations,), np.int32)
        self.item_ends = _shared((len(self.items), self.iterations), np.int32)
        self.cost = _shared((self.iterations,), np.float64) if self.has_cost else None
        self.crit = np.zeros(n, dtype=np.int64)
        self.sum_d = np.zeros(n)
        self.sum_d2 = np.zeros(n)
        self.sum_df = np.zeros(n)
        self.sum_e = np.zeros(n)
        self.path_excess = np.zeros(n)
        self.risk_occurred = np.zeros(len(net.risks))
        self.risk_path = np.zeros(len(net.risks))
        self.merge_max = np.zeros(n)
        self.merge_bounds: dict[int, npt.NDArray[np.float64]] = {
            j: np.zeros(len(net.incoming[j])) for j in self.merge_jobs
        }
        self.leveller = (
            Leveller(net.problem, [float(s) for s in net.starts]) if options.resources else None
        )
        # Per job: links that are plain FS/SS without lags and no release (the common case),
        # and whether the start must be clamped (a release, or links that can reach below 0).
        self.clamp: list[bool] = []
        self.plain_links: list[tuple[tuple[int, bool], ...] | None] = []
        for j in range(n):
            incoming = net.incoming[j]
            simple = all(kind <= SS and lag == 0 for _, kind, lag in incoming)
            clamp = net.release[j] > 0 or not (
                simple or all(k <= SS and lag >= 0 for _, k, lag in incoming)
            )
            self.clamp.append(clamp)
            self.plain_links.append(
                tuple((p, kind == FS) for p, kind, _ in incoming)
                if simple and not clamp and (incoming or net.release[j] == 0)
                else None
            )
        self.skip = self._days_off_plan()
        # Buffers reused by every chunk (fresh memory costs a page fault per 4 KB).
        self.buffer_size = _chunk_size(
            self.iterations,
            _RESOURCE_CHUNK if options.resources else max(64, _CELLS_PER_CHUNK // max(1, n)),
        )
        self.starts_buffer = self.ends_buffer = np.empty((0, 0), dtype=np.int32)
        self.crit_buffer = self.path_buffer = np.empty((0, 0), dtype=np.bool_)
        self.varying_base = np.array([net.base[j] for j in self.varying], dtype=np.int64)
        self.varying_cost = np.array([net.day_cost[j] for j in self.varying], dtype=np.float64)
        self.deterministic = self._deterministic()

    def _days_off_plan(self) -> list[_DaysOff | None]:
        """Per job with people's days off: the spans from the earliest it could ever start,
        and the longest it could ever take (so each chunk skips the spans it cannot meet)."""
        net = self.net
        # Tables are sorted: their first and last entries are the extremes.
        shortest = [
            int(table[0]) if (table := net.tables[j]) is not None else net.base[j]
            for j in range(self.n)
        ]
        longest = [
            (int(table[-1]) if (table := net.tables[j]) is not None else net.base[j])
            + sum(
                int(impact[-1])
                for r in self.risk_jobs[j]
                if (impact := net.risks[r].impact) is not None
            )
            for j in range(self.n)
        ]
        # Earliest starts with the shortest durations: a lower bound on every iteration's.
        early = [0] * self.n
        for j in net.order:
            t = net.release[j]
            for p, kind, lag in net.incoming[j]:
                if kind == FS:
                    v = early[p] + shortest[p] + lag
                elif kind == SS:
                    v = early[p] + lag
                elif kind == FF:
                    v = early[p] + shortest[p] + lag - longest[j]
                else:
                    v = early[p] + lag - longest[j]
                t = max(t, v)
            early[j] = t
        out: list[_DaysOff | None] = []
        for j in range(self.n):
            spans = net.off[j]
            if not spans:
                out.append(None)
                continue
            first = bisect.bisect_right([b for _, b in spans], early[j])
            out.append(_DaysOff(spans[first:], longest[j]) if first < len(spans) else None)
        return out

    # -- driving the chunks ------------------------------------------------------------------

    def run(self) -> None:
        """All chunks; on a multi-core machine half of them in a forked worker. Each chunk has
        its own random stream (seed, chunk number), so the numbers do not depend on who ran it."""
        size = self.buffer_size
        chunks = [
            (k, offset, min(size, self.iterations - offset))
            for k, offset in enumerate(range(0, self.iterations, size))
        ]
        # Re-levelling costs about a thousand times more per cell than the network pass.
        cells = self.n * self.iterations * (1000 if self.leveller else 1)
        workers = _workers(self.options.workers, len(chunks), cells)
        if workers < 2:
            self._run_chunks(chunks, 1)
            return
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=self._worker, args=(chunks[1::2], sender), daemon=True)
        child.start()
        sender.close()
        try:
            self._run_chunks(chunks[0::2], 2)
            outcome = receiver.recv()
        except EOFError:
            outcome = "the worker process ended without a result"
        finally:
            child.join()
        if isinstance(outcome, str):
            raise RuntimeError(f"forecast worker failed: {outcome}")
        for name, value in outcome.items():
            if name == "merge_bounds":
                for j, sums in value.items():
                    self.merge_bounds[j] += sums
            else:
                getattr(self, name)[...] += value

    _SUMS = (
        "crit",
        "sum_d",
        "sum_d2",
        "sum_df",
        "sum_e",
        "path_excess",
        "risk_occurred",
        "risk_path",
        "merge_max",
    )

    def _worker(self, chunks: list[tuple[int, int, int]], sender: Connection) -> None:
        try:
            self._run_chunks(chunks, 0)
            result: dict[str, Any] = {name: getattr(self, name) for name in self._SUMS}
            result["merge_bounds"] = self.merge_bounds
            sender.send(result)
        except Exception as exc:  # reported by the parent
            sender.send(f"{type(exc).__name__}: {exc}")
        finally:
            sender.close()

    def _allocate(self) -> None:
        """The chunk buffers, made by the process that uses them: a forked worker writing into
        its parent's pages would copy each one on its first write."""
        size, rows = self.buffer_size, len(self.varying)
        network = 0 if self.leveller else self.n
        self.rows = _buffer((rows, size), np.int32)
        # Indices as intp: np.take would otherwise convert (and allocate) them on every call.
        self.index_buffer = _buffer((len(self.level_row), size), np.intp)
        self.starts_buffer = _buffer((network, size), np.int32)
        self.ends_buffer = _buffer((network, size), np.int32)
        self.crit_buffer = _buffer((network, size), np.bool_)
        self.path_buffer = _buffer((network, size), np.bool_)
        self.path_rows = _buffer((rows, size), np.bool_)

    def _run_chunks(self, chunks: list[tuple[int, int, int]], share: int) -> None:
        """Run chunks; ``share`` scales progress (0: a worker, which reports none)."""
        self._allocate()
        done = 0
        for k, offset, c in chunks:
            self._chunk(np.random.default_rng([self.options.seed, k]), offset, c)
            done += c
            if self.options.progress and share:
                self.options.progress(min(1.0, share * done / self.iterations))

    def _deterministic(self) -> Ints:
        """Ends of every job with the scheduled durations and no risks: the plan's dates (the
        same pass as ``_forward``, on plain numbers)."""
        net = self.net
        start = [0] * self.n
        end = [0] * self.n
        for j in net.order:
            d = net.base[j]
            t = net.release[j]
            for p, kind, lag in net.incoming[j]:
                if kind == FS:
                    v = end[p] + lag
                elif kind == SS:
                    v = start[p] + lag
                else:
                    v = (end[p] if kind == FF else start[p]) + lag - d
                t = max(t, v)
            for a, b in net.off[j]:
                if a >= t + d:
                    break
                if t < b and t + d > a:
                    t = b
            start[j] = t
            end[j] = t + d
        return np.array(end, dtype=np.int32)

    def _chunk(self, rng: np.random.Generator, offset: int, c: int) -> None:
        net = self.net
        levels = self._levels(rng, c)
        occurred = [rng.random(c) < risk.probability for risk in net.risks]
        delays: list[Ints | None] = []
        for risk, hit in zip(net.risks, occurred, strict=True):
            if risk.impact is None:
                delays.append(None)
                continue
            impact = risk.impact[rng.integers(0, LEVELS, c)]
            delays.append(np.where(hit, impact, 0).astype(np.int32))
        # Durations: a row per job that varies (its estimate or a risk), the plain number of
        # days for the others (most of a plan: no memory, no work).
        dur: list[Ints | int] = list(net.base)
        drawn = len(self.level_row)
        if drawn:
            # One gather for every drawn duration: level + the table's offset in the stack.
            index = self.index_buffer[:, :c]
            np.add(levels, self.table_offset, out=index, casting="unsafe")
            np.take(self.flat_tables, index, out=self.rows[:drawn, :c])
        for k, j in enumerate(self.varying):
            row = self.rows[k, :c]
            if k >= drawn:
                row.fill(net.base[j])
            for r in self.risk_jobs[j]:
                delay = delays[r]
                assert delay is not None
                row += delay
            dur[j] = row
        waits = None
        if self.leveller is not None:
            starts, ends, chosen, waits = self._relevel(levels, delays, c)
            dur = list(chosen)
        else:
            starts, ends = self._forward(dur, c, merge=True)
        finish = ends.max(axis=0)
        self.finish[offset : offset + c] = finish
        for i, item in enumerate(self.items):
            rows = list(item.jobs)
            self.item_ends[i, offset : offset + c] = (
                ends[rows[0]] if len(rows) == 1 else ends[rows].max(axis=0)
            )
        crit, path = self._trace(starts, ends, dur, finish, waits)
        self.crit += crit.sum(axis=1)
        self.sum_e += ends.sum(axis=1, dtype=np.float64)
        if self.varying:
            varying = self.varying
            # Exact integer sums for the sensitivity measures (no float copies of the rows).
            x = self.rows[:, :c] if self.leveller is None else np.stack([dur[j] for j in varying])
            self.sum_d[varying] += x.sum(axis=1, dtype=np.int64)
            self.sum_d2[varying] += np.einsum("ij,ij->i", x, x, dtype=np.int64)
            self.sum_df[varying] += np.einsum("ij,j->i", x, finish, dtype=np.int64)
            # Drivers: overruns and risk delays on each iteration's driving path:
            # sum over the path of (drawn - planned - risk delays), without a copy of the rows.
            on_path = np.take(path, varying, axis=0, out=self.path_rows[:, :c])
            own = np.einsum("ij,ij->i", x, on_path, dtype=np.int64)
            own -= self.varying_base * np.count_nonzero(on_path, axis=1)
            for k, j in enumerate(varying):
                for r in self.risk_jobs[j]:
                    delay = delays[r]
                    assert delay is not None
                    on_risk = int(delay[on_path[k]].sum())
                    self.risk_path[r] += on_risk
                    own[k] -= on_risk
            self.path_excess[varying] += own
        for r, hit in enumerate(occurred):
            self.risk_occurred[r] += hit.sum()
        if self.cost is not None:
            varying_rows = (
                self.rows[:, :c]
                if self.leveller is None
                else np.stack([dur[j] for j in self.varying])
            )
            self.cost[offset : offset + c] = self._chunk_cost(dur, varying_rows, occurred, c)

    def _chunk_cost(
        self, dur: Sequence[Ints | int], rows: Ints, occurred: list[Flags], c: int
    ) -> npt.NDArray[np.float64]:
        """Per iteration: each task's days times its day cost, plus the risks' costs."""
        net = self.net
        varying = set(self.varying)
        constant = sum(
            d * day_cost
            for j, (d, day_cost) in enumerate(zip(dur, net.day_cost, strict=True))
            if day_cost and j not in varying
        )
        if self.leveller is None and self.varying:
            cost = np.einsum("i,ij->j", self.varying_cost, rows, dtype=np.float64)
        else:
            cost = np.zeros(c)
            for j in self.varying:
                cost += dur[j] * net.day_cost[j]
        for risk, hit in zip(net.risks, occurred, strict=True):
            if risk.cost:
                cost += hit * risk.cost
        return np.asarray(cost + constant + net.fixed_cost, dtype=np.float64)

    def _levels(self, rng: np.random.Generator, c: int) -> npt.NDArray[np.integer[Any]]:
        """Table indices per variable job (a row each): independent, or through a Gaussian
        copula when tasks are correlated."""
        count = len(self.level_row)
        if self.groups is None:
            return rng.integers(0, LEVELS, size=(count, c), dtype=np.uint16)
        out = np.empty((count, c), dtype=np.intp)
        rho = self.options.correlation
        shared = {g: rng.standard_normal(c) for g in sorted(set(self.groups.values()))}
        for j, k in self.level_row.items():
            group = self.groups.get(j)
            if group is None:
                out[k] = rng.integers(0, LEVELS, c)
                continue
            z = math.sqrt(rho) * shared[group] + math.sqrt(1 - rho) * rng.standard_normal(c)
            out[k] = level_of(special.ndtr(z))
        return out

    # -- network mode ------------------------------------------------------------------------

    def _forward(self, dur: Sequence[Ints | int], c: int, merge: bool) -> tuple[Ints, Ints]:
        net = self.net
        if c == self.buffer_size and len(self.starts_buffer) == self.n:
            starts, ends = self.starts_buffer, self.ends_buffer
        else:
            starts = np.empty((self.n, c), dtype=np.int32)
            ends = np.empty((self.n, c), dtype=np.int32)
        scratch = np.empty(c, dtype=np.int32)
        rows_s, rows_e = list(starts), list(ends)  # row views made once, not per link
        plain_links, release, skip = self.plain_links, net.release, self.skip
        # The inner loop of the forecaster: a few numpy calls per job, none when avoidable.
        for j in net.order:
            s = rows_s[j]
            d = dur[j]
            sums = self.merge_bounds.get(j) if merge else None
            plain = plain_links[j]
            if plain is not None and sums is None:
                # Finish-to-start or start-to-start without lags: compare the rows directly.
                if not plain:
                    s.fill(release[j])
                else:
                    p, is_end = plain[0]
                    first = rows_e[p] if is_end else rows_s[p]
                    if len(plain) == 1:
                        np.copyto(s, first)
                    else:
                        p, is_end = plain[1]
                        np.maximum(first, rows_e[p] if is_end else rows_s[p], out=s)
                        for p, is_end in plain[2:]:
                            np.maximum(s, rows_e[p] if is_end else rows_s[p], out=s)
            else:
                incoming = net.incoming[j]
                if not incoming:
                    s.fill(release[j])
                for k, (p, kind, lag) in enumerate(incoming):
                    out = s if k == 0 else scratch
                    if kind == FS:
                        np.add(rows_e[p], lag, out=out)
                    elif kind == SS:
                        np.add(rows_s[p], lag, out=out)
                    else:
                        np.subtract(rows_e[p] if kind == FF else rows_s[p], d, out=out)
                        if lag:
                            out += lag
                    if sums is not None:
                        sums[k] += out.sum(dtype=np.int64)
                    if k:
                        np.maximum(s, scratch, out=s)
                if incoming and self.clamp[j]:
                    np.maximum(s, release[j], out=s)  # never before the release, nor day 0
            if sums is not None:
                self.merge_max[j] += s.sum(dtype=np.int64)
            days_off = skip[j]
            if days_off is not None:
                _skip_days_off(s, d, days_off)
            np.add(s, d, out=rows_e[j])
        return starts, ends

    def _trace(
        self,
        starts: Ints,
        ends: Ints,
        dur: Sequence[Ints | int],
        finish: Ints,
        waits: Ints | None,
    ) -> tuple[Flags, Flags]:
        """Which jobs are critical (on any chain of binding constraints to the finish), and
        one driving path per iteration (for the drivers, so parallel paths are not counted
        twice)."""
        net = self.net
        n, c = starts.shape
        incoming = net.network_incoming if waits is not None else net.incoming
        if c == self.buffer_size and len(self.crit_buffer) == n:
            crit, path = self.crit_buffer, self.path_buffer
            path.fill(False)
        else:
            crit = np.zeros((n, c), dtype=np.bool_)
            path = np.zeros((n, c), dtype=np.bool_)
        columns = np.arange(c)
        unclaimed = np.ones(c, dtype=np.bool_)  # iterations whose path has no end job yet
        bound = np.empty(c, dtype=np.int32)
        tight = np.empty(c, dtype=np.bool_)
        hand = np.empty(c, dtype=np.bool_)
        order = net.order if self.leveller is None else self.leveller.order
        np.equal(ends, finish, out=crit)  # whatever ends with the program is critical
        rows_s, rows_e, rows_c, rows_p = list(starts), list(ends), list(crit), list(path)
        plain_links = self.plain_links if waits is None else [None] * n
        left = c  # iterations whose driving path has not found its last job yet
        for j in reversed(order):
            cj = rows_c[j]
            if not np.count_nonzero(cj):
                continue
            pj = rows_p[j]
            if left:
                np.logical_and(rows_e[j] == finish, unclaimed, out=hand)
                pj |= hand
                unclaimed &= ~hand
                left = int(np.count_nonzero(unclaimed))
            open_path = pj.copy()
            on_path = np.count_nonzero(open_path)
            s = rows_s[j]
            plain = plain_links[j]
            links = (
                [(p, FS if is_end else SS, 0) for p, is_end in plain]
                if plain is not None
                else incoming[j]
            )
            d = dur[j]
            for p, kind, lag in links:
                if lag == 0 and kind <= SS:
                    np.equal(rows_e[p] if kind == FS else rows_s[p], s, out=tight)
                else:
                    if kind == FS:
                        np.add(rows_e[p], lag, out=bound)
                    elif kind == SS:
                        np.add(rows_s[p], lag, out=bound)
                    else:
                        np.subtract(rows_e[p] if kind == FF else rows_s[p], d, out=bound)
                        bound += lag
                    np.equal(bound, s, out=tight)
                if on_path:
                    np.logical_and(open_path, tight, out=hand)
                    rows_p[p] |= hand
                    open_path &= ~hand
                    on_path = np.count_nonzero(open_path)
                np.logical_and(tight, cj, out=tight)
                np.logical_or(rows_c[p], tight, out=rows_c[p])
            if waits is not None:
                held = waits[j]
                waited = held >= 0
                if np.count_nonzero(waited):
                    mask = cj & waited
                    crit[held[mask], columns[mask]] = True
                    mask = open_path & waited
                    path[held[mask], columns[mask]] = True
        return crit, path

    # -- resource mode -----------------------------------------------------------------------

    def _relevel(
        self,
        levels: npt.NDArray[np.integer[Any]],
        delays: list[Ints | None],
        c: int,
    ) -> tuple[Ints, Ints, Ints, Ints]:
        """Each iteration scheduled afresh: durations drawn per mode (a half-time person takes
        twice as long over the same drawn work), risks added, one serial SGS pass."""
        net = self.net
        assert self.leveller is not None
        n = self.n
        starts = np.empty((n, c), dtype=np.int32)
        ends = np.empty((n, c), dtype=np.int32)
        chosen = np.empty((n, c), dtype=np.int32)
        waits = np.full((n, c), -1, dtype=np.int32)
        extra: dict[int, Ints] = {}
        for j in self.varying:
            for r in self.risk_jobs[j]:
                delay = delays[r]
                assert delay is not None
                extra[j] = extra[j] + delay if j in extra else delay.copy()
        problem = net.problem
        fixed = [[mode.duration for mode in job.modes] for job in problem.jobs]
        drawn: dict[int, list[list[int]]] = {}  # job -> per mode, per iteration
        for j, k in self.level_row.items():
            drawn[j] = [
                table[levels[k]].tolist() if table is not None else [fixed[j][m]] * c
                for m, table in enumerate(net.mode_tables[j])
            ]
        extras = {j: e.tolist() for j, e in extra.items()}
        for it in range(c):
            durations = [
                [row[it] for row in drawn[j]] if j in drawn else fixed[j] for j in range(n)
            ]
            for j, e in extras.items():
                if e[it]:
                    durations[j] = [d + e[it] for d in durations[j]]
            s, e_, modes = self.leveller.run(durations)
            starts[:, it] = s
            ends[:, it] = e_
            chosen[:, it] = [durations[j][modes[j]] for j in range(n)]
            _waits(problem, self.leveller.order, s, e_, modes, waits[:, it])
        return starts, ends, chosen, waits

    # -- results -----------------------------------------------------------------------------

    def result(self, seconds: float) -> Forecast:
        plan, grid, net = self.plan, self.grid, self.net
        n_iter = self.iterations
        det_finish = int(self.deterministic.max(initial=0))
        finish_f = self.finish.astype(np.float64)
        mean_finish = float(finish_f.mean())
        sd_finish = float(finish_f.std())
        mean_e = self.sum_e / n_iter
        items = [self._item(item, self.item_ends[i], mean_e) for i, item in enumerate(self.items)]
        program = self._item(
            _Item("program", plan.program.name, "program", None, None, tuple(range(self.n))),
            self.finish,
            mean_e,
        )
        # One vectorised conversion for every task's mean finish (date_of per task is slow).
        finish_dates = grid.dates_of(np.maximum(np.ceil(mean_e).astype(np.int64) - 1, 0))
        task_finish = finish_dates.astype(object)
        tasks = []
        for j, ref in enumerate(self.refs):
            if ref.kind == "start":
                continue
            task = plan.task_by_id[ref.task]
            mean_d = self.sum_d[j] / n_iter if net.tables[j] is not None else float(net.base[j])
            var_d = (
                max(0.0, self.sum_d2[j] / n_iter - mean_d**2) if net.tables[j] is not None else 0
            )
            crit = self.crit[j] / n_iter
            cruciality = 0.0
            if var_d > 0 and sd_finish > 0:
                cov = self.sum_df[j] / n_iter - mean_d * mean_finish
                cruciality = cov / math.sqrt(var_d) / sd_finish
            tasks.append(
                TaskForecast(
                    id=task.id,
                    title=task.title,
                    criticality=crit,
                    cruciality=cruciality,
                    sensitivity=crit * math.sqrt(var_d) / sd_finish if sd_finish > 0 else 0.0,
                    planned_days=net.base[j],
                    mean_days=mean_d,
                    mean_finish=task_finish[j],
                )
            )
        delay = mean_finish - det_finish
        drivers = [
            DriverContribution(
                "task",
                self.refs[j].task,
                plan.task_by_id[self.refs[j].task].title,
                self.path_excess[j] / n_iter,
                0.0,
            )
            for j in range(self.n)
            if self.path_excess[j]
        ]
        drivers += [
            DriverContribution("risk", risk.id, risk.title, self.risk_path[r] / n_iter, 0.0)
            for r, risk in enumerate(net.risks)
            if self.risk_path[r]
        ]
        explained = sum(d.days for d in drivers)
        rest = delay - explained
        if abs(rest) >= 0.005:
            drivers.append(
                DriverContribution(
                    "merge",
                    "merge-bias",
                    "merge bias, path switching and waits for time off",
                    rest,
                    0.0,
                )
            )
        scale = delay if abs(delay) > 1e-9 else 1.0
        drivers = sorted(
            (DriverContribution(d.kind, d.id, d.title, d.days, d.days / scale) for d in drivers),
            key=lambda d: (-abs(d.days), d.kind, d.id),
        )
        risks = tuple(
            RiskForecast(
                risk.id,
                risk.title,
                risk.probability,
                self.risk_occurred[r] / n_iter,
                self.risk_path[r] / n_iter,
            )
            for r, risk in enumerate(net.risks)
        )
        return Forecast(
            iterations=n_iter,
            seed=self.options.seed,
            distribution=self.options.distribution.value,
            mode="resources" if self.leveller else "network",
            start=grid.date_of(0),
            finish=program,
            milestones=tuple(i for i in items if i.kind != "task"),
            watched=tuple(i for i in items if i.kind == "task"),
            tasks=tuple(sorted(tasks, key=lambda t: (-t.criticality, t.id))),
            drivers=tuple(drivers),
            risks=risks,
            cost=self._cost(),
            convergence=_convergence(self.finish),
            seconds=seconds,
        )

    def _item(self, item: _Item, ends: Ints, mean_e: npt.NDArray[np.float64]) -> ItemForecast:
        grid = self.grid
        # Ends are whole days in a narrow range: one count per day gives the S-curve and
        # every percentile (the first day by which that share of iterations is done).
        low = int(ends.min())
        counts = np.bincount(ends - low)
        cumulative = np.cumsum(counts) / len(ends)
        days = np.flatnonzero(counts)
        dates = grid.dates_of(np.maximum(days + low - 1, 0)).astype(object)  # datetime.date
        curve = tuple(map(CurvePoint, dates, cumulative[days].tolist()))
        values = [low + int(np.searchsorted(cumulative, q - 1e-12)) for q in _QUANTILES]
        quantile_dates = grid.dates_of(np.maximum(np.array(values) - 1, 0)).astype(object)
        planned = int(self.deterministic[list(item.jobs)].max(initial=0))
        mean = float(ends.mean())
        if len(item.jobs) == 1 and item.jobs[0] in self.merge_bounds:
            j = item.jobs[0]
            bias = (self.merge_max[j] - self.merge_bounds[j].max()) / self.iterations
        else:
            bias = mean - float(mean_e[list(item.jobs)].max(initial=0))
        return ItemForecast(
            id=item.id,
            title=item.title,
            kind=item.kind,
            deadline=item.deadline,
            planned=_date(grid, planned),
            p10=quantile_dates[0],
            p50=quantile_dates[1],
            p80=quantile_dates[2],
            p95=quantile_dates[3],
            mean_days=mean,
            probability_on_time=None if item.due is None else float((ends <= item.due).mean()),
            merge_bias_days=max(0.0, bias),
            curve=curve,
        )

    def _cost(self) -> CostForecast | None:
        if self.cost is None:
            return None
        net, plan = self.net, self.plan
        planned = (
            float(sum(b * c for b, c in zip(net.base, net.day_cost, strict=True))) + net.fixed_cost
        )
        p50, p80, p95 = np.quantile(self.cost, (0.5, 0.8, 0.95), method="inverted_cdf")
        budget = float(plan.program.budget) if plan.program.budget is not None else None
        return CostForecast(
            currency=plan.program.currency,
            planned=planned,
            mean=float(self.cost.mean()),
            p50=float(p50),
            p80=float(p80),
            p95=float(p95),
            budget=budget,
            probability_within_budget=None
            if budget is None
            else float((self.cost <= budget).mean()),
        )


# -- helpers ----------------------------------------------------------------------------------


def _buffer(shape: tuple[int, int], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """A chunk buffer, its memory committed up front: on virtual machines, faulting fresh
    pages in one at a time costs more than the simulation itself."""
    size = max(1, shape[0] * shape[1] * np.dtype(dtype).itemsize)
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if not populate or size < 1 << 20:
        return np.empty(shape, dtype=dtype)
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate)
    return np.frombuffer(memory, dtype=dtype, count=shape[0] * shape[1]).reshape(shape)


def _chunk_size(iterations: int, largest: int) -> int:
    """Equal chunks of at most ``largest`` iterations, an even number of them when there are
    several, so two workers get the same work."""
    count = -(-iterations // largest)
    if count > 1 and count % 2:
        count += 1
    return -(-iterations // count)


def _shared(shape: tuple[int, ...], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """Zeroed memory that a forked worker writes into directly."""
    count = math.prod(shape)
    size = max(1, count * np.dtype(dtype).itemsize)
    memory = mmap.mmap(-1, size, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    return np.frombuffer(memory, dtype=dtype, count=count).reshape(shape)


def _workers(wanted: int | None, chunks: int, cells: int) -> int:
    """Two processes when there are cores and work enough to pay for a fork (about 0.1 s)."""
    if wanted is not None:
        return max(1, min(wanted, 2, chunks))
    if chunks < 2 or cells < _PARALLEL_CELLS:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def _date(grid: WorkGrid, end: int) -> dt.date:
    """The date of a finish at exclusive end index ``end`` (a zero-length job is dated with the
    work it closes, as the scheduler does)."""
    return grid.date_of(max(end - 1, 0))


@dataclass(frozen=True, slots=True)
class _DaysOff:
    spans: tuple[tuple[int, int], ...]  # sorted, disjoint, each ending after the job's earliest
    longest: int  # the most days the job can take


def _skip_days_off(s: Ints, d: Ints | int, off: _DaysOff) -> None:
    """Move starts so that [s, s + d) misses every span of days off."""
    reach = int(s.max()) + off.longest
    for a, b in off.spans:
        if a >= reach:
            break
        hit = (s < b) & (s + d > a)
        if np.count_nonzero(hit):
            s[hit] = b
            reach = max(reach, b + off.longest)


def _waits(
    problem: Problem,
    order: Sequence[int],
    starts: list[int],
    ends: list[int],
    modes: list[int],
    out: Ints,
) -> None:
    """For each job, the job placed before it (in the levelling order) that held one of its
    people until the moment it started: what it waited for."""
    held_until: dict[tuple[int, int], int] = {}
    for j in order:
        demands = problem.jobs[j].modes[modes[j]].demands
        for r, _ in demands:
            held = held_until.get((r, starts[j]))
            if held is not None:
                out[j] = held
                break
        if ends[j] > starts[j]:
            for r, _ in demands:
                held_until[(r, ends[j])] = j


def _items(
    plan: Plan, solved: SolvedPlan, grid: WorkGrid, watch: tuple[str, ...] = ()
) -> list[_Item]:
    built = solved.built
    items: list[_Item] = []
    watched = set(watch)
    for task in plan.tasks:
        if not (task.milestone or task.deadline):
            if task.id in watched and not task.is_summary:
                job = built.finish_job(task.id)
                if job >= 0:
                    items.append(_Item(task.id, task.title, "task", None, None, (job,)))
            continue
        job = built.finish_job(task.id)
        if job < 0:
            continue
        due = grid.index_on_or_before(task.deadline) + 1 if task.deadline else None
        kind: ItemKind = "milestone" if task.milestone else "deadline"
        items.append(_Item(task.id, task.title, kind, task.deadline, due, (job,)))
    for release in plan.releases:
        jobs = tuple(j for j in (built.finish_job(t) for t in release.includes) if j >= 0)
        if not jobs:
            continue
        due = grid.index_on_or_before(release.date) + 1 if release.date else None
        items.append(_Item(release.id, release.title, "release", release.date, due, jobs))
    return items


def _groups(plan: Plan, solved: SolvedPlan, options: ForecastOptions) -> dict[int, str]:
    """Job -> correlation group (its team, or its first tag)."""
    out: dict[int, str] = {}
    for j, ref in enumerate(solved.built.refs):
        task = plan.task_by_id[ref.task]
        key = task.team if options.correlate_by == "team" else (task.tags[0] if task.tags else None)
        if key:
            out[j] = key
    return out


def _convergence(finish: Ints) -> Convergence:
    """Checkpoints on a geometric scale: the first after which the P80's 95 % confidence
    interval (order statistics of a binomial) stays within +-1 % of the P80."""
    n_total = len(finish)
    checkpoints: list[int] = []
    n = 100
    while n < n_total:
        checkpoints.append(n)
        n = int(n * 1.25) + 1
    checkpoints.append(n_total)
    stable_after: int | None = None
    half = 0.0
    percent = 0.0
    for n in checkpoints:
        half, p80 = _p80_halfwidth(finish[:n])
        percent = 100 * half / max(p80, 1)
        stable_after = stable_after or n if percent <= 1.0 else None
    if stable_after is not None:
        statement = (
            f"P80 stable within ±1 % at 95 % confidence after {stable_after:,} iterations "
            f"(±{half:.1f} working days at {n_total:,})"
        )
    else:
        statement = (
            f"P80 not yet stable within ±1 %: ±{percent:.1f} % (±{half:.1f} working days) "
            f"at 95 % confidence after {n_total:,} iterations; run more"
        )
    return Convergence(stable_after, half, percent, statement)


def _p80_halfwidth(sample: Ints) -> tuple[float, float]:
    n = len(sample)
    spread = 1.959964 * math.sqrt(n * 0.8 * 0.2)
    lo = max(0, math.floor(n * 0.8 - spread) - 1)
    hi = min(n - 1, math.ceil(n * 0.8 + spread) - 1)
    mid = min(n - 1, max(0, math.ceil(n * 0.8) - 1))
    part = np.partition(sample, (lo, mid, hi))
    return (float(part[hi]) - float(part[lo])) / 2, float(part[mid])
