"""Feasibility checker: every schedule any backend returns must pass it (the tests make sure).

Independent of the backends on purpose: it re-derives capacity use from scratch with an event
sweep, so a bug in a solver's bookkeeping cannot hide behind the same bug here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ontrack.engines.schedule.problem import (
    Problem,
    ends,
    is_marker_shape,
    link_holds,
    marker_bound,
    marker_start,
)


def violations(problem: Problem, starts: Sequence[int], modes: Sequence[int]) -> list[str]:
    """Every way the schedule breaks the problem's rules; empty when it is feasible."""
    jobs = problem.jobs
    if len(starts) != len(jobs) or len(modes) != len(jobs):
        return [f"{len(starts)} starts and {len(modes)} modes for {len(jobs)} jobs"]
    found: list[str] = []
    for job, start, mode in zip(jobs, starts, modes, strict=True):
        if not 0 <= mode < len(job.modes):
            found.append(f"job {job.id}: mode {mode} does not exist")
        if start < max(0, job.release):
            found.append(f"job {job.id}: starts at {start}, before its release {job.release}")
    if found:
        return found
    job_ends = ends(problem, starts, modes)
    into: list[list[int]] = [[] for _ in jobs]
    for link in problem.links:
        into[link.succ].append(marker_bound(link, starts, job_ends))
        if jobs[link.succ].marker == "first":
            continue  # alternatives: checked below, as the marker's place
        if not link_holds(link, starts, job_ends):
            found.append(
                f"link {jobs[link.pred].id} -{link.type.value}{link.lag:+d}-> "
                f"{jobs[link.succ].id}: starts {starts[link.pred]},{starts[link.succ]} "
                f"ends {job_ends[link.pred]},{job_ends[link.succ]}"
            )
    for job, start, bounds in zip(jobs, starts, into, strict=True):
        if job.marker is None:
            continue
        if not is_marker_shape(job):
            found.append(f"marker {job.id}: not one zero-length mode that holds nothing")
        elif start != marker_start(job, bounds):
            found.append(
                f"marker {job.id}: starts at {start}, not at the {job.marker} of its links "
                f"({marker_start(job, bounds)})"
            )
    # Capacity: +units at a start, -units at an end, per resource; the sweep finds any overload.
    # Unavailability is swept apart so that overlapping periods never remove more than all of it.
    used: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    lost: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for job, start, mode in zip(jobs, starts, modes, strict=True):
        m = job.modes[mode]
        if m.duration <= 0:
            continue
        for resource, units in m.demands:
            used[resource][start] += units
            used[resource][start + m.duration] -= units
    for index, spec in enumerate(problem.resources):
        for begin, end, units in spec.unavailable:
            if end > begin:
                lost[index][begin] += units
                lost[index][end] -= units
    for index, changes in used.items():
        if not 0 <= index < len(problem.resources):
            found.append(f"resource index {index} does not exist")
            continue
        capacity = problem.resources[index].capacity
        level = gone = 0
        for time in sorted(set(changes) | set(lost[index])):
            level += changes.get(time, 0)
            gone += lost[index].get(time, 0)
            if level + min(gone, capacity) > capacity:
                found.append(
                    f"resource {problem.resources[index].id}: {level} units in use at {time}, "
                    f"capacity {capacity}"
                    + (f" less {min(gone, capacity)} unavailable" if gone else "")
                )
                break
    return found
