"""The GA's decoder for plans: several modes per job, capacity with time off, all link kinds.

``ga.py`` runs the same genetic algorithm on every problem it supports; a problem that is not
plain single-mode RCPSP (PSPLIB) is decoded here instead, by a compiled serial schedule
generation scheme that does what ``heuristic.py``'s ``_sgs`` does:

* Each job, in list order, in each of its usable modes, starts at the earliest time its links
  to the jobs already placed and the free capacity over its whole duration allow; the mode that
  ends first wins, then the one with less work (duration x units), then the lower index. The
  list is precedence-feasible, so FS/SS/FF/SF links with any lag are plain lower bounds on a
  start or an end.
* Capacity varies in time: a time-indexed usage profile, checked against the capacity less the
  units unavailable in that period (``base``, the unavailable periods as a time-indexed table).
* A ``"first"`` marker goes at the earliest of its links' bounds (not before its release); a
  ``"last"`` marker is an ordinary zero-length job.
* Forward-backward improvement keeps every job's mode: right-justify in mirrored time
  (t -> H - t: links reversed with SS and FF swapped, the unavailable periods mirrored, "first"
  markers as plain jobs, which is stricter than the truth and only orders the next pass), give
  up the round if a job would start before its release, then left-justify again. Only forward
  passes, feasible by construction, ever become the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

from ontrack.engines.schedule.heuristic import _compile, _rules
from ontrack.engines.schedule.problem import LinkType, Problem

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

_F = TypeVar("_F", bound=Callable[..., Any])

_FS, _SS, _FF, _SF = 0, 1, 2, 3
_KIND = {LinkType.FS: _FS, LinkType.SS: _SS, LinkType.FF: _FF, LinkType.SF: _SF}
_MIRROR = (_FS, _FF, _SS, _SF)
_NEVER = 1 << 62


def _jit(fn: _F) -> _F:
    return cast(_F, numba.njit(cache=True, nogil=True)(fn))


# The decoder's arrays, one tuple so that ga.py passes them through as one argument:
# (m_ptr, mdur, mwork, md_ptr, md_res, md_q, first, f_kind, b_kind, base). Modes are numbered
# globally: job j's are m_ptr[j] .. m_ptr[j + 1] - 1; mode m's demands are md_res/md_q from
# md_ptr[m] to md_ptr[m + 1]; base[t, r] is the units of r unavailable over [t, t + 1).
Modes = tuple[I64, I64, I64, I64, I64, I64, I64, I64, I64, I64]


@_jit
def _sgs_modes(
    order: I64,
    choose: bool,
    m_ptr: I64,
    mdur: I64,
    mwork: I64,
    md_ptr: I64,
    md_res: I64,
    md_q: I64,
    cap: I64,
    release: I64,
    first: I64,
    p_ptr: I64,
    p_idx: I64,
    p_kind: I64,
    p_lag: I64,
    base: I64,
    mirror: int,
    usage: I64,
    starts: I64,
    modes: I64,
) -> int:
    """Serial SGS; writes ``starts`` and (global) ``modes`` and returns the makespan, or -1 when
    the schedule would leave the usage profile (never expected: it is sized for the worst).
    With ``choose`` each job takes its best mode, else the one already in ``modes``. With
    ``mirror`` >= 0 time is mirrored about it: cell t has the unavailability of real cell
    mirror - 1 - t. ``usage`` is all zero before and after."""
    n = order.shape[0]
    cells = usage.shape[0]
    tb = base.shape[0]
    span = 0
    failed = False
    for k in range(n):
        j = order[k]
        if first[j] != 0:
            if p_ptr[j] == p_ptr[j + 1]:
                t = release[j]
            else:
                low = _NEVER
                for e in range(p_ptr[j], p_ptr[j + 1]):
                    i = p_idx[e]
                    kind = p_kind[e]
                    if kind in (_SS, _SF):
                        b = starts[i] + p_lag[e]
                    else:
                        b = starts[i] + mdur[modes[i]] + p_lag[e]
                    low = min(low, b)
                t = max(release[j], low)
            starts[j] = t
            modes[j] = m_ptr[j]
            span = max(span, t + mdur[m_ptr[j]])
            continue
        lo_s = release[j]
        lo_e = lo_s
        for e in range(p_ptr[j], p_ptr[j + 1]):
            i = p_idx[e]
            kind = p_kind[e]
            if kind == _FS:
                lo_s = max(lo_s, starts[i] + mdur[modes[i]] + p_lag[e])
            elif kind == _SS:
                lo_s = max(lo_s, starts[i] + p_lag[e])
            elif kind == _FF:
                lo_e = max(lo_e, starts[i] + mdur[modes[i]] + p_lag[e])
            else:
                lo_e = max(lo_e, starts[i] + p_lag[e])
        if choose:
            m0 = m_ptr[j]
            m1 = m_ptr[j + 1]
        else:
            m0 = modes[j]
            m1 = m0 + 1
        best_f = _NEVER
        best_w = 0
        best_m = m0
        for m in range(m0, m1):
            d = mdur[m]
            t = max(lo_s, lo_e - d)
            if d > 0 and md_ptr[m] < md_ptr[m + 1]:
                limit = best_f - d  # a later start cannot win, not even a tie
                if t > limit:
                    continue
                tau = t + d - 1
                while tau >= t:
                    if tau >= cells:
                        failed = True
                        break
                    idx = tau if mirror < 0 else mirror - 1 - tau
                    clash = False
                    for a in range(md_ptr[m], md_ptr[m + 1]):
                        r = md_res[a]
                        lost = base[idx, r] if 0 <= idx < tb else 0
                        if usage[tau, r] + lost + md_q[a] > cap[r]:
                            clash = True
                            break
                    if clash:
                        t = tau + 1
                        if t > limit:
                            break
                        tau = t + d - 1
                    else:
                        tau -= 1
                if failed:
                    break
                if t > limit:
                    continue
            f = t + d
            if f < best_f or (f == best_f and mwork[m] < best_w):
                best_f = f
                best_w = mwork[m]
                best_m = m
        if failed:
            break
        d = mdur[best_m]
        s = best_f - d
        for tau in range(s, best_f):
            for a in range(md_ptr[best_m], md_ptr[best_m + 1]):
                usage[tau, md_res[a]] += md_q[a]
        starts[j] = s
        modes[j] = best_m
        span = max(span, best_f)
    usage[: min(cells, max(span, 0) + 1)] = 0
    if failed:
        usage[:] = 0
        return -1
    return span


# -- the problem as arrays -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModeArrays:
    """What ``ga.py`` needs beyond its own arrays to run a plan's problem."""

    g: Modes
    original: tuple[tuple[int, ...], ...]  # per job: local mode index -> Problem mode index
    horizon: int  # rows of the usage profile: no schedule of a feasible list goes past it
    lft: F64  # latest finish times (the sampling values)
    rules: list[F64]  # keys of the seed lists


def mode_arrays(problem: Problem) -> ModeArrays | None:
    """The decoder's arrays, or None when some job has no mode that fits its resources."""
    c = _compile(problem)  # raises on cycles, bad indices, malformed markers
    if c is None:
        return None
    n = len(problem.jobs)
    n_res = max(1, len(problem.resources))
    cap = np.zeros(n_res, np.int64)
    for r, resource in enumerate(problem.resources):
        cap[r] = resource.capacity
    m_ptr = np.zeros(n + 1, np.int64)
    mdur: list[int] = []
    mwork: list[int] = []
    md_ptr = [0]
    md_res: list[int] = []
    md_q: list[int] = []
    for j, usable in enumerate(c.modes):
        for d, demands, work, _ in usable:
            mdur.append(d)
            mwork.append(work)
            for r, q in demands:
                md_res.append(r)
                md_q.append(q)
            md_ptr.append(len(md_res))
        m_ptr[j + 1] = len(mdur)
    last_off = 0
    for resource in problem.resources:
        for begin, end, units in resource.unavailable:
            if end > max(begin, 0) and units > 0:
                last_off = max(last_off, end)
    base = np.zeros((last_off, n_res), np.int64)
    for r, resource in enumerate(problem.resources):
        for begin, end, units in resource.unavailable:
            if end > max(begin, 0) and units > 0:
                base[max(begin, 0) : end, r] += units
    np.minimum(base, cap[None, :], out=base)
    f_kind = np.array([_KIND[link.type] for link in _by(problem, succ=True)], np.int64).reshape(-1)
    b_kind = np.array(
        [_MIRROR[_KIND[link.type]] for link in _by(problem, succ=False)], np.int64
    ).reshape(-1)
    horizon = (
        max(max(c.release, default=0), last_off)
        + sum(max(m[0] for m in usable) for usable in c.modes)
        + sum(max(0, link.lag) for link in problem.links)
        + 1
    )
    rules = _rules(problem, c)
    ties = np.arange(n) * 1e-9
    lft = np.array(dict(rules)["lft"], np.float64)
    g: Modes = (
        m_ptr,
        np.array(mdur, np.int64),
        np.array(mwork, np.int64),
        np.array(md_ptr, np.int64),
        np.array(md_res, np.int64),
        np.array(md_q, np.int64),
        np.array(c.first, np.int64),
        f_kind,
        b_kind,
        base,
    )
    return ModeArrays(
        g, c.original, horizon, lft, [np.array(v, np.float64) + ties for _, v in rules]
    )


def _by(problem: Problem, succ: bool) -> list[Any]:
    """The links in the order ga.py's CSR lists them: grouped by successor (the forward
    network) or by predecessor (the backward one), in problem order within a group."""
    n = len(problem.jobs)
    rows: list[list[Any]] = [[] for _ in range(n)]
    for link in problem.links:
        rows[link.succ if succ else link.pred].append(link)
    return [link for row in rows for link in row]
