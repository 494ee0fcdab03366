"""Property-based fuzzing of every entry point that takes outside input (docs: the hardening
issue). Each target asserts the harness's contract (tests/fuzz/harness.py): a result or coded
diagnostics, never an internal error, a hang or unbounded memory. `make test` runs the
derandomised ``ci`` profile; `make fuzz` the ``deep`` one for as long as it is given."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from ontrack.app.asof import resolve_as_of
from ontrack.app.assessment import AssessOptions, assess
from ontrack.cli.interchange import ExportFormat
from ontrack.cli.interchange import render as export
from ontrack.engines.evm import evm_series
from ontrack.engines.forecast.throughput import ForecastOptions, Question, forecast_export
from ontrack.interop.history import parse_history
from ontrack.interop.importer import parse_bytes, plan_from_import
from ontrack.interop.periods import parse_periods
from ontrack.interop.progressfile import read_progress
from ontrack.model import Plan
from ontrack.planfile import load_plan, load_plan_text
from ontrack.reports import render_report
from ontrack.reports.status import build_status
from ontrack.reports.status import render as render_status
from tests.conftest import EXAMPLES, SHARED_DATA
from tests.fuzz import strategies as fz
from tests.fuzz.harness import PROFILE, bounded, coded, either

SMALL = (EXAMPLES / "small" / "plan.yaml").read_bytes()
FAST = AssessOptions(iterations=64, time_limit=0.2)
STAMP = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


def downstream(plan: Plan, as_of: dt.date | None) -> None:
    """Everything a loaded plan goes through: the assessment (schedule, forecast, risks,
    audit), the HTML and status reports, and every export."""
    assessed, diagnostics = assess(plan, FAST, as_of=resolve_as_of(plan, (), as_of))
    if either(assessed, diagnostics) is None:
        return
    assert assessed is not None
    render_report(assessed.report)
    since = assessed.as_of.date - dt.timedelta(days=7)
    render_status(build_status(assessed.report, plan, since=since), "html")
    for fmt in ExportFormat:
        export(fmt, plan, assessed.schedule, assessed.forecast, stamp=STAMP)


def load_and_run(text: str, as_of: dt.date | None) -> None:
    plan, diagnostics = load_plan_text(text, "fuzz.yaml")
    coded(diagnostics)
    if plan is None:
        assert any(d.is_error for d in diagnostics)
        return
    if not any(d.is_error for d in diagnostics):
        downstream(plan, as_of)


@PROFILE
@given(doc=fz.plan_documents(), as_of=st.one_of(st.none(), fz.near))
def test_plan_documents(doc: dict[str, object], as_of: dt.date | None) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    with bounded("plan documents"):
        load_and_run(text, as_of)


@PROFILE
@given(data=fz.mutated(SMALL))
def test_mutated_plans(data: bytes) -> None:
    with bounded("mutated plans"):
        plan, diagnostics = load_plan_text(data.decode("utf-8", "replace"), "plan.yaml")
        coded(diagnostics)
        if plan is not None and not any(d.is_error for d in diagnostics):
            downstream(plan, None)


PROGRESS_HEADER = (
    "task,status_date,actual_start,actual_finish,percent_complete,remaining,actual_cost,note\n"
)
_plan, _ = load_plan(EXAMPLES / "small")
assert _plan is not None
SMALL_PLAN: Plan = _plan
TASK_IDS = [t.id for t in SMALL_PLAN.tasks]
cell = st.one_of(st.sampled_from(fz.BAD_DATES + fz.BAD_PERCENTS + fz.BAD_DURATIONS), fz.text)
progress_row = st.tuples(
    st.one_of(st.sampled_from(TASK_IDS), fz.ident),
    st.one_of(fz.date, cell),
    st.one_of(fz.date, st.just("")),
    st.one_of(fz.date, st.just("")),
    st.one_of(st.sampled_from(["", "50%", "100", "0", "-1", "1e9"]), cell),
    st.one_of(st.sampled_from(["", "2", "0.5", "-1", "1e30"]), cell),
    st.one_of(st.sampled_from(["", "100", "1e23", "-5", "nan"]), cell),
    fz.text,
)


@PROFILE
@given(
    rows=st.lists(progress_row, max_size=6),
    header=st.one_of(st.just(PROGRESS_HEADER), fz.text.map(lambda t: t + "\n")),
    yaml_form=st.booleans(),
)
def test_progress_files(rows: list[tuple[str, ...]], header: str, yaml_form: bool) -> None:
    if yaml_form:
        entries = [{"task": r[0], "actual_start": r[2], "percent_complete": r[4]} for r in rows]
        status = rows[0][1] if rows else "2026-02-02"
        body = yaml.safe_dump({"status_date": status, "tasks": entries}, allow_unicode=True)
        suffix = ".yaml"
    else:
        body = header + "".join(
            ",".join('"' + c.replace('"', '""') + '"' for c in row) + "\n" for row in rows
        )
        suffix = ".csv"
    with tempfile.TemporaryDirectory() as folder, bounded("progress files"):
        path = Path(folder) / f"progress{suffix}"
        path.write_text(body, encoding="utf-8", errors="surrogatepass")
        facts, diagnostics = read_progress(
            path,
            task_ids=TASK_IDS,
            hours_per_day=Fraction(8),
            latest=dt.date(2026, 12, 6),
        )
        coded(diagnostics)
        if facts and not any(d.is_error for d in diagnostics):
            assessed, more = assess(
                SMALL_PLAN,
                FAST,
                as_of=resolve_as_of(SMALL_PLAN, facts),
                facts=facts,
            )
            either(assessed, more)


history_row = st.tuples(
    st.one_of(fz.date, cell), st.one_of(fz.date, st.just(""), cell), st.one_of(fz.ident, cell)
)


@PROFILE
@given(
    rows=st.lists(history_row, max_size=40),
    items=st.one_of(st.none(), st.integers(-5, 10**9)),
    until=st.one_of(st.none(), fz.wide),
    start=st.one_of(st.none(), fz.wide, fz.near),
)
def test_history_files(
    rows: list[tuple[str, str, str]],
    items: int | None,
    until: dt.date | None,
    start: dt.date | None,
) -> None:
    text = "created,closed,type\n" + "".join(",".join(r).replace("\n", " ") + "\n" for r in rows)
    with bounded("history files"):
        history, diagnostics = parse_history(text, "history.csv")
        either(history, diagnostics)
        if history is None:
            return
        question = Question(items=items, until=None if items is not None else until, start=start)
        result, more = forecast_export(
            history.items, question, ForecastOptions(iterations=200), "history.csv"
        )
        either(result, more)


period_row = st.tuples(
    st.one_of(st.integers(-2, 60).map(str), cell),
    *[st.one_of(st.sampled_from(["0", "100", "1e30", "-5", "", "nan", "1,000.5"]), cell)] * 3,
)


@PROFILE
@given(rows=st.lists(period_row, max_size=12), dated=st.booleans())
def test_period_files(rows: list[tuple[str, ...]], dated: bool) -> None:
    header = "period,pv,ev,ac" + (",date" if dated else "") + "\n"
    body = "".join(
        ",".join(r) + (f",2026-0{1 + i % 9}-0{1 + i % 9}" if dated else "") + "\n"
        for i, r in enumerate(rows)
    )
    with bounded("period files"):
        points, diagnostics = parse_periods(header + body, "periods.csv")
        coded(diagnostics)
        if points and not any(d.is_error for d in diagnostics):
            series, more = evm_series(points)
            either(series, more)


def _samples(folder: str, suffix: str) -> list[bytes]:
    where = SHARED_DATA / "projects" / folder
    return [p.read_bytes() for p in sorted(where.glob(f"*{suffix}"))[:4]] if where.exists() else []


CSV_TASKS = (
    b"id,title,estimate,depends,parent,assignee,deadline\n"
    b"a,Design,3d,,,,\nb,Build,5d,a,,,2026-03-01\nc,Phase,,,,,\nd,Test,2d,b,c,,\n"
)
IMPORTS = [
    *(("mspdi", data) for data in _samples("mspdi", ".xml")),
    *(("xer", data) for data in _samples("xer", ".xer")),
    ("csv", CSV_TASKS),
]


@PROFILE
@given(choice=st.sampled_from(IMPORTS), data=st.data())
def test_imports(choice: tuple[str, bytes], data: st.DataObject) -> None:
    fmt, original = choice
    mutated = data.draw(fz.mutated(original))
    with bounded("imports"):
        imported, diagnostics = parse_bytes(mutated, f"fuzz.{fmt}", fmt)  # type: ignore[arg-type]
        if either(imported, diagnostics) is None:
            return
        assert imported is not None
        plan, more = plan_from_import(imported)
        coded(more)
        if plan is not None and not any(d.is_error for d in more) and len(plan.tasks) <= 400:
            assessed, problems = assess(plan, FAST, as_of=resolve_as_of(plan, (), None))
            either(assessed, problems)


def test_the_profile_is_the_one_asked_for() -> None:
    # `make test` runs the derandomised profile; `make fuzz` sets ONTRACK_FUZZ_PROFILE=deep.
    wanted = os.environ.get("ONTRACK_FUZZ_PROFILE", "ci")
    assert PROFILE.derandomize is (wanted == "ci")


_STORE: list[Path] = []


def _template_store() -> Path:
    """A store of the small example with a revision, a baseline and progress (made once)."""
    if not _STORE:
        from typer.testing import CliRunner

        from ontrack.cli.main import app

        folder = Path(tempfile.mkdtemp(prefix="ontrack-fuzz-store-"))
        db = folder / "store.db"
        plan = EXAMPLES / "small"
        status = folder / "status.csv"
        status.write_text(
            "task,status_date,actual_start,actual_finish,percent_complete\n"
            "funnel-analysis,2026-01-09,2026-01-05,2026-01-07,\n"
            "ux-research,2026-01-09,2026-01-05,,60%\n"
        )
        runner = CliRunner()
        for args in (
            ["apply", str(plan), "--db", str(db), "-m", "fuzz"],
            ["baseline", "set", "b", "--plan", str(plan), "--db", str(db), "--time-limit", "1"],
            ["progress", str(status), "--plan", str(plan), "--db", str(db)],
        ):
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output
        _STORE.append(db)
    return _STORE[0]


STORE_COLUMNS = [
    ("programs", "name"),
    ("revisions", "number"),
    ("revisions", "created_at"),
    ("revision_files", "content"),
    ("revision_files", "path"),
    ("baselines", "finish"),
    ("baselines", "cost"),
    ("baselines", "schedule"),
    ("progress", "status_date"),
    ("progress", "actual_start"),
    ("progress", "percent_complete"),
    ("progress", "remaining_days"),
    ("progress", "actual_cost"),
    ("progress", "task_id"),
]
stored_value: st.SearchStrategy[object] = st.one_of(
    fz.text,
    fz.number,
    st.binary(max_size=20),
    st.sampled_from(
        [
            "{}",
            "[]",
            '{"a": {"start": "x"}}',
            "null",
            "9999-12-31",
            "0001-01-01",
            "2026-02-30",
            '{"a": 1}',
            '{"a": {"start": "2026-01-05", "finish": 5}}',
        ]
    ),
    st.none(),
)


@PROFILE
@given(edits=st.lists(st.tuples(st.sampled_from(STORE_COLUMNS), stored_value), max_size=3))
def test_store_readers(edits: list[tuple[tuple[str, str], object]]) -> None:
    """A hand-edited or damaged store: every reader gives its result or a coded store error."""
    import shutil
    import sqlite3

    from ontrack.app.tracking import RevisionUnreadable
    from ontrack.app.workspace import StoreError, Workspace

    template = _template_store()
    with tempfile.TemporaryDirectory() as folder, bounded("store readers"):
        db = Path(folder) / "store.db"
        shutil.copy(template, db)
        with sqlite3.connect(db) as raw:
            for (table, column), value in edits:
                # The database itself may refuse an edit (NOT NULL, a huge integer).
                with contextlib.suppress(sqlite3.Error, OverflowError, UnicodeEncodeError):
                    raw.execute(f"UPDATE {table} SET {column} = ?", (value,))
        try:
            with Workspace.open(f"sqlite+pysqlite:///{db}", None) as space:
                program = space.program(None)
                space.log(program)
                for info in space.baselines(program):
                    space.baseline(program, info.name)
                plan = space.latest_plan(program)
                tracked = space.read_tracked(plan, "b")
                assessed, diagnostics = assess(
                    plan,
                    FAST,
                    as_of=resolve_as_of(plan, tracked.facts),
                    facts=tracked.facts,
                    tracking=tracked.baseline,
                )
                either(assessed, diagnostics)
        except StoreError as exc:
            assert exc.code.startswith("E5") and exc.message, exc
        except RevisionUnreadable as exc:
            coded(exc.diagnostics)
