"""The feasibility checker catches each kind of violation, and nothing else."""

from __future__ import annotations

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
