"""PSPLIB reader: a real instance, the tables of best-known makespans, and broken files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ontrack.engines.schedule.problem import LinkType
from ontrack.interop.psplib import (
    PsplibError,
    parse_psplib,
    read_best_known,
    read_lower_bounds,
    read_psplib,
)
from tests.conftest import SHARED_DATA, needs_shared

PSPLIB = SHARED_DATA / "psplib"
J301_1 = PSPLIB / "j30" / "j301_1.sm"

pytestmark = needs_shared(PSPLIB, "the shared PSPLIB data")


def test_reads_a_j30_instance() -> None:
    problem = read_psplib(J301_1)
    assert problem.name == "j301_1"
    assert problem.objective == "makespan"
    assert len(problem.jobs) == 32  # the dummy source and sink included
    assert [job.id for job in problem.jobs] == [str(i) for i in range(1, 33)]
    assert [(r.id, r.capacity) for r in problem.resources] == [
        ("R1", 12),
        ("R2", 13),
        ("R3", 4),
        ("R4", 12),
    ]
    assert len(problem.links) == 48
    assert all(link.type is LinkType.FS and link.lag == 0 for link in problem.links)
    first_links = {(link.pred, link.succ) for link in problem.links if link.pred == 0}
    assert first_links == {(0, 1), (0, 2), (0, 3)}
    assert all(len(job.modes) == 1 for job in problem.jobs)
    assert problem.jobs[0].modes[0].duration == 0 and problem.jobs[-1].modes[0].duration == 0
    assert problem.jobs[1].modes[0].duration == 8
    assert problem.jobs[1].modes[0].demands == ((0, 4),)
    assert problem.jobs[3].modes[0].demands == ((3, 3),)


def test_reads_every_instance_of_every_set() -> None:
    for set_name, count, jobs in (("j30", 480, 32), ("j60", 480, 62), ("j120", 600, 122)):
        files = sorted((PSPLIB / set_name).glob("*.sm"))
        assert len(files) == count
        for path in files[::37]:
            assert len(read_psplib(path).jobs) == jobs


def test_best_known_tables() -> None:
    tables = PSPLIB / "tables"
    j30 = read_best_known(tables, "j30")
    assert len(j30) == 480 and j30["j301_1"] == 43 and j30["j3048_10"] == 54
    j120 = read_best_known(tables, "j120")
    assert len(j120) == 600 and j120["j1201_1"] == 105 and j120["j12060_10"] == 89
    lower = read_lower_bounds(tables, "j120")
    assert lower["j1201_1"] == 104 and lower["j1201_2"] == 109
    assert read_lower_bounds(tables, "j30") == j30  # j30's optima are proven


def corrupt(tmp_path: Path, pattern: str, replacement: str) -> tuple[Path, int]:
    """A copy of j301_1 with the first match of ``pattern`` (per line) replaced, and that line."""
    lines = J301_1.read_text(encoding="latin-1").splitlines()
    number = next(i for i, line in enumerate(lines) if re.search(pattern, line))
    lines[number] = re.sub(pattern, replacement, lines[number])
    path = tmp_path / "bad.sm"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return path, number + 1


@pytest.mark.parametrize(
    ("pattern", "replacement", "message"),
    [
        (r"^(   2 +1 +)3", r"\g<1>4", "successors"),  # job 2 claims 4 successors, lists 3
        (r"^(  31 +1 +1 +)32", r"\g<1>99", "not a job"),  # a successor that does not exist
        (r"^(  5 +1 +3 +3 +0 +0) +0$", r"\g<1>", "demands"),  # a demand missing
        (r"^(  9 +1 +2 +)6 ", r"\g<1>60 ", "capacity"),  # a demand above the capacity
        (r"^  7( +1 +5 +4)", r"  8\g<1>", "job 7"),  # rows out of order
        (r"^(   4 +1 +)3( +5)", r"\g<1>x\g<2>", "numbers"),  # not a number
    ],
)
def test_corrupt_file_names_the_line(
    tmp_path: Path, pattern: str, replacement: str, message: str
) -> None:
    path, line = corrupt(tmp_path, pattern, replacement)
    with pytest.raises(PsplibError) as caught:
        read_psplib(path)
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"line {line}: ")


def test_missing_section_is_an_error(tmp_path: Path) -> None:
    text = J301_1.read_text(encoding="latin-1")
    cut = text[: text.index("RESOURCEAVAILABILITIES")]
    with pytest.raises(PsplibError, match="RESOURCEAVAILABILITIES"):
        parse_psplib(cut)
    with pytest.raises(PsplibError, match="jobs"):
        parse_psplib("this is not a psplib file\n")


def test_multi_mode_files_are_refused() -> None:
    text = J301_1.read_text(encoding="latin-1")
    text = text.replace("   2        1          3", "   2        3          3", 1)
    with pytest.raises(PsplibError, match="single-mode"):
        parse_psplib(text)


def test_a_superscript_digit_is_a_psplib_error_not_a_crash() -> None:
    """Found by the fuzz suite's sibling readers: '²' passed str.isdigit() and crashed int()."""
    text = J301_1.read_text()
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[:1] == ["2"])
    lines[at] = lines[at].replace("2", "²", 1)
    with pytest.raises(PsplibError):  # a coded E401 in the CLI, never a bare ValueError
        parse_psplib("\n".join(lines))
