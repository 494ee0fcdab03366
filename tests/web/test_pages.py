"""Pages beyond the flows the browser drives: the dashboard's task list comes in pages (a big
program's page stays light) and the rest arrives with htmx, in the schedule's order."""

from __future__ import annotations

import re

from tests.web.conftest import PROGRAM, VIEWER, Web, pages


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
