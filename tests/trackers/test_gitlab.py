"""The GitLab adapter against a local GitLab (tests/trackers/fakes/gitlab.py): first and
incremental syncs, resuming, retries and rate limits, errors, write-back."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ontrack.model.tracker import Match, Source, TrackerItem, TrackerKind
from ontrack.trackers.base import Cursor, Page, TrackerError, adapter_for
from ontrack.trackers.gitlab import MARKER, GitLabAdapter
from tests.trackers.fakes.gitlab import START, GitLabFake

TOKEN = "glpat-Sup3rSecretToken"
ENV = {"GL_TOKEN": TOKEN}


@pytest.fixture
def gl() -> Iterator[GitLabFake]:
    with GitLabFake(token=TOKEN) as fake:
        yield fake


def source(gl: GitLabFake, **changes: Any) -> Source:
    base = Source(
        name="web",
        kind=TrackerKind.GITLAB,
        url=gl.url,
        project=gl.project,
        token_env="GL_TOKEN",
    )
    return dataclasses.replace(base, **changes)


def adapter(gl: GitLabFake, *, waits: list[float] | None = None, **options: Any) -> GitLabAdapter:
    record = waits if waits is not None else []
    src = options.pop("src", None) or source(gl)
    environ = options.pop("environ", ENV)
    return GitLabAdapter(src, environ=environ, sleep=record.append, **options)


def sync(ad: GitLabAdapter, cursor: Cursor | None = None) -> list[Page]:
    return list(ad.pages(cursor))


def items(pages: list[Page]) -> dict[str, TrackerItem]:
    return {item.key: item for page in pages for item in page.items}


def keys(pages: list[Page]) -> list[str]:
    return [item.key for page in pages for item in page.items]


def at(seconds: int) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


def project_plan(gl: GitLabFake) -> None:
    """#1 done (went through "workflow::in progress"), #2 in progress and blocked by #3, #3 not
    started, #4 closed at once."""
    gl.add_issue(
        "Design", labels=["backend"], assignees=["ann"], weight=3, milestone="v1", epic_iid=5
    )  # t=1
    gl.add_issue(
        "Build",
        labels=["backend", "doing"],
        assignees=["bob"],
        weight=5,
        milestone="v1",
        epic_iid=5,
    )  # t=2
    gl.add_issue("Spec", weight=None)  # t=3
    gl.add_issue("Old", state="closed", labels=["backend"])  # t=4, closed t=5
    gl.update_issue(1, labels=["backend", "workflow::in progress"])  # t=6
    gl.update_issue(1, state="closed")  # t=7
    gl.link(3, 2)


# -- first sync ------------------------------------------------------------------------------


def test_first_sync_maps_every_field(gl: GitLabFake) -> None:
    project_plan(gl)
    match = Match(labels=("backend",), milestone="v1", parent="5")
    with adapter(gl, src=source(gl, match=match)) as ad:
        ad.check()
        pages = sync(ad)
    assert len(pages) == 1 and pages[0].final
    got = items(pages)
    assert keys(pages) == ["2", "3", "4", "1"]  # oldest change first

    design = got["1"]
    assert design.title == "Design"
    assert design.url == f"{gl.url}/group/sub/project/-/issues/1"
    assert (design.state, design.closed, design.closed_at) == ("closed", True, at(7))
    assert (design.created, design.updated) == (at(1), at(7))
    assert design.assignees == ("ann",)
    assert design.labels == ("backend", "workflow::in progress")
    assert (design.milestone, design.parent, design.estimate) == ("v1", "5", Decimal(3))
    assert (design.started, design.done, design.in_scope) == (True, True, True)
    assert [(t.at, t.from_state, t.to_state, t.started, t.done) for t in design.transitions] == [
        (at(6), "opened", "workflow::in progress", True, False),
        (at(7), "workflow::in progress", "closed", True, True),
    ]

    build = got["2"]
    assert build.blocked_by == ("3",)
    assert (build.started, build.done, build.in_scope) == (True, False, True)
    assert [(t.at, t.to_state) for t in build.transitions] == [(at(2), "doing")]

    spec = got["3"]
    assert spec.blocked_by == ()  # it blocks #2: "blocks" on its side
    assert (spec.started, spec.estimate, spec.transitions, spec.in_scope) == (
        False,
        None,
        (),
        False,
    )
    assert (spec.parent, spec.milestone) == (None, None)

    old = got["4"]
    assert (old.done, old.closed_at, old.in_scope) == (True, at(5), False)  # no milestone
    assert [t.to_state for t in old.transitions] == ["closed"]


def test_first_sync_requests_only_what_items_need(gl: GitLabFake) -> None:
    project_plan(gl)
    with adapter(gl) as ad:
        pages = sync(ad)
        total = ad.requests
    # 1 list + links of the 2 open issues + state and label events of the 3 started/done ones
    assert pages[0].requests == total == 1 + 2 + 3 * 2
    linked = {r.path.split("/")[-2] for r in gl.requests("GET", "/links")}
    assert linked == {"2", "3"}  # a first sync skips the closed history's links
    assert {r.path.split("/")[-2] for r in gl.requests("GET", "/resource_state_events")} == {
        "1",
        "2",
        "4",
    }
    listing = gl.requests("GET", "/issues")[0]
    assert listing.path == "/api/v4/projects/group%2Fsub%2Fproject/issues"
    assert listing.query == {
        "scope": "all",
        "state": "all",
        "order_by": "updated_at",
        "sort": "asc",
        "per_page": "100",
    }


def test_estimate_fields_and_their_units(gl: GitLabFake) -> None:
    gl.add_issue("a", labels=["estimate::3", "backend"], time_estimate=7200, weight=2)
    gl.add_issue("b", labels=["Estimate:1.5"], time_estimate=0)
    expected = {
        "weight": (Decimal(2), None),
        "label:estimate": (Decimal(3), Decimal("1.5")),
        "time_estimate": (Decimal(7200), None),  # seconds; 0 is GitLab's "not set"
    }
    for name, (a, b) in expected.items():
        with adapter(gl, src=source(gl, estimate_field=name)) as ad:
            ad.check()
            got = items(sync(ad))
        assert (got["1"].estimate, got["2"].estimate) == (a, b), name


def test_adapter_for_builds_it(gl: GitLabFake) -> None:
    ad = adapter_for(source(gl), environ=ENV, sleep=lambda s: None)
    assert isinstance(ad, GitLabAdapter)
    ad.check()
    assert ad.requests == 2  # the project, and one issue to see that weights exist
    ad.close()


# -- incremental and resume ------------------------------------------------------------------


def test_incremental_returns_only_changed_issues(gl: GitLabFake) -> None:
    project_plan(gl)
    for n in range(5, 11):
        gl.add_issue(f"filler {n}")
    with adapter(gl) as ad:
        first = sync(ad)
        cursor = first[-1].cursor
        assert len(items(first)) == 10

        gl.update_issue(3, title="Spec, revised")
        gl.update_issue(9, labels=["doing"])
        before = ad.requests
        again = sync(ad, cursor)
        assert keys(again) == ["3", "9"]
        assert items(again)["3"].title == "Spec, revised"
        assert items(again)["9"].started
        # 1 list + links of both (changed items) + state and label events of the started #9
        assert ad.requests - before == sum(p.requests for p in again) == 1 + 2 + 2
        assert again[-1].final

        # Nothing changed: the stored ETag gets a 304, and one empty final page.
        before = ad.requests
        quiet = sync(ad, again[-1].cursor)
        assert [(p.items, p.final, p.requests) for p in quiet] == [((), True, 1)]
        assert ad.requests - before == 1
        assert quiet[0].cursor == again[-1].cursor


def test_an_issue_changed_in_the_marks_own_millisecond_is_not_lost(gl: GitLabFake) -> None:
    for n in range(1, 4):
        gl.add_issue(f"issue {n}")
    with adapter(gl, page_size=2) as ad:
        first = sync(ad)
        last = max(item.updated for item in items(first).values())
        gl.update_issue(1, at=last, title="same instant as the mark")  # updated_after is >=
        again = sync(ad, first[-1].cursor)
    assert keys(again) == ["1"]
    assert items(again)["1"].title == "same instant as the mark"


def test_resume_from_a_mid_run_cursor_loses_and_repeats_nothing(gl: GitLabFake) -> None:
    for n in range(1, 8):
        gl.add_issue(f"issue {n}")
    with adapter(gl, page_size=2) as ad:
        run = ad.pages(None)
        stored = [next(run), next(run)]  # the sync is killed after storing two pages
        del run  # the process dies here
        assert not stored[-1].final
        # Meanwhile an unread issue changes: it moves to the end, and offset pages would shift
        # issue 6 onto a page already read.
        gl.update_issue(5, title="moved")
        rest = sync(ad, stored[-1].cursor)
    read = keys(stored) + keys(rest)
    assert sorted(read, key=int) == [str(n) for n in range(1, 8)]  # each once
    assert read == ["1", "2", "3", "4", "6", "7", "5"]
    assert rest[-1].final and not any(p.final for p in rest[:-1])


def test_more_same_time_issues_than_a_page_holds(gl: GitLabFake) -> None:
    for n in range(1, 8):
        gl.add_issue(f"issue {n}")
    moment = gl.tick()
    for iid in (2, 3, 4, 5, 6):  # a bulk edit: five issues in the same millisecond
        gl.update_issue(iid, at=moment, title=f"bulk {iid}")
    with adapter(gl, page_size=2) as ad:
        pages = sync(ad)
        read = keys(pages)
        assert sorted(read, key=int) == [str(n) for n in range(1, 8)]
        again = sync(ad, pages[-1].cursor)
    assert keys(again) == []


def test_a_short_page_does_not_end_the_sync(gl: GitLabFake) -> None:
    for n in range(1, 7):
        gl.add_issue(f"issue {n}")
    gl.short_page_next()  # GitLab hid one issue of the first page (permissions after paging)
    with adapter(gl, page_size=3) as ad:
        pages = sync(ad)
    assert len(pages[0].items) == 2 and not pages[0].final
    assert sorted(keys(pages), key=int) == [str(n) for n in range(1, 7)]


def test_pages_follow_gitlab_pagination_for_events(gl: GitLabFake) -> None:
    gl.add_issue("busy", labels=["doing"])
    for n in range(130):  # more label events than one page of 100
        gl.update_issue(1, labels=["doing", f"tag{n}"] if n % 2 == 0 else ["doing"])
    gl.update_issue(1, state="closed")
    with adapter(gl) as ad:
        got = items(sync(ad))
    assert [t.to_state for t in got["1"].transitions] == ["doing", "closed"]
    label_pages = gl.requests("GET", "/resource_label_events")
    assert [r.query.get("page", "1") for r in label_pages] == ["1", "2"]  # 131 events


# -- retries and rate limits -----------------------------------------------------------------


def test_server_errors_are_retried_with_backoff(gl: GitLabFake) -> None:
    gl.add_issue("one")
    gl.fail_next(2, status=502)
    waits: list[float] = []
    with adapter(gl, waits=waits) as ad:
        pages = sync(ad)
    assert keys(pages) == ["1"]
    assert waits == [0.5, 1.0]
    assert pages[0].requests == 3 + 1  # the list three times, then the open issue's links


def test_rate_limit_waits_for_retry_after(gl: GitLabFake) -> None:
    gl.add_issue("one")
    gl.rate_limit_next(7)
    waits: list[float] = []
    with adapter(gl, waits=waits) as ad:
        assert keys(sync(ad)) == ["1"]
    assert waits == [7.0]


def test_rate_limit_longer_than_allowed_is_e609(gl: GitLabFake) -> None:
    gl.add_issue("one")
    gl.rate_limit_next(600)
    waits: list[float] = []
    with adapter(gl, waits=waits, max_wait=120.0) as ad, pytest.raises(TrackerError) as caught:
        sync(ad)
    assert caught.value.code == "E609"
    assert waits == []


# -- errors ----------------------------------------------------------------------------------


def test_wrong_token_is_e602_and_never_shown(gl: GitLabFake) -> None:
    wrong = "glpat-WrongButSecret99"
    with adapter(gl, environ={"GL_TOKEN": wrong}) as ad, pytest.raises(TrackerError) as caught:
        ad.check()
    error = caught.value
    assert error.code == "E602"
    for text in (str(error), error.message, error.hint):
        assert wrong not in text and TOKEN not in text


def test_missing_token_is_e601(gl: GitLabFake) -> None:
    with pytest.raises(TrackerError) as caught:
        adapter(gl, environ={})
    assert caught.value.code == "E601"


def test_html_in_front_is_e603(gl: GitLabFake) -> None:
    gl.html = True
    with adapter(gl) as ad, pytest.raises(TrackerError) as caught:
        ad.check()
    assert caught.value.code == "E603"


def test_json_that_is_not_a_project_is_e603() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"status": "ok"}))
    src = Source("web", TrackerKind.GITLAB, "https://example.test", "a/b", token_env="GL_TOKEN")
    ad = GitLabAdapter(src, environ=ENV, transport=transport)
    with ad, pytest.raises(TrackerError) as caught:
        ad.check()
    assert caught.value.code == "E603"


def test_missing_project_is_e604(gl: GitLabFake) -> None:
    ad = adapter(gl, src=source(gl, project="group/nope"))
    with ad, pytest.raises(TrackerError) as caught:
        ad.check()
    assert caught.value.code == "E604"
    assert gl.log[-1].path == "/api/v4/projects/group%2Fnope"


def test_numeric_project_id_works(gl: GitLabFake) -> None:
    gl.add_issue("one")
    with adapter(gl, src=source(gl, project=str(gl.project_id))) as ad:
        ad.check()
        assert keys(sync(ad)) == ["1"]


def test_unknown_estimate_field_is_e606(gl: GitLabFake) -> None:
    with adapter(gl, src=source(gl, estimate_field="story_points")) as ad:
        with pytest.raises(TrackerError) as caught:
            ad.check()
        assert caught.value.code == "E606"
        with pytest.raises(TrackerError) as caught:
            sync(ad)
        assert caught.value.code == "E606"


def test_weight_without_premium_is_e606() -> None:
    with GitLabFake(token=TOKEN, premium=False) as gl:
        gl.add_issue("one", time_estimate=3600)
        with adapter(gl) as ad, pytest.raises(TrackerError) as caught:
            ad.check()
        assert caught.value.code == "E606"
        with adapter(gl, src=source(gl, estimate_field="time_estimate")) as ad:
            ad.check()
            assert items(sync(ad))["1"].estimate == Decimal(3600)


def test_garbage_json_is_e607(gl: GitLabFake) -> None:
    gl.add_issue("one")
    gl.truncate_next()
    with adapter(gl) as ad, pytest.raises(TrackerError) as caught:
        sync(ad)
    assert caught.value.code == "E607"


# -- write-back ------------------------------------------------------------------------------


def test_due_date_dry_run_sends_nothing(gl: GitLabFake) -> None:
    gl.add_issue("one")
    with adapter(gl) as ad:
        result = ad.write_back("1", "due_date", "2024-03-01", dry_run=True)
    assert (result.old, result.new, result.changed) == (None, "2024-03-01", True)
    assert gl.requests("PUT") == [] and gl.issue(1)["due_date"] is None


def test_due_date_is_set_once(gl: GitLabFake) -> None:
    gl.add_issue("one", due_date="2024-02-01")
    with adapter(gl) as ad:
        result = ad.write_back("1", "due_date", "2024-03-01", dry_run=False)
        assert (result.old, result.changed) == ("2024-02-01", True)
        assert gl.issue(1)["due_date"] == "2024-03-01"
        [put] = gl.requests("PUT")
        assert put.path == "/api/v4/projects/group%2Fsub%2Fproject/issues/1"
        assert put.body == {"due_date": "2024-03-01"}
        again = ad.write_back("1", "due_date", "2024-03-01", dry_run=False)
    assert not again.changed
    assert len(gl.requests("PUT")) == 1


def test_comment_created_updated_and_left_alone(gl: GitLabFake) -> None:
    gl.add_issue("one")
    gl.add_note(1, "a person's comment")
    gl.add_note(1, "changed the milestone", system=True)
    with adapter(gl) as ad:
        dry = ad.write_back("1", "comment", "Forecast: 2024-03-01", dry_run=True)
        assert dry.changed and gl.requests("POST") == []

        created = ad.write_back("1", "comment", "Forecast: 2024-03-01", dry_run=False)
        assert (created.old, created.changed) == (None, True)
        assert created.new == f"{MARKER}\nForecast: 2024-03-01"
        [post] = gl.requests("POST")
        assert post.path.endswith("/issues/1/notes") and post.body == {"body": created.new}

        same = ad.write_back("1", "comment", "Forecast: 2024-03-01", dry_run=False)
        assert not same.changed

        moved = ad.write_back("1", "comment", "Forecast: 2024-03-08", dry_run=False)
        assert (moved.old, moved.changed) == (created.new, True)
    bodies = [n["body"] for n in gl.notes(1)]
    assert bodies == [
        "a person's comment",
        "changed the milestone",
        f"{MARKER}\nForecast: 2024-03-08",
    ]
    [put] = gl.requests("PUT")
    assert put.path.endswith(f"/issues/1/notes/{gl.notes(1)[2]['id']}")
    assert len(gl.requests("POST")) == 1


def test_refused_write_is_e611() -> None:
    with GitLabFake(token=TOKEN, writable=False) as gl:
        gl.add_issue("one")
        with adapter(gl) as ad:
            with pytest.raises(TrackerError) as caught:
                ad.write_back("1", "due_date", "2024-03-01", dry_run=False)
            assert caught.value.code == "E611"
            with pytest.raises(TrackerError) as caught:
                ad.write_back("1", "comment", "hello", dry_run=False)
            assert caught.value.code == "E611"
            # A dry run only reads, so a read-only token may preview.
            assert ad.write_back("1", "due_date", "2024-03-01", dry_run=True).changed
