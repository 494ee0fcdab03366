"""R112 over-allocation: more work than people's time in a window, before levelling."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from ontrack.diagnostics import UNKNOWN_LOC
from ontrack.engines.calendar import unavailability_by_person
from ontrack.engines.risk.context import Context, fmt, pct, people_work, task_days_left
from ontrack.engines.risk.findings import Finding
from ontrack.engines.risk.register import Rating
from ontrack.engines.schedule.cpm import cpm
from ontrack.engines.schedule.planproblem import build_network, candidates

Floats = npt.NDArray[np.float64]


def _window_slices(start: int, end: int, a: int, width: int) -> Iterable[tuple[int, int]]:
    """(window, overlap days) of [start, end) with windows [a + k*width, a + (k+1)*width)."""
    if end <= start:
        return
    for k in range((start - a) // width, (end - 1 - a) // width + 1):
        lo, hi = a + k * width, a + (k + 1) * width
        days = min(end, hi) - max(start, lo)
        if days > 0:
            yield k, days


def over_allocation(ctx: Context) -> list[Finding]:
    """R112: in a window of ``window_days`` working days, the work that the unlevelled network
    puts there (every task at its early dates, its work spread evenly) exceeds what the people
    who can do it have (working days less time off, times allocation).

    Pools are the sets of people able to do each task and each team; a window is reported for
    the smallest overloaded pool only (if Priya alone is overloaded, Priya-and-Marcus is too).
    Severity is high when even the work that cannot move out of the window (energetic
    reasoning with the late dates) exceeds it: then levelling must delay the finish.
    """
    plan, opts = ctx.plan, ctx.options
    if ctx.schedule is None or not plan.people:
        return []
    network, _ = build_network(plan, ctx.grid, "makespan", ctx.status)
    if network is None:
        return []
    passes = cpm(network.problem)
    now = (
        ctx.grid.index_on_or_after(ctx.status.date + dt.timedelta(days=1))
        if ctx.status is not None
        else 0
    )
    width = max(1, opts.window_days)
    end = passes.project_end
    if end <= now:
        return []
    windows = math.ceil((end - now) / width)
    horizon = now + windows * width
    demand: dict[frozenset[str], Floats] = {}
    must: dict[frozenset[str], Floats] = {}
    contrib: dict[frozenset[str], dict[str, Floats]] = defaultdict(dict)
    for job, ref in enumerate(network.refs):
        if ref.kind != "task":
            continue
        task = plan.task_by_id[ref.task]
        if not people_work(task) or ctx.done(task.id):
            continue
        pool = frozenset(p.id for p in candidates(plan, task))
        if not pool:
            continue
        days = task_days_left(ctx, task)
        if task.estimate is None:  # a fixed duration holds its people throughout
            days *= max(1, len(task.assignees))
        es, ef = passes.early_start[job], passes.early_finish[job]
        ls = max(es, passes.late_start[job])
        length = ef - es
        if length <= 0 or days <= 0:
            continue
        rate = days / length
        row = demand.setdefault(pool, np.zeros(windows))
        must_row = must.setdefault(pool, np.zeros(windows))
        mine = np.zeros(windows)
        for k, overlap in _window_slices(es, ef, now, width):
            mine[k] += rate * overlap
        for k, _ in _window_slices(es, ls + length, now, width):
            lo, hi = now + k * width, now + (k + 1) * width
            early = max(0, min(hi, ef) - max(lo, es))
            late = max(0, min(hi, ls + length) - max(lo, ls))
            must_row[k] += rate * min(early, late)
        row += mine
        contrib[pool][task.id] = mine
    if not demand:
        return []
    off = unavailability_by_person(plan, ctx.grid, horizon)
    capacity: dict[str, Floats] = {}
    for person in plan.people:
        free = np.ones(horizon)
        for a, b in off.get(person.id, ()):
            free[a:b] = 0
        capacity[person.id] = free[now:].reshape(windows, width).sum(axis=1) * float(
            person.allocation
        )
    team_pools = {
        frozenset(m for m in team.members if m in capacity and capacity[m].any())
        for team in plan.teams
    }
    pools = sorted({*demand, *(p for p in team_pools if p)}, key=lambda p: (len(p), sorted(p)))
    sets = list(demand)
    over: dict[frozenset[str], tuple[Floats, Floats, Floats]] = {}
    for pool in pools:
        inside = [s for s in sets if s <= pool]
        if not inside:
            continue
        d = np.sum([demand[s] for s in inside], axis=0)
        m = np.sum([must[s] for s in inside], axis=0)
        c = np.sum([capacity[p] for p in pool], axis=0)
        over[pool] = (d, m, c)
    flagged: dict[frozenset[str], list[int]] = defaultdict(list)
    for k in range(windows):
        hot = [
            p
            for p, (d, _, c) in over.items()
            if d[k] > c[k] * opts.overload + 1e-9 and d[k] - c[k] >= 1
        ]
        for p in hot:
            if not any(q < p for q in hot):
                flagged[p].append(k)
    out = []
    for pool, ks in flagged.items():
        d, m, c = over[pool]
        runs: list[list[int]] = []
        for k in ks:
            if runs and runs[-1][-1] == k - 1:
                runs[-1].append(k)
            else:
                runs.append([k])
        for run in runs:
            dd, mm, cc = (float(x[run].sum()) for x in (d, m, c))
            first = ctx.grid.date_of(now + run[0] * width)
            last = ctx.grid.date_of(now + (run[-1] + 1) * width - 1)
            tasks: dict[str, float] = defaultdict(float)
            for s in (s for s in sets if s <= pool):
                for t, row in contrib[s].items():
                    share = float(row[run].sum())
                    if share > 0:
                        tasks[t] += share
            top = sorted(tasks.items(), key=lambda kv: (-kv[1], kv[0]))
            names = sorted(pool)
            per_day = cc / (len(run) * width) if cc > 0 else 0.0
            excess = dd - cc
            out.append(
                Finding(
                    "R112",
                    Rating.HIGH if mm > cc + 1e-9 else Rating.MEDIUM,
                    f"{', '.join(names)}: {fmt(dd)} days of work at early dates in {first}.."
                    f"{last} against {fmt(cc)} days available ({pct(dd / cc) if cc else '∞'})"
                    + (f"; {fmt(mm)} days of it cannot move" if mm > cc + 1e-9 else "")
                    + " ("
                    + ", ".join(t for t, _ in top[:3])
                    + (f" and {len(top) - 3} more" if len(top) > 3 else "")
                    + ")",
                    (*names, *(t for t, _ in top[:8])),
                    {
                        "people": names,
                        "from": first.isoformat(),
                        "to": last.isoformat(),
                        "demand_days": round(dd, 2),
                        "fixed_days": round(mm, 2),
                        "capacity_days": round(cc, 2),
                        "load": round(dd / cc, 3) if cc else None,
                        "tasks": [{"task": t, "days": round(v, 2)} for t, v in top[:8]],
                    },
                    "spread the work: give some of these tasks to people outside this group "
                    "(add the skill), stagger their start dates, or accept the later dates "
                    "levelling gives",
                    excess / per_day if per_day else float(len(run) * width),
                    plan.person_by_id[names[0]].loc
                    if names[0] in plan.person_by_id
                    else UNKNOWN_LOC,
                )
            )
    return out
