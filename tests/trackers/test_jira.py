"""The Jira Cloud adapter against a local Jira (tests/trackers/fakes/jira.py) over real HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ontrack.model.tracker import Match, Source, TrackerItem, TrackerKind
from ontrack.trackers.base import Cursor, Page, TrackerError, adapter_for
from ontrack.trackers.jira import JiraAdapter
from tests.trackers.fakes.jira import START, STORY_POINTS, JiraFake, Request

USER, TOKEN = "dev@example.com", "s3cr3t-jira-token"
ENV = {"JIRA_USER": USER, "JIRA_TOKEN": TOKEN}
SEARCH = "/rest/api/3/search/jql"


@pytest.fixture
def jira() -> Iterator[JiraFake]:
    with JiraFake(user=USER, token=TOKEN) as fake:
        yield fake


def source(url: str, **options: Any) -> Source:
    return Source(
        name="jira",
        kind=TrackerKind.JIRA,
        url=url,
        project=options.pop("project", "PLAT"),
        token_env="JIRA_TOKEN",
        user_env="JIRA_USER",
        **options,
    )


def connect(
    fake: JiraFake,
    waits: list[float] | None = None,
    *,
    environ: dict[str, str] | None = None,
    page_size: int = 100,
    **options: Any,
) -> JiraAdapter:
    def sleep(seconds: float) -> None:
        if waits is not None:
            waits.append(seconds)

    return JiraAdapter(
        source(fake.url, **options),
        environ=ENV if environ is None else environ,
        sleep=sleep,
        page_size=page_size,
    )


def sync(adapter: JiraAdapter, cursor: Cursor | None = None) -> tuple[list[TrackerItem], Page]:
    pages = list(adapter.pages(cursor))
    assert pages[-1].final and not any(p.final for p in pages[:-1])
    return [item for page in pages for item in page.items], pages[-1]


def searches(fake: JiraFake) -> list[dict[str, Any]]:
    return [r.body for r in fake.requests_to(SEARCH)]


def refused(code: str, call: Any) -> TrackerError:
    with pytest.raises(TrackerError) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    return caught.value


# -- reading -----------------------------------------------------------------------------------


def test_first_sync_maps_every_field_and_the_changelog(jira: JiraFake) -> None:
    epic = jira.add_issue("Checkout")
    login = jira.add_issue(
        "Login page",
        assignee="acc-1",
        labels=("web", "ux"),
        fix_versions=("1.0", "1.1"),
        parent=epic,
        points=3,
    )
    pay = jira.add_issue("Payments", points=5.5, assignee="acc-2")
    jira.transition(login, "In Progress")
    jira.transition(login, "In Review")
    jira.transition(login, "Done")
    done_at = jira.now
    jira.block(login, pay)
    jira.transition(pay, "In Progress")
    adapter = connect(jira)
    adapter.check()

    items, last = sync(adapter)

    by_key = {item.key: item for item in items}
    assert [i.key for i in items] == [epic, login, pay]  # updated ascending
    first = by_key[login]
    assert first.title == "Login page"
    assert first.url == f"{jira.url}/browse/{login}"
    assert (first.state, first.closed, first.started, first.done) == ("Done", True, True, True)
    assert first.created == START + dt.timedelta(seconds=2)
    assert first.created.utcoffset() == dt.timedelta(0)
    assert first.closed_at == done_at
    assert first.assignees == ("acc-1",)
    assert first.labels == ("web", "ux")
    assert first.milestone == "1.0"
    assert first.estimate == Decimal(3)
    assert first.parent == epic
    assert first.blocked_by == ()
    assert [(t.from_state, t.to_state, t.started, t.done) for t in first.transitions] == [
        ("To Do", "In Progress", True, False),
        ("In Progress", "In Review", True, False),
        ("In Review", "Done", True, True),
    ]
    assert first.transitions[-1].at == done_at
    second = by_key[pay]
    assert second.blocked_by == (login,)  # "Payments is blocked by Login page"
    assert second.estimate == Decimal("5.5")
    assert (second.state, second.closed, second.started, second.done) == (
        "In Progress",
        False,
        True,
        False,
    )
    assert second.closed_at is None
    assert by_key[epic].estimate is None and by_key[epic].parent is None
    assert all(item.in_scope for item in items)
    assert last.cursor == {"mark": {"updated": jira.now.isoformat(), "key": pay}}
    (body,) = searches(jira)
    assert body["jql"] == 'project = "PLAT" ORDER BY updated ASC, key ASC'
    assert body["expand"] == "changelog" and body["maxResults"] == 100
    assert STORY_POINTS in body["fields"] and "issuelinks" in body["fields"]
    assert "nextPageToken" not in body


def test_a_truncated_changelog_is_read_from_the_changelog_endpoint() -> None:
    with JiraFake(user=USER, token=TOKEN, changelog_limit=2) as jira:
        key = jira.add_issue("Bouncy")
        for status in ("In Progress", "To Do", "In Progress", "In Review", "Done"):
            jira.transition(key, status)
        (item,), _ = sync(connect(jira))
    assert [t.to_state for t in item.transitions] == [
        "In Progress",
        "To Do",
        "In Progress",
        "In Review",
        "Done",
    ]
    assert len(jira.requests_to(f"/rest/api/3/issue/{key}/changelog")) == 1


def test_an_empty_project_still_yields_one_final_page(jira: JiraFake) -> None:
    pages = list(connect(jira).pages(None))
    assert len(pages) == 1 and pages[0].final and pages[0].items == ()
    assert pages[0].cursor == {"mark": None}


def test_incremental_sync_reads_only_what_changed(jira: JiraFake) -> None:
    keys = [jira.add_issue(f"Story {n}") for n in range(1, 6)]
    _, last = sync(connect(jira))
    jira.tick(jira.now + dt.timedelta(seconds=20))  # same minute: the JQL bound overlaps
    jira.transition(keys[1], "In Progress")
    jira.edit(keys[3], summary="Story four, renamed")
    before = len(jira.log)

    adapter = connect(jira)
    items, final = sync(adapter, last.cursor)

    assert [i.key for i in items] == [keys[1], keys[3]]
    assert items[1].title == "Story four, renamed"
    # myself (the time zone of JQL dates), field, one search, status (the categories)
    assert final.requests == adapter.requests == 4
    (body,) = [r.body for r in jira.log[before:] if r.path == SEARCH]
    # 08:00 UTC is 09:00 in Berlin, the searching user's zone: JQL dates are in it
    assert body["jql"] == (
        'project = "PLAT" AND updated >= "2024/03/01 09:00" ORDER BY updated ASC, key ASC'
    )
    again, _ = sync(connect(jira), final.cursor)
    assert again == []


def test_resuming_from_any_page_loses_and_repeats_nothing(jira: JiraFake) -> None:
    keys = [jira.add_issue(f"Story {n}") for n in range(1, 8)]
    pages = list(connect(jira, page_size=2).pages(None))
    assert [len(p.items) for p in pages] == [2, 2, 2, 1]
    assert [p.final for p in pages] == [False, False, False, True]
    assert all(p.requests >= 1 for p in pages)

    for stop, page in enumerate(pages[:-1]):
        read = [i.key for p in pages[: stop + 1] for i in p.items]
        rest, _ = sync(connect(jira, page_size=2), page.cursor)
        assert read + [i.key for i in rest] == keys
    assert searches(jira)[-1].get("nextPageToken")  # the resume went on with the token


def test_resuming_after_the_page_token_expired(jira: JiraFake) -> None:
    keys = [jira.add_issue(f"Story {n}") for n in range(1, 8)]
    run = connect(jira, page_size=2).pages(None)
    stored = [next(run), next(run)]  # the sync is killed after its second page
    jira.expire_tokens()
    before = len(jira.log)

    rest, _ = sync(connect(jira, page_size=2), stored[-1].cursor)

    read = [i.key for p in stored for i in p.items]
    assert read + [i.key for i in rest] == keys
    answers = [r for r in jira.log[before:] if r.path == SEARCH]
    assert answers[0].body.get("nextPageToken")  # refused: expired
    assert "updated >=" in answers[1].body["jql"] and "nextPageToken" not in answers[1].body


def test_scope_rules_use_one_extra_search_per_page(jira: JiraFake) -> None:
    epic = jira.add_issue("Epic")
    a = jira.add_issue("A", labels=("web",), fix_versions=("1.0",), parent=epic)
    b = jira.add_issue("B", labels=("web",), fix_versions=("2.0",), parent=epic)
    c = jira.add_issue("C", labels=("api",), fix_versions=("1.0",), parent=epic)
    d = jira.add_issue("D", labels=("web",), fix_versions=("1.0",))
    rules = Match(query="labels = web", milestone="1.0", parent=epic)
    items, _ = sync(connect(jira, page_size=3, match=rules))
    assert {i.key: i.in_scope for i in items} == {
        epic: False,
        a: True,
        b: False,
        c: False,
        d: False,
    }
    scoped = [b for b in searches(jira) if b["fields"] == ["key"]]
    assert len(scoped) == 2  # two pages
    assert scoped[0]["jql"] == f'(labels = web) AND key in ("{epic}", "{a}", "{b}")'


def test_original_estimate_in_seconds(jira: JiraFake) -> None:
    jira.add_issue("Timed", original_estimate=7200)
    (item,), _ = sync(connect(jira, estimate_field="timeoriginalestimate"))
    assert item.estimate == Decimal(7200)


def test_the_adapter_factory_builds_it(jira: JiraFake) -> None:
    adapter = adapter_for(source(jira.url), environ=ENV)
    assert isinstance(adapter, JiraAdapter)
    adapter.check()
    assert adapter.requests == 3


# -- retries and rate limits -------------------------------------------------------------------


def test_server_errors_are_retried_with_backoff(jira: JiraFake) -> None:
    jira.add_issue("One")
    waits: list[float] = []
    adapter = connect(jira, waits)
    jira.fail_next(2, status=503)
    items, page = sync(adapter)
    assert [i.key for i in items] == ["PLAT-1"]
    assert waits == [0.5, 1.0]
    assert page.requests == adapter.requests == 4  # field twice more, search, status


def test_rate_limit_waits_for_retry_after(jira: JiraFake) -> None:
    jira.add_issue("One")
    waits: list[float] = []
    jira.rate_limit_next(1, retry_after=7)
    items, _ = sync(connect(jira, waits))
    assert len(items) == 1 and waits == [7.0]


def test_a_rate_limit_wait_longer_than_allowed_is_e609(jira: JiraFake) -> None:
    waits: list[float] = []
    jira.rate_limit_next(1, retry_after=600)
    refused("E609", lambda: connect(jira, waits).check())
    assert waits == []


# -- errors ------------------------------------------------------------------------------------


def test_a_wrong_token_is_e602_and_never_shown(jira: JiraFake) -> None:
    wrong = "wrong-token-0123456789"
    error = refused("E602", lambda: connect(jira, environ={**ENV, "JIRA_TOKEN": wrong}).check())
    for text in (error.message, error.hint, str(error)):
        assert wrong not in text and TOKEN not in text


def test_a_missing_token_variable_is_e601(jira: JiraFake) -> None:
    refused("E601", lambda: connect(jira, environ={"JIRA_USER": USER}))


def test_a_web_page_is_e603(jira: JiraFake) -> None:
    jira.html = True
    refused("E603", lambda: connect(jira).check())


def test_json_that_is_not_jira_is_e603() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    adapter = JiraAdapter(source("https://example.test"), environ=ENV, transport=transport)
    refused("E603", adapter.check)


def test_a_missing_project_is_e604(jira: JiraFake) -> None:
    error = refused("E604", lambda: connect(jira, project="NOPE").check())
    assert "NOPE" in error.message


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("labels = = web", "Error in the JQL Query"),
        ("sprint = 5", "Field 'sprint' does not exist"),
    ],
)
def test_a_bad_query_is_e604_with_jiras_reasons(jira: JiraFake, query: str, says: str) -> None:
    jira.add_issue("One")
    error = refused("E604", lambda: connect(jira, match=Match(query=query)).check())
    assert says in error.message


def test_a_query_matching_nothing_is_e605(jira: JiraFake) -> None:
    jira.add_issue("One", labels=("web",))
    refused("E605", lambda: connect(jira, match=Match(query="labels = nowhere")).check())
    connect(jira, match=Match(query="labels = web")).check()


def test_no_story_points_field_is_e606() -> None:
    with JiraFake(user=USER, token=TOKEN, story_points=None) as jira:
        refused("E606", lambda: connect(jira).check())
        refused("E606", lambda: connect(jira, estimate_field="customfield_99999").check())


def test_story_points_by_the_company_managed_name() -> None:
    with JiraFake(user=USER, token=TOKEN, story_points="Story Points") as jira:
        jira.add_issue("Pointed", points=8)
        (item,), _ = sync(connect(jira, estimate_field="customfield_10016"))
        assert item.estimate == Decimal(8)
        connect(jira).check()


def test_garbage_json_is_e607(jira: JiraFake) -> None:
    jira.add_issue("One")
    adapter = connect(jira)
    adapter.check()
    jira.garble_next()
    refused("E607", lambda: list(adapter.pages(None)))


# -- write-back --------------------------------------------------------------------------------


def writes(fake: JiraFake) -> list[Request]:
    return [r for r in fake.log if r.method in {"PUT", "POST"} and r.path != SEARCH]


def test_due_date_dry_run_then_write_then_idempotent(jira: JiraFake) -> None:
    key = jira.add_issue("Ship it")
    adapter = connect(jira)

    preview = adapter.write_back(key, "due_date", "2024-05-01", dry_run=True)
    assert (preview.old, preview.new, preview.changed) == (None, "2024-05-01", True)
    assert writes(jira) == []

    done = adapter.write_back(key, "due_date", "2024-05-01", dry_run=False)
    assert done.changed
    (put,) = writes(jira)
    assert (put.method, put.path) == ("PUT", f"/rest/api/3/issue/{key}")
    assert put.body == {"fields": {"duedate": "2024-05-01"}}
    assert jira.issues[key].duedate == "2024-05-01"

    again = adapter.write_back(key, "due_date", "2024-05-01", dry_run=False)
    assert (again.old, again.changed) == ("2024-05-01", False)
    assert len(writes(jira)) == 1


def test_a_refused_write_back_is_e611(jira: JiraFake) -> None:
    key = jira.add_issue("Ship it")
    error = refused(
        "E611", lambda: connect(jira).write_back(key, "due_date", "soon", dry_run=False)
    )
    assert "Error parsing date string" in error.message


def test_forecast_comment_created_kept_and_updated(jira: JiraFake) -> None:
    key = jira.add_issue("Ship it")
    jira.add_comment(key, "Looks good to me")
    adapter = connect(jira)
    text = "ontrack forecast: done by 2024-05-01 (P85)"

    assert adapter.write_back(key, "comment", text, dry_run=True).changed
    assert writes(jira) == []

    made = adapter.write_back(key, "comment", text, dry_run=False)
    assert (made.old, made.new, made.changed) == (None, text, True)
    (post,) = writes(jira)
    assert (post.method, post.path) == ("POST", f"/rest/api/3/issue/{key}/comment")
    assert post.body == {
        "body": {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
        }
    }

    same = adapter.write_back(key, "comment", text, dry_run=False)
    assert (same.old, same.changed) == (text, False)
    assert len(writes(jira)) == 1

    newer = "done by 2024-05-08 (P85)\nslipped a week"
    moved = adapter.write_back(key, "comment", newer, dry_run=False)
    assert moved.changed and moved.old == text
    put = writes(jira)[-1]
    assert put.method == "PUT" and put.path.startswith(f"/rest/api/3/issue/{key}/comment/")
    assert jira.comment_texts(key) == ["Looks good to me", f"ontrack forecast: {newer}"]


def test_the_forecast_comment_is_found_past_the_first_page(jira: JiraFake) -> None:
    key = jira.add_issue("Chatty")
    for n in range(105):
        jira.add_comment(key, f"comment {n}")
    jira.add_comment(key, "ontrack forecast: old")
    adapter = connect(jira)
    result = adapter.write_back(key, "comment", "ontrack forecast: new", dry_run=False)
    assert result.old == "ontrack forecast: old"
    assert jira.comment_texts(key)[-1] == "ontrack forecast: new"
    assert len(jira.comment_texts(key)) == 106
