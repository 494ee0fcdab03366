"""The application layer's way to the store (ontrack.app.workspace), used directly: records and
errors as values, nothing printed, on a SQLite store in tmp_path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ontrack.app.workspace import (
    ENV,
    RevisionUnreadable,
    StoreError,
    Workspace,
    plan_changes,
)
from ontrack.model import Plan
from ontrack.planfile import load_plan, plan_sources
from ontrack.store import ENV as STORE_ENV
from ontrack.store import StoreError as StoreStoreError
from tests.conftest import HEADER

PLAN = HEADER + "tasks:\n  - {id: a, title: A, estimate: 2d}\n"
PLAN2 = PLAN + "  - {id: b, title: B, estimate: 3d, depends: a}\n"


def _write(folder: Path, text: str) -> tuple[Plan, list[tuple[str, str]]]:
    folder.mkdir(exist_ok=True)
    (folder / "plan.yaml").write_text(text)
    plan, diagnostics = load_plan(folder)
    assert plan is not None, diagnostics
    return plan, plan_sources(folder)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "plan"


def _open(folder: Path, *, create: bool = False) -> Workspace:
    return Workspace.open(str(folder.parent / "store.db"), folder, create=create)


def test_the_store_error_and_env_are_the_stores() -> None:
    assert StoreError is StoreStoreError
    assert ENV == STORE_ENV


def test_apply_twice_records_two_revisions_and_an_unchanged_plan_nothing(folder: Path) -> None:
    plan, files = _write(folder, PLAN)
    with _open(folder, create=True) as ws:
        first = ws.apply(plan, files, author="ana", message="first")
        assert first.recorded and first.revision.number == 1
        assert first.program == "Test program" and first.revision.tasks == 1
        same = ws.apply(plan, files, author="bo", message="again")
        assert not same.recorded and same.revision == first.revision
        plan2, files2 = _write(folder, PLAN2)
        second = ws.apply(plan2, files2, author="bo", message="b added")
        assert second.recorded and second.revision.number == 2
        name = ws.program(None)
        assert name == "Test program"
        assert [(r.number, r.author, r.message) for r in ws.revisions(name)] == [
            (1, "ana", "first"),
            (2, "bo", "b added"),
        ]
        assert [e.revision.number for e in ws.log(name)] == [2, 1]  # newest first
        assert [t.id for t in ws.latest_plan(name).tasks] == ["a", "b"]
        pair = ws.revision_pair(name, None, None)
        assert (pair.older, pair.newer) == (1, 2)
    changes = plan_changes(pair.before, pair.after, dates=False)
    assert [(c.kind, c.id) for c in changes.tasks] == [("added", "b")]


def test_store_errors_are_raised_with_their_codes(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as missing:  # no store there, and not asked to create one
        Workspace.open(str(tmp_path / "none.db"), folder)
    assert missing.value.code.startswith("E5")
    plan, files = _write(folder, PLAN)
    with _open(folder, create=True) as ws:
        ws.apply(plan, files, author="ana", message="")
        with pytest.raises(StoreError) as unknown:
            ws.program("Other")
        assert unknown.value.code == "E510"
        with pytest.raises(StoreError) as no_rev:
            ws.resolve("Test program", 5)
        assert no_rev.value.code == "E512"


def test_baselines_are_set_and_listed(folder: Path) -> None:
    plan, files = _write(folder, PLAN2)
    with _open(folder, create=True) as ws:
        ws.apply(plan, files, author="ana", message="")
        name = ws.program(None)
        assert ws.baselines(name) == []
        outcome = ws.set_baseline(name, "approved", time_limit=1.0)
        assert outcome.revision == 1 and not outcome.diagnostics
        info = outcome.baseline
        assert info is not None and info.name == "approved" and info.revision == 1
        assert set(info.tasks) == {"a", "b"}
        assert info.finish == info.tasks["b"].finish
        assert info.cost == Decimal(0)  # nobody with a rate
        assert [(b.name, b.revision) for b in ws.baselines(name)] == [("approved", 1)]
        assert ws.baseline(name, "approved").tasks == info.tasks
        assert [e.baselines for e in ws.log(name)] == [("approved",)]
        with pytest.raises(StoreError) as taken:
            ws.set_baseline(name, "approved", time_limit=1.0)
        assert taken.value.code == "E513"
        moved = ws.set_baseline(name, "approved", replace=True, time_limit=1.0)
        assert moved.baseline is not None
        assert len(ws.baselines(name)) == 1
        with pytest.raises(StoreError) as none:
            ws.baseline(name, "nope")
        assert none.value.code == "E513"


def test_progress_is_recorded_and_read_back(folder: Path, tmp_path: Path) -> None:
    plan, files = _write(folder, PLAN2)
    status = tmp_path / "status.csv"
    status.write_text(
        "task,status_date,actual_start,actual_finish,percent_complete\n"
        "a,2026-01-09,2026-01-05,2026-01-06,100%\n"
        "b,2026-01-09,2026-01-07,,50%\n"
    )
    with _open(folder, create=True) as ws:
        ws.apply(plan, files, author="ana", message="")
        name = ws.program(None)
        recorded = ws.record_progress_file(name, status, latest=dt.date(2026, 1, 9))
        assert recorded.recorded and (recorded.added, recorded.replaced) == (2, 0)
        facts = ws.progress(name)
        assert [(f.task_id, f.status_date, f.percent_complete) for f in facts] == [
            ("a", dt.date(2026, 1, 9), Decimal(100)),
            ("b", dt.date(2026, 1, 9), Decimal(50)),
        ]
        again = ws.record_progress(name, facts[1:])
        assert again == (0, 1)  # same task and status date: replaced
        tracked = ws.read_tracked(ws.latest_plan(name), None)
        assert tracked.program == name and len(tracked.facts) == 2
        assert [r.number for r in tracked.revisions] == [1]
        assert tracked.baseline is None
        assert ws.progress(name, until=dt.date(2026, 1, 8)) == []


def test_a_withdrawn_fact_leaves_the_tracking_data_and_stays_in_the_history(
    folder: Path, tmp_path: Path
) -> None:
    plan, files = _write(folder, PLAN2)
    status = tmp_path / "status.csv"
    status.write_text("task,status_date,percent_complete\na,2026-01-09,100%\nb,2026-01-09,50%\n")
    with _open(folder, create=True) as ws:
        ws.apply(plan, files, author="ana", message="")
        name = ws.program(None)
        assert ws.record_progress_file(name, status, latest=dt.date(2026, 1, 9)).recorded
        withdrawal = ws.withdraw_progress(
            name, "b", dt.date(2026, 1, 9), author="bo", reason="b had not started"
        )
        assert (withdrawal.author, withdrawal.reason) == ("bo", "b had not started")
        assert [f.task_id for f in ws.progress(name)] == ["a"]
        tracked = ws.read_tracked(ws.latest_plan(name), None)
        assert [f.task_id for f in tracked.facts] == ["a"]
        history = ws.progress_history(name)
        assert [(e.fact.task_id, e.withdrawal) for e in history] == [
            ("a", None),
            ("b", withdrawal),
        ]
        with pytest.raises(StoreError) as twice:
            ws.withdraw_progress(name, "b", dt.date(2026, 1, 9), author="bo", reason="")
        assert twice.value.code == "E515"


def test_a_bad_progress_file_records_nothing(folder: Path, tmp_path: Path) -> None:
    plan, files = _write(folder, PLAN)
    bad = tmp_path / "bad.csv"
    bad.write_text("task,status_date,percent_complete\nzz,2026-01-09,50%\n")
    with _open(folder, create=True) as ws:
        ws.apply(plan, files, author="ana", message="")
        name = ws.program(None)
        refused = ws.record_progress_file(name, bad)
        assert not refused.recorded and refused.added == 0
        assert {d.code for d in refused.diagnostics} == {"E443"}
        assert ws.progress(name) == []


def test_tracking_reads_the_baseline(folder: Path, tmp_path: Path) -> None:
    plan, files = _write(folder, PLAN2)
    with _open(folder, create=True) as ws:
        ws.apply(plan, files, author="ana", message="")
        name = ws.program(None)
        ws.set_baseline(name, "approved", time_limit=1.0)
        tracked = ws.read_tracked(plan, "approved")
    assert tracked.baseline is not None
    assert tracked.baseline.baseline == "approved" and tracked.baseline.revision == 1
    assert set(tracked.baseline.tasks) == {"a", "b"}


def test_a_revision_that_no_longer_loads_is_an_error_value(folder: Path) -> None:
    plan, _ = _write(folder, PLAN)
    broken = [("plan.yaml", PLAN + "  - {id: a, title: again, estimate: 1d}\n")]
    with _open(folder, create=True) as ws:
        ws.apply(plan, broken, author="ana", message="")
        with pytest.raises(RevisionUnreadable) as bad:
            ws.latest_plan(ws.program(None))
    assert bad.value.number == 1 and bad.value.diagnostics
