"""Lower bounds on a schedule's objective, so a backend can tell when it has proven optimality.

All bounds are valid for every feasible schedule: they relax the problem (drop resources, or
drop precedence and pool the work) rather than estimate it. Cheap on purpose: about ``n log n``
per resource and per pool of people, so every solve can afford them.

The energy bounds (:func:`energy_bound`) are what make the optimality gap of a levelled plan
mean something: a plan's longest path ignores that five backend tasks wait for the two people
who can do them. For each *pool* — the people some task could go to (its skills or team), and
every person alone — the tasks that only that pool can do must get their work from the pool's
capacity; and none of them can start before its earliest start (head) or leave less than its
tail (the longest path after it) to the end. So for every set of those tasks that start no
earlier than ``h``: ``h`` + the time the pool needs to supply their work + their least tail
bounds the makespan; and the same with sets of tasks whose tails are at least ``q``. Where a
pool mixes part-time and full-time people, work and capacity are also counted at each person's
speed (a half-time person supplies half a day's work a day): any non-negative weights give a
valid bound — the dual of the assignment LP — and speeds are the weights that make it tight.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

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


def _time_to_supply(
    capacity: int, lost: Iterable[tuple[int, int]], work: int, start: int = 0
) -> int | None:
    """Smallest T with ``work`` unit-days of free capacity in [start, T); None if never.

    ``lost`` holds (time, change) steps of the capacity lost, never more than is there.
    """
    if work <= 0:
        return start
    changes: dict[int, int] = {}
    for at, change in lost:
        changes[at] = changes.get(at, 0) + change
    rate = max(capacity, 0)
    time = start
    for at in sorted(changes):
        if at <= start:
            rate -= changes[at]
            continue
        if rate > 0 and time + (work + rate - 1) // rate <= at:
            return time + (work + rate - 1) // rate
        work -= max(rate, 0) * (at - time)
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


def tails(problem: Problem) -> list[int]:
    """Lower bounds on the time from each job's end to the end of the schedule (backward pass).

    Each link's successor must still run (at its shortest) and everything after it; links from
    the start of a job count from its start, so its longest mode is taken off. Links into a
    ``"first"`` marker bind nothing (the marker waits only for the earliest of them).
    """
    n = len(problem.jobs)
    shortest = [min((m.duration for m in job.modes), default=0) for job in problem.jobs]
    longest = [max((m.duration for m in job.modes), default=0) for job in problem.jobs]
    outgoing: list[list[tuple[int, LinkType, int]]] = [[] for _ in range(n)]
    for link in problem.links:
        if problem.jobs[link.succ].marker != "first":
            outgoing[link.pred].append((link.succ, link.type, link.lag))
    tail = [0] * n
    for j in reversed(topological_order(problem)):
        best = 0
        for k, kind, lag in outgoing[j]:
            after_end = lag + (shortest[k] if kind in (LinkType.FS, LinkType.SS) else 0) + tail[k]
            if kind in _FROM_START:
                after_end -= longest[j]
            best = max(best, after_end)
        tail[j] = best
    return tail


def _sweep(items: list[tuple[int, int, int]], capacity: int, lost: list[tuple[int, int]]) -> int:
    """The best least head + supply time + least tail over the (head, work, tail) items' sets
    of those starting no earlier than some h, and of those with tails of at least some q."""
    best = 0
    for key in (0, 2):  # by head, then by tail, largest first
        ordered = sorted(items, key=lambda item: -item[key])
        work, least_head, least_tail = 0, ordered[0][0], ordered[0][2]
        for i, item in enumerate(ordered):
            head, w, tail = item
            work += w
            least_head, least_tail = min(least_head, head), min(least_tail, tail)
            if i + 1 < len(ordered) and ordered[i + 1][key] == item[key]:
                continue  # the set is every item down to this threshold
            end = _time_to_supply(capacity, lost, work, least_head)
            if end is not None:
                best = max(best, end + least_tail)
    return best


def energy_bound(problem: Problem) -> int:
    """Energy with heads and tails, per resource and per pool of resources (module doc).

    A resource's own items are the jobs every mode of which uses it, at their least work on
    it. A pool is the set of resources a job's modes use between them; its items are the jobs
    whose every mode stays inside it, at their least total work.
    """
    resources = problem.resources
    if not resources or not problem.jobs:
        return 0
    es = earliest_times(problem)[0]
    tail = tails(problem)
    lost = [_lost(r) for r in resources]
    own: list[list[tuple[int, int, int]]] = [[] for _ in resources]
    by_mask: dict[int, list[tuple[int, int, int]]] = {}
    work_by_mode: dict[int, list[list[dict[int, int]]]] = {}  # mask -> per job, per mode
    for j, job in enumerate(problem.jobs):
        if not job.modes:
            continue
        mask = 0
        common: dict[int, int] | None = None
        least = None
        per_mode: list[dict[int, int]] = []
        for mode in job.modes:
            needs: dict[int, int] = {}
            for r, u in mode.demands:
                if 0 <= r < len(resources) and u > 0:
                    needs[r] = needs.get(r, 0) + u * mode.duration
                    mask |= 1 << r
            per_mode.append(needs)
            total = sum(needs.values())
            least = total if least is None else min(least, total)
            common = (
                needs
                if common is None
                else {r: min(w, needs[r]) for r, w in common.items() if r in needs}
            )
        for r, w in (common or {}).items():
            if w > 0:
                own[r].append((es[j], w, tail[j]))
        if least:
            by_mask.setdefault(mask, []).append((es[j], least, tail[j]))
            work_by_mode.setdefault(mask, []).append(per_mode)
    weight = _speeds(problem)
    best = 0
    for r, items in enumerate(own):
        if items:
            best = max(best, _sweep(items, resources[r].capacity, lost[r]))
    masks = sorted(by_mask)
    everyone = (1 << len(resources)) - 1
    pools = set(masks) | {everyone}
    for pool in pools:
        if pool & (pool - 1) == 0:
            continue  # one resource: its own items above cover at least these
        items = [item for m in masks if m & ~pool == 0 for item in by_mask[m]]
        if not items:
            continue
        members = [r for r in range(len(resources)) if pool >> r & 1]
        best = max(
            best,
            _sweep(
                items,
                sum(max(resources[r].capacity, 0) for r in members),
                [step for r in members for step in lost[r]],
            ),
        )
        if len({weight[r] for r in members}) > 1:
            # Part-timers in the pool: count each one's capacity and work at its speed.
            weighted = [
                (head, min(sum(weight[r] * w for r, w in needs.items()) for needs in modes), q)
                for m in masks
                if m & ~pool == 0
                for (head, _, q), modes in zip(by_mask[m], work_by_mode[m], strict=True)
            ]
            best = max(
                best,
                _sweep(
                    weighted,
                    sum(weight[r] * max(resources[r].capacity, 0) for r in members),
                    [(at, weight[r] * change) for r in members for at, change in lost[r]],
                ),
            )
    return best


_SPEED_UNITS = 16  # speeds in sixteenths: a half-time person's is 8


def _speeds(problem: Problem) -> list[int]:
    """An integer speed per resource: how much of a job's least duration it gets done per day,
    from the jobs it could do alone beside faster resources (a half-time person takes twice as
    long: 8 of 16). Any non-negative weights give a valid energy bound (a weighted sum of the
    capacities must supply the weighted work); speeds make it tight where people differ.
    """
    ratio = [Fraction(1)] * len(problem.resources)
    for job in problem.jobs:
        alone = [
            (m.demands[0][0], m.duration)
            for m in job.modes
            if len(m.demands) == 1 and m.demands[0][1] > 0 and m.duration > 0
        ]
        if len(alone) < 2:
            continue
        fastest = min(d for _, d in alone)
        for r, d in alone:
            if 0 <= r < len(ratio):
                ratio[r] = min(ratio[r], Fraction(fastest, d))
    return [max(1, round(x * _SPEED_UNITS)) for x in ratio]


def makespan_lower_bound(problem: Problem) -> int:
    return max(critical_path_bound(problem), resource_bound(problem), energy_bound(problem))


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
