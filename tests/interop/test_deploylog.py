"""Deployment and incident logs: what is read, and every problem as a code at a line."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ontrack.engines.dora import dora
from ontrack.interop.deploylog import read_deployments, read_incidents

CODE = re.compile(r"^[EW]47\d$")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_deployments_with_default_ids_and_zones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.csv",
        "service,commit,environment,time\n"
        "api,abc123,production,2026-03-02T10:00:00+02:00\n"
        "\n"
        "web,def456,staging,2026-03-02\n",
    )
    deployments, problems = read_deployments(path)
    assert problems == []
    first, second = deployments
    assert (first.id, first.version, first.result) == ("L2", "abc123", "success")
    assert first.time == dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    assert (second.id, second.time, second.loc.line) == (
        "L4",
        dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        4,
    )


def test_csv_deployment_problems_have_codes_and_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.csv",
        "id,service,version,environment,time,result\n"
        "d1,api,abc,production,yesterday,success\n"
        "d2,api,abc,production,2026-03-02,rolled-back\n"
        "d3,api,,production,2026-03-02,success\n"
        "d3,api,abc,production,2026-03-02,success\n"
        "d3,api,abc,production,2026-03-03,success\n",
    )
    deployments, problems = read_deployments(path)
    assert deployments == []
    assert [(d.code, d.loc.line, d.loc.col) for d in problems] == [
        ("E472", 2, 23),
        ("E472", 3, 34),
        ("E471", 4, 1),
        ("E473", 6, 1),
    ]


def test_unknown_column_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "service,verison,environment,time\n")
    _, problems = read_deployments(path)
    assert [(d.code, d.loc.line, d.loc.col) for d in problems] == [("E476", 1, 9)]
    assert "version" in problems[0].hint


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    assert [d.code for d in read_deployments(tmp_path / "missing.csv")[1]] == ["E470"]
    assert [d.code for d in read_deployments(write(tmp_path, "e.csv", "\n"))[1]] == ["E470"]
    (tmp_path / "bin.csv").write_bytes(b"service\n\xff\xfe\n")
    assert [(d.code, d.loc.line) for d in read_deployments(tmp_path / "bin.csv")[1]] == [
        ("E470", 2)
    ]


def test_json_incidents(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "i.json",
        "[\n"
        '  {"id": "i1", "service": "api", "started": "2026-03-02T10:00:00Z",\n'
        '   "resolved": "2026-03-02T12:00:00Z", "caused_by": ["d1", "d2"]},\n'
        '  {"id": "i2", "service": "api", "started": "2026-03-03T10:00:00Z", "resolved": null,\n'
        '   "caused_by": "d3; d4"}\n'
        "]\n",
    )
    incidents, problems = read_incidents(path)
    assert problems == []
    assert [(i.id, i.caused_by, i.resolved is None, i.loc.line) for i in incidents] == [
        ("i1", ("d1", "d2"), False, 2),
        ("i2", ("d3", "d4"), True, 4),
    ]


def test_json_problems(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "i.json",
        "[\n"
        '  {"id": "i1", "service": "api", "started": "2026-03-02T10:00:00Z",\n'
        '   "resolved": "2026-03-01T12:00:00Z"},\n'
        '  {"id": "i2", "service": "api", "strated": "2026-03-03"},\n'
        '  {"id": "i3", "service": "api"}\n'
        "]\n",
    )
    _, problems = read_incidents(path)
    assert [(d.code, d.loc.line) for d in problems] == [("E476", 4)]
    path = write(
        tmp_path,
        "j.json",
        "[\n"
        '  {"id": "i1", "service": "api", "started": "2026-03-02T10:00:00Z",\n'
        '   "resolved": "2026-03-01T12:00:00Z"},\n'
        '  {"id": "i3", "service": "api"}\n'
        "]\n",
    )
    _, problems = read_incidents(path)
    assert [(d.code, d.loc.line) for d in problems] == [("E474", 3), ("E471", 4)]
    assert [d.code for d in read_incidents(write(tmp_path, "k.json", '{"id": 1}'))[1]] == ["E470"]
    assert [d.code for d in read_incidents(write(tmp_path, "l.json", "[{"))[1]] == ["E470"]


def test_times_outside_the_horizon_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.csv",
        "service,version,environment,time\n"
        "api,a,production,0001-01-01T00:00:00+05:00\n"
        "api,a,production,9999-12-31T23:00:00-05:00\n"
        "api,a,production,2301-01-01\n",
    )
    _, problems = read_deployments(path)
    assert [(d.code, d.loc.line) for d in problems] == [("E472", 2), ("E472", 3), ("E472", 4)]


cell = st.text(alphabet=st.sampled_from(list("ab1;:-TZ+0 ,\"'\n\x00é")), max_size=12)
stamp = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 30)).map(
    lambda t: t.isoformat()
)


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    deploys=st.lists(
        st.tuples(
            st.sampled_from(["d1", "d2", "d3", ""]),
            st.sampled_from(["api", "web"]),
            st.one_of(stamp, cell),
            st.sampled_from(["success", "failure", "ok"]),
        ),
        max_size=8,
    ),
    incidents=st.lists(
        st.tuples(
            st.sampled_from(["i1", "i2"]),
            st.one_of(stamp, cell),
            st.one_of(stamp, st.just("")),
            st.sampled_from(["d1", "d1;d2", "d9", ""]),
        ),
        max_size=4,
    ),
)
def test_any_log_ends_in_a_report_or_coded_diagnostics(
    deploys: list[tuple[str, str, str, str]], incidents: list[tuple[str, str, str, str]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        d_path = Path(folder) / "d.csv"
        rows = [
            ",".join((i, s, "abc", "production", t.replace(",", " "), r)) for i, s, t, r in deploys
        ]
        d_path.write_text("id,service,version,environment,time,result\n" + "\n".join(rows))
        i_path = Path(folder) / "i.csv"
        lines = [",".join((i, "api", s.replace(",", " "), e, c)) for i, s, e, c in incidents]
        i_path.write_text("id,service,started,resolved,caused_by\n" + "\n".join(lines))
        found, problems = read_deployments(d_path)
        hits, more = read_incidents(i_path)
        assert all(CODE.match(d.code) for d in [*problems, *more])
        shipped = {d.id: () for d in found}
        report = dora(found, hits, shipped, period="month")
        assert all(CODE.match(d.code) for d in report.diagnostics)
        rate = report.overall.total.change_fail_rate
        assert rate is None or 0 <= rate <= 1
