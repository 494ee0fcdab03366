"""Redmine: a project's issues through the REST API (``/issues.json``), as ``TrackerItem`` records.

Paging. Issues are listed with ``status_id=*`` (closed ones too; subprojects as Redmine shows
them), ``sort=updated_on,id`` and ``updated_on>=SINCE``. Offsets shift while issues change, so a
cursor never trusts one: it holds

- ``since``: the second the next request filters on (the last stored issue's ``updated_on``),
- ``seen``: ``{id: updated_on}`` of the issues already stored at or after ``since``, and
- ``offset``: how many issues at the head of that request were already stored (a hint), and
- ``anchor``: the last issue read, as (id, updated_on).

The next request starts one issue before the hint and looks for the anchor in its answer:
what follows it is new. When the anchor is not there (it changed and sorted later, or the hint
overshot), the window is read again from its top, skipping what ``seen`` says was stored
unchanged. Nothing is lost; an issue is handed out twice only when it changed in the very
second it was read (``updated_on`` has no finer grain). The final cursor starts the next sync
``OVERLAP`` seconds before the newest change seen, so an issue saved in the same moment as the
read is not missed; ``seen`` keeps the issues of that window from being handed out again.

Journals (for state transitions) are read per issue, only for issues whose status is not their
tracker's default one (an issue still in its first status has no transition to tell).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from ontrack.model.tracker import Source, TrackerItem, Transition
from ontrack.trackers.base import Cursor, Page, TrackerError, WriteBack, classify, credentials
from ontrack.trackers.http import Http, Response, expect

#: Seconds before the newest change seen where the next incremental sync starts reading.
OVERLAP = 10
#: Move the window's ``since`` forward once its request has read this many issues (a new
#: ``since`` costs one request with a partial page; a far one makes ``seen`` longer).
REBASE = 1000
#: The first line of every comment ontrack writes, so a write-back can find its own last one.
COMMENT_MARKER = "[ontrack]"
#: Journal reads in flight at once (Redmine answers several requests at a time).
DETAIL_READERS = 4
#: Redmine never returns more than 100 issues a request.
MAX_PAGE = 100
#: Estimate fields that are issue attributes (any other needs ``cf:NAME`` or ``cf:ID``).
BUILTIN_ESTIMATES = ("estimated_hours", "total_estimated_hours")
#: Relation types that make the issue on their ``issue_id`` side finish first.
BLOCKING = ("blocks", "precedes")
#: The same relations as Redmine names them seen from the other issue (it stores the first form,
#: but an older server or a plugin may hand out the reverse).
BLOCKED = ("blocked", "follows")


@dataclass(frozen=True, slots=True)
class _Status:
    name: str
    closed: bool


@dataclass(slots=True)
class _Window:
    """Where a sync stands (see the module's docstring); a cursor as a record."""

    since: str | None = None
    seen: dict[str, str] = field(default_factory=dict)
    offset: int = 0
    top: str | None = None  # the newest updated_on of the sync so far
    anchor: tuple[str, str] | None = None  # (id, updated_on) of the last issue read

    @classmethod
    def of(cls, cursor: Cursor | None) -> _Window:
        if not cursor:
            return cls()
        since = cursor.get("since")
        top = cursor.get("top")
        anchor = cursor.get("anchor")
        return cls(
            since=None if since is None else str(since),
            seen={str(k): str(v) for k, v in dict(cursor.get("seen") or {}).items()},
            offset=int(cursor.get("offset") or 0),
            top=None if top is None else str(top),
            anchor=None if not anchor else (str(anchor[0]), str(anchor[1])),
        )

    def cursor(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "seen": dict(self.seen),
            "offset": self.offset,
            "top": self.top,
            "anchor": None if self.anchor is None else list(self.anchor),
        }

    def stored(self, issue: Mapping[str, Any]) -> bool:
        """Already handed out, unchanged since (or sorted before the window: stored earlier)."""
        updated = _second(issue)
        if self.since is not None and updated < self.since:
            return True
        return self.seen.get(str(issue["id"])) == updated

    def advance(
        self, issues: Sequence[Mapping[str, Any]], offset: int, end: bool, read_at: str | None
    ) -> _Window:
        """The window after ``issues`` (read at ``offset`` of this window's request, in the
        server's second ``read_at``) are stored."""
        top = max([self.top or "", *(_second(i) for i in issues)]) or None
        if end:
            since = self.since if top is None else _shift(top, -OVERLAP)
            hint = 0
        else:
            since = _second(issues[-1])
            if offset + len(issues) < REBASE or since == self.since:
                # The same request goes on: its offset is exact (the anchor still checks it).
                since = self.since
                hint = offset + len(issues)
            else:
                # Redmine filters ">=S" as "> S-1 s", so a store keeping fractions of seconds
                # (SQLite, PostgreSQL) also lists the second before: count it in the hint. A
                # wrong hint costs a request, never an issue: the anchor is looked for.
                floor = _shift(since, -1)
                hint = 0
                for issue in reversed(issues):
                    if _second(issue) < floor:
                        break
                    hint += 1
        # An issue changed in the very second it was read may change again within that second,
        # unseen by updated_on: it is not marked seen, so the next read hands it out again.
        seen = {
            **self.seen,
            **{str(i["id"]): _second(i) for i in issues if read_at is None or _second(i) < read_at},
        }
        if since is not None and top is not None:
            # Keep what the final cursor's overlap window will need, not only this second.
            keep = min(since, _shift(top, -OVERLAP))
            seen = {k: v for k, v in seen.items() if v >= keep}
        last = (str(issues[-1]["id"]), _second(issues[-1])) if issues else self.anchor
        return _Window(since=since, seen=seen, offset=hint, top=top, anchor=last)


@dataclass(frozen=True, slots=True)
class _Estimate:
    attribute: str | None = None  # an issue attribute such as estimated_hours
    custom_field: int | None = None  # else a custom field's id


class RedmineAdapter:
    """Reads (and writes back to) one Redmine project."""

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
        self._base = source.url.rstrip("/")
        self._token = creds.token
        self._http = Http(
            self._base,
            what=f"Redmine at {self._base}",
            headers={"X-Redmine-API-Key": creds.token} if creds.token else None,
            secrets=creds.secrets,
            transport=transport,
            sleep=sleep,
            max_wait=max_wait,
        )
        self.page_size = max(1, min(page_size, MAX_PAGE))
        self._statuses: dict[int, _Status] | None = None
        self._initial: frozenset[int] | None = None  # the trackers' default statuses
        self._estimate: _Estimate | None = None
        self._logins: dict[int, str] = {}
        self._pool = ThreadPoolExecutor(max_workers=DETAIL_READERS)

    @property
    def requests(self) -> int:
        return self._http.requests

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._http.close()

    # -- check --------------------------------------------------------------------------------

    def check(self) -> None:
        self._probe()
        self._project()
        self._estimate_field()
        if self.source.match.query:
            self._check_query(self.source.match.query)

    def _probe(self) -> None:
        """Is this Redmine, and does it take the key? A wrong key is not refused on public data
        (Redmine then serves the anonymous user), so a token is checked on /users/current."""
        path = "users/current.json" if self._token else "issue_statuses.json"
        try:
            data = self._http.get(path).data
        except TrackerError as error:
            if error.code in ("E604", "E607"):
                raise self._not_redmine(path) from None
            raise
        wanted = "user" if self._token else "issue_statuses"
        if not isinstance(data, dict) or not isinstance(data.get(wanted), dict | list):
            raise self._not_redmine(path)

    def _not_redmine(self, path: str) -> TrackerError:
        return TrackerError(
            "E603",
            f"{self._http.what} does not answer /{path} as Redmine's REST API does",
            "the source's url must be the Redmine site's base URL, with the REST API enabled "
            "(Administration > Settings > API)",
        )

    def _project(self) -> dict[str, Any]:
        path = f"projects/{self.source.project}.json"
        try:
            data = self._http.get(path, {"include": "issue_custom_fields"}).data
        except TrackerError as error:
            if error.code != "E604":
                raise
            raise TrackerError(
                "E604",
                f"{self._http.what} has no project {self.source.project!r} (or the key may "
                "not see it)",
                "the source's project is the project's identifier, as in its URL "
                "(/projects/IDENTIFIER)",
            ) from None
        project = expect(data, dict, "a project", self._http.what).get("project")
        return dict(expect(project, dict, "a project", self._http.what))

    def _estimate_field(self) -> _Estimate:
        if self._estimate is not None:
            return self._estimate
        name = self.source.estimate_field or "estimated_hours"
        if name in BUILTIN_ESTIMATES:
            self._estimate = _Estimate(attribute=name)
            return self._estimate
        wanted = name[3:].strip() if name.startswith("cf:") else None
        if wanted:
            for fields in self._custom_fields():
                for custom in fields:
                    if (
                        wanted == str(custom.get("id"))
                        or wanted.casefold() == str(custom.get("name", "")).casefold()
                    ):
                        self._estimate = _Estimate(custom_field=int(custom["id"]))
                        return self._estimate
        raise TrackerError(
            "E606",
            f"source {self.source.name!r}: Redmine project {self.source.project!r} has no "
            f"estimate field {name!r}",
            "use estimated_hours, or cf:NAME / cf:ID for an issue custom field enabled in "
            "the project",
        )

    def _custom_fields(self) -> Iterator[list[dict[str, Any]]]:
        """The issue custom fields the key can know of, cheapest source first: those enabled
        for this project only; all of them (an admin key); those the project's issues carry
        (a field "for all projects" is in neither the first list nor, for a non-admin, the
        second)."""
        yield list(self._project().get("issue_custom_fields") or [])
        try:
            data = self._http.get("custom_fields.json").data
            yield [
                f
                for f in (data or {}).get("custom_fields", [])
                if f.get("customized_type") == "issue"
            ]
        except TrackerError as error:
            if error.code not in ("E602", "E604"):
                raise
        params = {"project_id": self.source.project, "status_id": "*", "limit": MAX_PAGE}
        data = self._http.get("issues.json", params).data
        yield [f for i in (data or {}).get("issues", []) for f in i.get("custom_fields") or []]

    def _check_query(self, query: str) -> None:
        queries: list[Any] = []
        offset = 0
        while True:
            data = self._http.get("queries.json", {"offset": offset, "limit": MAX_PAGE}).data
            batch = expect(data, dict, "a query list", self._http.what).get("queries") or []
            queries += batch
            offset += len(batch)
            if not batch or offset >= int(data.get("total_count", 0)):
                break
        if not any(str(q.get("id")) == query.strip() for q in queries):
            raise TrackerError(
                "E604",
                f"{self._http.what} has no saved query {query!r} that the key may use",
                "match.query is the id of a Redmine saved issue query (the number in "
                "/issues?query_id=N)",
            )

    # -- reading ------------------------------------------------------------------------------

    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        counted = self._http.requests
        window = _Window.of(cursor)
        statuses = self._load_statuses()
        estimate = self._estimate_field()
        scope = self._query_keys(self.source.match.query) if self.source.match.query else None
        while True:
            issues, window, final = self._batch(window)
            # Each issue past its first status costs one journal read: a few at a time, so the
            # server's time and ours overlap (Redmine has no bulk journal endpoint).
            items = tuple(
                self._pool.map(lambda issue: self._item(issue, statuses, estimate, scope), issues)
            )
            now = self._http.requests
            yield Page(items, window.cursor(), final=final, requests=now - counted)
            counted = now
            if final:
                return

    def _batch(self, window: _Window) -> tuple[list[dict[str, Any]], _Window, bool]:
        """The next issues not yet stored, and the window after them (see the docstring)."""
        offset = max(0, window.offset - 1)
        anchor = window.anchor if offset > 0 else None
        while True:
            issues, total, read_at = self._list(window.since, offset)
            rest = issues
            if anchor is not None:
                at = next((j for j, i in enumerate(issues) if _mark(i) == anchor), None)
                if at is None:
                    # The last issue read moved (it changed) or the hint overshot: read the
                    # window from its top, skipping what was stored.
                    offset, anchor = 0, None
                    continue
                rest = issues[at + 1 :]  # all before the anchor was stored
            fresh = [i for i in rest if not window.stored(i)]
            end = len(issues) < self.page_size or offset + len(issues) >= total
            if fresh or end:
                return fresh, window.advance(issues, offset, end, read_at), end
            # All of it was stored already (the overlap window): walk on, one issue back.
            offset += len(issues) - 1
            anchor = _mark(issues[-1])

    def _list(self, since: str | None, offset: int) -> tuple[list[dict[str, Any]], int, str | None]:
        params: dict[str, Any] = {
            "project_id": self.source.project,
            "status_id": "*",
            "sort": "updated_on,id",
            "include": "relations",
            "offset": offset,
            "limit": self.page_size,
        }
        if since is not None:
            params["updated_on"] = f">={since}"
        reply = self._http.get("issues.json", params)
        data = expect(reply.data, dict, "an issue list", self._what)
        issues = expect(data.get("issues"), list, "an issue list", self._what)
        return [dict(i) for i in issues], int(data.get("total_count", len(issues))), _date(reply)

    @property
    def _what(self) -> str:
        return self._http.what

    def _load_statuses(self) -> dict[int, _Status]:
        if self._statuses is None:
            data = expect(self._http.get("issue_statuses.json").data, dict, "statuses", self._what)
            rows = expect(data.get("issue_statuses"), list, "statuses", self._what)
            self._statuses = {
                int(s["id"]): _Status(str(s["name"]), bool(s.get("is_closed"))) for s in rows
            }
            trackers = self._http.get("trackers.json").data
            defaults = {
                int(t["default_status"]["id"])
                for t in (trackers or {}).get("trackers", [])
                if isinstance(t.get("default_status"), dict)
            }
            # Before Redmine 3.0 trackers had no default status: the first status was it.
            self._initial = frozenset(defaults or {min(self._statuses, default=1)})
        return self._statuses

    def _query_keys(self, query: str) -> frozenset[str]:
        """Ids of the issues the saved query selects (its own filters, this project)."""
        keys: set[str] = set()
        offset = 0
        while True:
            params = {
                "query_id": query.strip(),
                "project_id": self.source.project,
                "offset": offset,
                "limit": MAX_PAGE,
            }
            data = expect(self._http.get("issues.json", params).data, dict, "issues", self._what)
            batch = data.get("issues") or []
            keys.update(str(i["id"]) for i in batch)
            offset += len(batch)
            if not batch or offset >= int(data.get("total_count", 0)):
                return frozenset(keys)

    # -- mapping ------------------------------------------------------------------------------

    def _item(
        self,
        issue: Mapping[str, Any],
        statuses: Mapping[int, _Status],
        estimate: _Estimate,
        scope: frozenset[str] | None,
    ) -> TrackerItem:
        key = str(issue["id"])
        status_id = int(issue["status"]["id"])
        status = statuses.get(status_id) or _Status(
            str(issue["status"].get("name", status_id)), bool(issue["status"].get("is_closed"))
        )
        labels = tuple(
            str(issue[part]["name"]) for part in ("tracker", "category") if issue.get(part)
        )
        closed = status.closed
        started, done = classify(
            self.source, status.name, labels, closed=closed, active=self._active(status_id)
        )
        version = issue.get("fixed_version")
        parent = issue.get("parent")
        created = _moment(issue["created_on"])
        item = TrackerItem(
            key=key,
            title=str(issue.get("subject", "")),
            url=f"{self._base}/issues/{key}",
            state=status.name,
            closed=closed,
            created=created,
            updated=_moment(issue["updated_on"]),
            closed_at=_moment(issue["closed_on"]) if issue.get("closed_on") else None,
            assignees=self._assignees(issue),
            estimate=_estimate(issue, estimate),
            percent_done=_number(issue.get("done_ratio")),
            blocked_by=_blockers(issue),
            parent=None if not parent else str(parent["id"]),
            labels=labels,
            milestone=None if not version else str(version["name"]),
            started=started,
            done=done,
            transitions=self._transitions(issue, status_id, created, labels, statuses),
            extra={"project": (issue.get("project") or {}).get("name")},
        )
        return _scoped(item, self.source, scope)

    def _active(self, status_id: int) -> bool:
        """Neither the status issues start in nor a closed one: work has begun."""
        status = (self._statuses or {}).get(status_id)
        return status_id not in (self._initial or frozenset()) and not (status and status.closed)

    def _assignees(self, issue: Mapping[str, Any]) -> tuple[str, ...]:
        """The assignee's login (what people write in a plan); a group, or a user the key may
        not see, stays its id."""
        assigned = issue.get("assigned_to")
        if not assigned:
            return ()
        user_id = int(assigned["id"])
        if user_id not in self._logins:
            login = str(user_id)
            try:
                data = self._http.get(f"users/{user_id}.json").data
                login = str((data or {}).get("user", {}).get("login") or user_id)
            except TrackerError as error:
                if error.code not in ("E602", "E604"):
                    raise
            self._logins[user_id] = login
        return (self._logins[user_id],)

    def _transitions(
        self,
        issue: Mapping[str, Any],
        status_id: int,
        created: dt.datetime,
        labels: tuple[str, ...],
        statuses: Mapping[int, _Status],
    ) -> tuple[Transition, ...]:
        if status_id in (self._initial or frozenset()):
            return ()  # still in its first status: read no journals
        data = self._http.get(f"issues/{issue['id']}.json", {"include": "journals"}).data
        journals = (data or {}).get("issue", {}).get("journals") or []
        changes: list[tuple[dt.datetime, int | None, int]] = []
        for journal in journals:
            for detail in journal.get("details") or []:
                if detail.get("property") == "attr" and detail.get("name") == "status_id":
                    old, new = detail.get("old_value"), detail.get("new_value")
                    if new is not None:
                        changes.append(
                            (
                                _moment(journal["created_on"]),
                                None if old is None else int(old),
                                int(new),
                            )
                        )
        first = changes[0][1] if changes else status_id
        moves: list[Transition] = []
        if first is not None and first not in (self._initial or frozenset()):
            # Created in a status that already counts (e.g. "In Progress"): that is a change too.
            moves.append(self._transition(created, None, first, labels, statuses))
        moves += [self._transition(at, old, new, labels, statuses) for at, old, new in changes]
        return tuple(moves)

    def _transition(
        self,
        at: dt.datetime,
        old: int | None,
        new: int,
        labels: tuple[str, ...],
        statuses: Mapping[int, _Status],
    ) -> Transition:
        to = statuses.get(new, _Status(str(new), False))
        started, done = classify(
            self.source, to.name, labels, closed=to.closed, active=self._active(new)
        )
        before = None if old is None else statuses.get(old, _Status(str(old), False)).name
        return Transition(at=at, to_state=to.name, from_state=before, started=started, done=done)

    # -- writing ------------------------------------------------------------------------------

    def write_back(self, key: str, field: str, value: str, *, dry_run: bool) -> WriteBack:
        if not key.isdigit():
            raise TrackerError("E604", f"{key!r} is not a Redmine issue id", "use the number")
        if field == "due_date":
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise TrackerError(
                    "E611", f"due date {value!r} is not an ISO date (YYYY-MM-DD)", ""
                ) from None
            issue = self._issue(key, include=None)
            old = issue.get("due_date")
            change: dict[str, Any] = {"due_date": value}
            unchanged = old == value
        elif field == "comment":
            issue = self._issue(key, include="journals")
            old = _last_comment(issue.get("journals") or [])
            change = {"notes": f"{COMMENT_MARKER}\n{value}"}
            unchanged = old == value
        else:
            raise TrackerError(
                "E611", f"Redmine write-back of {field!r} is not supported", "due_date or comment"
            )
        result = WriteBack(
            key=key, field=field, old=None if old is None else str(old), new=value,
            changed=not unchanged,
        )  # fmt: skip
        if unchanged or dry_run:
            return result
        try:
            self._http.request(
                "PUT", f"issues/{key}.json", body={"issue": change}, expect_json=False
            )
        except TrackerError as error:
            raise _refused(key, field, error) from None
        return result

    def _issue(self, key: str, include: str | None) -> dict[str, Any]:
        params = {"include": include} if include else None
        data = self._http.get(f"issues/{key}.json", params).data
        issue = expect(data, dict, "an issue", self._what).get("issue")
        return dict(expect(issue, dict, "an issue", self._what))


# -- helpers ---------------------------------------------------------------------------------


def _moment(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _second(issue: Mapping[str, Any]) -> str:
    """An issue's updated_on as "YYYY-MM-DDTHH:MM:SSZ" (UTC), which sorts as text."""
    return _moment(issue["updated_on"]).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _mark(issue: Mapping[str, Any]) -> tuple[str, str]:
    return str(issue["id"]), _second(issue)


def _date(reply: Response) -> str | None:
    """The server's clock at the answer (its Date header), as an updated_on second."""
    value = reply.headers.get("date")
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return _shift(moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), 0)


def _shift(second: str, seconds: int) -> str:
    moment = _moment(second) + dt.timedelta(seconds=seconds)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _estimate(issue: Mapping[str, Any], estimate: _Estimate) -> Decimal | None:
    if estimate.attribute:
        return _number(issue.get(estimate.attribute))
    for custom in issue.get("custom_fields") or []:
        if custom.get("id") == estimate.custom_field:
            return _number(custom.get("value"))
    return None


def _blockers(issue: Mapping[str, Any]) -> tuple[str, ...]:
    me = int(issue["id"])
    keys: list[str] = []
    for relation in issue.get("relations") or []:
        kind = relation.get("relation_type")
        source, target = int(relation["issue_id"]), int(relation["issue_to_id"])
        if kind in BLOCKING and target == me:
            keys.append(str(source))
        elif kind in BLOCKED and source == me:
            keys.append(str(target))
    return tuple(sorted(set(keys), key=int))


def _scoped(item: TrackerItem, source: Source, scope: frozenset[str] | None) -> TrackerItem:
    match = source.match
    tags = {label.casefold() for label in item.labels}
    in_scope = (
        all(label.casefold() in tags for label in match.labels)
        and (match.milestone is None or match.milestone == item.milestone)
        and (match.parent is None or match.parent == item.parent)
        and (scope is None or item.key in scope)
    )
    if in_scope:
        return item
    return dataclasses.replace(item, in_scope=False)


def _last_comment(journals: list[Any]) -> str | None:
    """The text of the newest comment ontrack wrote (after its marker line)."""
    for journal in reversed(journals):
        notes = str(journal.get("notes") or "")
        if notes.startswith(COMMENT_MARKER):
            return (
                notes[len(COMMENT_MARKER) :]
                .removeprefix("\r")
                .removeprefix("\n")
                .replace("\r\n", "\n")
            )
    return None


def _refused(key: str, field: str, error: TrackerError) -> TrackerError:
    """A refused write as E611, with Redmine's own reasons (its ``errors`` array) when given."""
    found = re.search(r'"errors":\s*\[(.*?)\]', error.message)
    reasons = found.group(1).replace('"', "") if found else error.message
    return TrackerError(
        "E611",
        f"Redmine refused to set {field} on issue {key}: {reasons}",
        "check that the key's account may edit the issue and that the value is valid there "
        "(e.g. a due date after the start date)",
    )
