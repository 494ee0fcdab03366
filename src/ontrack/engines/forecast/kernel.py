"""The simulation of a chunk of iterations compiled with numba: durations from the lookup tables,
forward dates, critical flags, the driving path and every per-task sum, one iteration at a time
in machine code, blocks of iterations on all cores.

It computes exactly what the numpy implementation in ``montecarlo`` does (the tests run both and
compare). The numpy one walks the network with a numpy call per job and link on a chunk of
iterations, so Python overhead and whole-chunk intermediate arrays dominate; here nothing leaves
the core but the per-task sums, the per-iteration finishes and the milestones' dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

FS, SS, FF, SF = 0, 1, 2, 3

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Network:
    """The network and what varies in it, as flat arrays (CSR lists per job)."""

    order: I32
    in_ptr: I32
    in_pred: I32
    in_kind: npt.NDArray[np.int8]
    in_lag: I32
    release: I32
    base: I32
    draw_col: I32  # job -> its column of levels, or -1 when its duration is fixed
    table_start: I32  # column -> where its day table starts in flat_tables
    flat_tables: I32
    risk_ptr: I32  # job -> the risks that lengthen it
    risk_of: I32
    off_ptr: I32  # job -> its people's days off (spans sorted by start)
    off_a: I32
    off_b: I32
    item_ptr: I32  # milestone/release -> its jobs
    item_job: I32
    var_col: I32  # job -> its column among the varying jobs (sums are kept for those), or -1
    merge: npt.NDArray[np.bool_]  # jobs whose input paths' means are kept (merge bias)
    plain: npt.NDArray[np.bool_]  # jobs whose links are all finish-to-start without lags


@dataclass(frozen=True, slots=True)
class Sums:
    """Per block of iterations (summed by the caller), per job or risk or link."""

    crit: I64
    ends: I64
    d: I64
    d2: I64
    df: I64
    excess: I64
    risk_path: I64
    link: I64
    merge_max: I64


def _simulate(  # pragma: no cover - compiled; tested through the simulation
    order: Any,
    in_ptr: Any,
    in_pred: Any,
    in_kind: Any,
    in_lag: Any,
    release: Any,
    base: Any,
    draw_col: Any,
    table_start: Any,
    flat_tables: Any,
    risk_ptr: Any,
    risk_of: Any,
    off_ptr: Any,
    off_a: Any,
    off_b: Any,
    item_ptr: Any,
    item_job: Any,
    var_col: Any,
    merge: Any,
    plain: Any,
    levels: Any,
    scratch: Any,
    delays: Any,
    finish_out: Any,
    item_out: Any,
    dur_out: Any,
    crit_sum: Any,
    ends_sum: Any,
    d_sum: Any,
    d2_sum: Any,
    df_sum: Any,
    excess_sum: Any,
    risk_path_sum: Any,
    link_sum: Any,
    merge_max_sum: Any,
) -> None:
    c = levels.shape[1]
    n = order.shape[0]
    blocks = crit_sum.shape[0]
    size = (c + blocks - 1) // blocks
    for block in numba.prange(blocks):
        lo = block * size
        hi = min(c, lo + size)
        s_row = np.empty(n, dtype=np.int32)
        e_row = np.empty(n, dtype=np.int32)
        d_row = np.empty(n, dtype=np.int32)
        c_row = np.empty(n, dtype=np.bool_)
        p_row = np.empty(n, dtype=np.bool_)
        # The block's drawn durations first, one table at a time: a table stays in cache for
        # all its lookups (thousands of tables would not, looked up job by job).
        drawn = scratch[block]
        for col in range(levels.shape[0]):
            start = table_start[col]
            for it in range(lo, hi):
                drawn[col, it - lo] = flat_tables[start + levels[col, it]]
        for it in range(lo, hi):
            # Forward: durations, then the earliest start each job's links and days off allow.
            for k in range(n):
                j = order[k]
                col = draw_col[j]
                d = base[j] if col < 0 else drawn[col, it - lo]
                for q in range(risk_ptr[j], risk_ptr[j + 1]):
                    d += delays[it, risk_of[q]]
                d_row[j] = d
                t = release[j]
                if plain[j]:  # finish-to-start without lags, the common case
                    for q in range(in_ptr[j], in_ptr[j + 1]):
                        v = e_row[in_pred[q]]
                        t = max(t, v)
                else:
                    for q in range(in_ptr[j], in_ptr[j + 1]):
                        p = in_pred[q]
                        kind = in_kind[q]
                        if kind == 0:
                            v = e_row[p] + in_lag[q]
                        elif kind == 1:
                            v = s_row[p] + in_lag[q]
                        elif kind == 2:
                            v = e_row[p] + in_lag[q] - d
                        else:
                            v = s_row[p] + in_lag[q] - d
                        if merge[j]:
                            link_sum[block, q] += v
                        t = max(t, v)
                    if merge[j]:
                        merge_max_sum[block, j] += t
                for q in range(off_ptr[j], off_ptr[j + 1]):
                    a = off_a[q]
                    if a >= t + d:
                        break
                    if t < off_b[q] and t + d > a:
                        t = off_b[q]
                s_row[j] = t
                e_row[j] = t + d
            finish = 0
            for j in range(n):
                finish = max(finish, e_row[j])
            finish_out[it] = finish
            for i in range(item_ptr.shape[0] - 1):
                latest = 0
                for q in range(item_ptr[i], item_ptr[i + 1]):
                    latest = max(latest, e_row[item_job[q]])
                item_out[it, i] = latest
            # Backward: critical jobs (on a chain of binding links to the finish) and one
            # driving path (handed to the first binding link only).
            for j in range(n):
                c_row[j] = e_row[j] == finish
                p_row[j] = False
            claimed = False
            for k in range(n - 1, -1, -1):
                j = order[k]
                if not c_row[j]:
                    continue
                if not claimed and e_row[j] == finish:
                    p_row[j] = True
                    claimed = True
                open_path = p_row[j]
                d = d_row[j]
                sj = s_row[j]
                for q in range(in_ptr[j], in_ptr[j + 1]):
                    p = in_pred[q]
                    kind = in_kind[q]
                    if kind == 0:
                        v = e_row[p] + in_lag[q]
                    elif kind == 1:
                        v = s_row[p] + in_lag[q]
                    elif kind == 2:
                        v = e_row[p] + in_lag[q] - d
                    else:
                        v = s_row[p] + in_lag[q] - d
                    if v == sj:
                        c_row[p] = True
                        if open_path:
                            p_row[p] = True
                            open_path = False
            # Sums.
            for j in range(n):
                ends_sum[block, j] += e_row[j]
                if c_row[j]:
                    crit_sum[block, j] += 1
                if var_col[j] < 0:
                    continue
                d = d_row[j]
                dur_out[it, var_col[j]] = d
                d_sum[block, j] += d
                d2_sum[block, j] += d * d
                df_sum[block, j] += d * finish
                if p_row[j]:
                    own = d - base[j]
                    for q in range(risk_ptr[j], risk_ptr[j + 1]):
                        delay = delays[it, risk_of[q]]
                        risk_path_sum[block, risk_of[q]] += delay
                        own -= delay
                    if draw_col[j] >= 0:
                        excess_sum[block, j] += own


# Compiled on first use and cached beside this file: seconds once per install, then instant.
simulate_kernel = numba.njit(parallel=True, cache=True, nogil=True)(_simulate)


def scratch_shape(drawn: int, iterations: int) -> tuple[int, int, int]:
    """The buffer ``run`` needs for ``drawn`` jobs and chunks of ``iterations``: allocate it
    once (fresh memory costs a page fault per 4 KB, on virtual machines more than the work)."""
    b = blocks()
    return b, drawn, (iterations + b - 1) // b


def blocks() -> int:
    """Blocks of iterations per chunk: one per core (each block reads every table once)."""
    return max(1, int(numba.get_num_threads()))


def run(
    net: Network,
    levels: npt.NDArray[np.uint16],
    scratch: I32,
    delays: I32,
    finish_out: I32,
    item_out: I32,
    dur_out: I32,
) -> Sums:
    """Simulate ``levels.shape[1]`` iterations (levels: one row per drawn job); outputs are
    filled, sums returned."""
    n = len(net.order)
    b = blocks()
    per_job = [np.zeros((b, n), dtype=np.int64) for _ in range(7)]
    sums = Sums(
        crit=per_job[0],
        ends=per_job[1],
        d=per_job[2],
        d2=per_job[3],
        df=per_job[4],
        excess=per_job[5],
        risk_path=np.zeros((b, delays.shape[1]), dtype=np.int64),
        link=np.zeros((b, len(net.in_pred)), dtype=np.int64),
        merge_max=per_job[6],
    )
    simulate_kernel(
        net.order,
        net.in_ptr,
        net.in_pred,
        net.in_kind,
        net.in_lag,
        net.release,
        net.base,
        net.draw_col,
        net.table_start,
        net.flat_tables,
        net.risk_ptr,
        net.risk_of,
        net.off_ptr,
        net.off_a,
        net.off_b,
        net.item_ptr,
        net.item_job,
        net.var_col,
        net.merge,
        net.plain,
        levels,
        scratch,
        delays,
        finish_out,
        item_out,
        dur_out,
        sums.crit,
        sums.ends,
        sums.d,
        sums.d2,
        sums.df,
        sums.excess,
        sums.risk_path,
        sums.link,
        sums.merge_max,
    )
    return sums


def csr(groups: Sequence[Sequence[Any]]) -> tuple[I32, I32]:
    """Lists per job (or item) as CSR arrays: pointers, and the flat values (of int lists)."""
    ptr = np.zeros(len(groups) + 1, dtype=np.int32)
    for j, g in enumerate(groups):
        ptr[j + 1] = ptr[j] + len(g)
    flat = np.array([x for g in groups for x in g if isinstance(x, int)], dtype=np.int32)
    return ptr, flat
