"""The Redmine adapter against a real Redmine (the ``redmine`` fixture: Debian's package, a fresh
SQLite database per session). One project is set up through the REST API; the tests read it."""

from __future__ import annotations

import http.server
import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest

from ontrack.model.tracker import Match, Source, TrackerItem, TrackerKind
from ontrack.trackers.base import Page, TrackerError
from ontrack.trackers.redmine import RedmineAdapter
from tests.trackers.conftest import Redmine

ENV = "ONTRACK_TEST_REDMINE_KEY"


@dataclass(frozen=True)
class World:
    redmine: Redmine
    project: str
    ids: dict[str, int]  # issue name -> id
    users: dict[str, int]
    version: str
    story_points: int  # a custom field's id

    def source(self, **changes: Any) -> Source:
        base = Source(
            name="rm",
            kind=TrackerKind.REDMINE,
            url=self.redmine.url,
            project=self.project,
            token_env=ENV,
        )
        return replace(base, **changes)

    def adapter(self, *, key: str | None = None, **options: Any) -> RedmineAdapter:
        source = options.pop("source", None) or self.source()
        return RedmineAdapter(source, environ={ENV: key or self.redmine.key}, **options)

    def key(self, name: str) -> str:
        return str(self.ids[name])


@pytest.fixture(scope="module")
def world(redmine: Redmine) -> World:
    api = redmine.api
    project = f"sync-{uuid.uuid4().hex[:8]}"
    api.create_project(project, "Sync test")
    version = "v1.0"
    version_id = api.create_version(project, version)
    users = {login: api.create_user(login) for login in ("alice", "bob")}
    for user_id in users.values():
        api.add_member(project, user_id)
    points = api.create_custom_field_db(f"Story points {project}")
    ids: dict[str, int] = {}
    ids["design"] = api.create_issue(
        project, "Design", tracker="Feature", estimated_hours=8, start_date="2026-11-02",
        due_date="2026-11-06", assigned_to_id=users["alice"], fixed_version_id=version_id,
    )  # fmt: skip
    ids["build"] = api.create_issue(
        project, "Build", tracker="Bug", estimated_hours=16.5, assigned_to_id=users["bob"],
        done_ratio=40, fixed_version_id=version_id,
        custom_fields=[{"id": points, "value": "5"}],
    )  # fmt: skip
    ids["test"] = api.create_issue(project, "Test", estimated_hours=4)
    ids["epic"] = api.create_issue(project, "Epic", tracker="Feature")
    ids["child"] = api.create_issue(project, "Child", parent_issue_id=ids["epic"], done_ratio=10)
    ids["support"] = api.create_issue(project, "Support call", tracker="Support")
    ids["dropped"] = api.create_issue(project, "Dropped")
    api.relate(ids["design"], ids["build"], "blocks")
    api.relate(ids["build"], ids["test"], "precedes")
    # Design walks the default workflow as the admin: New → In Progress → Resolved → Closed.
    for status in ("In Progress", "Resolved", "Closed"):
        api.set_status(ids["design"], status, notes=f"now {status}")
    api.update_issue(ids["design"], done_ratio=100)
    api.set_status(ids["build"], "In Progress", notes="started")
    api.set_status(ids["dropped"], "Rejected")
    api.log_time(ids["build"], 3.5)
    api.log_time(ids["design"], 6)
    # The adapter trusts updated_on only to the second: start the tests in a later one.
    time.sleep(1.1)
    return World(redmine, project, ids, users, version, points)


def read_all(adapter: RedmineAdapter, cursor: Any = None) -> tuple[list[Page], dict[str, Any]]:
    pages = list(adapter.pages(cursor))
    assert pages and pages[-1].final and not any(p.final for p in pages[:-1])
    return pages, {i.key: i for p in pages for i in p.items}


def test_admin_walks_the_default_workflow(world: World) -> None:
    issue = world.redmine.api.issue(world.ids["design"])
    assert issue["status"]["name"] == "Closed"
    moves = [
        (d["old_value"], d["new_value"])
        for j in issue["journals"]
        for d in j["details"]
        if d["name"] == "status_id"
    ]
    status = world.redmine.api.status_ids()
    names = ["New", "In Progress", "Resolved", "Closed"]
    assert moves == [(str(status[a]), str(status[b])) for a, b in itertools.pairwise(names)]


def test_first_sync_maps_every_field(world: World) -> None:
    adapter = world.adapter(source=world.source(match=Match(milestone="v1.0")))
    adapter.check()
    before = adapter.requests
    pages, items = read_all(adapter)
    assert set(items) == {world.key(n) for n in world.ids}
    assert sum(p.requests for p in pages) == adapter.requests - before
    design, build = items[world.key("design")], items[world.key("build")]
    test = items[world.key("test")]
    assert design.title == "Design" and design.url == f"{world.redmine.url}/issues/{design.key}"
    assert (design.state, design.closed, design.started, design.done) == (
        "Closed",
        True,
        True,
        True,
    )
    assert design.closed_at is not None and design.closed_at.tzinfo is not None
    assert design.created <= design.updated and design.created.tzinfo is not None
    assert design.assignees == ("alice",) and build.assignees == ("bob",)
    assert design.estimate == Decimal("8.0") and build.estimate == Decimal("16.5")
    assert design.percent_done == Decimal(100) and build.percent_done == Decimal(40)
    assert design.labels == ("Feature",) and build.labels == ("Bug",)
    assert design.milestone == "v1.0" and test.milestone is None
    assert design.in_scope and build.in_scope and not test.in_scope
    assert [(t.from_state, t.to_state, t.started, t.done) for t in design.transitions] == [
        ("New", "In Progress", True, False),
        ("In Progress", "Resolved", True, False),
        ("Resolved", "Closed", True, True),
    ]
    assert (build.state, build.started, build.done) == ("In Progress", True, False)
    assert [t.to_state for t in build.transitions] == ["In Progress"]
    assert build.blocked_by == (design.key,) and test.blocked_by == (build.key,)
    assert design.blocked_by == () and test.transitions == ()
    assert (test.state, test.started, test.done) == ("New", False, False)
    child, epic = items[world.key("child")], items[world.key("epic")]
    assert child.parent == epic.key and epic.parent is None
    dropped = items[world.key("dropped")]
    assert (dropped.state, dropped.closed, dropped.done) == ("Rejected", True, True)
    assert items[world.key("support")].labels == ("Support",)


def test_custom_field_estimate(world: World) -> None:
    for name in (f"cf:{world.story_points}", f"cf:Story points {world.project}"):
        adapter = world.adapter(source=world.source(estimate_field=name))
        adapter.check()
        _, items = read_all(adapter)
        assert items[world.key("build")].estimate == Decimal(5)
        assert items[world.key("design")].estimate is None


def test_incremental_sync_reads_only_what_changed(world: World) -> None:
    adapter = world.adapter()
    first_pages, first = read_all(adapter)
    cursor = first_pages[-1].cursor
    api = world.redmine.api
    api.update_issue(world.ids["test"], done_ratio=70)
    api.set_status(world.ids["support"], "In Progress", notes="picked up")
    before = adapter.requests
    pages, items = read_all(adapter, cursor)
    assert set(items) == {world.key("test"), world.key("support")}
    assert items[world.key("test")].percent_done == Decimal(70)
    assert items[world.key("support")].started and items[world.key("support")].transitions
    # One list request, and the journals of the one issue whose status moved.
    assert adapter.requests - before == 2 == sum(p.requests for p in pages)
    # Nothing changed since: nothing comes back, in one request. (Issues changed in the second
    # of a read are read again next time, as updated_on cannot tell a second change in it.)
    time.sleep(1.1)
    pages, items = read_all(adapter, pages[-1].cursor)
    before = adapter.requests
    pages, items = read_all(adapter, pages[-1].cursor)
    assert items == {} and adapter.requests - before == 1
    assert len(first) == len(world.ids)


def test_resume_from_a_mid_run_cursor_loses_nothing(world: World) -> None:
    adapter = world.adapter(page_size=3)
    pages, everything = read_all(adapter)
    assert len(pages) >= 3
    stored = {i.key for p in pages[:2] for i in p.items}
    # An issue stored before the interruption changes: it sorts later, offsets shift under us.
    moved = pages[0].items[0].key
    world.redmine.api.update_issue(int(moved), notes="touched while the sync was down")
    resumed = world.adapter(page_size=3)
    rest_pages, rest = read_all(resumed, pages[1].cursor)
    assert stored | set(rest) == set(everything)
    assert moved in rest  # changed after it was stored: read again
    assert not (set(rest) - {moved}) & stored  # and nothing else stored is handed out twice
    assert sum(p.requests for p in rest_pages) == resumed.requests


class _Html(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><html><body>Welcome to a web page</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def html_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def failure(adapter: RedmineAdapter) -> TrackerError:
    with pytest.raises(TrackerError) as caught:
        adapter.check()
    return caught.value


def test_errors(world: World, html_server: str) -> None:
    wrong = "0123456789abcdef0123456789abcdef01234567"
    error = failure(world.adapter(key=wrong))
    assert error.code == "E602"
    assert wrong not in error.message + error.hint
    assert failure(world.adapter(source=world.source(url=html_server))).code == "E603"
    assert failure(world.adapter(source=world.source(project="no-such-project"))).code == "E604"
    bad_field = world.source(estimate_field="cf:No such field")
    error = failure(world.adapter(source=bad_field))
    assert error.code == "E606" and "No such field" in error.message
    assert failure(world.adapter(source=world.source(estimate_field="story_points"))).code == "E606"
    with pytest.raises(TrackerError) as caught:
        RedmineAdapter(world.source(), environ={})
    assert caught.value.code == "E601"


def test_write_back(world: World) -> None:
    adapter = world.adapter()
    api = world.redmine.api
    key = world.key("support")  # no relation reschedules it
    planned = adapter.write_back(key, "due_date", "2026-12-24", dry_run=True)
    assert (planned.old, planned.new, planned.changed) == (None, "2026-12-24", True)
    assert api.issue(int(key))["due_date"] is None
    done = adapter.write_back(key, "due_date", "2026-12-24", dry_run=False)
    assert done.changed and api.issue(int(key))["due_date"] == "2026-12-24"
    again = adapter.write_back(key, "due_date", "2026-12-24", dry_run=False)
    assert (again.old, again.changed) == ("2026-12-24", False)

    journals = len(api.issue(int(key))["journals"])
    text = "Forecast: done by 2026-12-24 (p80)"
    assert adapter.write_back(key, "comment", text, dry_run=True).changed
    assert len(api.issue(int(key))["journals"]) == journals
    assert adapter.write_back(key, "comment", text, dry_run=False).changed
    assert not adapter.write_back(key, "comment", text, dry_run=False).changed
    assert len(api.issue(int(key))["journals"]) == journals + 1
    newer = adapter.write_back(key, "comment", "Forecast: slipped", dry_run=False)
    assert (newer.old, newer.changed) == (text, True)

    # Design starts on 2026-11-02: Redmine refuses an earlier due date, and says why.
    with pytest.raises(TrackerError) as caught:
        adapter.write_back(world.key("design"), "due_date", "2026-10-01", dry_run=False)
    assert caught.value.code == "E611" and "Due date" in caught.value.message


def test_items_round_trip_as_json(world: World) -> None:
    _, items = read_all(world.adapter())
    for item in items.values():
        assert TrackerItem.from_json(item.to_json()) == item
