"""Property-based: whatever text arrives, the loader returns a plan or diagnostics, never raises."""

from __future__ import annotations

import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ontrack.planfile import load_plan_text
from tests.conftest import FIXTURES

SEED_PLAN = (FIXTURES / "plans" / "clean.yaml").read_text(encoding="utf-8")
SEED_LINES = SEED_PLAN.splitlines(keepends=True)

_FRAGMENTS = [
    "id",
    "title",
    "estimate",
    "depends",
    "tasks",
    "milestone",
    "- ",
    ": ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "<<: *a",
    "!!python/object:os.system",
    "!x ",
    "---",
    "...",
    "\t",
    "\x00",
    "3d/1d/2d",
    "2026-02-30",
    "-1d",
    "150%",
    "'",
    '"',
    "#",
    "\n",
    "  ",
    "?",
    "|",
    ">",
    "%",
]


def assert_returns(text: str) -> None:
    plan, diagnostics = load_plan_text(text, "fuzz.yaml")
    assert plan is not None or any(d.is_error for d in diagnostics)
    for d in diagnostics:
        assert d.code[0] in "EW" and d.code[1:].isdigit()
        assert d.loc.file == "fuzz.yaml"
        assert d.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=string.printable + "éü€\u2028", max_size=400))
def test_random_text(text: str) -> None:
    assert_returns(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_plan(data: st.DataObject) -> None:
    lines = list(SEED_LINES)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "insert", "replace", "indent"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "indent":
            lines[index] = data.draw(st.sampled_from(["  ", " ", ""])) + lines[index].lstrip()
        else:
            fragment = data.draw(st.sampled_from(_FRAGMENTS))
            line = lines[index]
            cut = data.draw(st.integers(0, len(line)))
            lines[index] = line[:cut] + fragment + (line[cut:] if action == "insert" else "\n")
    assert_returns("".join(lines))


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.dates(),
    st.sampled_from(["3d", "1d/2d/3d", "30%"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "title",
                    "estimate",
                    "depends",
                    "tasks",
                    "skills",
                    "people",
                    "program",
                    "name",
                    "start",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "program",
                "calendar",
                "calendars",
                "people",
                "teams",
                "tasks",
                "risks",
                "releases",
                "stakeholders",
                "junk",
            ]
        ),
        _values,
        max_size=6,
    )
)
def test_random_structures(data: dict[str, object]) -> None:
    assert_returns(yaml.safe_dump(data, sort_keys=False))
