"""The web app in a real browser: Debian's Chromium driven by Playwright against a real uvicorn
server on the example program, once on SQLite and (the main flow) once on PostgreSQL.

A user logs in, reads the portfolio and the dashboard (Gantt folding, critical path,
milestones), records progress, edits an estimate and sees the dates move, has a stale edit
refused, asks what-if, reads the status report, and cannot make a task title run a script. No
page may log a console error, throw, or break the Content Security Policy. Every page is saved
as a screenshot (under the test's tmp folder, and in $ONTRACK_SCREENSHOTS when set).

Skipped without Chromium, failed under ONTRACK_REQUIRE_CHROMIUM; the PostgreSQL half follows the
ONTRACK_REQUIRE_PG rule of the store tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser_support import (
    PASSWORD,
    USER,
    Served,
    Shots,
    Watch,
    cheap_hashes,
    postgres_schema,
    record_example,
    require_chromium,
    serve,
)

#: Long enough for an assessment of the example on a slow, shared machine (about 1 s here).
SLOW = 60_000
VIEWPORT = {"width": 1400, "height": 900}

#: Tasks of examples/platform-migration the flows act on (as of its last status, 27 Mar 2026).
CRITICAL = "apps-traffic-cutover"  # estimate 1d, on the critical path, not started
IN_PROGRESS = "apps-w2-staging"  # 20 % done on 27 Mar
STALE = "plat-sso-rbac"  # edited from two tabs
SCRIPTED = "apps-w2-perf"  # gets a <script> title
PERSON = "sam"
MILESTONE = "apps-cutover-complete"
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """One server per database for the whole module: the tests run in order on its store."""
    folder = tmp_path_factory.mktemp(request.param)
    store = (
        nullcontext(f"sqlite+pysqlite:///{folder / 'store.db'}")
        if request.param == "sqlite"
        else postgres_schema()
    )
    with cheap_hashes(), store as db:
        plan, program = record_example(folder, db)
        with serve(db, plan, program) as served:
            served.kind = request.param
            yield served


@pytest.fixture(scope="module")
def shots(site: Served, tmp_path_factory: pytest.TempPathFactory) -> Shots:
    return Shots(tmp_path_factory.mktemp(f"shots-{site.kind}"), prefix=f"{site.kind}-")


@pytest.fixture
def watch() -> Watch:
    return Watch()


def sqlite_only(test: Any) -> Any:
    """PostgreSQL runs the main flow; the rest does not depend on the database."""
    test.sqlite_only = True
    return test


@pytest.fixture(autouse=True)
def _main_flow_on_postgresql(request: pytest.FixtureRequest, site: Served) -> None:
    if site.kind != "sqlite" and getattr(request.function, "sqlite_only", False):
        pytest.skip("PostgreSQL runs the main flow; this test does not depend on the database")


@pytest.fixture
def context(browser: Any, site: Served, watch: Watch) -> Iterator[Any]:
    """A fresh browser (cookies and all) whose pages are all watched."""
    made = browser.new_context(base_url=site.url, viewport=VIEWPORT)
    made.set_default_timeout(SLOW)
    watch.attach(made)
    yield made
    made.close()


@pytest.fixture
def page(context: Any, site: Served, watch: Watch) -> Any:
    """A page logged in as USER (the editor)."""
    opened = context.new_page()
    log_in(opened, site)
    return opened


def log_in(page: Any, site: Served, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Name").fill(USER)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def task_page(page: Any, site: Served, task: str) -> None:
    page.goto(site.path("tasks", task))
    expect(page.locator("#edit-form")).to_be_visible(timeout=SLOW)  # after any waiting page


# -- the main flow (SQLite and PostgreSQL) ---------------------------------------------------------


def test_login_and_portfolio(context: Any, site: Served, watch: Watch, shots: Shots) -> None:
    page = context.new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))  # a user exists: log in first
    expect(page.locator(".single")).to_have_count(0)
    shots.take(page, "login")

    with watch.expecting(401):
        log_in(page, site, password="not-the-password-at-all")
        # The console reports the 401 a moment after the answer: wait for the page it is.
        expect(page.get_by_role("alert")).to_have_text("wrong name or password")
        page.wait_for_load_state("load")
    expect(page).to_have_url(re.compile(r"/login$"))
    shots.take(page, "login-refused")

    log_in(page, site)
    expect(page).to_have_url(site.url + "/")
    expect(page.get_by_role("heading", name="Programs")).to_be_visible()
    row = page.locator("table.portfolio tbody tr", has_text=site.program)
    expect(row.locator(".rag")).to_have_text(re.compile(r"^(RED|AMBER|GREEN)$"))  # htmx fills it
    expect(row.locator("td").nth(2)).not_to_be_empty()  # why
    expect(row.locator("td").nth(4)).to_have_text(re.compile(r"\d{4}|\w{3}"))  # P80
    expect(page.locator(".who")).to_contain_text("Terry Program-Manager")
    shots.take(page, "portfolio")
    watch.check()


def test_dashboard_gantt(page: Any, site: Served, watch: Watch, shots: Shots) -> None:
    page.get_by_role("link", name=site.program).click()
    gantt = page.locator(".gantt")
    expect(gantt).to_be_visible(timeout=SLOW)
    expect(page.locator(".mast .rag-pill")).to_have_text(re.compile(r"RED|AMBER|GREEN"))

    # The critical path is drawn: red bars and arrows between them.
    critical = gantt.locator(".bar.crit")
    assert critical.count() > 0
    expect(critical.first).to_be_visible()
    expect(page.locator("svg.g-arrows path.crit").first).to_be_attached()

    # The milestones table: one row per milestone and release, with P80 and the odds.
    milestones = page.locator("#milestones table.ms-table tbody tr")
    assert milestones.count() >= 5
    expect(milestones.filter(has_text=MILESTONE)).to_have_count(1)

    # Fold and unfold: the report's buttons, then one group by its summary.
    groups = gantt.locator("details")
    total = groups.count()
    assert total > 3
    buttons = page.locator(".g-buttons")
    expect(buttons).to_be_visible()
    rows = gantt.locator(".g-row")
    arrows = page.locator("svg.g-arrows path")
    unfolded, drawn = _visible(rows), arrows.count()
    assert drawn > 10
    buttons.locator("[data-fold=close]").click()
    assert _open_groups(page) == 0
    folded = _visible(rows)
    assert folded < unfolded
    expect(arrows).not_to_have_count(drawn)  # no arrows to rows in closed groups
    assert arrows.count() < drawn
    shots.take(page, "dashboard-folded")
    buttons.locator("[data-fold=open]").click()
    assert _open_groups(page) == total
    assert _visible(rows) == unfolded
    expect(arrows).to_have_count(drawn)
    first = groups.first
    first.locator("> summary").click()
    expect(first).not_to_have_attribute("open", "")
    assert _visible(rows) < unfolded
    first.locator("> summary").click()
    expect(first).to_have_attribute("open", "")
    assert _visible(rows) == unfolded

    # The browse section below the report.
    expect(page.locator("#browse")).to_contain_text("Milestones and releases")
    shots.take(page, "dashboard")
    watch.check()


def _open_groups(page: Any) -> int:
    count: int = page.evaluate(
        "() => [...document.querySelectorAll('.gantt details')].filter(d => d.open).length"
    )
    return count


def _visible(rows: Any) -> int:
    # checkVisibility: a row in a closed <details> keeps its boxes in Chromium (the group's
    # content is hidden with content-visibility), so getClientRects() cannot tell.
    count: int = rows.evaluate_all("rs => rs.filter(r => r.checkVisibility()).length")
    return count


def test_record_progress(page: Any, site: Served, watch: Watch, shots: Shots) -> None:
    task_page(page, site, IN_PROGRESS)
    history = page.locator("section", has_text="Progress recorded").locator("tbody tr")
    before = history.count()
    assert before >= 1  # from the status files
    form = page.locator("#progress-form")
    form.get_by_label("Status date").fill("2026-04-03")
    form.get_by_label("Percent complete").fill("60")
    form.get_by_label("Note").fill("staging deploy of wave 2 past the auth services")
    form.get_by_role("button", name="Record progress").click()
    expect(page.get_by_role("status")).to_contain_text("Progress recorded", timeout=SLOW)
    expect(page).to_have_url(re.compile(r"\?recorded=1$"))
    expect(page.locator("#task-dates")).to_be_visible(timeout=SLOW)
    expect(history).to_have_count(before + 1)
    recorded = history.first  # newest first
    expect(recorded.locator("td").first).to_have_text(re.compile(r"3 Apr 2026|2026-04-03"))
    expect(recorded).to_contain_text("60")
    expect(recorded).to_contain_text("staging deploy of wave 2")
    expect(recorded).to_contain_text(f"web:{USER}")
    shots.take(page, "task-progress")
    watch.check()


def test_edit_estimate_moves_the_dates(page: Any, site: Served, watch: Watch, shots: Shots) -> None:
    task_page(page, site, CRITICAL)
    expect(page.locator("dd", has_text="critical")).to_be_visible()
    dates = page.locator("#task-dates").inner_text()
    forecast = page.locator("#task-forecast").inner_text()
    shots.take(page, "task")
    form = page.locator("#edit-form")
    expect(form.get_by_label("Estimate")).to_have_value("1d")
    form.get_by_label("Estimate").fill("15d/20d/30d")
    form.get_by_label("Why (revision message)").fill("vendor says the cutover takes weeks")
    form.get_by_role("button", name="Save as a new revision").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as revision 2", timeout=SLOW)
    expect(page.locator("#task-dates")).not_to_have_text(dates, timeout=SLOW)
    expect(page.locator("#task-forecast")).not_to_have_text(forecast)
    expect(page.locator("#task-dates")).to_contain_text("working days")
    expect(page.locator("dd", has_text="15d/20d/30d")).to_be_visible()  # the plan's estimate
    shots.take(page, "task-edited")

    page.get_by_role("navigation", name="Program").get_by_role("link", name="Revisions").click()
    newest = page.locator("table.grid tbody tr", has_text="vendor says the cutover")
    expect(newest).to_have_count(1)
    expect(newest.locator("td").nth(0)).to_have_text("2")
    expect(newest.locator("td").nth(2)).to_have_text(USER)
    expect(page.locator("table.grid tbody tr", has_text="agreed plan")).to_contain_text("approved")
    shots.take(page, "revisions")

    newest.get_by_role("link", name="2").click()
    expect(page.get_by_role("heading", name="Revision 2")).to_be_visible()
    expect(page.locator("pre.diff .add")).to_contain_text("15d/20d/30d")
    expect(page.locator("pre.diff .del")).to_contain_text("estimate: 1d")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the YAML diff").click()
    text = Path(download.value.path()).read_text()
    assert "+        estimate: 15d/20d/30d" in text, text
    shots.take(page, "revision-diff")
    watch.check()


# -- SQLite only -------------------------------------------------------------------------------


@sqlite_only
def test_stale_edit_is_refused(context: Any, site: Served, watch: Watch, shots: Shots) -> None:
    first = context.new_page()
    log_in(first, site)
    second = context.new_page()  # the same session in a second tab
    task_page(first, site, STALE)
    task_page(second, site, STALE)
    title = first.locator("#edit-form").get_by_label("Title").input_value()
    estimate = second.locator("#edit-form").get_by_label("Estimate").input_value()
    base = first.locator("#edit-form input[name=base_revision]").input_value()

    first.locator("#edit-form").get_by_label("Title").fill("SSO and RBAC for the new clusters")
    first.get_by_role("button", name="Save as a new revision").click()
    expect(first.get_by_role("status")).to_contain_text("Saved as revision", timeout=SLOW)

    second.locator("#edit-form").get_by_label("Estimate").fill("20d")
    with watch.expecting(409):
        with second.expect_response(re.compile(r"/edit$")) as sent:
            second.get_by_role("button", name="Save as a new revision").click()
        # The console reports the 409 a moment after the answer: wait for the page it is.
        heading = second.get_by_role("heading", name="Someone changed the plan first")
        expect(heading).to_be_visible()
        second.wait_for_load_state("load")
    assert sent.value.status == 409
    expect(second.get_by_role("alert")).to_contain_text(f"made on revision {base}")
    expect(second.locator("main")).to_contain_text("SSO and RBAC for the new clusters")  # changes
    expect(second.locator("dl.facts")).to_contain_text("20d")  # what the user sent
    shots.take(second, "conflict")

    second.get_by_role("link", name="Open the latest revision").click()
    expect(second.locator("#edit-form").get_by_label("Title")).to_have_value(
        "SSO and RBAC for the new clusters"
    )
    expect(second.locator("#edit-form").get_by_label("Estimate")).to_have_value(estimate)
    assert title != "SSO and RBAC for the new clusters"
    revisions = len(site.app.state.ontrack.workspace.revisions(site.program))
    assert revisions == int(base) + 1  # the refused edit wrote nothing
    watch.check()


@sqlite_only
def test_what_if(page: Any, site: Served, watch: Watch, shots: Shots) -> None:
    page.goto(site.path())
    page.get_by_role("navigation", name="Program").get_by_role("link", name="What-if").click()
    form = page.locator("#whatif-form")
    expect(form).to_be_visible(timeout=SLOW)
    shots.take(page, "whatif")
    form.get_by_label(f"estimate of {CRITICAL}").fill("40d/50d/70d")
    form.get_by_role("button", name="Show the dates").click()
    result = page.locator("#whatif-result table.whatif")
    expect(result).to_be_visible(timeout=SLOW)
    expect(result.locator("thead")).to_contain_text("P80 now")
    expect(result.locator("thead")).to_contain_text("P80 then")
    finish = result.locator("tr.total td")
    expect(finish.nth(0)).to_have_text("Program finish")
    assert finish.nth(2).inner_text() != finish.nth(3).inner_text()  # the finish moved
    expect(page.locator("#whatif-result td.bad").first).to_be_visible()  # later, in red
    assert len(site.app.state.ontrack.workspace.revisions(site.program)) == 3  # nothing saved
    page.locator("#whatif-result").scroll_into_view_if_needed()
    shots.take(page, "whatif-result")
    watch.check()


@sqlite_only
def test_status_report(page: Any, context: Any, site: Served, watch: Watch, shots: Shots) -> None:
    page.goto(site.path("status"))
    text = page.locator("#status-md")
    expect(text).to_be_visible(timeout=SLOW)
    exec_text = text.input_value()
    assert exec_text.startswith("#") and site.program in exec_text, exec_text[:200]
    expect(page.locator(".tabs a[aria-current=page]")).to_have_text("Executives")
    shots.take(page, "status")
    page.get_by_role("link", name="Team").click()
    expect(page.locator(".tabs a[aria-current=page]")).to_have_text("Team")
    team_text = page.locator("#status-md").input_value()
    assert team_text.startswith("#") and team_text != exec_text
    shots.take(page, "status-team")
    with context.expect_page() as opened:
        page.get_by_role("link", name="E-mail-ready HTML").click()
    mail = opened.value
    mail.wait_for_load_state()
    expect(mail.locator("body")).to_contain_text(site.program)
    assert "audience=team" in mail.url
    shots.take(mail, "status-email")
    watch.check()


@sqlite_only
def test_script_in_a_title_is_text(page: Any, site: Served, watch: Watch, shots: Shots) -> None:
    task_page(page, site, SCRIPTED)
    page.locator("#edit-form").get_by_label("Title").fill(XSS)
    page.get_by_role("button", name="Save as a new revision").click()
    saved = page.get_by_role("status")
    expect(saved).to_contain_text("Saved as revision", timeout=SLOW)
    number = re.search(r"revision (\d+)", saved.inner_text())
    assert number is not None
    expect(page.locator("h1")).to_contain_text(XSS)  # shown as text
    assert page.locator("main script, main img[src=x]").count() == 0
    for where in ((), ("what-if",), ("people", "ben"), ("revisions", number[1])):
        page.goto(site.path(*where))
        expect(page.locator("main")).to_contain_text("<script>alert(", timeout=SLOW)
        assert (
            page.locator("main script:not([type='application/json']), main img[src=x]").count() == 0
        )
    watch.check()  # no dialog opened


@sqlite_only
def test_other_pages(page: Any, site: Served, watch: Watch, shots: Shots) -> None:
    page.goto(site.path())
    browse = page.locator("#browse")
    expect(browse).to_be_visible(timeout=SLOW)

    browse.locator("details", has_text="People").locator("summary").click()
    browse.locator(f"a[href$='/people/{PERSON}']").click()
    expect(page.locator("h1")).to_contain_text(PERSON)
    assert page.locator("table.grid tbody tr").count() >= 2
    expect(page.locator("dl.facts")).to_contain_text("busy of")
    shots.take(page, "person")

    page.goto(site.path("milestones", MILESTONE))
    expect(page.locator("h1")).to_contain_text(MILESTONE)
    expect(page.locator("dl.facts")).to_contain_text("P50 / P80")
    waits = page.locator(".card table.grid").first.locator("tbody tr")
    assert waits.count() > 10  # the open work upstream, critical path included
    expect(waits.filter(has_text="critical").first).to_be_visible()
    expect(page.locator("details.done-tasks > summary")).to_contain_text("tasks done")
    shots.take(page, "milestone")

    page.goto(site.path())
    browse = page.locator("#browse")
    browse.locator("details", has_text="Risks").locator("summary").click()
    risk = browse.locator("a[href*='/risks/']").first
    title = risk.inner_text()
    risk.click()
    expect(page.locator("h1")).to_contain_text(title)
    expect(page.locator("dl.facts")).to_contain_text("score")
    expect(page.locator("dl.facts a[href*='/people/']").first).to_be_visible()  # the owner
    expect(page.locator("#risk-form")).to_be_visible()
    shots.take(page, "risk")

    page.get_by_role("navigation", name="Program").get_by_role("link", name="Baselines").click()
    expect(page.locator("table.grid tbody tr", has_text="approved")).to_have_count(1)
    expect(page.locator("form", has_text="Freeze the latest revision")).to_have_count(0)  # editor
    shots.take(page, "baselines")

    page.get_by_role("navigation", name="Program").get_by_role("link", name="Activity").click()
    expect(page.locator("table.grid tbody")).to_contain_text("edit-task")
    shots.take(page, "activity")
    watch.check()


@sqlite_only
def test_the_watch_sees_a_csp_violation(context: Any, watch: Watch) -> None:
    """The pages' "no CSP violation" is not vacuous: an inline script is refused and seen."""
    page = context.new_page()
    page.goto("/login")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran === undefined")  # refused by the CSP
    assert any("CSP violation: script-src" in p for p in watch.problems), watch.problems
    assert any("Content Security Policy" in p for p in watch.problems), watch.problems


@sqlite_only
def test_single_user_mode(
    browser: Any, site: Served, tmp_path: Path, watch: Watch, shots: Shots
) -> None:
    """A store with no users, served on loopback: no login, and the page says so."""
    db = f"sqlite+pysqlite:///{tmp_path / 'alone.db'}"
    plan, program = record_example(tmp_path, db, users=False)
    with cheap_hashes(), serve(db, plan, program) as alone:
        context = browser.new_context(base_url=alone.url, viewport=VIEWPORT)
        context.set_default_timeout(SLOW)
        watch.attach(context)
        page = context.new_page()
        page.goto("/")
        expect(page).to_have_url(alone.url + "/")
        expect(page.locator(".single")).to_have_text("single-user mode")
        expect(page.locator("table.portfolio .rag")).to_be_visible(timeout=SLOW)
        shots.take(page, "single-user")
        page.goto(alone.path("tasks", CRITICAL))
        expect(page.locator("#edit-form")).to_be_visible(timeout=SLOW)  # the local admin edits
        context.close()
    watch.check()
