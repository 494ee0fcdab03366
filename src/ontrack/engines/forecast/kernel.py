"""The network pass compiled with numba: forward dates, critical flags and the driving path of
every iteration, one iteration at a time in machine code, iterations spread over the cores.

It computes exactly what the numpy implementation in ``montecarlo`` does (the tests run both and
compare): the numpy one walks the network once per chunk with a numpy call per job and link,
which is Python overhead on every call; here the whole chunk is one call. Arrays are laid out
iteration-major, ``(iterations, jobs)``, so each iteration's pass reads contiguous memory.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

FS, SS, FF, SF = 0, 1, 2, 3


def _forward_trace(
    order: Any,
    in_ptr: Any,
    in_pred: Any,
    in_kind: Any,
    in_lag: Any,
    release: Any,
    base: Any,
    dur_row: Any,
    rows: Any,
    off_ptr: Any,
    off_a: Any,
    off_b: Any,
    starts: Any,
    ends: Any,
    durations: Any,
    crit: Any,
    path: Any,
) -> None:  # pragma: no cover - compiled; tested through the simulation
    c = starts.shape[0]
    n = order.shape[0]
    for it in numba.prange(c):
        s_row = starts[it]
        e_row = ends[it]
        d_row = durations[it]
        for k in range(n):
            j = order[k]
            r = dur_row[j]
            d = base[j] if r < 0 else rows[it, r]
            d_row[j] = d
            t = release[j]
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
                t = max(t, v)
            for q in range(off_ptr[j], off_ptr[j + 1]):
                a = off_a[q]
                if a >= t + d:
                    break
                b = off_b[q]
                if t < b and t + d > a:
                    t = b
            s_row[j] = t
            e_row[j] = t + d
        finish = 0
        for j in range(n):
            finish = max(finish, e_row[j])
        c_row = crit[it]
        p_row = path[it]
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


# Compiled on first use and cached beside this file: seconds once per install, then instant.
forward_trace = numba.njit(parallel=True, cache=True, nogil=True)(_forward_trace)


def pack(spans: list[tuple[tuple[int, int], ...]]) -> tuple[Any, Any, Any]:
    """Per-job spans as CSR arrays: pointers, starts, ends."""
    ptr = np.zeros(len(spans) + 1, dtype=np.int32)
    for j, s in enumerate(spans):
        ptr[j + 1] = ptr[j] + len(s)
    flat = [x for s in spans for x in s]
    a = np.array([x[0] for x in flat], dtype=np.int32)
    b = np.array([x[1] for x in flat], dtype=np.int32)
    return ptr, a, b
