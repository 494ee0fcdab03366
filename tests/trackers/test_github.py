"""The GitHub adapter against a local GitHub API (tests/trackers/fakes/github.py) over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ontrack.model.tracker import Match, Source, TrackerItem, TrackerKind
from ontrack.trackers.base import Page, TrackerError, adapter_for
from ontrack.trackers.github import MARKER, GitHubAdapter
from tests.trackers.fakes.github import GitHubFake

TOKEN = "ghp_s3cretTokenValue0123456789"


@pytest.fixture
def gh() -> Iterator[GitHubFake]:
    with GitHubFake(token=TOKEN) as fake:
        yield fake


class Sleeps(list[float]):
    """An injected sleep that records each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def source(gh: GitHubFake, **kw: Any) -> Source:
    options: dict[str, Any] = {"token_env": "GH_TOKEN"}
    options.update(kw)
    return Source("gh", TrackerKind.GITHUB, gh.url, gh.project, **options)


def adapter(
    gh: GitHubFake, *, token: str = TOKEN, sleep: Sleeps | None = None, **kw: Any
) -> GitHubAdapter:
    fields = {k: kw.pop(k) for k in list(kw) if k in ("match", "started", "estimate_field")}
    return GitHubAdapter(
        source(gh, **fields),
        environ={"GH_TOKEN": token},
        sleep=sleep if sleep is not None else Sleeps(),
        **kw,
    )


def sync(ad: GitHubAdapter, cursor: Any = None) -> list[Page]:
    pages = list(ad.pages(cursor))
    assert pages and pages[-1].final and not any(p.final for p in pages[:-1])
    json.dumps([p.cursor for p in pages])  # cursors are stored as JSON
    return pages


def items(pages: list[Page]) -> dict[str, TrackerItem]:
    keys = [i.key for p in pages for i in p.items]
    assert len(keys) == len(set(keys)), f"repeated: {keys}"
    return {i.key: i for p in pages for i in p.items}


def at(minutes: int) -> dt.datetime:
    return dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)


def a_project(gh: GitHubFake) -> dict[str, int]:
    """Five issues and a pull request, with every field the adapter reads."""
    n = {}
    n["design"] = gh.add_issue(
        "Design", labels=["estimate: 3", "team:web"], milestone="v1", at=at(0)
    )
    n["build"] = gh.add_issue("Build", labels=["estimate/5"], milestone="v1", at=at(1))
    n["docs"] = gh.add_issue("Docs", labels=["estimate:2.5", "estimate: 8"], at=at(2))
    n["pr"] = gh.add_pull("Fix typo", at=at(3))
    n["ops"] = gh.add_issue("Ops", at=at(4))
    n["qa"] = gh.add_issue("QA", labels=["team:web"], at=at(5))
    gh.add_label(n["design"], "in progress", at=at(10))
    gh.assign(n["design"], "ana", at=at(11))
    gh.close_issue(n["design"], at=at(20))
    gh.assign(n["build"], "bo", at=at(21))
    gh.block(n["build"], n["design"], at=at(22))
    gh.block(n["build"], n["ops"], at=at(23))
    gh.set_parent(n["build"], n["design"], at=at(24))
    gh.close_issue(n["ops"], at=at(25))
    gh.reopen_issue(n["ops"], at=at(26))
    return n


# -- first sync ------------------------------------------------------------------------------


def test_first_sync_reads_every_field(gh: GitHubFake) -> None:
    n = a_project(gh)
    ad = adapter(gh, match=Match(labels=("team:web",)))
    ad.check()
    pages = sync(ad)
    got = items(pages)

    assert set(got) == {str(n[k]) for k in ("design", "build", "docs", "ops", "qa")}  # no PR
    design, build, docs = got[str(n["design"])], got[str(n["build"])], got[str(n["docs"])]
    assert design.title == "Design"
    assert design.url == f"{gh.url}/acme/app/issues/{n['design']}"
    assert (design.state, design.closed) == ("closed", True)
    assert (design.started, design.done) == (True, True)
    assert design.created == at(0) and design.updated == at(20) and design.closed_at == at(20)
    assert design.assignees == ("ana",)
    assert design.labels == ("estimate: 3", "team:web", "in progress")
    assert design.milestone == "v1" and design.estimate == Decimal(3)
    assert design.blocked_by == () and design.parent is None and design.in_scope
    assert [(t.at, t.from_state, t.to_state, t.started, t.done) for t in design.transitions] == [
        (at(10), "open", "in progress", True, False),
        (at(20), "in progress", "closed", True, True),
    ]

    assert (build.state, build.closed, build.started, build.done) == ("open", False, True, False)
    assert build.assignees == ("bo",) and build.estimate == Decimal(5)
    assert build.blocked_by == (str(n["design"]), str(n["ops"]))
    assert build.parent == str(n["design"])
    assert not build.in_scope  # no team:web label
    assert [(t.at, t.to_state, t.started) for t in build.transitions] == [(at(21), "open", True)]

    assert docs.estimate == Decimal("2.5")  # the first estimate label wins
    assert (docs.started, docs.done, docs.transitions, docs.closed_at) == (False, False, (), None)

    ops = got[str(n["ops"])]
    assert (ops.state, ops.closed, ops.started) == ("open", False, False)  # reopened, unassigned

    # Per-item requests only where needed: timelines of started/done issues, blockers of the
    # one open issue that has some.
    assert gh.count("/timeline") == 2
    assert gh.count("/dependencies/blocked_by") == 1
    assert gh.count("/parent") == 0  # parent_issue_url is in the payload
    assert sum(p.requests for p in pages) == ad.requests - 1  # all but check()'s request


def test_requests_carry_githubs_headers(gh: GitHubFake) -> None:
    seen: list[httpx.Request] = []

    class Spy(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return super().handle_request(request)

    ad = adapter(gh, transport=Spy())
    ad.check()
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert seen[0].headers["accept"] == "application/vnd.github+json"
    assert seen[0].headers["x-github-api-version"] == "2022-11-28"
    ad.close()


def test_scope_rules_labels_milestone_and_parent(gh: GitHubFake) -> None:
    n = a_project(gh)
    rules = Match(labels=("estimate/5",), milestone="v1", parent=str(n["design"]))
    got = items(sync(adapter(gh, match=rules)))
    assert [k for k, i in got.items() if i.in_scope] == [str(n["build"])]


def test_started_labels_named_by_the_source(gh: GitHubFake) -> None:
    n = gh.add_issue("Task", at=at(0))
    gh.assign(n, "ana", at=at(1))  # assigned is not started when the source names its labels
    gh.add_label(n, "Doing", at=at(2))
    gh.remove_label(n, "Doing", at=at(3))
    gh.add_label(n, "Doing", at=at(4))
    item = items(sync(adapter(gh, started=("doing",))))[str(n)]
    assert item.started and not item.done
    assert [(t.at, t.to_state, t.started) for t in item.transitions] == [
        (at(2), "Doing", True),
        (at(3), "open", False),
        (at(4), "Doing", True),
    ]


def test_adapter_for_builds_the_github_adapter(gh: GitHubFake) -> None:
    ad = adapter_for(source(gh), environ={"GH_TOKEN": TOKEN}, page_size=5)
    assert isinstance(ad, GitHubAdapter) and ad.page_size == 5


def test_older_enterprise_server_without_parent_url_or_dependencies(gh: GitHubFake) -> None:
    gh.legacy = True
    n = a_project(gh)
    got = items(sync(adapter(gh)))
    assert got[str(n["build"])].parent == str(n["design"])  # from GET …/parent
    assert got[str(n["docs"])].parent is None  # 404: no parent
    assert all(i.blocked_by == () for i in got.values())
    assert gh.count("/dependencies/blocked_by") == 1  # tried once, then known to be missing


# -- incremental sync ------------------------------------------------------------------------


def test_incremental_sync_reads_only_what_changed(gh: GitHubFake) -> None:
    n = a_project(gh)
    first = sync(adapter(gh))
    gh.close_issue(n["docs"], at=at(60))
    gh.edit(n["qa"], title="QA pass", at=at(61))
    gh.clear_log()

    ad = adapter(gh)
    pages = sync(ad, first[-1].cursor)
    got = items(pages)
    assert set(got) == {str(n["docs"]), str(n["qa"])}
    assert got[str(n["qa"])].title == "QA pass" and got[str(n["docs"])].done
    assert got[str(n["docs"])].transitions[-1].at == at(60)
    # One list request for the changes, one for the new mark's ETag, one timeline (docs is done).
    assert gh.count("/issues") == 2 and gh.count() == 3 == ad.requests
    assert pages[-1].cursor["since"] == "2026-02-01T10:01:00Z"


def test_not_modified_sync_is_one_request(gh: GitHubFake) -> None:
    a_project(gh)
    cursor = sync(adapter(gh))[-1].cursor
    assert cursor["etag"]
    gh.clear_log()

    ad = adapter(gh)
    pages = sync(ad, cursor)
    assert [(p.items, p.final, p.requests) for p in pages] == [((), True, 1)]
    assert pages[0].cursor == cursor
    assert ad.requests == 1 and gh.count() == 1


def test_a_change_after_a_304_is_still_seen(gh: GitHubFake) -> None:
    n = a_project(gh)
    cursor = sync(adapter(gh))[-1].cursor
    cursor = sync(adapter(gh), cursor)[-1].cursor  # 304
    gh.add_label(n["ops"], "wip", at=at(90))
    got = items(sync(adapter(gh), cursor))
    assert list(got) == [str(n["ops"])] and got[str(n["ops"])].started


# -- resuming --------------------------------------------------------------------------------


def test_resume_from_a_mid_run_cursor_loses_and_repeats_nothing(gh: GitHubFake) -> None:
    numbers = [gh.add_issue(f"Issue {i}", at=at(i)) for i in range(5)]
    numbers += [gh.add_issue(f"Tie {i}", at=at(10)) for i in range(3)]  # same updated_at
    gh.add_pull("A pull request", at=at(11))
    numbers += [gh.add_issue(f"Late {i}", at=at(12 + i)) for i in range(2)]

    whole = items(sync(adapter(gh, page_size=2)))
    assert sorted(whole, key=int) == [str(k) for k in numbers]

    for stop in range(1, 6):  # kill the sync after each stored page in turn, then resume
        run = adapter(gh, page_size=2).pages(None)
        stored = [next(run) for _ in range(stop)]
        assert not stored[-1].final
        resumed = sync(adapter(gh, page_size=2), json.loads(json.dumps(stored[-1].cursor)))
        assert items(stored + resumed).keys() == whole.keys()


def test_a_short_page_with_a_next_link_loses_nothing(gh: GitHubFake) -> None:
    numbers = [gh.add_issue(f"Issue {i}", at=at(i)) for i in range(7)]
    gh.short_page_next(drop=2)  # page 1 holds 1 row of 3, yet links to page 2
    got = items(sync(adapter(gh, page_size=3)))
    assert sorted(got, key=int) == [str(k) for k in numbers]


# -- retries and rate limits -----------------------------------------------------------------


def test_server_errors_are_retried_with_backoff(gh: GitHubFake) -> None:
    gh.add_issue("One")
    gh.fail_next(2, status=502)
    sleeps = Sleeps()
    ad = adapter(gh, sleep=sleeps)
    got = items(sync(ad))
    assert list(got) == ["1"]
    assert sleeps == [0.5, 1.0]
    assert ad.requests == 4  # two failures, the list, the ETag probe


@pytest.mark.parametrize(
    ("status", "secondary"), [(429, True), (403, True)], ids=["429", "secondary-403"]
)
def test_rate_limits_wait_for_retry_after(gh: GitHubFake, status: int, secondary: bool) -> None:
    gh.add_issue("One")
    gh.rate_limit_next(status=status, retry_after=7, secondary=secondary)
    sleeps = Sleeps()
    assert list(items(sync(adapter(gh, sleep=sleeps)))) == ["1"]
    assert sleeps == [7.0]


def test_primary_rate_limit_waits_until_the_reset(gh: GitHubFake) -> None:
    gh.add_issue("One")
    gh.rate_limit_next(status=403, retry_after=None, reset_in=30, secondary=False)
    sleeps = Sleeps()
    sync(adapter(gh, sleep=sleeps))
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 31


def test_a_rate_limit_wait_longer_than_allowed_is_e609(gh: GitHubFake) -> None:
    gh.add_issue("One")
    gh.rate_limit_next(status=429, retry_after=600)
    sleeps = Sleeps()
    with pytest.raises(TrackerError) as error:
        sync(adapter(gh, sleep=sleeps, max_wait=120))
    assert error.value.code == "E609" and sleeps == []


# -- errors ----------------------------------------------------------------------------------


def _everything(error: TrackerError) -> str:
    return f"{error} {error.message} {error.hint} {error!r}"


def test_a_wrong_token_is_e602_and_never_shown(gh: GitHubFake) -> None:
    wrong = "ghp_wrongTokenValue987654321"
    ad = adapter(gh, token=wrong)
    for call in (ad.check, lambda: sync(ad)):
        with pytest.raises(TrackerError) as error:
            call()
        assert error.value.code == "E602"
        assert wrong not in _everything(error.value) and TOKEN not in _everything(error.value)


def test_a_missing_token_variable_is_e601(gh: GitHubFake) -> None:
    with pytest.raises(TrackerError) as error:
        GitHubAdapter(source(gh), environ={})
    assert error.value.code == "E601"


def test_a_web_page_at_the_url_is_e603(gh: GitHubFake) -> None:
    gh.html = True
    with pytest.raises(TrackerError) as error:
        adapter(gh).check()
    assert error.value.code == "E603" and "/api/v3" in error.value.hint


def test_json_that_is_not_a_repository_is_e603() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "ok"})

    ad = GitHubAdapter(
        Source("gh", TrackerKind.GITHUB, "https://example.test", "acme/app"),
        transport=httpx.MockTransport(answer),
    )
    with pytest.raises(TrackerError) as error:
        ad.check()
    assert error.value.code == "E603"


def test_a_missing_repository_is_e604(gh: GitHubFake) -> None:
    src = Source("gh", TrackerKind.GITHUB, gh.url, "acme/nope", token_env="GH_TOKEN")
    with pytest.raises(TrackerError) as error:
        GitHubAdapter(src, environ={"GH_TOKEN": TOKEN}).check()
    assert error.value.code == "E604"
    with pytest.raises(TrackerError) as error:
        GitHubAdapter(Source("gh", TrackerKind.GITHUB, gh.url, "just-a-name"))
    assert error.value.code == "E604"


def test_an_estimate_field_that_is_not_a_label_is_e606(gh: GitHubFake) -> None:
    with pytest.raises(TrackerError) as error:
        adapter(gh, estimate_field="story_points").check()
    assert error.value.code == "E606"


def test_garbage_json_is_e607(gh: GitHubFake) -> None:
    gh.add_issue("One")
    gh.garbage_next(on="/issues")
    with pytest.raises(TrackerError) as error:
        sync(adapter(gh))
    assert error.value.code == "E607"


# -- write-back ------------------------------------------------------------------------------


def test_forecast_comment_is_written_once_and_edited_when_it_changes(gh: GitHubFake) -> None:
    n = gh.add_issue("Build")
    for i in range(101):  # two pages of other comments before ours
        gh.add_comment(n, f"note {i}")
    ad = adapter(gh)
    writes = ("POST", "PATCH")

    dry = ad.write_back(str(n), "comment", "Forecast: 2026-03-02", dry_run=True)
    assert (dry.changed, dry.old, dry.new) == (True, None, "Forecast: 2026-03-02")
    assert sum(gh.count(method=m) for m in writes) == 0 and len(gh.comment_bodies(n)) == 101

    made = ad.write_back(str(n), "comment", "Forecast: 2026-03-02", dry_run=False)
    assert made.changed and gh.count(method="POST") == 1
    assert gh.comment_bodies(n)[-1] == f"{MARKER}\nForecast: 2026-03-02"

    again = ad.write_back(str(n), "comment", "Forecast: 2026-03-02", dry_run=False)
    assert (again.changed, again.old) == (False, "Forecast: 2026-03-02")
    assert sum(gh.count(method=m) for m in writes) == 1

    moved = ad.write_back(str(n), "comment", "Forecast: 2026-03-09", dry_run=False)
    assert (moved.changed, moved.old) == (True, "Forecast: 2026-03-02")
    assert moved.new == "Forecast: 2026-03-09"
    assert gh.count(method="PATCH") == 1 and gh.count(method="POST") == 1
    bodies = gh.comment_bodies(n)
    assert len(bodies) == 102 and bodies[-1] == f"{MARKER}\nForecast: 2026-03-09"


def test_due_dates_cannot_be_written_to_github(gh: GitHubFake) -> None:
    n = gh.add_issue("Build")
    with pytest.raises(TrackerError) as error:
        adapter(gh).write_back(str(n), "due_date", "2026-03-02", dry_run=False)
    assert error.value.code == "E611" and "comment" in error.value.hint
    assert gh.count() == 0


def test_a_refused_write_is_e611(gh: GitHubFake) -> None:
    n = gh.add_issue("Build")
    gh.read_only = True
    with pytest.raises(TrackerError) as error:
        adapter(gh).write_back(str(n), "comment", "Forecast", dry_run=False)
    assert error.value.code == "E611" and TOKEN not in _everything(error.value)


def _mock_adapter(answer: Any) -> GitHubAdapter:
    src = Source("gh", TrackerKind.GITHUB, "https://api.example.test", "acme/app")
    return GitHubAdapter(src, transport=httpx.MockTransport(answer))


def test_a_next_link_to_another_host_is_not_followed() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.example.test"  # the token would go wherever we ask
        link = '<https://evil.example/repos/acme/app/issues?page=2>; rel="next"'
        return httpx.Response(200, json=[], headers={"Link": link})

    with pytest.raises(TrackerError) as error:
        sync(_mock_adapter(answer))
    assert error.value.code == "E607"


def test_a_moved_repository_is_e604() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        moved = "https://api.example.test/repositories/42"
        body = {"message": "Moved Permanently", "url": moved, "documentation_url": "x"}
        return httpx.Response(301, json=body, headers={"Location": moved})

    with pytest.raises(TrackerError) as error:
        _mock_adapter(answer).check()
    assert error.value.code == "E604" and "new owner/name" in error.value.hint
