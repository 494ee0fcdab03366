"""Critical path method over generalised links: early and late dates, total and free float.

Works on the scheduling problem with each job's mode chosen, so it serves both the pure network
(before anyone is assigned) and a levelled schedule (``starts`` given: floats are then measured
from the scheduled dates, as MS Project's slack is after levelling). Due dates enter the backward
pass, so a deadline that cannot be met shows as negative float — reported, never clamped.

A ``"first"`` marker (a summary's start) sits at the earliest of its links' bounds, so only the
links that set it (its first child, or children that tie) hold its predecessors back: the others
could slip without moving it, and neither their late dates nor their free float count it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ontrack.engines.schedule.bounds import topological_order
from ontrack.engines.schedule.problem import Link, LinkType, Problem


@dataclass(frozen=True, slots=True)
class CpmResult:
    early_start: tuple[int, ...]
    early_finish: tuple[int, ...]  # exclusive ends
    late_start: tuple[int, ...]
    late_finish: tuple[int, ...]
    total_float: tuple[int, ...]
    free_float: tuple[int, ...]
    project_end: int


def _start_bound(link: Link, pred_start: int, pred_end: int, succ_duration: int) -> int:
    """Earliest start of the successor that this link allows."""
    if link.type is LinkType.FS:
        return pred_end + link.lag
    if link.type is LinkType.SS:
        return pred_start + link.lag
    if link.type is LinkType.FF:
        return pred_end + link.lag - succ_duration
    return pred_start + link.lag - succ_duration  # SF


def _finish_bound(link: Link, succ_start: int, succ_end: int, pred_duration: int) -> int:
    """Latest end of the predecessor that this link allows."""
    if link.type is LinkType.FS:
        return succ_start - link.lag
    if link.type is LinkType.SS:
        return succ_start - link.lag + pred_duration
    if link.type is LinkType.FF:
        return succ_end - link.lag
    return succ_end - link.lag + pred_duration  # SF


def cpm(
    problem: Problem,
    modes: Sequence[int] | None = None,
    starts: Sequence[int] | None = None,
    project_end: int | None = None,
) -> CpmResult:
    """Forward and backward passes.

    ``modes`` picks each job's duration (default: its shortest mode). With ``starts`` the early
    dates are the given schedule; otherwise they come from the forward pass. ``project_end``
    defaults to the latest early finish.
    """
    jobs = problem.jobs
    n = len(jobs)
    if modes is None:
        duration = [min(m.duration for m in job.modes) for job in jobs]
    else:
        duration = [job.modes[m].duration for job, m in zip(jobs, modes, strict=True)]
    order = topological_order(problem)
    incoming: list[list[Link]] = [[] for _ in range(n)]
    outgoing: list[list[Link]] = [[] for _ in range(n)]
    for link in problem.links:
        incoming[link.succ].append(link)
        outgoing[link.pred].append(link)

    if starts is not None:
        es = list(starts)
    else:
        es = [0] * n
        for j in order:
            bounds = [
                _start_bound(link, es[link.pred], es[link.pred] + duration[link.pred], duration[j])
                for link in incoming[j]
            ]
            pick = min if jobs[j].marker == "first" else max
            es[j] = max(0, jobs[j].release, pick(bounds, default=0))
    ef = [s + d for s, d in zip(es, duration, strict=True)]

    def allowed(link: Link) -> int:
        return _start_bound(link, es[link.pred], ef[link.pred], duration[link.succ])

    # Per "first" marker: the earliest bound of its links, the one that sets it.
    earliest = {
        j: min(allowed(link) for link in incoming[j])
        for j in range(n)
        if jobs[j].marker == "first" and incoming[j]
    }

    def binding(link: Link) -> bool:
        """Whether the link holds its successor back (always, but for a "first" marker's)."""
        return link.succ not in earliest or allowed(link) <= earliest[link.succ]

    end = project_end if project_end is not None else max(ef, default=0)

    lf = [end] * n
    for j in reversed(order):
        bound = end
        due = jobs[j].due
        if due is not None:
            bound = min(bound, due)
        for link in outgoing[j]:
            if not binding(link):
                continue
            s = lf[link.succ] - duration[link.succ]
            bound = min(bound, _finish_bound(link, s, lf[link.succ], duration[j]))
        lf[j] = bound
    ls = [f - d for f, d in zip(lf, duration, strict=True)]
    total = [late - early for late, early in zip(ls, es, strict=True)]

    free = []
    for j in range(n):
        slack = end - ef[j]
        due = jobs[j].due
        if due is not None:
            slack = min(slack, due - ef[j])
        for link in outgoing[j]:
            if binding(link):
                slack = min(slack, es[link.succ] - allowed(link))
        free.append(slack)
    return CpmResult(tuple(es), tuple(ef), tuple(ls), tuple(lf), tuple(total), tuple(free), end)
