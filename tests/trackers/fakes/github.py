"""A local GitHub REST API (the parts ontrack uses), served over real HTTP on 127.0.0.1.

    with GitHubFake(token="t") as gh:
        n = gh.add_issue("Login page", labels=["estimate: 3"], assignees=["ana"])
        gh.close_issue(n)
        source = Source(..., url=gh.url, project=gh.project, token_env="GH_TOKEN")
        ...
        assert gh.count("/issues") == 2

It answers as docs.github.com documents (API version 2022-11-28): issue, label, milestone,
user, comment and timeline event objects; ``Link`` pagination (``per_page`` ≤ 100, ``page``);
``state``/``sort``/``direction``/``since`` on the issue list (pull requests included, as GitHub
does); weak ETags with 304 for ``If-None-Match``; 401 "Bad credentials" for a wrong token; 404
JSON for anything missing; ``x-ratelimit-*`` headers on every answer. Every change bumps the
issue's ``updated_at`` on a fake clock that moves one minute per change (or to ``at=``).

Faults to inject, each for the next matching request(s): ``fail_next`` (5xx),
``rate_limit_next`` (429, or 403 secondary / primary limit), ``garbage_next`` (truncated JSON),
``short_page_next`` (a list page with fewer rows than ``per_page`` and a next link). ``html``
serves a web page everywhere; ``legacy`` answers as an older GitHub Enterprise Server (sub-issues
with no ``parent_issue_url`` in payloads, no issue dependencies); ``read_only`` refuses writes.
``log`` records (method, path, query) of every request; ``count`` counts them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

DOCS = "https://docs.github.com/rest"
_START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
_HTML = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"


@dataclass(frozen=True, slots=True)
class Logged:
    method: str
    path: str
    query: dict[str, str]


@dataclass
class _Issue:
    number: int
    id: int
    title: str
    body: str
    author: str
    created: dt.datetime
    updated: dt.datetime
    pull: bool = False
    state: str = "open"
    state_reason: str | None = None
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    milestone: str | None = None
    parent: int | None = None
    blocked_by: list[int] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # timeline, oldest first
    comments: list[int] = field(default_factory=list)


@dataclass
class _Comment:
    id: int
    issue: int
    body: str
    author: str
    created: dt.datetime
    updated: dt.datetime


@dataclass
class _Fault:
    kind: str  # "5xx" | "limit" | "garbage" | "short"
    count: int
    on: str | None  # only requests whose path ends with this
    status: int = 0
    retry_after: float | None = None
    reset_in: float | None = None
    secondary: bool = True
    drop: int = 1


class GitHubFake:
    """A GitHub API for one repository, ``owner/repo``, with issues held in memory."""

    def __init__(
        self,
        token: str = "t",
        *,
        owner: str = "acme",
        repo: str = "app",
        user: str = "ontrack-bot",
        prefix: str = "",
        public: bool = False,
    ) -> None:
        self.token = token
        self.owner, self.repo, self.user = owner, repo, user
        self.prefix = prefix.rstrip("/")  # "/api/v3" to look like GitHub Enterprise Server
        self.public = public
        self.html = False  # serve a sign-in web page at every path (not the API)
        self.legacy = False  # no parent_issue_url, no issue dependencies (older GHES)
        self.has_issues = True
        self.read_only = False  # the token may read but not write (403 on POST/PATCH)
        self.log: list[Logged] = []
        self.issues: dict[int, _Issue] = {}
        self.comments: dict[int, _Comment] = {}
        self.milestones: dict[str, int] = {}
        self.remaining = 5000
        self._clock = _START
        self._ids = 1000
        self._faults: list[_Fault] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> GitHubFake:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval: stop() returns at once instead of after half a second.
        serve = self._server.serve_forever
        self._thread = threading.Thread(target=serve, args=(0.02,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """The API base to put in a source's ``url``."""
        assert self._server is not None, "start the fake first (use it as a context manager)"
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    @property
    def project(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def now(self) -> dt.datetime:
        return self._clock

    # -- the repository's contents -----------------------------------------------------------

    def add_issue(
        self,
        title: str,
        *,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        milestone: str | None = None,
        body: str = "",
        author: str = "octocat",
        at: dt.datetime | None = None,
        pull: bool = False,
    ) -> int:
        """A new open issue (or pull request); labels and assignees given here appear in its
        timeline at creation, as on GitHub."""
        with self._lock:
            moment = self._tick(at)
            number = len(self.issues) + 1
            issue = _Issue(number, self._new_id(), title, body, author, moment, moment, pull=pull)
            self.issues[number] = issue
            if milestone is not None:
                self.milestones.setdefault(milestone, len(self.milestones) + 1)
                issue.milestone = milestone
            for name in labels:
                issue.labels.append(name)
                self._event(issue, "labeled", moment, label={"name": name, "color": "ededed"})
            for login in assignees:
                issue.assignees.append(login)
                who = {"assignee": _user(login), "assigner": _user(author)}
                self._event(issue, "assigned", moment, **who)
            return number

    def add_pull(self, title: str, **kwargs: Any) -> int:
        return self.add_issue(title, pull=True, **kwargs)

    def close_issue(
        self, number: int, *, at: dt.datetime | None = None, reason: str = "completed"
    ) -> None:
        with self._lock:
            issue, moment = self.issues[number], self._tick(at)
            issue.state, issue.state_reason, issue.closed_at = "closed", reason, moment
            issue.closed_by = self.user
            self._touch(issue, moment)
            self._event(issue, "closed", moment, state_reason=reason)

    def reopen_issue(self, number: int, *, at: dt.datetime | None = None) -> None:
        with self._lock:
            issue, moment = self.issues[number], self._tick(at)
            issue.state, issue.state_reason, issue.closed_at = "open", "reopened", None
            self._touch(issue, moment)
            self._event(issue, "reopened", moment, state_reason="reopened")

    def add_label(self, number: int, name: str, *, at: dt.datetime | None = None) -> None:
        with self._lock:
            issue, moment = self.issues[number], self._tick(at)
            if name not in issue.labels:
                issue.labels.append(name)
                self._touch(issue, moment)
                self._event(issue, "labeled", moment, label={"name": name, "color": "ededed"})

    def remove_label(self, number: int, name: str, *, at: dt.datetime | None = None) -> None:
        with self._lock:
            issue, moment = self.issues[number], self._tick(at)
            if name in issue.labels:
                issue.labels.remove(name)
                self._touch(issue, moment)
                self._event(issue, "unlabeled", moment, label={"name": name, "color": "ededed"})

    def assign(self, number: int, login: str, *, at: dt.datetime | None = None) -> None:
        with self._lock:
            issue, moment = self.issues[number], self._tick(at)
            if login not in issue.assignees:
                issue.assignees.append(login)
                self._touch(issue, moment)
                self._event(
                    issue, "assigned", moment, assignee=_user(login), assigner=_user(self.user)
                )

    def unassign(self, number: int, login: str, *, at: dt.datetime | None = None) -> None:
        with self._lock:
            issue, moment = self.issues[number], self._tick(at)
            if login in issue.assignees:
                issue.assignees.remove(login)
                self._touch(issue, moment)
                self._event(
                    issue, "unassigned", moment, assignee=_user(login), assigner=_user(self.user)
                )

    def edit(self, number: int, *, title: str | None = None, at: dt.datetime | None = None) -> None:
        """Change the title (or just touch the issue): bumps ``updated_at``."""
        with self._lock:
            issue, moment = self.issues[number], self._tick(at)
            if title is not None:
                self._event(issue, "renamed", moment, rename={"from": issue.title, "to": title})
                issue.title = title
            self._touch(issue, moment)

    def set_parent(self, child: int, parent: int | None, *, at: dt.datetime | None = None) -> None:
        """Make ``child`` a sub-issue of ``parent`` (None: no parent)."""
        with self._lock:
            issue, moment = self.issues[child], self._tick(at)
            issue.parent = parent
            self._touch(issue, moment)

    def block(self, number: int, by: int, *, at: dt.datetime | None = None) -> None:
        """``number`` is blocked by ``by`` (an issue dependency)."""
        with self._lock:
            issue, moment = self.issues[number], self._tick(at)
            if by not in issue.blocked_by:
                issue.blocked_by.append(by)
                self._touch(issue, moment)

    def add_comment(
        self, number: int, body: str, *, author: str = "octocat", at: dt.datetime | None = None
    ) -> int:
        with self._lock:
            return self._comment(self.issues[number], body, author, self._tick(at))

    def comment_bodies(self, number: int) -> list[str]:
        with self._lock:
            return [self.comments[c].body for c in self.issues[number].comments]

    # -- faults ------------------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 502, on: str | None = None) -> None:
        self._add(_Fault("5xx", count, on, status=status))

    def rate_limit_next(
        self,
        count: int = 1,
        *,
        status: int = 429,
        retry_after: float | None = 1.0,
        reset_in: float | None = None,
        secondary: bool = True,
        on: str | None = None,
    ) -> None:
        """429, or 403 with GitHub's secondary-limit message (``secondary``) or its primary one
        (``x-ratelimit-remaining: 0``); ``Retry-After`` when ``retry_after`` is given, else the
        reset ``reset_in`` seconds from now."""
        fault = _Fault("limit", count, on, status=status, retry_after=retry_after)
        fault.reset_in, fault.secondary = reset_in, secondary
        self._add(fault)

    def garbage_next(self, count: int = 1, *, on: str | None = None) -> None:
        self._add(_Fault("garbage", count, on))

    def short_page_next(self, count: int = 1, *, drop: int = 1, on: str | None = "/issues") -> None:
        """The next list page leaves out its last ``drop`` rows but keeps its next link."""
        self._add(_Fault("short", count, on, drop=drop))

    # -- the request log ---------------------------------------------------------------------

    def count(self, path_end: str | None = None, *, method: str | None = None) -> int:
        """Requests logged whose path ends with ``path_end`` (all when None)."""
        with self._lock:
            return sum(
                1
                for r in self.log
                if (path_end is None or r.path.endswith(path_end))
                and (method is None or r.method == method)
            )

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- internals ---------------------------------------------------------------------------

    def _add(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _tick(self, at: dt.datetime | None) -> dt.datetime:
        self._clock = at if at is not None else self._clock + dt.timedelta(minutes=1)
        return self._clock

    def _new_id(self) -> int:
        self._ids += 1
        return self._ids

    def _touch(self, issue: _Issue, moment: dt.datetime) -> None:
        issue.updated = max(issue.updated, moment)

    def _event(self, issue: _Issue, kind: str, moment: dt.datetime, **extra: Any) -> None:
        event_id = self._new_id()
        issue.events.append(
            {
                "id": event_id,
                "node_id": f"E_{event_id}",
                "url": f"{self._repo_api()}/issues/events/{event_id}",
                "actor": _user(self.user),
                "event": kind,
                "commit_id": None,
                "commit_url": None,
                "created_at": _iso(moment),
                "performed_via_github_app": None,
                **extra,
            }
        )

    def _comment(self, issue: _Issue, body: str, author: str, moment: dt.datetime) -> int:
        comment = _Comment(self._new_id(), issue.number, body, author, moment, moment)
        self.comments[comment.id] = comment
        issue.comments.append(comment.id)
        self._touch(issue, moment)
        issue.events.append({**self._comment_json(comment), "event": "commented"})
        return comment.id

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.on is None or path.endswith(fault.on):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
            return None

    def _root(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _repo_api(self) -> str:
        return f"{self._root()}{self.prefix}/repos/{self.owner}/{self.repo}"

    def _web(self) -> str:
        return f"{self._root()}/{self.owner}/{self.repo}"

    # -- JSON objects, shaped as the REST reference shows ------------------------------------

    def _repo_json(self) -> dict[str, Any]:
        api = self._repo_api()
        return {
            "id": 1296269,
            "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
            "name": self.repo,
            "full_name": self.project,
            "owner": _user(self.owner),
            "private": not self.public,
            "html_url": self._web(),
            "description": None,
            "fork": False,
            "url": api,
            "issues_url": f"{api}/issues{{/number}}",
            "default_branch": "main",
            "open_issues_count": sum(1 for i in self.issues.values() if i.state == "open"),
            "has_issues": self.has_issues,
            "has_projects": True,
            "has_wiki": False,
            "archived": False,
            "disabled": False,
            "visibility": "public" if self.public else "private",
            "created_at": _iso(_START),
            "updated_at": _iso(self._clock),
            "pushed_at": _iso(self._clock),
        }

    def _issue_json(self, issue: _Issue) -> dict[str, Any]:
        api, n = self._repo_api(), issue.number
        kind = "pull" if issue.pull else "issues"
        data: dict[str, Any] = {
            "id": issue.id,
            "node_id": f"I_kwDO{issue.id}",
            "url": f"{api}/issues/{n}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{n}/labels{{/name}}",
            "comments_url": f"{api}/issues/{n}/comments",
            "events_url": f"{api}/issues/{n}/events",
            "html_url": f"{self._web()}/{kind}/{n}",
            "number": n,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body or None,
            "user": _user(issue.author),
            "labels": [self._label_json(name) for name in issue.labels],
            "assignee": _user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [_user(a) for a in issue.assignees],
            "milestone": self._milestone_json(issue.milestone) if issue.milestone else None,
            "locked": False,
            "active_lock_reason": None,
            "comments": len(issue.comments),
            "closed_at": _iso(issue.closed_at) if issue.closed_at else None,
            "created_at": _iso(issue.created),
            "updated_at": _iso(issue.updated),
            "closed_by": _user(issue.closed_by) if issue.closed_by else None,
            "author_association": "MEMBER",
            "timeline_url": f"{api}/issues/{n}/timeline",
            "performed_via_github_app": None,
        }
        if issue.pull:
            data["pull_request"] = {
                "url": f"{api}/pulls/{n}",
                "html_url": f"{self._web()}/pull/{n}",
                "diff_url": f"{self._web()}/pull/{n}.diff",
                "patch_url": f"{self._web()}/pull/{n}.patch",
                "merged_at": None,
            }
        children = [i for i in self.issues.values() if i.parent == n]
        done = sum(1 for i in children if i.state == "closed")
        data["sub_issues_summary"] = {
            "total": len(children),
            "completed": done,
            "percent_completed": done * 100 // len(children) if children else 0,
        }
        if not self.legacy:
            data["parent_issue_url"] = f"{api}/issues/{issue.parent}" if issue.parent else None
            blocking = [i for i in self.issues.values() if n in i.blocked_by]
            data["issue_dependencies_summary"] = {
                "blocked_by": sum(1 for b in issue.blocked_by if self.issues[b].state == "open"),
                "blocking": sum(1 for i in blocking if i.state == "open"),
                "total_blocked_by": len(issue.blocked_by),
                "total_blocking": len(blocking),
            }
        return data

    def _label_json(self, name: str) -> dict[str, Any]:
        label_id = 200 + sum(map(ord, name))
        return {
            "id": label_id,
            "node_id": f"LA_{label_id}",
            "url": f"{self._repo_api()}/labels/{name}",
            "name": name,
            "color": "ededed",
            "default": False,
            "description": None,
        }

    def _milestone_json(self, title: str) -> dict[str, Any]:
        number = self.milestones[title]
        mine = [i for i in self.issues.values() if i.milestone == title]
        return {
            "url": f"{self._repo_api()}/milestones/{number}",
            "html_url": f"{self._web()}/milestone/{number}",
            "labels_url": f"{self._repo_api()}/milestones/{number}/labels",
            "id": 5000 + number,
            "node_id": f"MI_{number}",
            "number": number,
            "state": "open",
            "title": title,
            "description": None,
            "creator": _user(self.user),
            "open_issues": sum(1 for i in mine if i.state == "open"),
            "closed_issues": sum(1 for i in mine if i.state == "closed"),
            "created_at": _iso(_START),
            "updated_at": _iso(_START),
            "closed_at": None,
            "due_on": None,
        }

    def _comment_json(self, comment: _Comment) -> dict[str, Any]:
        api = self._repo_api()
        return {
            "id": comment.id,
            "node_id": f"IC_{comment.id}",
            "url": f"{api}/issues/comments/{comment.id}",
            "html_url": f"{self._web()}/issues/{comment.issue}#issuecomment-{comment.id}",
            "body": comment.body,
            "user": _user(comment.author),
            "created_at": _iso(comment.created),
            "updated_at": _iso(comment.updated),
            "issue_url": f"{api}/issues/{comment.issue}",
            "author_association": "MEMBER",
        }

    # -- routing -----------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """One request: (status, headers, body)."""
        with self._lock:
            self.log.append(Logged(method, path, dict(query)))
            if self.html:
                return 200, {"Content-Type": "text/html; charset=utf-8"}, _HTML
            fault = self._take_fault(path)
            if fault is not None and fault.kind in ("5xx", "limit", "garbage"):
                return self._faulty(fault)
            status, data, extra = self._auth_and_route(method, path, query, headers, body)
            if fault is not None and fault.kind == "short" and isinstance(data, list):
                data = data[: max(0, len(data) - fault.drop)]
            return self._answer(method, status, data, extra, headers)

    def _faulty(self, fault: _Fault) -> tuple[int, dict[str, str], bytes]:
        headers = self._limits()
        if fault.kind == "garbage":
            headers["Content-Type"] = "application/json; charset=utf-8"
            return 200, headers, b'[{"number": 1, "title": "trunc'
        if fault.kind == "5xx":
            return (
                fault.status,
                {**headers, **_json_type()},
                _dump(
                    {
                        "message": "Server Error",
                        "documentation_url": DOCS,
                        "status": str(fault.status),
                    }
                ),
            )
        if fault.retry_after is not None:
            headers["Retry-After"] = str(int(fault.retry_after))
        if fault.secondary:
            message = (
                "You have exceeded a secondary rate limit. Please wait a few minutes before you "
                "try again."
            )
        else:
            message = "API rate limit exceeded for user ID 1."
            headers["x-ratelimit-remaining"] = "0"
            headers["x-ratelimit-used"] = headers["x-ratelimit-limit"]
        if fault.reset_in is not None:
            headers["x-ratelimit-reset"] = str(int(time.time() + fault.reset_in))
        documentation = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
        body = {"message": message, "documentation_url": documentation}
        return fault.status, {**headers, **_json_type()}, _dump(body)

    def _auth_and_route(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        given = headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if given and (scheme.lower() not in ("bearer", "token") or token != self.token):
            refused = {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
            return 401, refused, {}
        if not given and not self.public:
            return _not_found()  # GitHub hides private repositories from anonymous callers
        if self.prefix and not path.startswith(self.prefix + "/"):
            return _not_found()
        parts = path[len(self.prefix) :].strip("/").split("/")
        if (
            len(parts) < 3
            or parts[0] != "repos"
            or parts[1].lower() != self.owner.lower()
            or parts[2].lower() != self.repo.lower()
        ):
            return _not_found()
        if self.read_only and method != "GET":
            message = "Resource not accessible by personal access token"
            return 403, {"message": message, "documentation_url": DOCS, "status": "403"}, {}
        return self._route(method, parts[3:], query, body)

    def _route(
        self, method: str, rest: list[str], query: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        if not rest and method == "GET":
            return 200, self._repo_json(), {}
        if rest[:1] != ["issues"] or not self.has_issues:
            return _not_found()
        if len(rest) == 1 and method == "GET":
            return self._list(query)
        if len(rest) == 3 and rest[1] == "comments" and rest[2].isdigit() and method == "PATCH":
            return self._edit_comment(int(rest[2]), body)
        if len(rest) < 2 or not rest[1].isdigit() or int(rest[1]) not in self.issues:
            return _not_found()
        issue = self.issues[int(rest[1])]
        tail = "/".join(rest[2:])
        if tail == "" and method == "GET":
            return 200, self._issue_json(issue), {}
        if tail == "timeline" and method == "GET":
            return self._page(issue.events, query, "/".join(["issues", *rest[1:]]))
        if tail == "comments" and method == "GET":
            comments = [self._comment_json(self.comments[c]) for c in issue.comments]
            return self._page(comments, query, f"issues/{issue.number}/comments")
        if tail == "comments" and method == "POST":
            return self._new_comment(issue, body)
        if tail == "dependencies/blocked_by" and method == "GET" and not self.legacy:
            blockers = [self._issue_json(self.issues[b]) for b in issue.blocked_by]
            return self._page(blockers, query, f"issues/{issue.number}/dependencies/blocked_by")
        if tail == "parent" and method == "GET" and issue.parent is not None:
            return 200, self._issue_json(self.issues[issue.parent]), {}
        return _not_found()

    def _list(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", "open")
        rows = [i for i in self.issues.values() if state in ("all", i.state)]
        if "since" in query:
            try:
                since = dt.datetime.fromisoformat(query["since"].replace("Z", "+00:00"))
            except ValueError:
                return 422, _invalid("since"), {}
            rows = [i for i in rows if i.updated >= since]
        if query.get("labels"):
            wanted = [x.strip() for x in query["labels"].split(",")]
            rows = [i for i in rows if all(w in i.labels for w in wanted)]
        sort, descending = query.get("sort", "created"), query.get("direction", "desc") == "desc"
        if sort == "updated":
            rows.sort(key=lambda i: (i.updated, i.number), reverse=descending)
        elif sort == "comments":
            rows.sort(key=lambda i: (len(i.comments), i.number), reverse=descending)
        else:
            rows.sort(key=lambda i: (i.created, i.number), reverse=descending)
        return self._page([self._issue_json(i) for i in rows], query, "issues")

    def _page(
        self, rows: list[Any], query: dict[str, str], tail: str
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            per_page = min(100, max(1, int(query.get("per_page", "30"))))
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            return 422, _invalid("per_page"), {}
        last = max(1, -(-len(rows) // per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        base = f"{self._repo_api()}/{tail}"
        links = []

        def link(number: int, rel: str) -> str:
            return f'<{base}?{urlencode({**query, "page": str(number)})}>; rel="{rel}"'

        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        return 200, chunk, {"Link": ", ".join(links)} if links else {}

    def _new_comment(self, issue: _Issue, body: bytes) -> tuple[int, Any, dict[str, str]]:
        text = _body_text(body)
        if text is None:
            return 422, _invalid("body"), {}
        comment_id = self._comment(issue, text, self.user, self._tick(None))
        return 201, self._comment_json(self.comments[comment_id]), {}

    def _edit_comment(self, comment_id: int, body: bytes) -> tuple[int, Any, dict[str, str]]:
        comment = self.comments.get(comment_id)
        if comment is None:
            return _not_found()
        text = _body_text(body)
        if text is None:
            return 422, _invalid("body"), {}
        moment = self._tick(None)
        comment.body, comment.updated = text, moment
        self._touch(self.issues[comment.issue], moment)
        return 200, self._comment_json(comment), {}

    def _answer(
        self,
        method: str,
        status: int,
        data: Any,
        extra: dict[str, str],
        request_headers: dict[str, str],
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {**self._limits(), **_json_type(), **extra}
        payload = _dump(data)
        if method == "GET" and status == 200:
            etag = f'W/"{hashlib.sha256(payload).hexdigest()[:40]}"'
            headers["ETag"] = etag
            wanted = request_headers.get("if-none-match", "")
            if etag in [w.strip() for w in wanted.split(",")]:
                self.remaining += 1  # GitHub does not count a 304 against the limit
                return 304, {k: v for k, v in headers.items() if k != "Content-Type"}, b""
        return status, headers, payload

    def _limits(self) -> dict[str, str]:
        self.remaining = max(0, self.remaining - 1)
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-used": str(5000 - self.remaining),
            "x-ratelimit-resource": "core",
            "X-GitHub-Media-Type": "github.v3; format=json",
        }


class _Handler(BaseHTTPRequestHandler):
    fake: GitHubFake
    protocol_version = "HTTP/1.1"  # keep-alive, as api.github.com
    # Headers and body leave in one write, without Nagle: no 40 ms delayed-ACK stall per request.
    wbufsize = -1
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, answer_headers, payload = self.fake.handle(method, parts.path, query, headers, body)
        self.send_response(status)
        for name, value in answer_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


def _user(login: str) -> dict[str, Any]:
    user_id = 100 + sum(map(ord, login))
    return {
        "login": login,
        "id": user_id,
        "node_id": f"U_{user_id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "url": f"https://api.github.com/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": "User",
        "site_admin": False,
    }


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dump(data: Any) -> bytes:
    return json.dumps(data).encode()


def _json_type() -> dict[str, str]:
    return {"Content-Type": "application/json; charset=utf-8"}


def _not_found() -> tuple[int, Any, dict[str, str]]:
    return 404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, {}


def _invalid(name: str) -> dict[str, Any]:
    return {
        "message": "Validation Failed",
        "errors": [{"resource": "Issue", "field": name, "code": "invalid"}],
        "documentation_url": DOCS,
        "status": "422",
    }


def _body_text(body: bytes) -> str | None:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return None
    text = data.get("body") if isinstance(data, dict) else None
    return text if isinstance(text, str) else None
