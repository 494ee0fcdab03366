"""Pages beyond the flows the browser drives: the dashboard's task list comes in pages (a big
program's page stays light) and the rest arrives with htmx, in the schedule's order."""

from __future__ import annotations

import re

from tests.web.conftest import EDITOR, PROGRAM, TASK, VIEWER, Web, api, pages


def test_the_task_list_pages_through_every_task_once(web: Web) -> None:
    client = web.session(VIEWER)
    dashboard = client.get(pages())
    assert dashboard.status_code == 200
    schedule = web.state.programs.view(PROGRAM).assessment.solved.schedule
    tasks = [t.id for t in schedule.tasks]
    link = re.compile(r'<tr><td><a href="/p/[^"/]+/tasks/([^"]+)">')
    seen = link.findall(dashboard.text)
    assert len(seen) == 100 < len(tasks)
    offset = re.search(r"task-rows\?offset=(\d+)", dashboard.text)
    while offset is not None:
        rows = client.get(pages("task-rows") + f"?offset={offset[1]}")
        assert rows.status_code == 200
        seen += link.findall(rows.text)
        offset = re.search(r"task-rows\?offset=(\d+)", rows.text)
    assert seen == tasks
    past = client.get(pages("task-rows") + f"?offset={len(tasks) + 5}")
    assert past.status_code == 200 and "<tr>" not in past.text


def test_a_page_shows_the_progress_page_while_the_assessment_is_computed(
    fresh_web: Web,
) -> None:
    import dataclasses

    state = fresh_web.state
    client = fresh_web.session(VIEWER)
    assert client.get(pages()).status_code == 200  # computed and cached
    state.settings = dataclasses.replace(state.settings, wait_page_after=0.0)
    # New progress changes the store's fingerprint: the next page needs a new assessment.
    fact = {"task": TASK, "status_date": "2026-04-10", "percent_complete": 50}
    posted = fresh_web.client.post(
        api("progress"), json={"facts": [fact]}, headers=fresh_web.bearer(EDITOR)
    )
    assert posted.status_code == 200, posted.text
    waiting = client.get(pages())
    assert waiting.status_code == 200
    assert "this page fills in when the assessment is ready" in waiting.text
    assert 'hx-trigger="every 500ms"' in waiting.text  # polls the job
    for job in state.programs.jobs.running():
        job.future.result(timeout=120)
    done = client.get(pages())
    assert done.status_code == 200 and 'id="milestones"' in done.text
