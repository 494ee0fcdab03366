"""GitHub issues (github.com or a GitHub Enterprise Server ``/api/v3`` base) as tracker items.

Reading: ``GET /repos/{owner}/{repo}/issues?state=all&sort=updated&direction=asc&since=…``. Every
page is asked for afresh with ``since`` = the newest ``updated_at`` stored so far (``since`` is
inclusive: the issues stored at exactly that moment are skipped by number). That is what GitHub's
page-numbered ``Link`` chain cannot give: an issue updated while a sync runs moves to the end of
the list and would shift every later page by one, so one issue would be skipped for good. The
``Link: rel="next"`` chain is followed only past pages of issues that were all stored already
(many issues updated in the same second). The last request of a sync asks for ``since`` = the new
mark; its ETag goes into the final cursor, so the next sync's first request is conditional and a
304 ends it at once.

Per item, only what is needed, and only when the payload says it exists:
``/dependencies/blocked_by`` for open issues whose ``issue_dependencies_summary`` counts blockers,
``/timeline`` for issues that are started or done (their transitions), and ``/parent`` only on
servers whose payload lacks ``parent_issue_url``. Pull requests (rows with ``pull_request``) move
the mark but are not items. ``Match.query`` is not used for GitHub (no search API calls).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import httpx

from ontrack.model.tracker import DEFAULT_ESTIMATE, Source, TrackerItem, TrackerKind, Transition
from ontrack.trackers.base import Cursor, Page, TrackerError, WriteBack, classify, credentials
from ontrack.trackers.http import Http, Response, expect, link_next

#: The first line of the one comment ontrack keeps on an issue (found again by it, then edited).
MARKER = "<!-- ontrack:forecast -->"
API_VERSION = "2022-11-28"
#: Labels that make an open issue "in progress" when the source names no started states.
ACTIVE_LABELS = frozenset({"in progress", "in-progress", "doing", "wip"})
_SUB_PAGE = 100  # per_page of the per-issue lists (timeline, dependencies, comments): GitHub's max
_MOVED = frozenset({301, 302, 307, 308})


@dataclass(frozen=True, slots=True)
class _Mark:
    """The cursor: the newest ``updated_at`` stored, the numbers stored at exactly that moment,
    and (final cursors only) the ETag of the list asked ``since`` it."""

    since: str | None = None
    seen: frozenset[str] = field(default_factory=frozenset)
    etag: str | None = None

    @classmethod
    def load(cls, cursor: Cursor | None) -> _Mark:
        if not cursor:
            return cls()
        since, seen, etag = cursor.get("since"), cursor.get("seen"), cursor.get("etag")
        return cls(
            since=since if isinstance(since, str) else None,
            seen=frozenset(str(k) for k in seen) if isinstance(seen, list) else frozenset(),
            etag=etag if isinstance(etag, str) else None,
        )

    def to_json(self) -> dict[str, Any]:
        seen = sorted(self.seen, key=_number_order)
        return {"since": self.since, "seen": seen, "etag": self.etag}

    def stored(self, row: Mapping[str, Any]) -> bool:
        if self.since is None:
            return False
        updated, mark = _moment(row["updated_at"]), _moment(self.since)
        return updated < mark or (updated == mark and str(row["number"]) in self.seen)

    def advance(self, rows: list[Mapping[str, Any]]) -> _Mark:
        """The mark after storing ``rows`` (fresh rows of one list response)."""
        newest = max((str(r["updated_at"]) for r in rows), key=_moment)
        at_newest = {str(r["number"]) for r in rows if _moment(r["updated_at"]) == _moment(newest)}
        if self.since is not None and _moment(newest) == _moment(self.since):
            at_newest |= self.seen
        return _Mark(since=newest, seen=frozenset(at_newest))


class GitHubAdapter:
    """Reads a repository's issues page by page; writes the forecast as one issue comment."""

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
        owner, _, repo = source.project.strip().strip("/").partition("/")
        if not owner or not repo or "/" in repo:
            raise TrackerError(
                "E604",
                f"source {source.name!r}: project {source.project!r} is not owner/repo",
                "a GitHub source's project is the repository as owner/name, e.g. octo-org/app",
            )
        self._owner, self._repo = owner, repo
        self._base = f"repos/{owner}/{repo}"
        self.page_size = max(1, min(100, page_size))  # GitHub caps per_page at 100
        creds = credentials(source, environ)
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if creds.token:
            headers["Authorization"] = f"Bearer {creds.token}"
        self._origin = _origin(source.url)
        self._http = Http(
            source.url,
            what=f"GitHub at {source.url}",
            headers=headers,
            secrets=creds.secrets,
            transport=transport,
            sleep=sleep,
            max_wait=max_wait,
        )
        self._estimate_label = _estimate_label(source)
        wanted = source.started or tuple(ACTIVE_LABELS)
        self._progress = frozenset(s.casefold() for s in wanted)  # labels whose changes matter
        self._no_dependencies = False  # the server has no issue dependencies API (older GHES)

    @property
    def requests(self) -> int:
        return self._http.requests

    def close(self) -> None:
        self._http.close()

    # -- check -------------------------------------------------------------------------------

    def check(self) -> None:
        try:
            reply = self._http.get(self._base)
        except TrackerError as error:
            if error.code == "E603":
                raise TrackerError(
                    "E603",
                    error.message,
                    "a GitHub source's url is the API base: https://api.github.com, or "
                    "https://HOST/api/v3 for GitHub Enterprise Server",
                ) from None
            raise
        if reply.status in _MOVED:
            raise TrackerError(
                "E604",
                f"GitHub at {self.source.url}: {self.source.project} has moved (HTTP "
                f"{reply.status})",
                "the repository was renamed or transferred: write its new owner/name in the "
                "source's project",
            )
        data = reply.data
        if not isinstance(data, dict) or not isinstance(data.get("full_name"), str) or not (
            isinstance(data.get("owner"), dict)
        ):
            raise TrackerError(
                "E603",
                f"{self.source.url} answered /{self._base} with JSON that is not a repository",
                "a GitHub source's url is the API base: https://api.github.com, or "
                "https://HOST/api/v3 for GitHub Enterprise Server",
            )
        if data.get("has_issues") is False:
            raise TrackerError(
                "E604",
                f"{data['full_name']} has its issues turned off",
                "turn issues on in the repository's settings, or point the source elsewhere",
            )
        if self._estimate_label is None:
            raise TrackerError(
                "E606",
                f"source {self.source.name!r}: GitHub issues have no field "
                f"{self.source.estimate_field!r}",
                "GitHub estimates are labels: use estimate_field 'label:estimate' (labels like "
                "'estimate: 3') or another 'label:<prefix>'",
            )

    # -- reading -----------------------------------------------------------------------------

    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        mark = _Mark.load(cursor)
        conditional = mark.etag
        before = self._http.requests
        while True:
            params = self._list_params(mark)
            reply = self._http.get(f"{self._base}/issues", params, etag=conditional)
            if reply.not_modified:  # nothing changed since the last sync: one request, no items
                yield Page((), mark.to_json(), final=True, requests=self._http.requests - before)
                return
            conditional = None
            first = reply
            fresh = self._fresh(reply, mark)
            # Only ties at the mark can fill a whole page with stored rows: walk past them.
            nxt = link_next(reply.headers)
            while not fresh and nxt:
                reply = self._http.get(self._same_origin(nxt))
                fresh = self._fresh(reply, mark)
                nxt = link_next(reply.headers)
            if not fresh:
                # The list since the mark holds nothing new: its ETag lets the next sync ask
                # "changed?" in one request. Not when it spans pages: a change there would not
                # alter the first page.
                single = link_next(first.headers) is None
                final = _Mark(mark.since, mark.seen, first.etag if single else None)
                yield Page((), final.to_json(), final=True, requests=self._http.requests - before)
                return
            mark = mark.advance(fresh)
            items = tuple(self._item(row) for row in fresh if "pull_request" not in row)
            yield Page(items, mark.to_json(), requests=self._http.requests - before)
            before = self._http.requests

    def _list_params(self, mark: _Mark) -> dict[str, Any]:
        params: dict[str, Any] = {
            "state": "all",
            "sort": "updated",
            "direction": "asc",
            "per_page": self.page_size,
        }
        if mark.since is not None:
            params["since"] = mark.since
        return params

    def _fresh(self, reply: Response, mark: _Mark) -> list[Mapping[str, Any]]:
        """The rows of a list answer that are not stored yet."""
        data = expect(reply.data, list, "an issue list", f"GitHub at {self.source.url}")
        rows = [self._checked_row(row) for row in data]
        return [row for row in rows if not mark.stored(row)]

    def _checked_row(self, row: Any) -> Mapping[str, Any]:
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("number"), int)
            or not isinstance(row.get("updated_at"), str)
            or not isinstance(row.get("created_at"), str)
        ):
            raise TrackerError(
                "E607",
                f"GitHub at {self.source.url} listed something that is not an issue",
                "check the source's url and kind",
            )
        try:
            _moment(row["updated_at"])
        except ValueError:
            raise TrackerError(
                "E607",
                f"GitHub at {self.source.url} sent issue #{row['number']} with an unreadable "
                f"updated_at {row['updated_at']!r}",
                "check the source's url and kind",
            ) from None
        return row

    def _item(self, row: Mapping[str, Any]) -> TrackerItem:
        number = int(row["number"])
        state = str(row.get("state") or "open")
        closed = state == "closed"
        labels = _labels(row)
        assignees = tuple(
            str(a["login"]) for a in row.get("assignees") or () if isinstance(a, dict)
        )
        milestone = row.get("milestone")
        milestone_title = str(milestone["title"]) if isinstance(milestone, dict) else None
        active = not closed and (bool(assignees) or _has_active(labels, self._progress))
        started, done = classify(self.source, state, labels, closed=closed, active=active)
        parent = self._parent(row)
        closed_at = row.get("closed_at")
        return TrackerItem(
            key=str(number),
            title=str(row.get("title") or ""),
            url=str(row.get("html_url") or ""),
            state=state,
            closed=closed,
            created=_moment(row["created_at"]),
            updated=_moment(row["updated_at"]),
            closed_at=_moment(closed_at) if isinstance(closed_at, str) else None,
            assignees=assignees,
            estimate=self._estimate(labels),
            blocked_by=() if closed else self._blocked_by(row),
            parent=parent,
            labels=labels,
            milestone=milestone_title,
            started=started,
            done=done,
            transitions=self._transitions(number) if started or done else (),
            in_scope=self._in_scope(labels, milestone_title, parent),
        )

    def _estimate(self, labels: tuple[str, ...]) -> Decimal | None:
        if self._estimate_label is None:
            return None
        for label in labels:
            found = self._estimate_label.fullmatch(label.strip())
            if found:
                try:
                    return Decimal(found.group(1))
                except InvalidOperation:
                    continue
        return None

    def _in_scope(self, labels: tuple[str, ...], milestone: str | None, parent: str | None) -> bool:
        rules = self.source.match
        have = {label.casefold() for label in labels}
        if any(label.casefold() not in have for label in rules.labels):
            return False
        if rules.milestone is not None and milestone != rules.milestone:
            return False
        return rules.parent is None or parent == rules.parent.lstrip("#")

    def _blocked_by(self, row: Mapping[str, Any]) -> tuple[str, ...]:
        summary = row.get("issue_dependencies_summary")
        if isinstance(summary, dict):
            if not summary.get("total_blocked_by"):
                return ()  # the payload says there is none: no request
        elif self._no_dependencies:
            return ()
        path = f"{self._base}/issues/{row['number']}/dependencies/blocked_by"
        try:
            blockers = self._all(path)
        except TrackerError as error:
            if error.code != "E604" or isinstance(summary, dict):
                raise
            self._no_dependencies = True  # a server without the API: ask once per sync only
            return ()
        return tuple(self._ref(b) for b in blockers if isinstance(b, dict))

    def _parent(self, row: Mapping[str, Any]) -> str | None:
        if "parent_issue_url" in row:
            url = row["parent_issue_url"]
            return self._ref_url(url) if isinstance(url, str) and url else None
        if "sub_issues_summary" not in row:
            return None  # a server without sub-issues
        try:  # sub-issues but no parent_issue_url in the payload (some GHES versions)
            reply = self._http.get(f"{self._base}/issues/{row['number']}/parent")
        except TrackerError as error:
            if error.code == "E604":  # 404: the issue has no parent
                return None
            raise
        return self._ref(reply.data) if isinstance(reply.data, dict) else None

    def _ref(self, issue: Mapping[str, Any]) -> str:
        """The key of a related issue: its number in this repository, else owner/repo#number."""
        repo = str(issue.get("repository_url") or "")
        number = str(issue.get("number"))
        return number if self._here(repo) else f"{_repo_of(repo)}#{number}"

    def _ref_url(self, url: str) -> str | None:
        head, _, number = url.rstrip("/").rpartition("/issues/")
        if not number.isdigit():
            return None
        return number if self._here(head) else f"{_repo_of(head)}#{number}"

    def _here(self, repository_url: str) -> bool:
        return _repo_of(repository_url).casefold() == f"{self._owner}/{self._repo}".casefold()

    def _transitions(self, number: int) -> tuple[Transition, ...]:
        """State changes replayed from the timeline: closed/reopened, assignments and the
        labels that mark progress, each classified by the source's rules."""
        events = [e for e in self._all(f"{self._base}/issues/{number}/timeline") if _event(e)]
        events.sort(key=lambda e: _moment(e["created_at"]))  # stable: same-second order kept
        closed = False
        labels: list[str] = []
        people: set[str] = set()
        previous: tuple[str, bool, bool] = ("open", False, False)
        out: list[Transition] = []
        for event in events:
            kind = event["event"]
            if kind in ("closed", "reopened"):
                closed = kind == "closed"
            elif kind in ("labeled", "unlabeled"):
                name = str((event.get("label") or {}).get("name") or "")
                if name.casefold() not in self._progress:
                    continue
                labels = [x for x in labels if x.casefold() != name.casefold()]
                labels += [name] if kind == "labeled" else []
            else:
                login = str((event.get("assignee") or {}).get("login") or "")
                people = people | {login} if kind == "assigned" else people - {login}
            state = "closed" if closed else "open"
            active = not closed and (bool(people) or _has_active(tuple(labels), self._progress))
            started, done = classify(
                self.source, state, tuple(labels), closed=closed, active=active
            )
            status = state if closed or not labels else labels[-1]
            if (status, started, done) != previous:
                at = _moment(event["created_at"])
                out.append(Transition(at, status, previous[0], started=started, done=done))
                previous = (status, started, done)
        return tuple(out)

    def _all(self, path: str) -> list[Any]:
        """Every row of a paginated list (``Link: rel="next"``)."""
        reply = self._http.get(path, {"per_page": _SUB_PAGE})
        rows: list[Any] = []
        while True:
            rows += expect(reply.data, list, "a list", f"GitHub at {self.source.url}")
            nxt = link_next(reply.headers)
            if nxt is None:
                return rows
            reply = self._http.get(self._same_origin(nxt))

    def _same_origin(self, url: str) -> str:
        # The Authorization header goes with every request: never follow a link elsewhere.
        if _origin(url) != self._origin:
            raise TrackerError(
                "E607",
                f"GitHub at {self.source.url} sent a next-page link to another host",
                "check the source's url",
            )
        return url

    # -- writing -----------------------------------------------------------------------------

    def write_back(self, key: str, field: str, value: str, *, dry_run: bool) -> WriteBack:
        if field == "due_date":
            raise TrackerError(
                "E611",
                f"GitHub issue #{key} has no due date field",
                "write the forecast as a comment instead (write-back field 'comment'); GitHub "
                "milestones have due dates but are shared by many issues",
            )
        if field != "comment":
            raise TrackerError("E611", f"GitHub cannot write back {field!r}", "use 'comment'")
        if not key.isdigit():
            raise TrackerError("E604", f"{key!r} is not a GitHub issue number", "")
        body = value if value.startswith(MARKER) else f"{MARKER}\n{value}"
        found = self._forecast_comment(key)
        old = None if found is None else _text(str(found.get("body") or ""))
        new = _text(body)
        if found is not None and _same(str(found.get("body") or ""), body):
            return WriteBack(key, field, old, new, changed=False)
        if not dry_run:
            if found is None:
                self._write("POST", f"{self._base}/issues/{key}/comments", body, key)
            else:
                self._write("PATCH", f"{self._base}/issues/comments/{found['id']}", body, key)
        return WriteBack(key, field, old, new, changed=True)

    def _forecast_comment(self, key: str) -> Mapping[str, Any] | None:
        for comment in self._all(f"{self._base}/issues/{key}/comments"):
            if isinstance(comment, dict) and str(comment.get("body") or "").startswith(MARKER):
                return comment
        return None

    def _write(self, method: str, path: str, body: str, key: str) -> None:
        try:
            self._http.request(method, path, body={"body": body})
        except TrackerError as error:
            if error.code in ("E602", "E604", "E607"):
                raise TrackerError(
                    "E611",
                    f"GitHub refused the forecast comment on issue #{key}: {error.message}",
                    "the token needs write access to the repository's issues "
                    "(fine-grained: Issues read and write)",
                ) from None
            raise


def _estimate_label(source: Source) -> re.Pattern[str] | None:
    """A pattern for estimate labels ("estimate: 3", "estimate:3", "estimate/3"), or None when
    the source's estimate field is not a label."""
    name = source.estimate_field or DEFAULT_ESTIMATE[TrackerKind.GITHUB][0]
    if not name.startswith("label:") or not name[len("label:") :].strip():
        return None
    prefix = re.escape(name[len("label:") :].strip())
    return re.compile(rf"{prefix}\s*[:/=]?\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def _labels(row: Mapping[str, Any]) -> tuple[str, ...]:
    # GitHub's schema allows a label as a bare string or an object with a name.
    names = []
    for label in row.get("labels") or ():
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str):
            names.append(name)
    return tuple(names)


def _has_active(labels: tuple[str, ...], progress: frozenset[str]) -> bool:
    return any(label.casefold() in ACTIVE_LABELS | progress for label in labels)


def _event(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and event.get("event")
        in ("closed", "reopened", "labeled", "unlabeled", "assigned", "unassigned")
        and isinstance(event.get("created_at"), str)
    )


def _moment(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _number_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (0, key)


def _repo_of(url: str) -> str:
    """owner/repo of a repository API URL (…/repos/owner/repo)."""
    _, _, tail = url.rstrip("/").rpartition("/repos/")
    return tail


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _text(body: str) -> str:
    """A forecast comment's text without the marker line."""
    rest = body[len(MARKER) :] if body.startswith(MARKER) else body
    return rest[1:] if rest.startswith("\n") else rest


def _same(stored: str, wanted: str) -> bool:
    # GitHub may hand back a body with CRLF line ends or trailing blanks trimmed: compare the
    # text, so an unchanged forecast is never edited again.
    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()

    return norm(stored) == norm(wanted)
