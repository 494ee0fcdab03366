"""The feasibility checker catches each kind of violation, and nothing else."""

from __future__ import annotations

from dataclasses import replace

from ontrack.engines.schedule.check import violations
from ontrack.engines.schedule.problem import Job, Link, LinkType, Mode, Problem, Resource

UNARY = (Resource("ann", 1, ((4, 6, 1), (5, 7, 1))),)  # overlapping days off


def problem(*links: Link) -> Problem:
    jobs = (Job("a", (Mode(2, ((0, 1),)),)), Job("b", (Mode(2, ((0, 1),)),), release=1))
    return Problem(jobs, links, UNARY)


def test_feasible_schedule_passes_even_with_overlapping_days_off() -> None:
    assert violations(problem(Link(0, 1)), [0, 2], [0, 0]) == []
    assert violations(problem(), [0, 7], [0, 0]) == []


def test_each_kind_of_violation() -> None:
    assert any("link" in v for v in violations(problem(Link(0, 1, LinkType.FS, 1)), [0, 2], [0, 0]))
    assert any("capacity" in v for v in violations(problem(), [0, 1], [0, 0]))
    assert any("capacity" in v for v in violations(problem(), [0, 5], [0, 0]))  # on a day off
    assert any("release" in v for v in violations(problem(), [0, 0], [0, 0]))
    assert any("mode" in v for v in violations(problem(), [0, 2], [0, 3]))
    assert violations(problem(), [0], [0])


def markers() -> Problem:
    """a (2 days, ann, not before day 2) and b (3 days, ann) under a summary: its start is a
    "first" marker, its finish a "last" one; c (1 day, bob) starts a day after the summary."""
    jobs = (
        Job("a", (Mode(2, ((0, 1),)),), release=2),
        Job("b", (Mode(3, ((0, 1),)),)),
        Job("s:start", (Mode(0),), marker="first"),
        Job("s:finish", (Mode(0),), marker="last"),
        Job("c", (Mode(1, ((1, 1),)),)),
    )
    links = (
        Link(0, 2, LinkType.SS),
        Link(1, 2, LinkType.SS),
        Link(0, 3),
        Link(1, 3),
        Link(2, 4, LinkType.SS, 1),
    )
    return Problem(jobs, links, (Resource("ann", 1), Resource("bob", 1)))


def test_markers_sit_exactly_where_their_links_put_them() -> None:
    p = markers()
    assert violations(p, [3, 0, 0, 5, 1], [0] * 5) == []  # b first: the summary starts with b
    assert violations(p, [2, 4, 2, 7, 3], [0] * 5) == []  # a first
    # The start marker waits for one child only, not both ...
    late = violations(p, [3, 0, 3, 5, 4], [0] * 5)
    assert len(late) == 1 and "marker s:start" in late[0]
    # ... and is never before the first, which would let c start before the summary.
    early = violations(p, [2, 4, 0, 7, 1], [0] * 5)
    assert len(early) == 1 and "marker s:start" in early[0]
    assert any("marker s:finish" in v for v in violations(p, [3, 0, 0, 6, 1], [0] * 5))
    odd = replace(p, jobs=(*p.jobs[:3], replace(p.jobs[3], modes=(Mode(1),)), p.jobs[4]))
    assert any("zero-length" in v for v in violations(odd, [3, 0, 0, 5, 1], [0] * 5))
