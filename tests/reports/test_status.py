"""The weekly status report: its sentences carry the right numbers, computed here independently
from the plan, the baseline and the recorded progress of the example program.

The store is built once for the module (SQLite; the CLI tests run it on PostgreSQL too): the
example applied on 30 Jan 2026 and baselined, its four status files recorded, then a second
revision on 24 Mar 2026 that adds a risk and widens an estimate.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import textwrap
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ontrack.app.tracking import Tracked, read_tracked
from ontrack.app.views import plan_changes_in
from ontrack.cli.main import app as ontrack
from ontrack.model import Plan
from ontrack.planfile import load_plan
from ontrack.reports.data import Rag, RagRules, ReportData, TrackingInput
from ontrack.reports.status import (
    LOOSE,
    PlanChanges,
    Signal,
    StatusReport,
    StatusRules,
    WorkstreamStatus,
    _overall,
    build_status,
    render_html,
    render_markdown,
)
from ontrack.store import repo
from ontrack.store.repo import ProgressFact, Store
from tests.conftest import EXAMPLES, load_doc, report_data

runner = CliRunner()
STATUS = dt.date(2026, 3, 27)  # the latest status file
SINCE = dt.date(2026, 3, 20)
NEW_RISK = """
  - id: r-vpn-capacity
    title: Interim VPN cannot carry wave 1 traffic
    probability: 30%
    impact: 3d/5d/8d
    affects: apps-w1-prod
    owner: jonas
    response: mitigate
    mitigation: Size the VPN for wave 1 peak traffic.
"""


def cli(*args: str | Path) -> None:
    result = runner.invoke(ontrack, list(map(str, args)))
    assert result.exit_code == 0, result.output


@dataclass
class Example:
    folder: Path
    db: str
    plan: Plan


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Example:
    folder = tmp_path_factory.mktemp("status") / "plan"
    shutil.copytree(EXAMPLES / "platform-migration", folder)
    db = f"sqlite+pysqlite:///{folder.parent / 'store.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(repo, "_now", lambda: dt.datetime(2026, 1, 30, 9, tzinfo=dt.UTC))
        cli("apply", folder, "-m", "agreed plan", "--db", db)
        cli("baseline", "set", "approved", "--plan", folder, "--db", db)
        for status in sorted((folder / "status").glob("*.csv")):
            cli("progress", status, "--plan", folder, "--db", db)
        with (folder / "risks.yaml").open("a") as risks:
            risks.write(NEW_RISK)
        apps = folder / "tasks-apps.yaml"
        text = apps.read_text()
        old = "Ramp wave 2 to 100% and retire the legacy pools\n            estimate: 2d/3d/4d"
        assert old in text
        apps.write_text(text.replace(old, old.replace("2d/3d/4d", "3d/4d/6d")))
        mp.setattr(repo, "_now", lambda: dt.datetime(2026, 3, 24, 15, tzinfo=dt.UTC))
        cli("apply", folder, "-m", "VPN capacity risk", "--author", "priya", "--db", db)
    plan, _ = load_plan(folder)
    assert plan is not None
    return Example(folder, db, plan)


@dataclass
class _Read:
    """What the status command reads from the store, as the command reads it."""

    example: Example
    tracked: Tracked

    @property
    def facts(self) -> list[ProgressFact]:
        return list(self.tracked.facts)

    @property
    def tracking(self) -> TrackingInput | None:
        return self.tracked.baseline

    def changes(self, since: dt.date, end: dt.date) -> PlanChanges:
        store = Store.open(self.example.db, self.example.folder)
        try:
            windowed = read_tracked(store, self.example.plan, None, until=end, window=(since, end))
        finally:
            store.close()
        return plan_changes_in(windowed, since, end)


def _data(example: Example, day: dt.date | None = None) -> tuple[ReportData, _Read]:
    store = Store.open(example.db, example.folder)
    try:
        tracked = read_tracked(store, example.plan, "approved", until=day)
    finally:
        store.close()
    data, problems = report_data(
        example.plan, day, facts=tracked.facts, tracking=tracked.baseline, audit=False
    )
    assert data is not None, problems
    return data, _Read(example, tracked)


@pytest.fixture(scope="module")
def tracked(example: Example) -> tuple[ReportData, _Read]:
    return _data(example)


def _status(example: Example, tracked: tuple[ReportData, _Read], **kw: object) -> StatusReport:
    data, read = tracked
    since = kw.pop("since", SINCE)
    assert isinstance(since, dt.date)
    return build_status(
        data,
        example.plan,
        since=since,
        facts=read.facts,
        tracking=read.tracking,
        changes=read.changes(since, data.status_date),
        **kw,  # type: ignore[arg-type]
    )


def _workdays(plan: Plan, start: dt.date, end: dt.date) -> int:
    """numpy's own business-day count over the plan's calendar, as a second opinion."""
    return int(
        np.busday_count(start, end, weekmask="1111100", holidays=list(plan.calendar.holidays))
    )


def _facts(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as handle:
        return {row["task"]: row for row in csv.DictReader(handle)}


# -- the numbers --------------------------------------------------------------------------------


def test_milestone_variance_is_p50_minus_baseline_in_working_days(
    example: Example, tracked: tuple[ReportData, _Read]
) -> None:
    data, read = tracked
    report = _status(example, tracked)
    assert read.tracking is not None
    frozen = read.tracking.tasks
    rows = {m.id: m for m in data.milestones}
    checked = 0
    for m in report.milestones:
        if m.kind == "release" or m.id not in frozen:
            continue
        baseline = frozen[m.id].finish
        assert m.baseline == baseline
        p50 = m.done_on or rows[m.id].p50
        assert m.variance_days == _workdays(example.plan, baseline, p50), m.id
        assert m.schedule_days == _workdays(example.plan, baseline, rows[m.id].planned), m.id
        checked += 1
    assert checked >= 10
    # The managed Postgres milestone slipped; its lowlight says by how much, from when to when.
    db = next(m for m in report.milestones if m.id == "data-db-ready")
    assert db.variance_days is not None and db.variance_days > 0 and db.baseline is not None
    lowlight = next(t for t in report.lowlights if "'Managed Postgres ready" in t)
    assert f"slipped {db.variance_days} working days since the baseline" in lowlight
    assert "13 Apr 2026" in lowlight and _text_date(db.p50) in lowlight


def _text_date(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%b')} {day.year}"


def test_a_slip_is_traced_to_the_late_work_behind_it(
    example: Example, tracked: tuple[ReportData, _Read]
) -> None:
    """The carrier's circuit finished a day after its baseline, and the link set-up that waits
    on it has not started: the causes of the Postgres milestone's schedule slip."""
    _, read = tracked
    report = _status(example, tracked)
    assert read.tracking is not None
    frozen = read.tracking.tasks
    latest = _facts(example.folder / "status" / "2026-03-27.csv")
    finished = dt.date.fromisoformat(latest["plat-dc-link-order"]["actual_finish"])
    late = _workdays(example.plan, frozen["plat-dc-link-order"].finish, finished)
    db = next(m for m in report.milestones if m.id == "data-db-ready")
    by_task = {c.subject: c for c in db.causes}
    circuit = by_task["plat-dc-link-order"]
    assert circuit.kind == "late"
    assert circuit.text == (
        "'Direct Connect circuit to the Ashburn data centre (carrier lead time)' finished on "
        f"{_text_date(finished)}, {late} working day{'s' * (late != 1)} after its baseline"
    )
    assert by_task["plat-dc-link-setup"].kind == "behind"
    # The schedule's causes account for the schedule's slip; the forecast adds the rest.
    assert sum(c.days for c in db.causes if c.kind != "uncertainty") == db.schedule_days
    spread = [c for c in db.causes if c.kind == "uncertainty"]
    assert [c.days for c in spread] == [db.uncertainty_days]
    lowlight = next(t for t in report.lowlights if "'Managed Postgres ready" in t)
    assert lowlight.endswith(f": {db.cause_text}.")


def test_finished_and_started_tasks_come_from_the_facts_of_the_window(
    example: Example, tracked: tuple[ReportData, _Read]
) -> None:
    report = _status(example, tracked, audience="team")
    before = _facts(example.folder / "status" / "2026-03-13.csv")  # the latest by 20 Mar
    now = _facts(example.folder / "status" / "2026-03-27.csv")
    done = {t for t, r in now.items() if r["actual_finish"]}
    done_before = {t for t, r in before.items() if r["actual_finish"]}
    under_way = {t for t, r in now.items() if r["actual_start"] and not r["actual_finish"]}
    known_before = {t for t, r in before.items() if r["actual_start"] or r["percent_complete"]}
    assert {e.id for e in report.finished} == done - done_before
    assert {e.id for e in report.started} == under_way - known_before
    tasks = [e for e in report.finished if not example.plan.task_by_id[e.id].milestone]
    assert f"{len(tasks)} tasks finished and {len(report.started)} started" in report.summary[2]
    page = render_markdown(report)
    for e in [*report.finished, *report.started]:
        assert e.title in page


def test_tracking_figures_and_the_budget(
    example: Example, tracked: tuple[ReportData, _Read]
) -> None:
    data, _ = tracked
    report = _status(example, tracked)
    budget = data.tracking.budget if data.tracking else None
    assert budget is not None and budget.actual_cost is not None
    assert report.budget[0].startswith(f"Spent {float(budget.actual_cost):,.0f} USD to 27 Mar")
    assert data.tracking is not None and data.tracking.cpi is not None
    assert f"CPI {data.tracking.cpi:.2f}" in " ".join(report.summary)
    # Each workstream's indices are the EVM engine's over its own tasks; a finished one has
    # none (its overrun is history and colours nothing).
    for w in report.workstreams:
        if w.done == w.tasks:
            assert w.spi is None and w.cpi is None, w.title
    assert any(w.spi is not None for w in report.workstreams)


def test_changes_since_come_from_the_revisions_in_the_window(
    example: Example, tracked: tuple[ReportData, _Read]
) -> None:
    report = _status(example, tracked, audience="team")
    assert report.changes[0] == "Revision 2 recorded on 24 Mar 2026 by priya: VPN capacity risk"
    assert "Task 'Ramp wave 2 to 100% and retire the legacy pools' changed: estimate" in "\n".join(
        report.changes
    )
    assert "Risk 'Interim VPN cannot carry wave 1 traffic' added" in report.changes
    assert any("'Interim VPN cannot carry wave 1 traffic' was added" in t for t in report.lowlights)
    new = next(r for r in report.risks if r.id == "r-vpn-capacity")
    assert new.added and "(new this period)" in new.text
    # A window that starts after the revision has no changes to show.
    later = _status(example, tracked, since=dt.date(2026, 3, 25), audience="team")
    assert later.changes == ("No plan revision was recorded since 25 Mar 2026.",)


# -- the RAG ------------------------------------------------------------------------------------


def test_the_headline_is_the_program_rag_and_the_summary_names_the_worst_workstream(
    example: Example, tracked: tuple[ReportData, _Read]
) -> None:
    data, _ = tracked
    report = _status(example, tracked)
    assert report.grouping == "wbs"
    tops = [t.id for t in example.plan.tasks if t.parent is None]
    assert [w.id for w in report.workstreams] == tops
    # The headline is the program assessment's RAG, the same as the HTML report's; the
    # workstreams keep their own colours, and the summary names the worst of them after it.
    assert (report.colour, report.reason) == (data.rag.colour, data.rag.reason)
    rank = {"red": 0, "amber": 1, "green": 2}
    worst = min(rank[w.colour] for w in report.workstreams)
    if worst < rank["green"]:
        assert report.worst is not None
    if report.worst is not None:
        stream = next(w for w in report.workstreams if w.id == report.worst)
        assert rank[stream.colour] == worst
        # Its reason, lower-cased unless it starts with an acronym ("SPI") or a name.
        text = stream.reason
        reason = text[0].lower() + text[1:] if text[1:2].islower() else text
        assert (
            f"the worst workstream is '{stream.title}' ({stream.colour.upper()}), where {reason}"
            in report.summary[0]
        )
    by_team = _status(example, tracked, grouping="team")
    assert [w.title for w in by_team.workstreams] == [t.name for t in example.plan.teams]


RAG_PLAN = """\
program: {name: Small, start: 2026-01-05}
people:
  - {id: ana, name: Ana}
teams:
  - {id: core, name: Core, members: [ana]}
tasks:
  - id: build
    title: Build
    team: core
    tasks:
      - {id: a, title: Write the code, estimate: 5d/10d/15d, assignee: ana}
      - {id: m, title: Code complete, milestone: true, depends: a, deadline: 2026-01-16}
"""


def _plain(plan: Plan, today: dt.date, **kw: object) -> StatusReport:
    data, problems = report_data(plan, today, iterations=200, seed=0, audit=False)
    assert data is not None, problems
    return build_status(data, plan, since=today - dt.timedelta(days=7), **kw)  # type: ignore[arg-type]


def test_rag_rules_and_their_limits() -> None:
    plan, _ = load_doc(RAG_PLAN)
    assert plan is not None
    # The final milestone's P80 lies past its deadline: red. The headline is the program's RAG;
    # with a single workstream the summary names no worst one, and the workstream's own signal
    # says the same.
    report = _plain(plan, dt.date(2026, 1, 5))
    assert report.colour == "red" and report.worst is None
    assert report.reason.startswith("The final milestone 'Code complete' is only 80% likely by")
    assert report.workstreams[0].colour == "red"
    assert report.workstreams[0].signals[0].rule == "final-late"
    # Past the deadline and not done: overdue (the program's RAG), missed (the workstream's).
    late = _plain(plan, dt.date(2026, 1, 20))
    assert late.colour == "red" and late.workstreams[0].signals[0].rule == "missed"
    assert "'Code complete' is overdue: its deadline 16 Jan 2026 passed" in late.reason
    assert "was due 16 Jan 2026 and is not done" in late.workstreams[0].reason
    # Without tracking data the RAG comes from the forecast alone: no indices anywhere.
    assert all(w.spi is None and w.cpi is None for w in report.workstreams)
    assert report.budget == ("No cost is forecast: the plan has no rates or costs.",)
    assert report.changes == (
        "Not tracked: the report was made without the store's revision history.",
    )


def test_leftover_groups_have_real_names_and_a_lone_task_is_not_the_worst() -> None:
    plan, _ = load_doc(
        RAG_PLAN + "  - {id: launch, title: Public launch, milestone: true, depends: build}\n"
    )
    assert plan is not None
    data, _ = report_data(plan, dt.date(2026, 1, 5), iterations=200, seed=0, audit=False)
    assert data is not None
    report = build_status(data, plan, since=dt.date(2026, 1, 1))
    assert [w.title for w in report.workstreams] == ["Build", "Public launch"]  # its own title

    def stream(id_: str, colour: Rag, rule: str) -> WorkstreamStatus:
        signal = Signal(colour, rule, f"{rule} fired")
        return WorkstreamStatus(
            id_, id_, colour, signal.text, (signal,), 1, 0, 0, 0, None, None, ""
        )

    build = stream("build", "amber", "milestone-amber")
    launch = stream(LOOSE, "red", "final-late")
    # The lone launch milestone is late because of the workstream that feeds it: that is named.
    _, _, worst, clause = _overall(data, [build, launch], {LOOSE})
    assert worst == "build" and "the worst workstream is 'build' (AMBER)" in clause
    # Alone in the red, or holding several tasks, a leftover group can still be the worst.
    assert _overall(data, [stream("build", "green", "ok"), launch], {LOOSE})[2] == LOOSE
    assert _overall(data, [build, launch], set())[2] == LOOSE
    # Several loose tasks are the program's; tasks of no team are "unassigned to a team".
    more, _ = load_doc(
        RAG_PLAN + "  - {id: z, title: Wrap up, estimate: 1d, depends: build}\n"
        "  - {id: done, title: Done, milestone: true, depends: z}\n"
    )
    assert more is not None
    titles = [w.title for w in _plain(more, dt.date(2026, 1, 5)).workstreams]
    assert titles == ["Build", "Small: program-level tasks"]
    by_team = _plain(more, dt.date(2026, 1, 5), grouping="team").workstreams
    assert [w.title for w in by_team] == ["Core", "Unassigned to a team"]


def test_rules_are_configurable() -> None:
    plan, _ = load_doc(
        RAG_PLAN.replace("deadline: 2026-01-16", "deadline: 2026-01-19").replace(
            "milestone: true", "milestone: true"
        )
        + "  - {id: z, title: Wrap up, estimate: 1d, depends: build, assignee: ana}\n"
        + "  - {id: done, title: Done, milestone: true, depends: z}\n"
    )
    assert plan is not None
    data, _ = report_data(plan, dt.date(2026, 1, 5), iterations=200, seed=0)
    assert data is not None
    m = next(m for m in data.milestones if m.id == "m")
    assert m.probability is not None and 0 < m.probability < 1
    strict = StatusRules(rag=RagRules(milestone_amber=min(1.0, m.probability + 0.01)))
    lenient = StatusRules(rag=RagRules(milestone_amber=max(0.0, m.probability - 0.01)))
    since = dt.date(2026, 1, 1)
    hit = build_status(data, plan, since=since, rules=strict)
    miss = build_status(data, plan, since=since, rules=lenient)
    assert [s.rule for s in hit.workstreams[0].signals] == ["milestone-amber"]
    assert miss.workstreams[0].signals == ()


# -- sections and audiences ---------------------------------------------------------------------


def _section(markdown: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match is not None, title
    return match.group(1).strip()


def test_exec_is_short_and_team_adds_the_detail(
    example: Example, tracked: tuple[ReportData, _Read]
) -> None:
    short = _status(example, tracked, audience="exec")
    full = _status(example, tracked, audience="team")
    exec_md, team_md = render_markdown(short), render_markdown(full)
    assert len(exec_md) < len(team_md) / 2
    heads = re.findall(r"^## (.+)$", exec_md, re.M)
    assert heads == ["Summary", "Milestones", "Top risks", "Decisions and asks", "Budget"]
    for title in ("Highlights", "Lowlights", "Blockers by owner", "Workstreams"):
        assert f"## {title}" in team_md and f"## {title}" not in exec_md
    assert 3 <= len(short.summary) <= 5
    assert len(_section(exec_md, "Top risks").splitlines()) == 3
    assert len(_section(team_md, "Top risks").splitlines()) == 5
    assert exec_md.count("| ") < team_md.count("| ")
    # Blockers are per owner: the late link set-up is Jonas's.
    blockers = _section(team_md, "Blockers by owner")
    assert "Jonas Berg:" in blockers and "Configure Direct Connect" in blockers


def test_decisions_and_asks_are_never_omitted() -> None:
    plan, _ = load_doc(
        """\
        program: {name: Quiet, start: 2026-01-05}
        people:
          - {id: ana, name: Ana}
          - {id: bo, name: Bo}
        tasks:
          - {id: a, title: One, estimate: 2d, assignee: ana}
          - {id: b, title: Two, estimate: 2d, assignee: bo}
        """
    )
    assert plan is not None
    for audience in ("exec", "team"):
        report = _plain(plan, dt.date(2026, 1, 5), audience=audience)
        assert report.asks == ()
        assert _section(render_markdown(report), "Decisions and asks") == "None."
        assert 'Decisions and asks</h2>\n<p style="margin:6px 0">None.</p>' in render_html(report)
    plan, _ = load_doc(
        """\
        program: {name: Busy, start: 2026-01-05}
        people:
          - {id: ana, name: Ana}
        stakeholders:
          - {id: vp, name: Vera Park, role: VP Engineering, influence: high, interest: high}
        tasks:
          - {id: a, title: One, estimate: 2d, assignee: ana}
        decisions:
          - {id: d1, title: Pick the queue, owner: vp, due: 2026-01-02}
          - {id: d2, title: Settled, status: closed}
        issues:
          - {id: i1, title: Build is flaky, owner: ana, severity: high}
        """
    )
    assert plan is not None
    report = _plain(plan, dt.date(2026, 1, 5), audience="exec")
    asks = _section(render_markdown(report), "Decisions and asks")
    assert (
        "Decision needed: 'Pick the queue' (owner Vera Park; due 2 Jan 2026, 3 days overdue)"
        in (asks)
    )
    assert "Open issue 'Build is flaky' (high; owner Ana)" in asks
    assert "Settled" not in asks


HOSTILE = """\
program: {name: "Q&A <Launch>", start: 2026-01-05}
people:
  - {id: ana, name: "Ana <b>Bold</b>"}
tasks:
  - id: s
    title: "Summary | with *stars*"
    tasks:
      - {id: a, title: "<script>alert('x')</script> & friends", estimate: 2d, assignee: ana,
         actual_start: 2026-01-05}
      - {id: m, title: "Ship `it` [now](http://evil)", milestone: true, depends: a,
         deadline: 2026-01-09}
risks:
  - {id: r, title: "<img src=x onerror=alert(1)>", probability: 50%, impact: 2d, affects: a,
     owner: ana}
decisions:
  - {id: d, title: "</li></ul><h1>gotcha</h1>", owner: ana}
"""


class _Tags(HTMLParser):
    VOID = frozenset({"meta", "br", "img", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        self.attrs += attrs
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()


def test_html_is_self_contained_and_escapes_plan_text() -> None:
    plan, _ = load_doc(HOSTILE)
    assert plan is not None
    report = _plain(plan, dt.date(2026, 1, 5), audience="team")
    page = render_html(report)
    parser = _Tags()
    parser.feed(page)
    parser.close()
    assert parser.stack == []  # every element closed, in order
    assert set(parser.seen) <= {
        "html", "head", "meta", "title", "body", "div", "h1", "h2", "p", "span", "ul", "li",
        "table", "thead", "tbody", "tr", "th", "td",
    }  # fmt: skip
    assert not any(name in ("src", "href") or name.startswith("on") for name, _ in parser.attrs)
    for raw in ("<script>", "<img", "</li></ul><h1>", "<b>", "<Launch>"):
        assert raw not in page
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; friends" in page
    assert "Q&amp;A &lt;Launch&gt;" in page
    # Markdown: the plan's markup characters are inert.
    md = render_markdown(report)
    assert "\\<script\\>" in md and "Summary \\| with \\*stars\\*" in md
    assert "Ship \\`it\\` \\[now\\](http://evil)" in md


def test_an_earlier_status_date_goes_back_in_time(example: Example) -> None:
    data, read = _data(example, dt.date(2026, 2, 27))
    report = build_status(
        data,
        example.plan,
        since=dt.date(2026, 2, 13),
        facts=read.facts,
        tracking=read.tracking,
        changes=read.changes(dt.date(2026, 2, 13), data.status_date),
    )
    assert report.status_date == dt.date(2026, 2, 27)
    assert report.changes == ("No plan revision was recorded since 13 Feb 2026.",)
    then = _facts(example.folder / "status" / "2026-02-27.csv")
    before = _facts(example.folder / "status" / "2026-02-13.csv")
    done = {t for t, r in then.items() if r["actual_finish"]}
    assert {e.id for e in report.finished} == done - {
        t for t, r in before.items() if r["actual_finish"]
    }


def test_the_team_page_reads_well(example: Example, tracked: tuple[ReportData, _Read]) -> None:
    """A smoke check of the wording: no placeholders, no Python reprs, dates as people write."""
    page = render_markdown(_status(example, tracked, audience="team"))
    for bad in ("None'", "{", "}", "datetime", "Decimal", "np.float", "  "):
        assert bad not in page.replace("| ", "|"), bad
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", _section(page, "Summary"))
    assert textwrap.dedent(page).startswith("# Platform Migration 2026: status 27 Mar 2026")


def test_notes_of_the_window_are_quoted(
    example: Example, tracked: tuple[ReportData, _Read]
) -> None:
    data, read = tracked
    noted = [
        *read.facts,
        ProgressFact(
            "plat-dc-link-order",
            dt.date(2026, 3, 25),
            dt.date(2026, 2, 12),
            percent_complete=Decimal(95),
            note="Carrier confirmed delivery <for> 26 Mar",
        ),
        ProgressFact("plat-dc-link-order", dt.date(2026, 3, 20), note="Before the window"),
    ]
    report = build_status(
        data,
        example.plan,
        since=SINCE,
        audience="team",
        facts=noted,
        tracking=read.tracking,
        changes=read.changes(SINCE, data.status_date),
    )
    assert report.notes == (
        "'Direct Connect circuit to the Ashburn data centre (carrier lead time)' (25 Mar 2026): "
        "Carrier confirmed delivery <for> 26 Mar",
    )
    assert "Progress notes:" in render_markdown(report)
    assert "delivery &lt;for&gt; 26 Mar" in render_html(report)


def test_a_stale_overdue_program_says_so_plainly() -> None:
    """The small example's progress is written as of 23 Jan; as of 1 Jun nothing more is
    recorded: every deadline has passed with the work not done, and the report says so."""
    plan, _ = load_plan(EXAMPLES / "small")
    assert plan is not None
    day = dt.date(2026, 6, 1)
    data, problems = report_data(plan, day, iterations=200, seed=0, audit=False)
    assert data is not None, problems
    report = build_status(data, plan, since=day - dt.timedelta(days=7), audience="team")
    assert report.colour == "red" and "is overdue" in report.reason
    overdue = [t for t in report.lowlights if "is overdue" in t]
    # ready-for-ab (13 Mar), the release and the launch (3 Apr): all past 1 Jun, none done.
    assert len(overdue) == 3
    assert "No progress has been recorded since 23 Jan 2026 (129 days)." in report.lowlights
    assert any("No progress has been recorded since 23 Jan 2026" in s for s in report.summary)
