"""Jira Cloud (REST API v3): read a project's issues page by page, and write due dates and the
forecast comment back.

Reading uses the enhanced search, ``POST /rest/api/3/search/jql`` (the old ``/search`` is gone):
``project = KEY [AND updated >= "yyyy/MM/dd HH:mm"] ORDER BY updated ASC, key ASC`` with
``expand=changelog``, paged by ``nextPageToken`` until ``isLast``. JQL dates have minute
resolution and are read in the searching user's time zone (``/myself``), so the bound is the
mark floored to its minute in that zone: the overlap re-reads a few issues, and those at or
before the mark, in the search's own order, are skipped.

A cursor is ``{"mark": M}`` after the final page (M: the ``updated`` and key of the last issue
read, where the next sync starts) or ``{"mark": M, "since": S, "token": T}`` after any other:
the search that was running (from S) goes on with its token T, skipping what is at or before
M. Tokens expire (after 7 days); an expired one is answered 400, and the search then starts
again from M.

An item's ``assignees`` holds the assignee's Atlassian ``accountId`` (Jira Cloud no longer
exposes user names or, mostly, e-mails): a source's ``people`` maps account ids to plan people.
``blocked_by`` holds the keys of "Blocks" links that read "this issue is blocked by X": in an
issue's ``issuelinks`` those entries carry the blocker as ``inwardIssue`` (Atlassian's guide to
the issue linking model).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import httpx

from ontrack.model.tracker import Source, TrackerItem, Transition
from ontrack.trackers.base import Cursor, Page, TrackerError, WriteBack, classify, credentials
from ontrack.trackers.http import Http, Response, expect

API = "rest/api/3"
SEARCH = f"{API}/search/jql"
MARKER = "ontrack forecast:"  # the first words of the comment ontrack owns on an issue
STORY_POINT_NAMES = ("story points", "story point estimate")  # company- / team-managed
ORIGINAL_ESTIMATE = "timeoriginalestimate"
CHANGELOG_PAGE = 100  # the most /issue/{key}/changelog returns per page
COMMENT_PAGE = 100


class JiraRefusal(TrackerError):
    """A 400 answer: Jira refused the request and said why (``errorMessages``, ``errors``)."""

    def __init__(self, reasons: str) -> None:
        super().__init__("E607", reasons)
        self.reasons = reasons


class _JiraHttp(Http):
    """The shared client, except that a 400 keeps Jira's reasons: they are what the user needs
    to fix a JQL query or a refused write (the shared client keeps only a snippet)."""

    def _parse(self, reply: httpx.Response, expect_json: bool) -> Response:
        if reply.status_code == 400:
            raise JiraRefusal(self.redact(_reasons(reply)))
        return super()._parse(reply, expect_json)


def _reasons(reply: httpx.Response) -> str:
    try:
        data = json.loads(reply.content)
    except ValueError:
        return " ".join(reply.text.split())[:300] or "HTTP 400"
    if not isinstance(data, dict):
        return "HTTP 400"
    found = [str(m) for m in data.get("errorMessages") or () if m]
    errors = data.get("errors")
    if isinstance(errors, dict):
        found += [f"{name}: {text}" for name, text in errors.items()]
    return "; ".join(found) or "HTTP 400"


@dataclass(frozen=True, slots=True, order=True)
class Mark:
    """A place in the search's order (``updated`` ascending, then key by project and number)."""

    updated: dt.datetime
    project: str
    number: int
    key: str

    @classmethod
    def of(cls, updated: dt.datetime, key: str) -> Mark:
        project, _, number = key.rpartition("-")
        return cls(updated, project, int(number) if number.isdigit() else 0, key)

    def to_json(self) -> dict[str, str]:
        return {"updated": self.updated.isoformat(), "key": self.key}

    @classmethod
    def from_json(cls, data: Any) -> Mark | None:
        if not isinstance(data, Mapping):
            return None
        return cls.of(_aware(dt.datetime.fromisoformat(str(data["updated"]))), str(data["key"]))


class JiraAdapter:
    """Reads one Jira Cloud project (``source.project`` is its key) at ``source.url``."""

    def __init__(
        self,
        source: Source,
        *,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = 100,
        max_wait: float = 120.0,
    ) -> None:
        self.source = source
        self.site = source.url.rstrip("/")
        self.page_size = page_size
        found = credentials(source, environ)
        auth, headers = None, {}
        if found.token and found.user:
            auth = (found.user, found.token)  # Jira Cloud: account e-mail and API token
        elif found.token:
            headers = {"Authorization": f"Bearer {found.token}"}  # an OAuth or DC access token
        self._http = _JiraHttp(
            self.site,
            what=f"Jira at {self.site}",
            headers=headers,
            auth=auth,
            secrets=found.secrets,
            transport=transport,
            sleep=sleep,
            max_wait=max_wait,
        )
        self._zone: dt.tzinfo | None = None
        self._overlap = dt.timedelta(0)
        self._estimate: str | None = None
        self._categories: dict[str, str] | None = None

    @property
    def requests(self) -> int:
        return self._http.requests

    def close(self) -> None:
        self._http.close()

    # -- check -------------------------------------------------------------------------------

    def check(self) -> None:
        self._myself()
        self._project()
        self._estimate_field()
        if self.source.match.query:
            self._check_query(self.source.match.query)

    def _myself(self) -> None:
        data = self._http.get(f"{API}/myself").data
        if not isinstance(data, dict) or "accountId" not in data:
            raise TrackerError(
                "E603",
                f"{self.site} does not answer as Jira Cloud (/{API}/myself has no accountId)",
                "the source's url is the site, e.g. https://your-domain.atlassian.net",
            )
        try:
            self._zone = zoneinfo.ZoneInfo(str(data.get("timeZone") or ""))
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            # JQL dates are in the user's zone; not knowing it, widen the bound by the largest
            # offset from UTC (skipping what was read makes the overlap harmless).
            self._zone, self._overlap = dt.UTC, dt.timedelta(hours=14)

    def _project(self) -> None:
        key = self.source.project
        try:
            data = self._http.get(f"{API}/project/{quote(key, safe='')}").data
        except TrackerError as error:
            if error.code != "E604":
                raise
            raise TrackerError(
                "E604",
                f"source {self.source.name!r}: Jira at {self.site} has no project {key!r} "
                "(or the account may not browse it)",
                "the source's project is the project key, e.g. PLAT",
            ) from None
        if not isinstance(data, dict) or "key" not in data:
            raise TrackerError("E603", f"{self.site} does not answer as Jira for /{API}/project")

    def _check_query(self, query: str) -> None:
        jql = f"{self._project_clause()} AND ({query})"
        try:
            data = self._post_search({"jql": jql, "maxResults": 1, "fields": ["key"]})
        except JiraRefusal as refusal:
            raise self._bad_query(query, refusal) from None
        if not data["issues"]:
            raise TrackerError(
                "E605",
                f"source {self.source.name!r}: the JQL {query!r} matches no issue of "
                f"{self.source.project}",
                "check the query in Jira's issue search, then in the source's match.query",
            )

    def _bad_query(self, query: str, refusal: JiraRefusal) -> TrackerError:
        return TrackerError(
            "E604",
            f"source {self.source.name!r}: Jira refused the JQL {query!r}: {refusal.reasons}",
            "fix the source's match.query (try it in Jira's issue search first)",
        )

    def _estimate_field(self) -> str:
        if self._estimate is None:
            self._estimate = self._resolve_estimate()
        return self._estimate

    def _resolve_estimate(self) -> str:
        wanted = self.source.estimate_field or "story_points"
        if wanted == ORIGINAL_ESTIMATE:
            return wanted
        fields = expect(self._http.get(f"{API}/field").data, list, "a field list", self.site)
        known = [f for f in fields if isinstance(f, dict) and "id" in f]
        if wanted == "story_points":
            for name in STORY_POINT_NAMES:
                for entry in known:
                    if str(entry.get("name", "")).casefold() == name:
                        return str(entry["id"])
        else:
            for entry in known:
                if wanted in (entry.get("id"), entry.get("key"), entry.get("name")):
                    return str(entry["id"])
        raise TrackerError(
            "E606",
            f"source {self.source.name!r}: Jira at {self.site} has no field {wanted!r}"
            + (" (no 'Story Points' or 'Story point estimate' field)" if wanted else ""),
            "name the estimate field by its id (customfield_NNNNN, see /rest/api/3/field) or "
            f"use {ORIGINAL_ESTIMATE}",
        )

    # -- pages -------------------------------------------------------------------------------

    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        cursor = cursor or {}
        mark = Mark.from_json(cursor.get("mark"))
        since = Mark.from_json(cursor.get("since")) if cursor.get("token") else mark
        token: str | None = cursor.get("token") or None
        used = self._http.requests
        fields = self._search_fields()
        jql = self._jql(since)
        while True:
            try:
                data = self._search(jql, token, fields)
            except JiraRefusal as refusal:
                if token is None:
                    raise self._bad_query(jql, refusal) from None
                # The token expired (or no longer fits the query): search again from the last
                # issue stored, skipping it and what came before.
                since, token = mark, None
                jql = self._jql(since)
                continue
            issues = [i for i in data["issues"] if _mark(i) > mark] if mark else data["issues"]
            items = self._items(issues)
            for item in items:
                here = Mark.of(item.updated, item.key)
                mark = here if mark is None or here > mark else mark
            token = data.get("nextPageToken") or None
            final = data.get("isLast") is True or token is None
            state: dict[str, Any] = {"mark": mark.to_json() if mark else None}
            if not final:
                state |= {"since": since.to_json() if since else None, "token": token}
            spent, used = self._http.requests - used, self._http.requests
            yield Page(tuple(items), state, final=final, requests=spent)
            if final:
                return

    def _search_fields(self) -> list[str]:
        return [
            "summary",
            "status",
            "assignee",
            "created",
            "updated",
            "resolutiondate",
            "labels",
            "fixVersions",
            "parent",
            "issuelinks",
            self._estimate_field(),
        ]

    def _project_clause(self) -> str:
        return f"project = {_quoted(self.source.project)}"

    def _jql(self, since: Mark | None) -> str:
        clauses = [self._project_clause()]
        if since is not None:
            if self._zone is None:
                self._myself()
            assert self._zone is not None
            # Minute resolution: flooring to the minute (in the user's zone) never loses the
            # boundary; the issues read again are skipped by their mark.
            local = since.updated.astimezone(self._zone) - self._overlap
            clauses.append(f'updated >= "{local:%Y/%m/%d %H:%M}"')
        return " AND ".join(clauses) + " ORDER BY updated ASC, key ASC"

    def _search(self, jql: str, token: str | None, fields: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "jql": jql,
            "maxResults": self.page_size,
            "fields": fields,
            "expand": "changelog",  # a comma-separated string in this endpoint's body
        }
        if token:
            body["nextPageToken"] = token
        return self._post_search(body)

    def _post_search(self, body: Mapping[str, Any]) -> dict[str, Any]:
        data = expect(self._http.request("POST", SEARCH, body=body).data, dict, "a search", SEARCH)
        issues = data.get("issues", [])
        if not isinstance(issues, list) or not all(
            isinstance(i, dict) and isinstance(i.get("key"), str) for i in issues
        ):
            raise TrackerError("E607", f"Jira at {self.site} answered a search without issues")
        return {**data, "issues": issues}

    def _items(self, issues: list[dict[str, Any]]) -> list[TrackerItem]:
        query = self.source.match.query
        in_query = self._matching(query, [i["key"] for i in issues]) if query and issues else None
        return [self._item(issue, in_query) for issue in issues]

    def _matching(self, query: str, keys: list[str]) -> set[str]:
        """Which of ``keys`` the source's JQL matches (one search, paged only if Jira must)."""
        jql = f"({query}) AND key in ({', '.join(_quoted(k) for k in keys)})"
        found: set[str] = set()
        token: str | None = None
        while True:
            body: dict[str, Any] = {"jql": jql, "maxResults": len(keys), "fields": ["key"]}
            if token:
                body["nextPageToken"] = token
            try:
                data = self._post_search(body)
            except JiraRefusal as refusal:
                raise self._bad_query(query, refusal) from None
            found.update(i["key"] for i in data["issues"])
            token = data.get("nextPageToken") or None
            if data.get("isLast") is True or token is None:
                return found

    # -- one issue ---------------------------------------------------------------------------

    def _item(self, issue: dict[str, Any], in_query: set[str] | None) -> TrackerItem:
        key = issue["key"]
        fields = expect(issue.get("fields"), dict, "an issue", f"Jira issue {key}")
        status = fields.get("status") if isinstance(fields.get("status"), dict) else {}
        state = str(status.get("name", ""))
        category = _category_of(status) or self._category(str(status.get("id", "")), state)
        labels = tuple(str(x) for x in fields.get("labels") or ())
        versions = [str(v.get("name")) for v in fields.get("fixVersions") or () if v.get("name")]
        parent = (fields.get("parent") or {}).get("key")
        moves = self._transitions(key, issue.get("changelog"), labels)
        closed = category == "done"
        closed_at = _moment(fields.get("resolutiondate"), key) if closed else None
        if closed and closed_at is None:
            done_moves = [t.at for t, cat in moves if cat == "done"]
            closed_at = done_moves[-1] if done_moves else None
        started, done = classify(
            self.source, state, labels, closed=closed, active=category == "indeterminate"
        )
        assignee = fields.get("assignee") or {}
        created = _moment(fields.get("created"), key)
        updated = _moment(fields.get("updated"), key)
        if created is None or updated is None:
            raise TrackerError("E607", f"Jira issue {key} has no created or updated time")
        return TrackerItem(
            key=key,
            title=str(fields.get("summary") or ""),
            url=f"{self.site}/browse/{key}",
            state=state,
            closed=closed,
            created=created,
            updated=updated,
            closed_at=closed_at,
            assignees=(str(assignee["accountId"]),) if assignee.get("accountId") else (),
            estimate=_number(fields.get(self._estimate_field())),
            blocked_by=_blockers(fields.get("issuelinks") or ()),
            parent=str(parent) if parent else None,
            labels=labels,
            milestone=versions[0] if versions else None,
            started=started,
            done=done,
            transitions=tuple(t for t, _ in moves),
            in_scope=self._in_scope(key, labels, versions, parent, in_query),
            extra={"id": str(issue.get("id", "")), "category": category},
        )

    def _in_scope(
        self,
        key: str,
        labels: tuple[str, ...],
        versions: list[str],
        parent: Any,
        in_query: set[str] | None,
    ) -> bool:
        rules = self.source.match
        have = {label.casefold() for label in labels}
        return (
            (in_query is None or key in in_query)
            and all(label.casefold() in have for label in rules.labels)
            and (rules.milestone is None or rules.milestone in versions)
            and (rules.parent is None or str(parent or "").casefold() == rules.parent.casefold())
        )

    def _transitions(
        self, key: str, changelog: Any, labels: tuple[str, ...]
    ) -> list[tuple[Transition, str]]:
        """Status changes, oldest first, each with its target status's category."""
        histories = self._histories(key, changelog)
        histories.sort(key=lambda h: str(h.get("created", "")))
        moves: list[tuple[Transition, str]] = []
        for history in histories:
            at = _moment(history.get("created"), key)
            for change in history.get("items") or ():
                if at is None or change.get("fieldId", change.get("field")) != "status":
                    continue
                target = str(change.get("toString") or "")
                category = self._category(str(change.get("to") or ""), target)
                started, done = classify(
                    self.source,
                    target,
                    labels,
                    closed=category == "done",
                    active=category == "indeterminate",
                )
                origin = change.get("fromString")
                transition = Transition(
                    at=at,
                    to_state=target,
                    from_state=str(origin) if origin is not None else None,
                    started=started,
                    done=done,
                )
                moves.append((transition, category))
        return moves

    def _histories(self, key: str, changelog: Any) -> list[dict[str, Any]]:
        embedded = changelog.get("histories") if isinstance(changelog, dict) else None
        histories = [h for h in embedded or () if isinstance(h, dict)]
        total = changelog.get("total") if isinstance(changelog, dict) else None
        if isinstance(total, int) and total > len(histories):
            return self._all_histories(key)  # the search embeds only the latest ones
        return histories

    def _all_histories(self, key: str) -> list[dict[str, Any]]:
        path = f"{API}/issue/{quote(key, safe='')}/changelog"
        found: list[dict[str, Any]] = []
        while True:
            params = {"startAt": len(found), "maxResults": CHANGELOG_PAGE}
            data = expect(self._http.get(path, params).data, dict, "a changelog", path)
            values = [v for v in data.get("values") or () if isinstance(v, dict)]
            found += values
            total = data.get("total")
            if (
                not values
                or data.get("isLast") is True
                or (isinstance(total, int) and len(found) >= total)
            ):
                return found

    def _category(self, status_id: str, name: str) -> str:
        """A status's category key (new, indeterminate, done), from /status, read once."""
        if self._categories is None:
            data = expect(self._http.get(f"{API}/status").data, list, "statuses", self.site)
            self._categories = {}
            for status in data:
                category = _category_of(status) if isinstance(status, dict) else None
                if category:
                    self._categories[f"id:{status.get('id')}"] = category
                    self._categories[f"name:{str(status.get('name', '')).casefold()}"] = category
        return self._categories.get(f"id:{status_id}") or self._categories.get(
            f"name:{name.casefold()}", "undefined"
        )

    # -- write-back --------------------------------------------------------------------------

    def write_back(self, key: str, field: str, value: str, *, dry_run: bool) -> WriteBack:
        """``due_date`` sets the issue's Due date; ``comment`` keeps one comment per issue, the
        one whose text starts with "ontrack forecast:" (prefixed to ``value`` when missing)."""
        if field == "due_date":
            return self._write_due_date(key, value, dry_run)
        if field == "comment":
            return self._write_comment(key, value, dry_run)
        raise ValueError(f"Jira write-back knows due_date and comment, not {field!r}")

    def _write_due_date(self, key: str, value: str, dry_run: bool) -> WriteBack:
        path = f"{API}/issue/{quote(key, safe='')}"
        data = expect(self._http.get(path, {"fields": "duedate"}).data, dict, "an issue", path)
        old = (data.get("fields") or {}).get("duedate")
        old = str(old) if old is not None else None
        if old == value:
            return WriteBack(key, "due_date", old, value, changed=False)
        if not dry_run:
            self._write(key, "PUT", path, {"fields": {"duedate": value}})
        return WriteBack(key, "due_date", old, value, changed=True)

    def _write_comment(self, key: str, value: str, dry_run: bool) -> WriteBack:
        text = (value if value.startswith(MARKER) else f"{MARKER} {value}").rstrip()
        path = f"{API}/issue/{quote(key, safe='')}/comment"
        ours = self._our_comment(path)
        old = adf_text(ours["body"]).rstrip() if ours else None
        if old == text:
            return WriteBack(key, "comment", old, text, changed=False)
        if not dry_run:
            body = {"body": adf(text)}
            if ours:
                self._write(key, "PUT", f"{path}/{quote(str(ours['id']), safe='')}", body)
            else:
                self._write(key, "POST", path, body)
        return WriteBack(key, "comment", old, text, changed=True)

    def _our_comment(self, path: str) -> dict[str, Any] | None:
        """The latest comment whose text starts with the marker (all pages read)."""
        ours: dict[str, Any] | None = None
        start = 0
        while True:
            params = {"startAt": start, "maxResults": COMMENT_PAGE, "orderBy": "created"}
            data = expect(self._http.get(path, params).data, dict, "comments", path)
            comments = [c for c in data.get("comments") or () if isinstance(c, dict)]
            for comment in comments:
                if adf_text(comment.get("body")).lstrip().startswith(MARKER):
                    ours = comment
            start += len(comments)
            total = data.get("total")
            if not comments or not isinstance(total, int) or start >= total:
                return ours

    def _write(self, key: str, method: str, path: str, body: Any) -> None:
        try:
            self._http.request(method, path, body=body, expect_json=False)
        except JiraRefusal as refusal:
            raise TrackerError(
                "E611",
                f"Jira refused the write-back to {key}: {refusal.reasons}",
                "check that the field is on the issue's edit screen and the account may edit it",
            ) from None


# -- helpers -----------------------------------------------------------------------------------


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _moment(value: Any, key: str) -> dt.datetime | None:
    """Jira's ``2024-03-01T09:00:00.000+0100`` as an aware UTC datetime."""
    if value is None or value == "":
        return None
    try:
        return _aware(dt.datetime.fromisoformat(str(value))).astimezone(dt.UTC)
    except ValueError:
        raise TrackerError(
            "E607", f"Jira issue {key} has a time that is not one: {value!r}"
        ) from None


def _mark(issue: dict[str, Any]) -> Mark:
    key = str(issue["key"])
    updated = _moment((issue.get("fields") or {}).get("updated"), key)
    if updated is None:
        raise TrackerError("E607", f"Jira issue {key} has no updated time")
    return Mark.of(updated, key)


def _category_of(status: dict[str, Any]) -> str | None:
    category = status.get("statusCategory")
    return str(category["key"]) if isinstance(category, dict) and category.get("key") else None


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _blockers(links: Any) -> tuple[str, ...]:
    found: list[str] = []
    for link in links:
        if not isinstance(link, dict):
            continue
        kind = link.get("type") or {}
        blocker = (link.get("inwardIssue") or {}).get("key")
        if str(kind.get("name", "")).casefold() == "blocks" and blocker and blocker not in found:
            found.append(str(blocker))
    return tuple(found)


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document, one paragraph per line."""
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
            for line in text.split("\n")
        ],
    }


def adf_text(node: Any) -> str:
    """The plain text of an ADF node: text nodes joined, hard breaks and blocks as newlines."""
    if not isinstance(node, dict):
        return node if isinstance(node, str) else ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    children = [adf_text(child) for child in node.get("content") or ()]
    return ("\n" if kind == "doc" else "").join(children)
