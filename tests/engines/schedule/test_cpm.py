"""Critical path method: hand-computed passes over every link type, lags, leads and deadlines."""

from __future__ import annotations

import pytest

from ontrack.engines.schedule.cpm import cpm
from ontrack.engines.schedule.problem import Job, Link, LinkType, Mode, Problem


def job(name: str, duration: int, release: int = 0, due: int | None = None) -> Job:
    return Job(name, (Mode(duration),), release=release, due=due)


def test_chain_and_parallel_branch() -> None:
    # a(3) -> b(2) -> d(1); a -> c(1) -> d
    p = Problem(
        (job("a", 3), job("b", 2), job("c", 1), job("d", 1)),
        (Link(0, 1), Link(1, 3), Link(0, 2), Link(2, 3)),
    )
    r = cpm(p)
    assert r.early_start == (0, 3, 3, 5)
    assert r.early_finish == (3, 5, 4, 6)
    assert r.project_end == 6
    assert r.late_start == (0, 3, 4, 5)
    assert r.total_float == (0, 0, 1, 0)
    assert r.free_float == (0, 0, 1, 0)


@pytest.mark.parametrize(
    ("kind", "lag", "start_b"),
    [
        (LinkType.FS, 0, 4),
        (LinkType.FS, 2, 6),
        (LinkType.FS, -1, 3),
        (LinkType.SS, 1, 1),
        (LinkType.FF, 0, 2),
        (LinkType.FF, 1, 3),
        (LinkType.SF, 5, 3),
    ],
)
def test_link_types_and_lags(kind: LinkType, lag: int, start_b: int) -> None:
    # a lasts 4, b lasts 2
    p = Problem((job("a", 4), job("b", 2)), (Link(0, 1, kind, lag),))
    assert cpm(p).early_start[1] == start_b


def test_release_and_negative_float_from_a_deadline() -> None:
    p = Problem((job("a", 5, release=2), job("m", 0, due=4)), (Link(0, 1),))
    r = cpm(p)
    assert r.early_finish == (7, 7)
    assert r.total_float == (-3, -3)  # reported, not clamped


def test_floats_measured_from_a_levelled_schedule() -> None:
    p = Problem((job("a", 2), job("b", 2), job("c", 1)), (Link(0, 2), Link(1, 2)))
    # b was delayed by levelling to start at 2
    r = cpm(p, starts=[0, 2, 4])
    assert r.total_float == (2, 0, 0)
    assert r.free_float == (2, 0, 0)


def test_multi_mode_jobs_use_the_chosen_mode() -> None:
    p = Problem((Job("a", (Mode(5), Mode(2))), job("b", 1)), (Link(0, 1),))
    assert cpm(p).early_start[1] == 2  # shortest mode by default
    assert cpm(p, modes=[0, 0]).early_start[1] == 5


def test_cycles_are_refused() -> None:
    p = Problem((job("a", 1), job("b", 1)), (Link(0, 1), Link(1, 0)))
    with pytest.raises(ValueError, match="cycle"):
        cpm(p)


def test_a_first_marker_takes_the_earliest_link_and_holds_only_that_one() -> None:
    # a (2) and b (3) start the marker m (its earliest start); c starts a day after m.
    p = Problem(
        (
            job("a", 2, release=2),
            job("b", 3),
            Job("m", (Mode(0),), marker="first"),
            job("c", 1),
        ),
        (Link(0, 2, LinkType.SS), Link(1, 2, LinkType.SS), Link(2, 3, LinkType.SS, 1)),
    )
    r = cpm(p)
    assert r.early_start == (2, 0, 0, 1)
    assert r.project_end == 4
    # b sets m, so b's start is held by c's; a can slip to the end without moving m.
    assert r.total_float[1] == 1 and r.free_float[1] == 0
    assert r.total_float[0] == 0 and r.free_float[0] == 0  # a ends the program
    levelled = cpm(p, starts=[5, 0, 0, 1], project_end=8)
    assert levelled.total_float[0] == 1 and levelled.free_float[0] == 1
