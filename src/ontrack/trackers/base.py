"""What every tracker adapter offers the sync, and the errors they raise.

An adapter reads a source's items page by page. Each page carries the cursor to resume after it:
the sync stores the page's items and its cursor in one transaction, so a sync killed at any point
resumes where the last stored page ended and neither loses nor repeats a page. A cursor is a plain
JSON mapping that only its adapter reads; ``None`` asks for everything (a first sync).

Adapters read every item of the project that changed since the cursor (not only those the source's
rules match), because throughput counts all of them and an item that moved out of the query must
be seen to have moved; ``TrackerItem.in_scope`` says whether the rules match it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ontrack.model.tracker import Source, TrackerItem, TrackerKind

#: Error codes of sync, link and write-back (stable: users' scripts match on them).
CODES = {
    "E601": "the token's environment variable is not set",
    "E602": "the tracker refused the credentials (401/403)",
    "E603": "the URL does not answer as that tracker's API",
    "E604": "the project, repository or query does not exist there",
    "E605": "the query matches no item",
    "E606": "a field named in the source does not exist in the tracker",
    "E607": "the tracker answered with something that is not its JSON",
    "E608": "the tracker could not be reached, or kept failing, after retries",
    "E609": "the tracker's rate limit would need a longer wait than allowed",
    "E610": "no source of that name in the plan",
    "E611": "the tracker refused a write-back",
}

Cursor = Mapping[str, Any]


class TrackerError(Exception):
    """A tracker that cannot be read as asked, with a stable code and a hint. The message never
    holds a token: the HTTP client removes the secret from anything it puts in one."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Page:
    """Items read in one request (or a few), and the cursor to resume after them.

    ``final`` marks the last page of a sync: its cursor is the one the next (incremental) sync
    starts from. ``requests`` counts the HTTP requests made for this page (benchmarks count them).
    """

    items: tuple[TrackerItem, ...]
    cursor: Cursor
    final: bool = False
    requests: int = 0


@dataclass(frozen=True, slots=True)
class WriteBack:
    """What a write-back would change on one item (shown by --dry-run, then done)."""

    key: str
    field: str  # "due_date" | "comment"
    old: str | None
    new: str
    changed: bool  # False: the item already says so, nothing is sent (idempotent)


class Adapter(Protocol):
    """One tracker's reader (and, optionally, writer)."""

    source: Source

    def check(self) -> None:
        """Fail early with a TrackerError when the credentials, the project or a named field are
        wrong (one or two cheap requests)."""

    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        """Every item changed since ``cursor`` (all items when None), oldest change first."""

    def write_back(self, key: str, field: str, value: str, *, dry_run: bool) -> WriteBack:
        """Set ``field`` ("due_date" as an ISO date, or "comment" text) on item ``key``, once:
        an item that already says so is left alone."""

    @property
    def requests(self) -> int:
        """HTTP requests made so far (including retries and 304s)."""


@dataclass
class Credentials:
    token: str | None = None
    user: str | None = None
    secrets: tuple[str, ...] = field(default=())


def credentials(source: Source, environ: Mapping[str, str] | None = None) -> Credentials:
    """The token (and Jira user) from the environment variables the source names."""
    env = os.environ if environ is None else environ
    token = user = None
    if source.token_env:
        token = env.get(source.token_env, "")
        if not token:
            raise TrackerError(
                "E601",
                f"source {source.name!r}: the environment variable {source.token_env} is not set",
                f"export {source.token_env}=<your {source.kind.value} API token> and run it "
                "again; tokens are never written to plan files",
            )
    if source.user_env:
        user = env.get(source.user_env, "")
        if not user:
            raise TrackerError(
                "E601",
                f"source {source.name!r}: the environment variable {source.user_env} is not set",
                f"export {source.user_env}=<the account e-mail the Jira token belongs to>",
            )
    return Credentials(token=token, user=user, secrets=tuple(s for s in (token,) if s))


def classify(
    source: Source, state: str, labels: tuple[str, ...], *, closed: bool, active: bool
) -> tuple[bool, bool]:
    """(started, done) of an item in ``state`` with ``labels``, by the source's rules.

    ``closed`` and ``active`` are the tracker's own notions (Redmine's closed statuses, Jira's
    status categories, GitHub's state and in-progress labels), used where the source names no
    states. Done work counts as started. Names compare without regard to case.
    """
    name = state.casefold()
    tags = {label.casefold() for label in labels}
    done = name in {d.casefold() for d in source.done} if source.done else closed
    if source.started:
        wanted = {s.casefold() for s in source.started}
        started = done or name in wanted or bool(tags & wanted)
    else:
        started = done or active
    return started, done


AdapterFactory = Callable[..., Adapter]


#: The module and class of each kind's adapter, loaded on first use (each pulls in only its own
#: tracker's code).
ADAPTERS: Mapping[TrackerKind, tuple[str, str]] = {
    TrackerKind.REDMINE: ("ontrack.trackers.redmine", "RedmineAdapter"),
    TrackerKind.GITHUB: ("ontrack.trackers.github", "GitHubAdapter"),
    TrackerKind.GITLAB: ("ontrack.trackers.gitlab", "GitLabAdapter"),
    TrackerKind.JIRA: ("ontrack.trackers.jira", "JiraAdapter"),
}


def adapter_for(source: Source, **options: Any) -> Adapter:
    """The adapter of the source's kind. ``options`` reach the adapter (``environ``,
    ``transport``, ``sleep``, ``page_size``) so tests can point it anywhere and slow nothing."""
    module, name = ADAPTERS[source.kind]
    factory: AdapterFactory = getattr(importlib.import_module(module), name)
    return factory(source, **options)
