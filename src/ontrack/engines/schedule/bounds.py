"""Lower bounds on a schedule's objective, so a backend can tell when it has proven optimality.

All bounds are valid for every feasible schedule: they relax the problem (drop resources, or
drop precedence and pool the work) rather than estimate it. Cheap on purpose: linear or
``n log n`` in the size of the problem, so every solve can afford them.
"""

from __future__ import annotations

from collections.abc import Iterable

from ontrack.engines.schedule.problem import LinkType, Problem, Resource

_FROM_START = (LinkType.SS, LinkType.SF)


def topological_order(problem: Problem) -> list[int]:
    """Jobs ordered so every link's predecessor comes before its successor.

    Raises ValueError on a cycle or a link to a job that does not exist: every engine relies on
    the links forming a DAG (plans reject cycles before they get here).
    """
    n = len(problem.jobs)
    indegree = [0] * n
    successors: list[list[int]] = [[] for _ in range(n)]
    for link in problem.links:
        if not (0 <= link.pred < n and 0 <= link.succ < n):
            raise ValueError(f"link {link.pred}->{link.succ}: job index out of range")
        successors[link.pred].append(link.succ)
        indegree[link.succ] += 1
    order = [j for j in range(n) if indegree[j] == 0]
    for j in order:  # the list grows while we walk it (Kahn's algorithm)
        for s in successors[j]:
            indegree[s] -= 1
            if indegree[s] == 0:
                order.append(s)
    if len(order) != n:
        raise ValueError("the links form a cycle")
    return order


def earliest_times(problem: Problem) -> tuple[list[int], list[int]]:
    """Lower bounds on every job's start and end, ignoring resources (forward CPM pass).

    Modes are relaxed to a duration anywhere in [shortest, longest], which keeps the bounds
    valid when FF/SF links make a longer mode start earlier.
    """
    n = len(problem.jobs)
    shortest = [min((m.duration for m in job.modes), default=0) for job in problem.jobs]
    longest = [max((m.duration for m in job.modes), default=0) for job in problem.jobs]
    incoming: list[list[tuple[int, LinkType, int]]] = [[] for _ in range(n)]
    for link in problem.links:
        incoming[link.succ].append((link.pred, link.type, link.lag))
    es = [0] * n
    ef = [0] * n
    for j in topological_order(problem):
        start = max(0, problem.jobs[j].release)
        if problem.jobs[j].marker == "first" and incoming[j]:
            # The earliest of its links' bounds (zero-length: a start and an end are one).
            first = min(
                (es[p] if kind in _FROM_START else ef[p]) + lag for p, kind, lag in incoming[j]
            )
            es[j] = ef[j] = max(start, first)
            continue
        end = start
        for p, kind, lag in incoming[j]:
            if kind is LinkType.FS:
                start = max(start, ef[p] + lag)
            elif kind is LinkType.SS:
                start = max(start, es[p] + lag)
            elif kind is LinkType.FF:
                end = max(end, ef[p] + lag)
            else:
                end = max(end, es[p] + lag)
        es[j] = max(start, end - longest[j])
        ef[j] = max(es[j] + shortest[j], end)
    return es, ef


def critical_path_bound(problem: Problem) -> int:
    """Longest path through the links with each job at its shortest mode, from the releases."""
    return max(earliest_times(problem)[1], default=0)


def _lost(resource: Resource) -> list[tuple[int, int]]:
    """(time, change) steps of the capacity a resource has lost, at most its capacity."""
    changes: dict[int, int] = {}
    for first, end, units in resource.unavailable:
        begin = max(first, 0)
        if end > begin and units > 0:
            changes[begin] = changes.get(begin, 0) + units
            changes[end] = changes.get(end, 0) - units
    steps: list[tuple[int, int]] = []
    raw = clamped = 0
    for at in sorted(changes):
        raw += changes[at]
        now = min(max(raw, 0), max(resource.capacity, 0))
        if now != clamped:
            steps.append((at, now - clamped))
            clamped = now
    return steps


def _time_to_supply(capacity: int, lost: Iterable[tuple[int, int]], work: int) -> int | None:
    """Smallest T with ``work`` unit-days of free capacity in [0, T); None if never.

    ``lost`` holds (time, change) steps of the capacity lost, never more than is there.
    """
    if work <= 0:
        return 0
    changes: dict[int, int] = {}
    for at, change in lost:
        changes[at] = changes.get(at, 0) + change
    rate = max(capacity, 0)
    time = 0
    for at in sorted(changes):
        if rate and time + (work + rate - 1) // rate <= at:
            return time + (work + rate - 1) // rate
        work -= rate * (at - time)
        time = at
        rate -= changes[at]
    if rate <= 0:
        return None
    return time + (work + rate - 1) // rate


def resource_bound(problem: Problem) -> int:
    """Energy bound: work that must go through a resource cannot finish before its capacity
    has supplied it.

    Per resource: the jobs whose every mode uses it, each at its least work. Pooled over all
    resources too, which is what bounds a plan whose tasks can go to any of several people.
    Unavailable periods are subtracted exactly, so the bound stays valid with time off.
    """
    resources = problem.resources
    own = [0] * len(resources)
    pooled = 0
    for job in problem.jobs:
        if not job.modes:
            continue
        pooled += min(sum(u * m.duration for _, u in m.demands) for m in job.modes)
        common: dict[int, int] | None = None
        for mode in job.modes:
            needs = {r: u * mode.duration for r, u in mode.demands}
            common = (
                needs
                if common is None
                else {r: min(w, needs[r]) for r, w in common.items() if r in needs}
            )
        for r, w in (common or {}).items():
            if 0 <= r < len(resources):
                own[r] += w
    best = 0
    for resource, work in zip(resources, own, strict=True):
        t = _time_to_supply(resource.capacity, _lost(resource), work)
        best = max(best, t or 0)
    if len(resources) > 1:
        t = _time_to_supply(
            sum(r.capacity for r in resources),
            (step for r in resources for step in _lost(r)),
            pooled,
        )
        best = max(best, t or 0)
    return best


def makespan_lower_bound(problem: Problem) -> int:
    return max(critical_path_bound(problem), resource_bound(problem))


def lateness_lower_bound(problem: Problem) -> int | None:
    """Weighted lateness every job incurs even at its earliest possible end.

    None when a late job could reduce the objective (a negative weight): nothing bounds it then.
    """
    if any(job.weight < 0 and job.due is not None for job in problem.jobs):
        return None
    ef = earliest_times(problem)[1]
    return sum(
        job.weight * max(0, end - job.due)
        for job, end in zip(problem.jobs, ef, strict=True)
        if job.due is not None
    )


def objective_lower_bound(problem: Problem) -> int | None:
    """The lower bound for the problem's own objective."""
    if problem.objective == "lateness":
        return lateness_lower_bound(problem)
    return makespan_lower_bound(problem)
