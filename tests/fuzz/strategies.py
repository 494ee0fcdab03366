"""Hypothesis strategies for hostile and careless input: plan documents whose every value may be
extreme, malformed or adversarial, and byte-level mutations of real files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "\x1b]0;pwned\x07",
    "\x1b[2J",
    "\u202eevil",
    "\u200b",
    '=HYPERLINK("http://x")',
    "+1+1",
    "@SUM(A1)",
    "<script>alert(1)</script>",
    "'; DROP TABLE tasks; --",
    "a" * 5000,
    "\ud800",
    "null",
    "~",
    "{{ 7*7 }}",
    "${HOME}",
]
BAD_DATES = [
    "2026-02-30",
    "2026-13-01",
    "9999-12-31",
    "0001-01-01",
    "1899-12-31",
    "2201-01-01",
    "not a date",
    "",
    "2026-1-5",
    "20260105",
]
BAD_DURATIONS = [
    "999999999999999d",
    "0d",
    "-1d",
    "1e9h",
    "0.0001h",
    "NaNd",
    "infd",
    "d",
    "5",
    "5x",
    "99999999d",
    "1/3d",
    "-0d",
    "2w",
    "4h",
    "1e308d",
    "5d/3d/1d",
    "1d/2d",
]
BAD_PERCENTS = [
    "0%",
    "0.0000001",
    "1e-9",
    "150%",
    "-5%",
    "abc",
    "100%",
    "50%",
    "1%",
    "nan",
    "inf",
    "99.999%",
]

text = st.one_of(st.text(max_size=30), st.sampled_from(HOSTILE_TEXT))
ident = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,5}", fullmatch=True),
    st.sampled_from(["a", "b", "c", "x y", "", "-", "ä", "a" * 300, "1", "\u202eid"]),
)
near = st.dates(min_value=dt.date(2025, 6, 1), max_value=dt.date(2027, 6, 1))
wide = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
date = st.one_of(
    near.map(dt.date.isoformat),
    near.map(dt.date.isoformat),
    wide.map(dt.date.isoformat),
    st.sampled_from(BAD_DATES),
)
date_range = st.one_of(
    date,
    st.tuples(date, date).map(lambda p: f"{p[0]}..{p[1]}"),
    st.sampled_from(["0001-01-01..9999-12-31", "2026-01-01..2025-01-01", "..", "2026-01-05.."]),
)
duration = st.one_of(
    st.integers(-3, 40).map(lambda n: f"{n}d"),
    st.integers(1, 80).map(lambda n: f"{n}h"),
    st.sampled_from(BAD_DURATIONS),
)
estimate = st.one_of(duration, st.tuples(duration, duration, duration).map("/".join))
percent: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(BAD_PERCENTS), st.floats(allow_nan=True), st.integers(-10, 1000)
)
number: st.SearchStrategy[Any] = st.one_of(
    st.integers(-(10**30), 10**30), st.floats(allow_nan=True, allow_infinity=True), text
)


GOOD_DURATIONS = st.one_of(st.integers(1, 15).map(lambda n: f"{n}d"), st.sampled_from(["4h", "2w"]))
GOOD_ESTIMATES = st.one_of(
    GOOD_DURATIONS,
    st.tuples(st.integers(1, 4), st.integers(0, 4), st.integers(0, 8)).map(
        lambda t: f"{t[0]}d/{t[0] + t[1]}d/{t[0] + t[1] + t[2]}d"
    ),
)
EXTREME_DURATIONS = st.sampled_from(
    ["999999999999999d", "99999999d", "0d", "1e9h", "0.0001h", "5000w", "1e308d", "3650d"]
)
EXTREME_DATES = st.sampled_from(
    ["9999-12-31", "0001-01-01", "1900-01-01", "2199-12-31", "9999-12-20", "2062-03-27"]
)
EXTREME_PERCENTS = st.sampled_from(["0.0000001", "1e-9", "0.001%", "1%", "100%", "0%"])
EXTREME_RANGES = st.sampled_from(
    ["0001-01-01..9999-12-31", "1900-01-01..2200-12-31", "2026-01-01..2125-12-31"]
)


@st.composite
def plan_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A plan as YAML data. One document in three is well formed; the others sprinkle extreme
    but well-formed values (huge durations, far dates, tiny allocations) or malformed ones over
    an otherwise sound plan, so the engines downstream see plans the loader accepted."""
    mode = draw(st.sampled_from(["sound", "extreme", "extreme", "malformed"]))
    chance = {"sound": 0, "extreme": 6, "malformed": 8}[mode]

    def val(
        good: st.SearchStrategy[Any], extreme: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]
    ) -> Any:
        if chance and draw(st.integers(0, chance)) == 0:
            return draw(extreme if mode == "extreme" else bad)
        return draw(good)

    start = draw(st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 1, 1)))
    good_date = st.integers(-20, 200).map(lambda n: (start + dt.timedelta(days=n)).isoformat())
    good_range = st.tuples(st.integers(0, 150), st.integers(0, 10)).map(
        lambda p: f"{start + dt.timedelta(days=p[0])}..{start + dt.timedelta(days=p[0] + p[1])}"
    )
    task_ids = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z0-9]{0,4}", fullmatch=True),
            min_size=1,
            max_size=14,
            unique=True,
        )
    )
    people_ids = draw(
        st.lists(st.sampled_from(["ann", "bob", "cy", "di"]), max_size=4, unique=True)
    )
    skills = ["be", "fe", "ops"]

    def some(key: str, value: Any, out: dict[str, Any]) -> None:
        if draw(st.booleans()):
            out[key] = value

    def person(pid: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": pid,
            "skills": draw(st.lists(st.sampled_from(skills), min_size=1, max_size=3)),
        }
        some(
            "allocation",
            val(
                st.sampled_from(["100%", "50%", "80%"]),
                EXTREME_PERCENTS,
                st.sampled_from(BAD_PERCENTS),
            ),
            out,
        )
        some(
            "rate",
            val(
                st.sampled_from(["850/day", "110/hour"]),
                st.sampled_from(["1e30/day", "0/day"]),
                st.sampled_from(["-1/day", "x"]),
            ),
            out,
        )
        some(
            "time_off",
            [val(good_range, EXTREME_RANGES, date_range) for _ in range(draw(st.integers(0, 2)))],
            out,
        )
        some("name", val(st.just(pid.title()), text, text), out)
        return out

    def link(earlier: list[str]) -> Any:
        # Links to earlier tasks keep the sound plans acyclic; the others may close a cycle.
        target = val(st.sampled_from(earlier), st.sampled_from(task_ids), ident)
        if draw(st.booleans()):
            return target
        return {
            "task": target,
            "type": val(
                st.sampled_from(["FS", "SS", "FF", "SF"]),
                st.sampled_from(["SS", "SF"]),
                st.sampled_from(["XX", ""]),
            ),
            "lag": val(
                st.sampled_from(["0d", "1d", "-1d", "2d", 0]),
                st.sampled_from(["99999999d", "-99999d", "3650d"]),
                duration,
            ),
        }

    def task(tid: str, depth: int, earlier: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": tid, "title": val(st.just(tid.upper()), text, text) or "t"}
        kind = draw(st.sampled_from(["estimate", "estimate", "estimate", "duration", "milestone"]))
        if kind == "milestone":
            out["milestone"] = True
        else:
            out[kind] = val(GOOD_ESTIMATES, EXTREME_DURATIONS, estimate)
        if len(earlier) > 0 and draw(st.booleans()):
            out["depends"] = [link(earlier) for _ in range(draw(st.integers(1, 2)))]
        some("skills", [draw(st.sampled_from(skills))], out)
        if people_ids and draw(st.integers(0, 3)) == 0:
            out["assignee"] = val(
                st.sampled_from(people_ids), st.just(people_ids), st.just("ghost")
            )
        if draw(st.integers(0, 3)) == 0:
            out["deadline"] = val(good_date, EXTREME_DATES, date)
        if draw(st.integers(0, 5)) == 0:
            out["start_no_earlier_than"] = val(good_date, EXTREME_DATES, date)
        if draw(st.integers(0, 5)) == 0:
            out["priority"] = val(
                st.integers(1, 1000), st.sampled_from([1, 1000]), st.integers(-5, 2000)
            )
        summary = depth < 2 and kind != "milestone" and draw(st.integers(0, 5)) == 0
        if summary:
            out.pop("estimate", None)
            out.pop("duration", None)
            out["tasks"] = [
                task(f"{tid}{i}", depth + 1, earlier) for i in range(draw(st.integers(1, 3)))
            ]
        elif draw(st.integers(0, 4)) == 0 and kind != "milestone":
            out["actual_start"] = val(good_date, EXTREME_DATES, date)
            if draw(st.booleans()):
                out["percent_complete"] = val(
                    st.sampled_from(["10%", "50%", "90%"]), EXTREME_PERCENTS, percent
                )
            elif draw(st.booleans()):
                out["actual_finish"] = val(good_date, EXTREME_DATES, date)
        if draw(st.integers(0, 6)) == 0:
            out["cost"] = val(st.integers(0, 50000), st.sampled_from([10**30, 0]), number)
        earlier.append(tid)
        return out

    program: dict[str, Any] = {
        "name": val(st.just("Fuzz"), text, text) or "P",
        "start": val(st.just(start.isoformat()), EXTREME_DATES, date),
    }
    if draw(st.integers(0, 3)) == 0:
        program["status_date"] = val(good_date, EXTREME_DATES, date)
    if draw(st.integers(0, 3)) == 0:
        program["budget"] = val(st.integers(1000, 10**6), st.sampled_from([10**30, 0]), number)
    if draw(st.integers(0, 4)) == 0:
        program["uncertainty"] = val(
            st.sampled_from(["20%", "-10%/+50%"]),
            st.sampled_from(["500%", "-100%/+0%", "0%"]),
            st.sampled_from(["x", "10"]),
        )
    doc: dict[str, Any] = {"program": program}
    if draw(st.booleans()):
        calendar: dict[str, Any] = {}
        some(
            "workweek",
            val(
                st.just(["mon", "tue", "wed", "thu", "fri"]),
                st.sampled_from([[], ["sun"], ["sat", "sun"]]),
                st.lists(st.sampled_from(["mon", "xyz"]), max_size=3),
            ),
            calendar,
        )
        some(
            "hours_per_day",
            val(
                st.sampled_from([8, 6, 7.5]),
                st.sampled_from([0.0001, 24, 1, 1e9]),
                st.one_of(st.integers(-1, 30), st.floats(0, 100)),
            ),
            calendar,
        )
        some(
            "holidays",
            [val(good_range, EXTREME_RANGES, date_range) for _ in range(draw(st.integers(0, 3)))],
            calendar,
        )
        doc["calendar"] = calendar
    doc["people"] = [person(p) for p in people_ids]
    earlier: list[str] = []
    doc["tasks"] = [task(t, 0, earlier) for t in task_ids]
    if draw(st.booleans()):
        doc["risks"] = [
            {
                "id": f"r{i}",
                "title": val(st.just("Risk"), text, text) or "r",
                "probability": val(
                    st.sampled_from(["30%", "70%", "10%"]),
                    st.sampled_from(["100%", "0%", "1e-9"]),
                    percent,
                ),
                "impact": val(GOOD_ESTIMATES, EXTREME_DURATIONS, estimate),
                "affects": draw(st.lists(st.sampled_from(task_ids), max_size=2)),
                "status": val(
                    st.sampled_from(["open", "occurred", "closed", "mitigating"]),
                    st.just("occurred"),
                    st.just("x"),
                ),
            }
            for i in range(draw(st.integers(0, 3)))
        ]
    if draw(st.integers(0, 2)) == 0:
        doc["releases"] = [
            {
                "id": "rel",
                "title": "R",
                "date": val(good_date, EXTREME_DATES, date),
                "includes": draw(st.lists(st.sampled_from(task_ids), min_size=1, max_size=3)),
            }
        ]
    return doc


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with a few random edits: bytes replaced, inserted, deleted or repeated."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        edit = draw(st.sampled_from(["replace", "insert", "delete", "repeat", "digits"]))
        chunk = draw(st.binary(min_size=1, max_size=6))
        if edit == "replace":
            data[at : at + len(chunk)] = chunk
        elif edit == "insert":
            data[at:at] = chunk
        elif edit == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif edit == "repeat":
            data[at:at] = data[at : at + 40] * draw(st.integers(2, 50))
        else:
            data[at:at] = draw(st.sampled_from([b"9" * 20, b"-1", b"1e308", b"nan", b"0"]))
    return bytes(data)
