"""A local Jira Cloud (REST API v3) for tests: a real HTTP server on 127.0.0.1 holding issues in
memory and answering the endpoints the Jira adapter uses, with the payload shapes of the
official reference:

- ``GET /rest/api/3/myself``, ``GET /rest/api/3/project/{key}``, ``GET /rest/api/3/field``,
  ``GET /rest/api/3/status``;
- ``GET|POST /rest/api/3/search/jql`` (enhanced search: ``nextPageToken`` / ``isLast``, no
  ``startAt`` or ``total``; the last page carries no token), with ``expand=changelog`` and a
  small JQL subset (``project =``, ``updated >=``, ``key in (…)``, ``labels =``, ``status =``,
  ``parent =``, ``fixVersion =``, AND / OR / parentheses, ``ORDER BY updated, key``);
- ``GET /rest/api/3/issue/{key}/changelog`` (``startAt`` / ``maxResults``, oldest first);
- ``GET|PUT /rest/api/3/issue/{key}`` (``duedate``), ``GET|POST /rest/api/3/issue/{key}/comment``
  and ``PUT …/comment/{id}`` with bodies in Atlassian Document Format.

Usage::

    with JiraFake(user="a@b.c", token="t") as jira:
        key = jira.add_issue("Login page", points=3)
        jira.transition(key, "In Progress")
        ... adapter pointed at jira.url ...
        jira.log  # every request: method, path, query, body

Knobs inject trouble: ``fail_next(n)`` (5xx), ``rate_limit_next(n, retry_after)`` (429),
``garble_next(n)`` (a truncated JSON body), ``expire_tokens()`` (a 400 for every page token
handed out so far), ``html = True`` (a login page instead of the API).
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import re
import threading
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

#: Jira's default workflow statuses: name -> (id, status category key).
STATUSES: dict[str, tuple[str, str]] = {
    "To Do": ("10000", "new"),
    "In Progress": ("3", "indeterminate"),
    "In Review": ("10002", "indeterminate"),
    "Done": ("10001", "done"),
}
CATEGORIES: dict[str, tuple[int, str, str]] = {  # key -> (id, name, colorName)
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
STORY_POINTS = "customfield_10016"
BLOCKS = {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}
START = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)


class JqlError(Exception):
    """A query Jira would answer with 400 and these errorMessages."""


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class Issue:
    id: int
    key: str
    summary: str
    status: str
    created: dt.datetime
    updated: dt.datetime
    assignee: str | None = None
    labels: list[str] = field(default_factory=list)
    fix_versions: list[str] = field(default_factory=list)
    parent: str | None = None
    points: float | None = None
    original_estimate: int | None = None  # seconds
    resolutiondate: dt.datetime | None = None
    duedate: str | None = None
    links: list[dict[str, Any]] = field(default_factory=list)
    histories: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


class JiraFake:
    """One Jira Cloud site with one project, one user and its API token."""

    def __init__(
        self,
        *,
        user: str = "a@b.c",
        token: str = "t",
        project: str = "PLAT",
        time_zone: str = "Europe/Berlin",
        story_points: str | None = "Story point estimate",
        changelog_limit: int = 100,
        start: dt.datetime = START,
    ) -> None:
        self.user, self.token, self.project = user, token, project
        self.account_id = "5b10ac8d82e05b22cc7d4ef5"
        self.time_zone = time_zone
        self.zone = zoneinfo.ZoneInfo(time_zone)
        self.story_points = story_points  # the Story Points field's name; None: no such field
        self.changelog_limit = changelog_limit  # histories embedded by expand=changelog
        self.now = start
        self.issues: dict[str, Issue] = {}
        self.log: list[Request] = []
        self.html = False
        self._faults: list[tuple[str, int, float]] = []  # (kind, status, retry_after)
        # token -> (jql, where the page ended: the last sort key when ordered, else an offset)
        self._tokens: dict[str, tuple[str, tuple[Any, ...] | int]] = {}
        self._expired: set[str] = set()
        self._ids = itertools.count(10001)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> JiraFake:
        handler = _handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- data --------------------------------------------------------------------------------

    def tick(self, at: dt.datetime | None = None) -> dt.datetime:
        """The moment of the next change: ``at``, or one second after the last one."""
        with self._lock:
            self.now = at if at is not None else self.now + dt.timedelta(seconds=1)
            return self.now

    def add_issue(
        self,
        summary: str,
        *,
        status: str = "To Do",
        assignee: str | None = None,
        labels: tuple[str, ...] = (),
        fix_versions: tuple[str, ...] = (),
        parent: str | None = None,
        points: float | None = None,
        original_estimate: int | None = None,
        at: dt.datetime | None = None,
    ) -> str:
        with self._lock:
            moment = self.tick(at)
            number = len(self.issues) + 1
            key = f"{self.project}-{number}"
            self.issues[key] = Issue(
                id=next(self._ids),
                key=key,
                summary=summary,
                status="To Do",
                created=moment,
                updated=moment,
                assignee=assignee,
                labels=list(labels),
                fix_versions=list(fix_versions),
                parent=parent,
                points=points,
                original_estimate=original_estimate,
            )
            if status != "To Do":
                self.transition(key, status, at=moment)
            return key

    def transition(self, key: str, status: str, *, at: dt.datetime | None = None) -> None:
        """Move an issue to ``status`` (a history entry; resolution set or cleared)."""
        with self._lock:
            issue = self.issues[key]
            moment = self.tick(at)
            old = issue.status
            issue.histories.append(
                {
                    "id": str(next(self._ids)),
                    "author": self._user_json(),
                    "created": self._stamp(moment),
                    "items": [
                        {
                            "field": "status",
                            "fieldtype": "jira",
                            "fieldId": "status",
                            "from": STATUSES[old][0],
                            "fromString": old,
                            "to": STATUSES[status][0],
                            "toString": status,
                        }
                    ],
                }
            )
            issue.status = status
            issue.resolutiondate = moment if STATUSES[status][1] == "done" else None
            issue.updated = moment

    def edit(self, key: str, *, at: dt.datetime | None = None, **changes: Any) -> None:
        """Change plain fields (summary, labels, points, assignee, …); bumps ``updated``."""
        with self._lock:
            issue = self.issues[key]
            for name, value in changes.items():
                if not hasattr(issue, name):
                    raise AttributeError(name)
                setattr(issue, name, value)
            issue.updated = self.tick(at)

    def block(self, blocker: str, blocked: str) -> None:
        """``blocker`` blocks ``blocked`` (shown on both issues, as Jira does)."""
        with self._lock:
            link_id = str(next(self._ids))
            self.issues[blocked].links.append(
                {"id": link_id, "type": dict(BLOCKS), "inwardIssue": self._ref(blocker)}
            )
            self.issues[blocker].links.append(
                {"id": link_id, "type": dict(BLOCKS), "outwardIssue": self._ref(blocked)}
            )
            moment = self.tick()
            self.issues[blocked].updated = self.issues[blocker].updated = moment

    def add_comment(self, key: str, text: str) -> str:
        with self._lock:
            return str(self._new_comment(self.issues[key], adf(text))["id"])

    def comment_texts(self, key: str) -> list[str]:
        return [adf_text(c["body"]) for c in self.issues[key].comments]

    # -- knobs -------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 503) -> None:
        self._faults += [("fail", status, 0.0)] * count

    def rate_limit_next(self, count: int, retry_after: float = 2.0) -> None:
        self._faults += [("limit", 429, retry_after)] * count

    def garble_next(self, count: int = 1) -> None:
        self._faults += [("garble", 200, 0.0)] * count

    def expire_tokens(self) -> None:
        self._expired.update(self._tokens)

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]

    # -- JSON shapes -------------------------------------------------------------------------

    def _stamp(self, moment: dt.datetime) -> str:
        """Jira's timestamp: milliseconds and a ±hhmm offset, in the user's time zone."""
        local = moment.astimezone(self.zone)
        return (
            local.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{local.microsecond // 1000:03d}"
            + (local.strftime("%z"))
        )

    def _user_json(self) -> dict[str, Any]:
        return {
            "accountId": self.account_id,
            "accountType": "atlassian",
            "active": True,
            "displayName": "Alex Example",
            "emailAddress": self.user,
            "timeZone": self.time_zone,
        }

    def _ref(self, key: str) -> dict[str, Any]:
        issue = self.issues[key]
        return {
            "id": str(issue.id),
            "key": key,
            "self": f"{self.url}/rest/api/3/issue/{issue.id}",
            "fields": {"summary": issue.summary, "status": _status_json(issue.status)},
        }

    def _fields(self, issue: Issue) -> dict[str, Any]:
        assignee = None
        if issue.assignee:
            assignee = {
                "accountId": issue.assignee,
                "accountType": "atlassian",
                "active": True,
                "displayName": issue.assignee,
            }
        values: dict[str, Any] = {
            "summary": issue.summary,
            "status": _status_json(issue.status),
            "assignee": assignee,
            "created": self._stamp(issue.created),
            "updated": self._stamp(issue.updated),
            "resolutiondate": self._stamp(issue.resolutiondate) if issue.resolutiondate else None,
            "labels": list(issue.labels),
            "fixVersions": [
                {"id": str(1000 + i), "name": name, "archived": False, "released": False}
                for i, name in enumerate(issue.fix_versions)
            ],
            "issuelinks": [dict(link) for link in issue.links],
            "timeoriginalestimate": issue.original_estimate,
            "duedate": issue.duedate,
        }
        if issue.parent:
            values["parent"] = self._ref(issue.parent)
        if self.story_points:
            values[STORY_POINTS] = issue.points
        return values

    def _issue_json(self, issue: Issue, wanted: list[str], changelog: bool) -> dict[str, Any]:
        fields = self._fields(issue)
        every = "*all" in wanted or "*navigable" in wanted
        data: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog",
            "id": str(issue.id),
            "self": f"{self.url}/rest/api/3/issue/{issue.id}",
            "key": issue.key,
        }
        if wanted and wanted != ["id"]:
            data["fields"] = {k: v for k, v in fields.items() if every or k in wanted}
        if changelog:
            # Jira embeds the most recent histories, newest first; more must be paged.
            recent = list(reversed(issue.histories))[: self.changelog_limit]
            data["changelog"] = {
                "startAt": 0,
                "maxResults": len(recent),
                "total": len(issue.histories),
                "histories": recent,
            }
        return data

    def _new_comment(self, issue: Issue, body: Any) -> dict[str, Any]:
        moment = self.tick()
        comment = {
            "self": f"{self.url}/rest/api/3/issue/{issue.id}/comment/{len(issue.comments) + 1}",
            "id": str(next(self._ids)),
            "author": self._user_json(),
            "body": body,
            "updateAuthor": self._user_json(),
            "created": self._stamp(moment),
            "updated": self._stamp(moment),
            "jsdPublic": True,
        }
        issue.comments.append(comment)
        issue.updated = moment
        return comment

    # -- routing -----------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Reply:
        with self._lock:
            routes: list[tuple[str, str, Callable[..., Reply]]] = [
                ("GET", r"/rest/api/3/myself", self._myself),
                ("GET", r"/rest/api/3/project/([^/]+)", self._project),
                ("GET", r"/rest/api/3/field", self._field),
                ("GET", r"/rest/api/3/status", self._status),
                ("GET", r"/rest/api/3/search/jql", self._search),
                ("POST", r"/rest/api/3/search/jql", self._search),
                ("GET", r"/rest/api/3/issue/([^/]+)/changelog", self._changelog),
                ("GET", r"/rest/api/3/issue/([^/]+)/comment", self._comments),
                ("POST", r"/rest/api/3/issue/([^/]+)/comment", self._add_comment),
                ("PUT", r"/rest/api/3/issue/([^/]+)/comment/([^/]+)", self._edit_comment),
                ("GET", r"/rest/api/3/issue/([^/]+)", self._get_issue),
                ("PUT", r"/rest/api/3/issue/([^/]+)", self._put_issue),
            ]
            for verb, pattern, action in routes:
                found = re.fullmatch(pattern, path)
                if found and verb == method:
                    return action(query, body, *found.groups())
            return Reply(404, {"errorMessages": ["Not found"], "errors": {}})

    def _myself(self, query: dict[str, list[str]], body: Any) -> Reply:
        data = self._user_json() | {
            "self": f"{self.url}/rest/api/3/user?accountId={self.account_id}",
            "locale": "en_US",
        }
        return Reply(200, data)

    def _project(self, query: dict[str, list[str]], body: Any, key: str) -> Reply:
        if key != self.project:
            message = f"No project could be found with key '{key}'."
            return Reply(404, {"errorMessages": [message], "errors": {}})
        return Reply(
            200,
            {
                "self": f"{self.url}/rest/api/3/project/10000",
                "id": "10000",
                "key": key,
                "name": "Platform",
                "projectTypeKey": "software",
                "simplified": False,
                "style": "classic",
                "isPrivate": False,
            },
        )

    def _field(self, query: dict[str, list[str]], body: Any) -> Reply:
        fields: list[dict[str, Any]] = [
            _field_json("summary", "Summary", "string"),
            _field_json("status", "Status", "status"),
            _field_json("timeoriginalestimate", "Original estimate", "number"),
            _field_json("duedate", "Due date", "date"),
            _field_json("customfield_10020", "Sprint", "array", custom=True),
        ]
        if self.story_points:
            fields.append(_field_json(STORY_POINTS, self.story_points, "number", custom=True))
        return Reply(200, fields)

    def _status(self, query: dict[str, list[str]], body: Any) -> Reply:
        return Reply(200, [_status_json(name) for name in STATUSES])

    def _search(self, query: dict[str, list[str]], body: Any) -> Reply:
        params = _search_params(query, body)
        jql = str(params.get("jql", ""))
        token = params.get("nextPageToken")
        after: tuple[Any, ...] | int | None = None
        if token:
            if token in self._expired or token not in self._tokens:
                return Reply(
                    400,
                    {
                        "errorMessages": ["The provided next page token is invalid or expired."],
                        "errors": {},
                    },
                )
            old_jql, after = self._tokens[token]
            if old_jql != jql:
                return Reply(
                    400,
                    {
                        "errorMessages": ["The JQL query does not match the next page token."],
                        "errors": {},
                    },
                )
        try:
            found, ordered = self._select(jql)
        except JqlError as error:
            return Reply(400, {"errorMessages": [str(error)], "errors": {}, "warningMessages": []})
        skipped = 0
        if isinstance(after, int):
            found, skipped = found[after:], after
        elif after is not None:  # keyset paging: an issue updated meanwhile moves to the end
            found = [i for i in found if _sort_key(i) > after]
        size = max(1, min(int(params.get("maxResults", 50)), 5000))
        page, rest = found[:size], found[size:]
        wanted = params.get("fields", ["id"])
        changelog = "changelog" in str(params.get("expand", "")).split(",")
        data: dict[str, Any] = {
            "issues": [self._issue_json(i, wanted, changelog) for i in page],
            "isLast": not rest,
        }
        if rest:  # the token remembers where this page ended
            new_token = f"tok{len(self._tokens) + 1}"
            self._tokens[new_token] = (jql, _sort_key(page[-1]) if ordered else skipped + size)
            data["nextPageToken"] = new_token
        return Reply(200, data)

    def _select(self, jql: str) -> tuple[list[Issue], bool]:
        where, ordered = _parse_jql(jql, self.zone)
        chosen = [i for i in self.issues.values() if where(i)]
        if ordered:
            chosen.sort(key=_sort_key)  # ORDER BY updated ASC, key ASC (numeric, like Jira)
        else:
            chosen.sort(key=lambda i: -i.id)  # Jira's default: newest first
        return chosen, ordered

    def _issue(self, key: str) -> Issue | None:
        return self.issues.get(unquote(key))

    def _missing(self) -> Reply:
        message = "Issue does not exist or you do not have permission to see it."
        return Reply(404, {"errorMessages": [message], "errors": {}})

    def _changelog(self, query: dict[str, list[str]], body: Any, key: str) -> Reply:
        issue = self._issue(key)
        if issue is None:
            return self._missing()
        start = int(query.get("startAt", ["0"])[0])
        size = min(int(query.get("maxResults", ["100"])[0]), 100)
        values = issue.histories[start : start + size]
        last = start + size >= len(issue.histories)
        here = f"{self.url}/rest/api/3/issue/{key}/changelog"
        data: dict[str, Any] = {
            "self": f"{here}?maxResults={size}&startAt={start}",
            "maxResults": size,
            "startAt": start,
            "total": len(issue.histories),
            "isLast": last,
            "values": values,
        }
        if not last:
            data["nextPage"] = f"{here}?maxResults={size}&startAt={start + size}"
        return Reply(200, data)

    def _get_issue(self, query: dict[str, list[str]], body: Any, key: str) -> Reply:
        issue = self._issue(key)
        if issue is None:
            return self._missing()
        wanted = ",".join(query.get("fields", ["*all"])).split(",")
        return Reply(200, self._issue_json(issue, wanted, changelog=False))

    def _put_issue(self, query: dict[str, list[str]], body: Any, key: str) -> Reply:
        issue = self._issue(key)
        if issue is None:
            return self._missing()
        fields = body.get("fields", {}) if isinstance(body, dict) else {}
        for name, value in fields.items():
            if name != "duedate":
                return Reply(
                    400,
                    {
                        "errorMessages": [],
                        "errors": {
                            name: f"Field '{name}' cannot be set. It is not on the "
                            "appropriate screen, or unknown."
                        },
                    },
                )
            if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                return Reply(
                    400,
                    {
                        "errorMessages": [],
                        "errors": {"duedate": f"Error parsing date string: {value}"},
                    },
                )
            issue.duedate = value
        issue.updated = self.tick()
        return Reply(204, None)

    def _comments(self, query: dict[str, list[str]], body: Any, key: str) -> Reply:
        issue = self._issue(key)
        if issue is None:
            return self._missing()
        start = int(query.get("startAt", ["0"])[0])
        size = min(int(query.get("maxResults", ["5000"])[0]), 5000)
        return Reply(
            200,
            {
                "startAt": start,
                "maxResults": size,
                "total": len(issue.comments),
                "comments": issue.comments[start : start + size],
            },
        )

    def _add_comment(self, query: dict[str, list[str]], body: Any, key: str) -> Reply:
        issue = self._issue(key)
        if issue is None:
            return self._missing()
        problem = _adf_problem(body)
        if problem:
            return Reply(400, {"errorMessages": [problem], "errors": {}})
        return Reply(201, self._new_comment(issue, body["body"]))

    def _edit_comment(
        self, query: dict[str, list[str]], body: Any, key: str, comment_id: str
    ) -> Reply:
        issue = self._issue(key)
        if issue is None:
            return self._missing()
        problem = _adf_problem(body)
        if problem:
            return Reply(400, {"errorMessages": [problem], "errors": {}})
        for comment in issue.comments:
            if comment["id"] == comment_id:
                moment = self.tick()
                comment["body"] = body["body"]
                comment["updated"] = self._stamp(moment)
                issue.updated = moment
                return Reply(200, comment)
        return Reply(
            404,
            {"errorMessages": [f"Can not find a comment for the id: {comment_id}."], "errors": {}},
        )

    # -- the HTTP side -----------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        return header == f"Basic {expected}"

    def next_fault(self) -> tuple[str, int, float] | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    data: Any
    headers: dict[str, str] = field(default_factory=dict)


def _handler(fake: JiraFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms stalls

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            query = parse_qs(parts.query)
            fake.log.append(Request(self.command, parts.path, query, body))
            if fake.html:
                return self._send(
                    200,
                    b"<!DOCTYPE html><html><body>Log in</body></html>",
                    "text/html;charset=UTF-8",
                )
            if not fake.authorized(self.headers.get("Authorization")):
                return self._send(
                    401,
                    b"Client must be authenticated to access this resource.",
                    "text/plain;charset=UTF-8",
                )
            fault = fake.next_fault()
            if fault is not None:
                kind, status, wait = fault
                if kind == "limit":
                    return self._json(
                        Reply(
                            429,
                            {"errorMessages": ["Rate limit exceeded."]},
                            {"Retry-After": f"{wait:g}"},
                        )
                    )
                if kind == "fail":
                    return self._json(Reply(status, {"errorMessages": ["Internal error"]}))
                reply = fake.handle(self.command, parts.path, query, body)
                text = json.dumps(reply.data).encode()
                return self._send(
                    reply.status, text[: max(1, len(text) // 2)], "application/json;charset=UTF-8"
                )
            return self._json(fake.handle(self.command, parts.path, query, body))

        def _json(self, reply: Reply) -> None:
            payload = b"" if reply.data is None else json.dumps(reply.data).encode()
            self._send(reply.status, payload, "application/json;charset=UTF-8", reply.headers)

        def _send(
            self, status: int, payload: bytes, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _serve

    return Handler


# -- payload helpers ---------------------------------------------------------------------------


def _status_json(name: str) -> dict[str, Any]:
    status_id, category = STATUSES[name]
    cat_id, cat_name, color = CATEGORIES[category]
    return {
        "self": f"/rest/api/3/status/{status_id}",
        "description": "",
        "iconUrl": "",
        "name": name,
        "untranslatedName": name,
        "id": status_id,
        "statusCategory": {
            "self": f"/rest/api/3/statuscategory/{cat_id}",
            "id": cat_id,
            "key": category,
            "colorName": color,
            "name": cat_name,
        },
    }


def _field_json(field_id: str, name: str, kind: str, *, custom: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": custom,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{field_id.rsplit('_', 1)[1]}]", name] if custom else [field_id],
        "schema": {"type": kind, "system": field_id},
    }
    if custom:
        data["schema"] = {
            "type": kind,
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
            "customId": int(field_id.rsplit("_", 1)[1]),
        }
    return data


def _search_params(query: dict[str, list[str]], body: Any) -> dict[str, Any]:
    """The enhanced search's parameters, from the POST body or the GET query string."""
    if isinstance(body, dict):
        return body
    params: dict[str, Any] = {name: values[0] for name, values in query.items()}
    if "fields" in query:
        params["fields"] = [f for v in query["fields"] for f in v.split(",") if f]
    return params


def _sort_key(issue: Issue) -> tuple[dt.datetime, str, int]:
    # Jira orders keys by project, then by number (PLAT-10 after PLAT-9).
    return (
        issue.updated.replace(microsecond=issue.updated.microsecond // 1000 * 1000),
        issue.key.rsplit("-", 1)[0],
        issue.number,
    )


def adf(text: str) -> dict[str, Any]:
    """Text as an Atlassian Document Format document: one paragraph per line."""
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
            for line in text.split("\n")
        ],
    }


def adf_text(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    parts = [adf_text(child) for child in node.get("content", [])]
    return ("\n" if node.get("type") == "doc" else "").join(parts)


def _adf_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), dict):
        return "Comment body can not be empty!"
    doc = body["body"]
    if doc.get("type") != "doc" or doc.get("version") != 1:
        return "Comment body is not valid!"  # v3 takes only ADF, not a plain string
    return None


# -- a JQL subset ------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>>=|<=|!=|[=<>(),~])"""
    r"""|(?P<word>[A-Za-z0-9_.\-/:*\[\]]+))"""
)
Where = Callable[[Issue], bool]


def _tokens(jql: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = jql.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise JqlError(
                f"Error in the JQL Query: The character '{text[position]}' is a "
                f"reserved JQL character. (line 1, character {position + 1})"
            )
        kind = match.lastgroup or "word"
        value = match.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        found.append((kind, value))
        position = match.end()
    return found


def _everything(issue: Issue) -> bool:
    return True


def _parse_jql(jql: str, zone: dt.tzinfo) -> tuple[Where, bool]:
    parser = _Parser(_tokens(jql), zone)
    where: Where = _everything
    if parser.peek() and not parser.at_word("ORDER"):
        where = parser.expression()
    ordered = False
    if parser.at_word("ORDER"):
        parser.take()
        parser.expect_word("BY")
        ordered = parser.order()
    if parser.peek():
        raise JqlError(
            f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{parser.peek()}'."
        )
    return where, ordered


class _Parser:
    FIELDS = frozenset(
        {
            "project",
            "updated",
            "created",
            "key",
            "issuekey",
            "labels",
            "status",
            "parent",
            "fixversion",
        }
    )

    def __init__(self, tokens: list[tuple[str, str]], zone: dt.tzinfo) -> None:
        self.tokens, self.zone, self.position = tokens, zone, 0

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def at_word(self, word: str) -> bool:
        value = self.peek()
        return (
            value is not None
            and self.tokens[self.position][0] == "word"
            and (value.upper() == word)
        )

    def take(self) -> str:
        value = self.peek()
        if value is None:
            raise JqlError("Error in the JQL Query: The query ends unexpectedly.")
        self.position += 1
        return value

    def expect_word(self, word: str) -> None:
        if not self.at_word(word):
            raise JqlError(f"Error in the JQL Query: Expecting '{word}' but got '{self.peek()}'.")
        self.position += 1

    def expression(self) -> Where:
        terms = [self.conjunction()]
        while self.at_word("OR"):
            self.take()
            terms.append(self.conjunction())
        return lambda issue: any(t(issue) for t in terms)

    def conjunction(self) -> Where:
        terms = [self.term()]
        while self.at_word("AND"):
            self.take()
            terms.append(self.term())
        return lambda issue: all(t(issue) for t in terms)

    def term(self) -> Where:
        if self.peek() == "(":
            self.take()
            inner = self.expression()
            if self.take() != ")":
                raise JqlError("Error in the JQL Query: Expecting ')' before the end.")
            return inner
        name = self.take().lower()
        if name not in self.FIELDS:
            raise JqlError(
                f"Field '{name}' does not exist or you do not have permission to view it."
            )
        op = self.take().lower()
        if op == "in":
            return self._within(name, self._list())
        if op not in {"=", "!=", ">=", "<=", ">", "<"}:
            raise JqlError(f"Error in the JQL Query: Expecting operator but got '{op}'.")
        value = self.take()
        if name in {"updated", "created"}:
            return self._compare(name, op, self._moment(value))
        positive = self._within(name, [value])
        return (lambda issue: not positive(issue)) if op == "!=" else positive

    def _list(self) -> list[str]:
        if self.take() != "(":
            raise JqlError("Error in the JQL Query: Expecting '(' after 'in'.")
        values = [self.take()]
        while self.peek() == ",":
            self.take()
            values.append(self.take())
        if self.take() != ")":
            raise JqlError("Error in the JQL Query: Expecting ')' to close the list.")
        return values

    def _within(self, name: str, values: list[str]) -> Where:
        wanted = {v.casefold() for v in values}

        def have(issue: Issue) -> list[str]:
            return {
                "project": [issue.key.rsplit("-", 1)[0]],
                "key": [issue.key],
                "issuekey": [issue.key],
                "labels": issue.labels,
                "status": [issue.status],
                "parent": [issue.parent or ""],
                "fixversion": issue.fix_versions,
            }[name]

        return lambda issue: any(v.casefold() in wanted for v in have(issue))

    def _moment(self, value: str) -> dt.datetime:
        # JQL dates are read in the searching user's time zone, to the minute.
        for pattern in ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(value, pattern).replace(tzinfo=self.zone)
            except ValueError:
                continue
        raise JqlError(
            f"Date value '{value}' for field 'updated' is invalid. Valid formats "
            "include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', "
            "'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
        )

    def _compare(self, name: str, op: str, bound: dt.datetime) -> Where:
        tests: dict[str, Callable[[dt.datetime], bool]] = {
            "=": lambda m: m == bound,
            "!=": lambda m: m != bound,
            ">=": lambda m: m >= bound,
            "<=": lambda m: m <= bound,
            ">": lambda m: m > bound,
            "<": lambda m: m < bound,
        }
        test = tests[op]
        return lambda issue: test(getattr(issue, name))

    def order(self) -> bool:
        while True:
            name = self.take().lower()
            if name not in {"updated", "key", "created"}:
                raise JqlError(f"Not able to sort using field '{name}'.")
            if self.at_word("ASC") or self.at_word("DESC"):
                self.take()
            if self.peek() != ",":
                return True
            self.take()


def issues_in(fake: JiraFake) -> Iterator[Issue]:
    """The fake's issues in key order (for assertions)."""
    return iter(sorted(fake.issues.values(), key=lambda i: i.number))
