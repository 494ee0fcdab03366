"""GitLab (REST API v4): a project's issues as TrackerItems, and due dates and a forecast comment
written back.

The source's ``url`` is the instance (``https://gitlab.example.com``; ``/api/v4`` is added) and
its ``project`` the path ``group/sub/project`` (URL-encoded in requests) or the numeric id. The
token (``PRIVATE-TOKEN``) needs ``read_api`` to sync and ``api`` to write back.

Estimate fields (``estimate_field``), each returned as its raw number:

- ``weight`` (the default): the issue weight, a count of points (GitLab Premium).
- ``label:estimate``: a scoped label ``estimate::3`` (or ``estimate:3``), in the label's unit.
- ``time_estimate``: the time-tracking estimate, in **seconds** (``/estimate 2h`` is 7200); 0, as
  GitLab reports an unset estimate, becomes no estimate.

Scope (``match``): all ``labels`` present, the ``milestone`` title equal, ``parent`` equal to the
epic iid. ``query`` is ignored: GitLab's ``search=`` would hide the items that do not match it,
and sync must read every changed item to see one leave the scope.

Reading: ``/projects/:id/issues?order_by=updated_at&sort=asc&updated_after=<mark>``, where
``updated_after`` is inclusive ("updated on or after"). Each page re-queries from the mark of the
last stored page instead of following page numbers, which shift when an issue changes during the
sync (it moves to the end, and the issue behind it would slide onto a page already read). The
cursor keeps the items read at or after the mark with their ``updated_at``, so an item is skipped
only when it has not changed since it was read: nothing on the boundary is lost or repeated.
Offset pagination (``page=``) is used only to get past more same-second issues than fit in a page.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from ontrack.model.tracker import Source, TrackerItem, Transition
from ontrack.trackers.base import Cursor, Page, TrackerError, WriteBack, classify, credentials
from ontrack.trackers.http import Http, Response, expect, link_next

#: The estimate fields a GitLab source may name, and the unit of their numbers.
ESTIMATE_FIELDS: Mapping[str, str] = {
    "weight": "issue weight (points)",
    "label:estimate": "the number of an estimate::N label",
    "time_estimate": "time-tracking estimate in seconds",
}

#: Labels that mean "being worked on" when the source names no ``started`` states.
ACTIVE_LABELS = ("doing", "in progress", "workflow::in progress")

#: The first line of the comment ontrack owns on an issue (found again to update it).
MARKER = "<!-- ontrack:forecast -->"

_ESTIMATE_LABEL = re.compile(r"^estimate::?\s*(\d+(?:\.\d+)?)\s*$", re.IGNORECASE)
_MAX_PAGES = 10_000  # a runaway Link chain stops here instead of looping forever


@dataclass
class _Position:
    """Where a sync stands: the next query's ``updated_after`` (inclusive), the items already
    read at or after it (iid -> updated_at as GitLab wrote it), the offset page within that mark
    (more same-time items than a page holds), the ETag of the mark's first page, and whether the
    run began from nothing (a first sync, perhaps resumed)."""

    mark: str | None = None
    seen: dict[str, str] = field(default_factory=dict)
    page: int = 1
    etag: str | None = None
    full: bool = True

    @classmethod
    def load(cls, cursor: Cursor | None) -> _Position:
        if cursor is None:
            return cls()
        try:
            return cls(
                mark=None if cursor.get("mark") is None else str(cursor["mark"]),
                seen={str(k): str(v) for k, v in dict(cursor.get("seen") or {}).items()},
                page=int(cursor.get("page") or 1),
                etag=None if cursor.get("etag") is None else str(cursor["etag"]),
                full=bool(cursor.get("full", False)),
            )
        except (TypeError, ValueError, AttributeError):
            raise TrackerError(
                "E607",
                "the stored GitLab sync cursor is not one this version wrote",
                "run the sync with --full to read everything again",
            ) from None

    def dump(self) -> dict[str, Any]:
        return {
            "mark": self.mark,
            "seen": dict(self.seen),
            "page": self.page,
            "etag": self.etag,
            "full": self.full,
        }

    def unchanged(self, row: Mapping[str, Any]) -> bool:
        """Read before, and not changed since."""
        before = self.seen.get(str(row.get("iid")))
        return before is not None and _same_time(before, str(row.get("updated_at")))


class GitLabAdapter:
    """Reads a GitLab project's issues; writes due dates and one forecast comment back."""

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
        creds = credentials(source, environ)
        base = source.url.rstrip("/")
        if not base.endswith("/api/v4"):
            base += "/api/v4"
        self._http = Http(
            base,
            what=f"GitLab at {source.url}",
            headers={"PRIVATE-TOKEN": creds.token} if creds.token else {},
            secrets=creds.secrets,
            transport=transport,
            sleep=sleep,
            max_wait=max_wait,
        )
        self._project = "projects/" + urllib.parse.quote(str(source.project), safe="")
        self._page_size = max(1, min(page_size, 100))  # GitLab caps per_page at 100
        self._field = source.estimate_field or "weight"
        self._started = tuple(s.casefold() for s in (source.started or ACTIVE_LABELS))

    @property
    def requests(self) -> int:
        return self._http.requests

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitLabAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- check -----------------------------------------------------------------------------

    def check(self) -> None:
        """The project answers as a GitLab project (E602/E603/E604), and the estimate field
        is one GitLab has (E606; ``weight`` needs Premium, seen on the first issue)."""
        data = self._http.get(self._project).data
        if not isinstance(data, dict) or "id" not in data or "path_with_namespace" not in data:
            raise TrackerError(
                "E603",
                f"{self._http.what} did not answer /{self._project} as a GitLab project",
                "the source's url must be the GitLab instance (https://gitlab.example.com)",
            )
        self._check_field()
        if self._field == "weight":
            rows = self._http.get(f"{self._project}/issues", {"per_page": 1}).data
            first = rows[0] if isinstance(rows, list) and rows else None
            if isinstance(first, dict) and "weight" not in first:
                raise TrackerError(
                    "E606",
                    f"source {self.source.name!r}: GitLab at {self.source.url} has no issue "
                    "weights (a GitLab Premium feature)",
                    "set estimate_field to label:estimate or time_estimate",
                )

    def _check_field(self) -> None:
        if self._field not in ESTIMATE_FIELDS:
            raise TrackerError(
                "E606",
                f"source {self.source.name!r}: GitLab has no estimate field {self._field!r}",
                "use one of: " + ", ".join(ESTIMATE_FIELDS),
            )

    # -- read ------------------------------------------------------------------------------

    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        """Every issue changed since ``cursor`` (all when None), oldest change first.

        Blockers are read for open issues and, on an incremental sync, for every changed one (a
        first sync skips the closed history's links); transitions for started or done issues.
        """
        self._check_field()
        at = _Position.load(cursor)
        for _ in range(_MAX_PAGES):
            before = self._http.requests
            reply = self._list(at)
            if reply.not_modified:  # nothing changed since the last sync
                yield Page((), at.dump(), final=True, requests=self._http.requests - before)
                return
            rows: list[Any] = expect(reply.data, list, "issues", self._http.what)
            fresh = [r for r in rows if not (isinstance(r, dict) and at.unchanged(r))]
            items = tuple(self._item(r, links=not at.full) for r in fresh)
            more = bool(reply.headers.get("x-next-page")) or link_next(reply.headers) is not None
            at = _advance(at, rows, more=more, etag=reply.etag)
            yield Page(items, at.dump(), final=not more, requests=self._http.requests - before)
            if not more:
                return
        raise TrackerError(
            "E607",
            f"{self._http.what} kept announcing another page of issues after {_MAX_PAGES}",
            "sync again; report this if it repeats",
        )

    def _list(self, at: _Position) -> Response:
        params: dict[str, Any] = {
            "scope": "all",
            "state": "all",
            "order_by": "updated_at",
            "sort": "asc",
            "per_page": self._page_size,
        }
        if at.mark is not None:
            params["updated_after"] = at.mark
        if at.page > 1:
            params["page"] = at.page
        etag = at.etag if at.page == 1 else None
        return self._http.get(f"{self._project}/issues", params, etag=etag)

    def _item(self, row: Any, *, links: bool) -> TrackerItem:
        try:
            return self._map(row, links=links)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise TrackerError(
                "E607",
                f"{self._http.what} answered an issue this adapter cannot read "
                f"({type(error).__name__}: {error})",
                "check that the source's url is a GitLab instance",
            ) from None

    def _map(self, row: Mapping[str, Any], *, links: bool) -> TrackerItem:
        iid = int(row["iid"])
        state = str(row["state"])
        closed = state == "closed"
        labels = tuple(str(x) for x in row.get("labels") or ())
        assignees = tuple(str(a["username"]) for a in row.get("assignees") or ())
        milestone = row.get("milestone")
        milestone_title = None if not milestone else str(milestone["title"])
        parent = _epic(row)
        active = state == "opened" and (bool(assignees) or self._started_label(labels) is not None)
        started, done = classify(self.source, state, labels, closed=closed, active=active)
        blocked = self._blockers(iid, row) if (not closed or links) else ()
        history = self._transitions(iid) if (started or done) else ()
        return TrackerItem(
            key=str(iid),
            title=str(row["title"]),
            url=str(row["web_url"]),
            state=state,
            closed=closed,
            created=_moment(row["created_at"]),
            updated=_moment(row["updated_at"]),
            closed_at=None if not row.get("closed_at") else _moment(row["closed_at"]),
            assignees=assignees,
            estimate=self._estimate(row, labels),
            blocked_by=blocked,
            parent=parent,
            labels=labels,
            milestone=milestone_title,
            started=started,
            done=done,
            transitions=history,
            in_scope=self._in_scope(labels, milestone_title, parent),
            extra={"id": row.get("id"), "due_date": row.get("due_date")},
        )

    def _estimate(self, row: Mapping[str, Any], labels: tuple[str, ...]) -> Decimal | None:
        value: Any = None
        if self._field == "weight":
            value = row.get("weight")
        elif self._field == "time_estimate":
            value = (row.get("time_stats") or {}).get("time_estimate") or None  # 0 means unset
        else:
            for label in labels:
                found = _ESTIMATE_LABEL.match(label)
                if found:
                    value = found.group(1)
                    break
        if value is None or isinstance(value, bool):
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None

    def _in_scope(self, labels: tuple[str, ...], milestone: str | None, parent: str | None) -> bool:
        match = self.source.match
        have = {x.casefold() for x in labels}
        if not all(x.casefold() in have for x in match.labels):
            return False
        if match.milestone is not None and match.milestone != milestone:
            return False
        return match.parent is None or match.parent == parent

    def _started_label(self, labels: tuple[str, ...] | list[str]) -> str | None:
        """The first label that means started, by the source's names or GitLab's usual ones."""
        for label in labels:
            if label.casefold() in self._started:
                return label
        return None

    def _blockers(self, iid: int, row: Mapping[str, Any]) -> tuple[str, ...]:
        """Issues of this project linked as blocking this one ("is_blocked_by" on its side)."""
        links = expect(
            self._http.get(f"{self._project}/issues/{iid}/links").data,
            list,
            "issue links",
            self._http.what,
        )
        project = row.get("project_id")
        return tuple(
            str(link["iid"])
            for link in links
            if isinstance(link, dict)
            and link.get("link_type") == "is_blocked_by"
            and (project is None or link.get("project_id") == project)
        )

    def _transitions(self, iid: int) -> tuple[Transition, ...]:
        """Opened/closed and started-label changes, oldest first, from the resource events.

        The state shown is ``closed``, else the started label the issue carries, else
        ``opened``; a transition is recorded each time it changes."""
        events: list[tuple[dt.datetime, int, str, str]] = []
        for event in self._all(f"{self._project}/issues/{iid}/resource_state_events"):
            kind = "closed" if event.get("state") == "closed" else "opened"
            events.append((_moment(event["created_at"]), int(event["id"]), "state", kind))
        for event in self._all(f"{self._project}/issues/{iid}/resource_label_events"):
            name = (event.get("label") or {}).get("name")  # None: the label was deleted
            if name and event.get("action") in ("add", "remove"):
                events.append(
                    (_moment(event["created_at"]), int(event["id"]), event["action"], str(name))
                )
        events.sort(key=lambda e: (e[0], e[1]))
        state, labels, shown = "opened", [], "opened"
        result: list[Transition] = []
        for at, _, kind, value in events:
            if kind == "state":
                state = value
            elif kind == "add" and value not in labels:
                labels.append(value)
            elif kind == "remove" and value in labels:
                labels.remove(value)
            label = self._started_label(labels)
            now = "closed" if state == "closed" else (label or "opened")
            if now == shown:
                continue
            closed = state == "closed"
            started, done = classify(
                self.source, state, tuple(labels), closed=closed, active=label is not None
            )
            result.append(Transition(at, now, shown, started=started, done=done))
            shown = now
        return tuple(result)

    def _all(self, path: str, query: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every element of a paginated list, following Link rel="next" (or X-Next-Page)."""
        found: list[dict[str, Any]] = []
        target: str = path
        first = {**(query or {}), "per_page": 100}
        params: dict[str, Any] | None = first
        for _ in range(_MAX_PAGES):
            reply = self._http.get(target, params)
            rows = expect(reply.data, list, "a list", self._http.what)
            found.extend(r for r in rows if isinstance(r, dict))
            following = link_next(reply.headers)
            if following:
                target, params = following, None
            elif reply.headers.get("x-next-page"):
                params = {**first, "page": reply.headers["x-next-page"]}
                target = path
            else:
                return found
        return found

    # -- write -----------------------------------------------------------------------------

    def write_back(self, key: str, field: str, value: str, *, dry_run: bool) -> WriteBack:
        """Set the issue's ``due_date`` (ISO date) or ontrack's forecast comment, once: a
        comment is the note starting with MARKER, edited in place. ``dry_run`` reads only."""
        iid = _iid(key)
        if field == "due_date":
            return self._due_date(iid, key, value, dry_run)
        if field == "comment":
            return self._comment(iid, key, value, dry_run)
        raise TrackerError(
            "E606",
            f"GitLab write-back has no field {field!r}",
            "write back due_date or comment",
        )

    def _due_date(self, iid: int, key: str, value: str, dry_run: bool) -> WriteBack:
        wanted = dt.date.fromisoformat(value).isoformat()
        path = f"{self._project}/issues/{iid}"
        issue = expect(self._http.get(path).data, dict, "an issue", self._http.what)
        old = issue.get("due_date")
        result = WriteBack(key, "due_date", old, wanted, changed=old != wanted)
        if not result.changed or dry_run:
            return result
        reply = self._write("PUT", path, {"due_date": wanted}, key)
        # GitLab drops fields the account may not set and still answers 200: check it took.
        if not isinstance(reply.data, dict) or reply.data.get("due_date") != wanted:
            raise TrackerError(
                "E611",
                f"GitLab did not set the due date of issue #{key} (it still says "
                f"{reply.data.get('due_date') if isinstance(reply.data, dict) else None})",
                "the token's account needs at least the Planner or Reporter role on the project",
            )
        return result

    def _comment(self, iid: int, key: str, value: str, dry_run: bool) -> WriteBack:
        body = value if value.startswith(MARKER) else f"{MARKER}\n{value}"
        notes = self._all(
            f"{self._project}/issues/{iid}/notes", {"sort": "asc", "order_by": "created_at"}
        )
        mine = next(
            (
                n
                for n in notes
                if not n.get("system") and str(n.get("body") or "").startswith(MARKER)
            ),
            None,
        )
        old = None if mine is None else str(mine.get("body") or "")
        changed = old is None or old.strip() != body.strip()
        result = WriteBack(key, "comment", old, body, changed=changed)
        if not changed or dry_run:
            return result
        if mine is None:
            self._write("POST", f"{self._project}/issues/{iid}/notes", {"body": body}, key)
        else:
            note = f"{self._project}/issues/{iid}/notes/{mine['id']}"
            self._write("PUT", note, {"body": body}, key)
        return result

    def _write(self, method: str, path: str, body: Mapping[str, Any], key: str) -> Response:
        try:
            return self._http.request(method, path, body=dict(body))
        except TrackerError as error:
            if error.code in ("E608", "E609"):  # unreachable or rate-limited: not a refusal
                raise
            raise TrackerError(
                "E611",
                f"GitLab refused the write-back to issue #{key}: {error.message}",
                "the token needs the api scope (read_api cannot write) and an account that may "
                "edit the project's issues",
            ) from None


def _advance(at: _Position, rows: list[Any], *, more: bool, etag: str | None) -> _Position:
    """The position after reading ``rows`` (sorted by updated_at) from ``at``."""
    read = dict(at.seen)
    for row in rows:
        if isinstance(row, dict) and row.get("iid") is not None and row.get("updated_at"):
            read[str(row["iid"])] = str(row["updated_at"])
    last = str(rows[-1]["updated_at"]) if rows and isinstance(rows[-1], dict) else None
    if not more:
        # The final cursor re-asks this same first page next time, so its ETag can answer 304;
        # a tie run read past page 1 restarts at page 1, skipping what it read.
        return _Position(
            at.mark, _since(read, at.mark), 1, etag if at.page == 1 else None, full=False
        )
    if last is None or (at.mark is not None and _same_time(last, at.mark)):
        # A whole page of issues updated in the same millisecond: step over it by offset.
        return _Position(at.mark, _since(read, at.mark), at.page + 1, None, full=at.full)
    return _Position(last, _since(read, last), 1, None, full=at.full)


def _since(read: Mapping[str, str], mark: str | None) -> dict[str, str]:
    """The read items a query from ``mark`` will return again (updated at or after it)."""
    if mark is None:
        return dict(read)
    limit = _moment(mark)
    return {k: v for k, v in read.items() if _moment(v) >= limit}


def _same_time(a: str, b: str) -> bool:
    try:
        return _moment(a) == _moment(b)
    except ValueError:
        return a == b


def _moment(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _epic(row: Mapping[str, Any]) -> str | None:
    epic = row.get("epic")
    if isinstance(epic, dict) and epic.get("iid") is not None:
        return str(epic["iid"])
    return None if row.get("epic_iid") is None else str(row["epic_iid"])


def _iid(key: str) -> int:
    text = key.lstrip("#")
    if not text.isdigit():
        raise TrackerError(
            "E604",
            f"{key!r} is not a GitLab issue number (iid)",
            "GitLab items are keyed by their iid, e.g. 17 for #17",
        )
    return int(text)
