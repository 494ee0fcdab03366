"""A local GitLab (REST API v4) for the adapter and end-to-end tests: a real HTTP server on
127.0.0.1 that answers the few endpoints sync and write-back use, shaped as GitLab's API docs show.

    with GitLabFake(token="t") as gl:
        iid = gl.add_issue("Login page", labels=["doing"], assignees=["ann"], weight=3)
        gl.url        # the instance base: the adapter adds /api/v4
        gl.log        # every request: method, raw path, query, body

Served: the project, its issues (filters state / updated_after / updated_before, order_by
created_at|updated_at, sort, offset pagination with Link, X-Page, X-Per-Page, X-Next-Page,
X-Prev-Page, X-Total, X-Total-Pages), one issue (GET, PUT), issue links, resource state and label
events, notes (GET, POST, PUT). Every answer carries RateLimit-* headers; GET answers carry a weak
ETag and honour If-None-Match with a 304. Knobs inject trouble into the next answers: ``fail_next``
(5xx), ``rate_limit_next`` (429 with Retry-After), ``truncate_next`` (cut JSON), ``short_page_next``
(a page missing its last issue, as permission filtering after pagination does), ``html`` (a web
page in front of everything).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

START = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)
RATE_LIMIT = 2000


def stamp(moment: dt.datetime) -> str:
    """GitLab's timestamp format: UTC with milliseconds and a Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


@dataclass
class Request:
    method: str
    path: str  # raw, as sent (the project path stays URL-encoded)
    query: dict[str, str]
    body: Any = None


@dataclass
class _Issue:
    iid: int
    title: str
    state: str
    created: dt.datetime
    updated: dt.datetime
    closed: dt.datetime | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    milestone: str | None = None
    weight: int | None = None
    time_estimate: int = 0
    epic_iid: int | None = None
    due_date: str | None = None


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class GitLabFake:
    """One GitLab project with in-memory issues. Times come from a clock that moves one second
    per change (``tick``), so ``updated_at`` orders changes and tests can predict it."""

    def __init__(
        self,
        *,
        token: str = "t",
        project: str = "group/sub/project",
        project_id: int = 42,
        premium: bool = True,
        writable: bool = True,
    ) -> None:
        self.token = token
        self.project = project
        self.project_id = project_id
        self.premium = premium  # weight and epic fields exist only in Premium
        self.writable = writable  # False: the token has read_api scope only
        self.html = False
        self.log: list[Request] = []
        self.now = START
        self._issues: dict[int, _Issue] = {}
        self._links: list[tuple[int, int]] = []  # (blocker iid, blocked iid)
        self._state_events: dict[int, list[dict[str, Any]]] = {}
        self._label_events: dict[int, list[dict[str, Any]]] = {}
        self._notes: dict[int, list[dict[str, Any]]] = {}
        self._next_id = 1
        self._fail: list[int] = []
        self._retry_after: list[float] = []
        self._truncate = 0
        self._short = 0
        self._observed = 0
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> GitLabFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def do_PUT(self) -> None:
                fake._serve(self, "PUT")

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        # A short poll so that leaving the with block (shutdown) takes milliseconds, not 0.5 s.
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- data ------------------------------------------------------------------------------

    def tick(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now

    def add_issue(
        self,
        title: str,
        *,
        state: str = "opened",
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        milestone: str | None = None,
        weight: int | None = None,
        time_estimate: int = 0,
        epic_iid: int | None = None,
        due_date: str | None = None,
    ) -> int:
        """A new issue (its labels recorded as added at creation, as GitLab does); closed ones
        get a close event one tick later. Returns the iid."""
        with self._lock:
            iid = len(self._issues) + 1
            created = self.tick()
            issue = _Issue(
                iid, title, "opened", created, created, labels=list(labels),
                assignees=list(assignees), milestone=milestone, weight=weight,
                time_estimate=time_estimate, epic_iid=epic_iid, due_date=due_date,
            )  # fmt: skip
            self._issues[iid] = issue
            self._state_events[iid] = []
            self._label_events[iid] = [
                self._label_event(iid, n, "add", created) for n in issue.labels
            ]
            self._notes[iid] = []
            if state == "closed":
                self.update_issue(iid, state="closed")
            return iid

    def update_issue(self, iid: int, *, at: dt.datetime | None = None, **changes: Any) -> None:
        """Change fields (``state``, ``labels``, ``title``, …), bumping ``updated_at`` (to ``at``
        when given, e.g. to make several issues change in the same millisecond) and recording the
        state and label events GitLab would."""
        with self._lock:
            issue = self._issues[iid]
            moment = self.tick() if at is None else at
            for name, value in changes.items():
                if name == "state":
                    self._set_state(issue, str(value), moment)
                elif name == "labels":
                    self._set_labels(issue, list(value), moment)
                else:
                    setattr(issue, name, value)
            issue.updated = moment

    def link(self, blocker: int, blocked: int) -> None:
        """``blocker`` blocks ``blocked`` (GitLab shows "blocks" on one side and
        "is_blocked_by" on the other)."""
        with self._lock:
            self._links.append((blocker, blocked))

    def add_note(self, iid: int, body: str, *, system: bool = False) -> int:
        with self._lock:
            return self._add_note(iid, body, system=system)["id"]  # type: ignore[no-any-return]

    def notes(self, iid: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(n) for n in self._notes[iid]]

    def issue(self, iid: int) -> dict[str, Any]:
        with self._lock:
            return self._issue_json(self._issues[iid])

    # -- knobs -----------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._fail.extend([status] * count)

    def rate_limit_next(self, retry_after: float) -> None:
        with self._lock:
            self._retry_after.append(retry_after)

    def truncate_next(self, count: int = 1) -> None:
        with self._lock:
            self._truncate += count

    def short_page_next(self, count: int = 1) -> None:
        with self._lock:
            self._short += count

    def requests(self, method: str | None = None, suffix: str = "") -> list[Request]:
        """The logged requests, optionally only one method's and those whose path ends so."""
        with self._lock:
            return [
                r
                for r in self.log
                if (method is None or r.method == method) and r.path.endswith(suffix)
            ]

    # -- internals: records ----------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _user(self, username: str) -> dict[str, Any]:
        return {
            "id": sum(username.encode()),
            "username": username,
            "name": username.title(),
            "state": "active",
            "avatar_url": None,
            "web_url": f"{self.url}/{username}",
        }

    def _set_state(self, issue: _Issue, state: str, moment: dt.datetime) -> None:
        if state == issue.state:
            return
        issue.state = state
        issue.closed = moment if state == "closed" else None
        self._state_events[issue.iid].append(
            {
                "id": self._new_id(),
                "user": self._user("root"),
                "created_at": stamp(moment),
                "resource_type": "Issue",
                "resource_id": 1000 + issue.iid,
                "state": "closed" if state == "closed" else "reopened",
            }
        )

    def _set_labels(self, issue: _Issue, labels: list[str], moment: dt.datetime) -> None:
        events = self._label_events[issue.iid]
        events.extend(self._label_event(issue.iid, n, "remove", moment) for n in issue.labels
                      if n not in labels)  # fmt: skip
        events.extend(self._label_event(issue.iid, n, "add", moment) for n in labels
                      if n not in issue.labels)  # fmt: skip
        issue.labels = labels

    def _label_event(self, iid: int, name: str, action: str, moment: dt.datetime) -> dict[str, Any]:
        return {
            "id": self._new_id(),
            "user": self._user("root"),
            "created_at": stamp(moment),
            "resource_type": "Issue",
            "resource_id": 1000 + iid,
            "label": {
                "id": sum(name.encode()),
                "name": name,
                "color": "#428BCA",
                "description": None,
            },
            "action": action,
        }

    def _add_note(self, iid: int, body: str, *, system: bool) -> dict[str, Any]:
        moment = self.tick()
        issue = self._issues[iid]
        note = {
            "id": self._new_id(),
            "type": None,
            "body": body,
            "attachment": None,
            "author": self._user("ontrack-bot" if not system else "root"),
            "created_at": stamp(moment),
            "updated_at": stamp(moment),
            "system": system,
            "noteable_id": 1000 + iid,
            "noteable_type": "Issue",
            "project_id": self.project_id,
            "resolvable": False,
            "confidential": False,
            "internal": False,
            "noteable_iid": iid,
            "commands_changes": {},
        }
        self._notes[iid].append(note)
        issue.updated = moment  # a note touches its issue
        return note

    def _project_json(self) -> dict[str, Any]:
        name = self.project.rsplit("/", 1)[-1]
        return {
            "id": self.project_id,
            "description": "",
            "name": name,
            "name_with_namespace": " / ".join(self.project.split("/")),
            "path": name,
            "path_with_namespace": self.project,
            "created_at": stamp(START),
            "default_branch": "main",
            "web_url": f"{self.url}/{self.project}",
            "issues_enabled": True,
            "open_issues_count": sum(1 for i in self._issues.values() if i.state == "opened"),
        }

    def _issue_json(self, issue: _Issue) -> dict[str, Any]:
        web = f"{self.url}/{self.project}/-/issues/{issue.iid}"
        data: dict[str, Any] = {
            "id": 1000 + issue.iid,
            "iid": issue.iid,
            "project_id": self.project_id,
            "title": issue.title,
            "description": "",
            "state": issue.state,
            "created_at": stamp(issue.created),
            "updated_at": stamp(issue.updated),
            "closed_at": None if issue.closed is None else stamp(issue.closed),
            "closed_by": None if issue.closed is None else self._user("root"),
            "labels": list(issue.labels),
            "milestone": None if issue.milestone is None else {
                "id": sum(issue.milestone.encode()),
                "iid": 1,
                "project_id": self.project_id,
                "title": issue.milestone,
                "description": "",
                "state": "active",
                "created_at": stamp(START),
                "updated_at": stamp(START),
                "due_date": None,
                "start_date": None,
                "web_url": f"{self.url}/{self.project}/-/milestones/1",
            },
            "assignees": [self._user(a) for a in issue.assignees],
            "assignee": self._user(issue.assignees[0]) if issue.assignees else None,
            "author": self._user("root"),
            "type": "ISSUE",
            "issue_type": "issue",
            "user_notes_count": sum(not n["system"] for n in self._notes[issue.iid]),
            "merge_requests_count": 0,
            "upvotes": 0,
            "downvotes": 0,
            "due_date": issue.due_date,
            "confidential": False,
            "discussion_locked": None,
            "web_url": web,
            "time_stats": {
                "time_estimate": issue.time_estimate,
                "total_time_spent": 0,
                "human_time_estimate": None,
                "human_total_time_spent": None,
            },
            "task_completion_status": {"count": 0, "completed_count": 0},
            "has_tasks": False,
            "references": {
                "short": f"#{issue.iid}",
                "relative": f"#{issue.iid}",
                "full": f"{self.project}#{issue.iid}",
            },
            "severity": "UNKNOWN",
        }  # fmt: skip
        if self.premium:
            group = self.project.split("/", 1)[0]
            data["weight"] = issue.weight
            data["epic_iid"] = issue.epic_iid
            data["epic"] = None if issue.epic_iid is None else {
                "id": 500 + issue.epic_iid,
                "iid": issue.epic_iid,
                "title": f"Epic {issue.epic_iid}",
                "url": f"/groups/{group}/-/epics/{issue.epic_iid}",
                "group_id": 7,
            }  # fmt: skip
        return data

    def _link_json(self, other: int, link_type: str, link_id: int) -> dict[str, Any]:
        data = self._issue_json(self._issues[other])
        data.update(
            issue_link_id=link_id,
            link_type=link_type,
            link_created_at=stamp(START),
            link_updated_at=stamp(START),
        )
        return data

    # -- internals: HTTP -------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        split = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = _form(raw, handler.headers.get("Content-Type", ""))
        with self._lock:
            self.log.append(Request(method, split.path, query, body))
            answer = self._answer(handler, method, split.path, query, body)
        handler.send_response(answer.status)
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.end_headers()
        handler.wfile.write(answer.body)

    def _answer(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
    ) -> _Answer:
        self._observed += 1
        limits = self._rate_headers()
        if self.html:
            page = b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>"
            return _Answer(200, page, {"Content-Type": "text/html; charset=utf-8"})
        if self._fail:
            status = self._fail.pop(0)
            return _json(status, {"message": f"{status} Internal Server Error"}, limits)
        if self._retry_after:
            wait = self._retry_after.pop(0)
            headers = {**limits, "Retry-After": f"{wait:g}", "RateLimit-Remaining": "0"}
            return _Answer(429, b"Retry later\n", {"Content-Type": "text/plain", **headers})
        if not self._authorized(handler):
            return _json(401, {"message": "401 Unauthorized"}, limits)
        answer = self._route(method, path, query, body)
        answer.headers = {**limits, **answer.headers}
        if method == "GET" and answer.status == 200:
            tag = 'W/"' + hashlib.md5(answer.body).hexdigest() + '"'  # a cache tag, not security
            answer.headers["ETag"] = tag
            answer.headers["Cache-Control"] = "max-age=0, private, must-revalidate"
            if handler.headers.get("If-None-Match") == tag:
                return _Answer(304, b"", {"ETag": tag, **limits})
        if self._truncate and answer.status == 200:
            self._truncate -= 1
            answer.body = answer.body[: max(1, len(answer.body) // 2)]
        return answer

    def _authorized(self, handler: BaseHTTPRequestHandler) -> bool:
        given = handler.headers.get("PRIVATE-TOKEN")
        bearer = handler.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            given = bearer[len("Bearer ") :]
        return given == self.token

    def _rate_headers(self) -> dict[str, str]:
        reset = int(self.now.timestamp()) + 60
        return {
            "RateLimit-Limit": str(RATE_LIMIT),
            "RateLimit-Observed": str(self._observed),
            "RateLimit-Remaining": str(max(1, RATE_LIMIT - self._observed)),
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": email.utils.formatdate(reset, usegmt=True),
        }

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> _Answer:
        parts = path.split("/")  # "", "api", "v4", "projects", id, ...
        if parts[:4] != ["", "api", "v4", "projects"] or len(parts) < 5:
            return _json(404, {"error": "404 Not Found"})
        project = urllib.parse.unquote(parts[4])
        if project not in (self.project, str(self.project_id)):
            return _json(404, {"message": "404 Project Not Found"})
        rest = parts[5:]
        if not rest:
            return _json(200, self._project_json()) if method == "GET" else _not_allowed()
        if rest == ["issues"] and method == "GET":
            return self._list_issues(path, query)
        if len(rest) < 2 or rest[0] != "issues" or not rest[1].isdigit():
            return _json(404, {"error": "404 Not Found"})
        iid = int(rest[1])
        if iid not in self._issues:
            return _json(404, {"message": "404 Not found"})
        return self._route_issue(method, path, query, body, iid, rest[2:])

    def _route_issue(
        self, method: str, path: str, query: dict[str, str], body: Any, iid: int, rest: list[str]
    ) -> _Answer:
        writes = method in ("POST", "PUT")
        if writes and not self.writable:
            return _json(
                403,
                {
                    "error": "insufficient_scope",
                    "error_description": "The request requires higher privileges than "
                    "provided by the access token.",
                    "scope": "api",
                },
            )
        issue = self._issues[iid]
        if not rest:
            if method == "PUT":
                if "due_date" in body:
                    issue.due_date = body["due_date"] or None
                    issue.updated = self.tick()
                return _json(200, self._issue_json(issue))
            return _json(200, self._issue_json(issue))
        if rest == ["links"] and method == "GET":
            return _json(200, self._links_of(iid))
        if rest == ["resource_state_events"] and method == "GET":
            return self._paged(path, query, self._state_events[iid])
        if rest == ["resource_label_events"] and method == "GET":
            return self._paged(path, query, self._label_events[iid])
        if rest == ["notes"]:
            if method == "POST":
                text = str(body.get("body") or "")
                if not text.strip():
                    return _json(400, {"message": {"note": ["can't be blank"]}})
                return _json(201, self._add_note(iid, text, system=False))
            notes = sorted(self._notes[iid], key=lambda n: (n["created_at"], n["id"]))
            if query.get("sort", "desc") == "desc":
                notes.reverse()
            return self._paged(path, query, notes)
        if len(rest) == 2 and rest[0] == "notes" and rest[1].isdigit() and method == "PUT":
            for note in self._notes[iid]:
                if note["id"] == int(rest[1]):
                    note["body"] = str(body.get("body") or "")
                    note["updated_at"] = stamp(self.tick())
                    return _json(200, note)
            return _json(404, {"message": "404 Note Not Found"})
        return _json(404, {"error": "404 Not Found"})

    def _links_of(self, iid: int) -> list[dict[str, Any]]:
        links = []
        for number, (blocker, blocked) in enumerate(self._links, start=1):
            if blocked == iid:
                links.append(self._link_json(blocker, "is_blocked_by", number))
            elif blocker == iid:
                links.append(self._link_json(blocked, "blocks", number))
        return links

    def _list_issues(self, path: str, query: dict[str, str]) -> _Answer:
        issues = list(self._issues.values())
        state = query.get("state", "all")
        if state in ("opened", "closed"):
            issues = [i for i in issues if i.state == state]
        if "updated_after" in query:  # GitLab: updated on or after the given time
            after = _moment(query["updated_after"])
            issues = [i for i in issues if _ms(i.updated) >= after]
        if "updated_before" in query:
            before = _moment(query["updated_before"])
            issues = [i for i in issues if _ms(i.updated) <= before]
        by = "updated" if query.get("order_by") == "updated_at" else "created"
        issues.sort(key=lambda i: (getattr(i, by), i.iid), reverse=query.get("sort") != "asc")
        rows = [self._issue_json(i) for i in issues]
        answer = self._paged(path, query, rows)
        if self._short and len(rows) > 1 and json.loads(answer.body):
            self._short -= 1
            page = json.loads(answer.body)
            answer.body = json.dumps(page[:-1]).encode()  # the hidden one is still counted
        return answer

    def _paged(self, path: str, query: Mapping[str, str], rows: list[dict[str, Any]]) -> _Answer:
        per_page = min(max(int(query.get("per_page") or 20), 1), 100)
        page = max(int(query.get("page") or 1), 1)
        total_pages = max(1, -(-len(rows) // per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < total_pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Total": str(len(rows)),
            "X-Total-Pages": str(total_pages),
        }
        base = self.url + path

        def link(number: int, rel: str) -> str:
            params = {**query, "page": str(number), "per_page": str(per_page)}
            return f'<{base}?{urllib.parse.urlencode(params)}>; rel="{rel}"'

        links = []
        if page > 1:
            links.append(link(page - 1, "prev"))
        if page < total_pages:
            links.append(link(page + 1, "next"))
        links += [link(1, "first"), link(total_pages, "last")]
        headers["Link"] = ", ".join(links)
        return _json(200, chunk, headers)


def _json(status: int, data: Any, headers: Mapping[str, str] | None = None) -> _Answer:
    body = json.dumps(data).encode()
    return _Answer(status, body, {"Content-Type": "application/json", **(headers or {})})


def _not_allowed() -> _Answer:
    return _json(405, {"error": "405 Method Not Allowed"})


def _form(raw: bytes, kind: str) -> dict[str, Any]:
    """A request body as GitLab reads it: JSON, or form fields."""
    if not raw:
        return {}
    if "json" in kind:
        data = json.loads(raw)
        return data if isinstance(data, dict) else {}
    return dict(urllib.parse.parse_qsl(raw.decode()))


def _moment(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _ms(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
