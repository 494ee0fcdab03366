"""The scheduling problem every backend solves, independent of where it came from.

A multi-mode resource-constrained project scheduling problem (MRCPSP) with generalised
precedence: jobs, each with one or more modes (a mode is "these people, this long"), renewable
resources with a capacity that may drop in some periods (time off, holidays of one person), and
FS/SS/FF/SF links with lags. A plan maps onto it (people are resources of capacity 1, a task's
modes are the people who could do it) and so does a PSPLIB instance (one mode, cumulative
resources), so both go through the same engines and the same feasibility checker.

Time is integer units (working days of the program calendar for plans). A job in mode ``m``
started at ``s`` occupies ``[s, s + duration)``; its end is ``s + duration`` (exclusive).

A *marker* is a zero-length job that holds nothing and sits exactly where its incoming links put
it, never before its release: a ``"last"`` marker at the latest of their bounds (a summary
task's finish: its last child's finish), a ``"first"`` marker at the earliest (a summary task's
start: its first child's start). Links into a ``"first"`` marker are alternatives (it waits for
one of them, not all), which plain links cannot say; every backend, the checker and the CPM
passes know both kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol


class LinkType(StrEnum):
    FS = "FS"  # succ.start >= pred.end + lag
    SS = "SS"  # succ.start >= pred.start + lag
    FF = "FF"  # succ.end   >= pred.end + lag
    SF = "SF"  # succ.end   >= pred.start + lag


Marker = Literal["first", "last"]


@dataclass(frozen=True, slots=True)
class Mode:
    """One way to do a job: how long it takes and what it holds while it runs."""

    duration: int
    demands: tuple[tuple[int, int], ...] = ()  # (resource index, units), each resource once


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    modes: tuple[Mode, ...]
    release: int = 0  # earliest start
    due: int | None = None  # end (exclusive) wanted by then; soft, see Objective
    weight: int = 1  # lateness weight (e.g. priority) for the lateness objective
    priority: int = 500  # 1..1000: heuristics schedule higher first among eligible jobs
    marker: Marker | None = None  # see the module doc; one zero-length mode with no demands


@dataclass(frozen=True, slots=True)
class Link:
    pred: int
    succ: int
    type: LinkType = LinkType.FS
    lag: int = 0


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    capacity: int
    # (start, end exclusive, units lost): capacity is capacity - units over [start, end).
    unavailable: tuple[tuple[int, int, int], ...] = ()


Objective = Literal["makespan", "lateness"]


@dataclass(frozen=True, slots=True)
class Problem:
    jobs: tuple[Job, ...]
    links: tuple[Link, ...] = ()
    resources: tuple[Resource, ...] = ()
    objective: Objective = "makespan"
    name: str = ""


Status = Literal["optimal", "feasible", "infeasible", "unknown"]


@dataclass(frozen=True, slots=True)
class Solution:
    """Start and mode of every job. ``lower_bound`` bounds the objective from below."""

    starts: tuple[int, ...]
    modes: tuple[int, ...]
    status: Status = "feasible"
    objective: int = 0
    lower_bound: int | None = None
    backend: str = ""
    seconds: float = 0.0
    stats: dict[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class SolveOptions:
    time_limit: float = 10.0  # seconds; the best solution found by then is returned
    seed: int = 0
    workers: int = 2
    hint: Solution | None = None  # a known feasible solution to start from
    # Called with (fraction done 0..1, best objective so far) on long solves.
    progress: Callable[[float, int | None], None] | None = field(default=None, compare=False)


class Backend(Protocol):
    """A scheduling backend: a pure function of the problem and the options."""

    name: str

    def solve(self, problem: Problem, options: SolveOptions) -> Solution: ...


# -- derived quantities used by every backend ------------------------------------------------


def ends(problem: Problem, starts: Sequence[int], modes: Sequence[int]) -> list[int]:
    return [
        s + job.modes[m].duration for job, s, m in zip(problem.jobs, starts, modes, strict=True)
    ]


def makespan(problem: Problem, starts: Sequence[int], modes: Sequence[int]) -> int:
    return max(ends(problem, starts, modes), default=0)


def lateness(problem: Problem, starts: Sequence[int], modes: Sequence[int]) -> int:
    """Weighted sum of how far jobs end past their due times."""
    return sum(
        job.weight * max(0, end - job.due)
        for job, end in zip(problem.jobs, ends(problem, starts, modes), strict=True)
        if job.due is not None
    )


def objective_value(problem: Problem, starts: Sequence[int], modes: Sequence[int]) -> int:
    if problem.objective == "lateness":
        return lateness(problem, starts, modes)
    return makespan(problem, starts, modes)


def link_holds(link: Link, starts: Sequence[int], job_ends: Sequence[int]) -> bool:
    a = starts[link.pred] if link.type in (LinkType.SS, LinkType.SF) else job_ends[link.pred]
    b = starts[link.succ] if link.type in (LinkType.FS, LinkType.SS) else job_ends[link.succ]
    return b >= a + link.lag


def marker_bound(link: Link, starts: Sequence[int], job_ends: Sequence[int]) -> int:
    """Where a link puts the start of its successor when that is a marker (zero-length, so its
    start and end are one)."""
    a = starts[link.pred] if link.type in (LinkType.SS, LinkType.SF) else job_ends[link.pred]
    return a + link.lag


def marker_start(job: Job, bounds: Sequence[int]) -> int:
    """A marker's start given its incoming links' bounds: the latest or the earliest of them,
    never before its release nor 0 (its release alone when it has no links)."""
    floor = max(0, job.release)
    if not bounds:
        return floor
    return max(floor, min(bounds) if job.marker == "first" else max(bounds))


def is_marker_shape(job: Job) -> bool:
    """A marker must be one zero-length mode that holds nothing."""
    return len(job.modes) == 1 and job.modes[0].duration == 0 and not job.modes[0].demands
