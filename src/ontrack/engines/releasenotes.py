"""Release notes from the commits between two tags (Conventional Commits 1.0.0) and the done
tasks of a release, grouped by kind.

Pure: the caller reads the commits (``ontrack.interop.gitrange``) and works out which tasks are
done; this module parses each message and groups the result. A header is
``type(scope)!: description``; ``!`` or a ``BREAKING CHANGE:`` / ``BREAKING-CHANGE:`` footer
makes the change breaking, and a breaking change is listed once, under *Breaking changes*. A
message that is not a conventional header is kept, under *Other*: nothing is dropped because it
does not follow the convention. Reverts are recognised both as ``revert:`` and as git's own
``Revert "..."`` message (with its ``This reverts commit <sha>.`` line). Merge commits are left
out unless asked for: the commits they bring in are listed themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# -------------------------------------------------------------------------------- the sections

#: Section keys in the order they are shown, with their titles.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("breaking", "Breaking changes"),
    ("feat", "Features"),
    ("fix", "Fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
    ("docs", "Documentation"),
    ("refactor", "Refactoring"),
    ("test", "Tests"),
    ("build", "Build and CI"),
    ("chore", "Chores"),
    ("other", "Other"),
)
SECTION_TITLES = dict(SECTIONS)

#: A conventional type (lower-cased) -> its section. A type not here is shown under Other with
#: its type kept in the text.
TYPE_SECTIONS: dict[str, str] = {
    "feat": "feat",
    "feature": "feat",
    "fix": "fix",
    "bugfix": "fix",
    "perf": "perf",
    "revert": "revert",
    "docs": "docs",
    "doc": "docs",
    "refactor": "refactor",
    "test": "test",
    "tests": "test",
    "build": "build",
    "ci": "build",
    "chore": "chore",
    "style": "chore",
}

#: Footer tokens whose values are issue references (compared lower-cased).
REFERENCE_TOKENS = frozenset(
    {
        "refs",
        "ref",
        "references",
        "closes",
        "close",
        "closed",
        "fixes",
        "fix",
        "fixed",
        "resolves",
        "resolve",
        "resolved",
        "issue",
        "issues",
        "see",
        "see-also",
        "related",
        "related-to",
        "part-of",
    }
)

_HEADER = re.compile(
    r"(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?: +(?P<desc>\S.*)"
)
_FOOTER = re.compile(
    r"(?P<token>BREAKING[ -]CHANGE|[A-Za-z][A-Za-z0-9-]*)(?P<sep>: | #)(?P<value>.*)"
)
_GIT_REVERT = re.compile(r'Revert "(?P<inner>.*)"')
_REVERTS_LINE = re.compile(r"This reverts commit (?P<sha>[0-9a-fA-F]{4,64})")
_REF_SPLIT = re.compile(r"[,\s]+")


# -------------------------------------------------------------------------------- the records


@dataclass(frozen=True, slots=True)
class ChangeCommit:
    """One commit as git gives it: the whole message (subject, blank line, body)."""

    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    authored: dt.datetime
    committed: dt.datetime
    message: str

    @property
    def subject(self) -> str:
        return self.message.strip("\n").split("\n", 1)[0].strip()

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True, slots=True)
class Footer:
    token: str  # as written; BREAKING-CHANGE is read as BREAKING CHANGE
    value: str


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """What a commit message says, by the Conventional Commits rules."""

    conventional: bool
    type: str  # lower-cased; "" when not conventional
    scope: str
    description: str  # the header's description, or the whole subject when not conventional
    breaking: bool
    breaking_notes: tuple[str, ...]
    footers: tuple[Footer, ...]
    references: tuple[str, ...]
    reverts: str | None  # the sha a revert names, when it names one
    revert: bool


@dataclass(frozen=True, slots=True)
class Change:
    """One commit in the release notes."""

    sha: str
    section: str
    type: str
    scope: str
    description: str
    breaking: bool
    breaking_notes: tuple[str, ...]
    references: tuple[str, ...]
    reverts: str | None
    author: str
    email: str
    committed: dt.datetime
    merge: bool

    @property
    def short_sha(self) -> str:
        return self.sha[:7]

    def to_json(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "section": self.section,
            "type": self.type or None,
            "scope": self.scope or None,
            "description": self.description,
            "breaking": self.breaking,
            "breaking_notes": list(self.breaking_notes),
            "references": list(self.references),
            "reverts": self.reverts,
            "author": self.author,
            "email": self.email,
            "committed": self.committed.isoformat(),
            "merge": self.merge,
        }


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class DeliveredTask:
    """A done task of the release."""

    id: str
    title: str
    finished: dt.date | None  # None: done (100 %) without a recorded finish day

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "finished": self.finished.isoformat() if self.finished else None,
        }


@dataclass(frozen=True, slots=True)
class ReleaseNotes:
    """The notes of one release: the non-empty sections in order and the delivered work."""

    title: str
    from_ref: str | None  # None: from the root of the history
    to_ref: str
    since: dt.datetime | None  # the FROM commit's time (else the oldest commit's)
    until: dt.datetime | None  # the TO commit's time
    sections: tuple[Section, ...]
    delivered: tuple[DeliveredTask, ...]
    merges_skipped: int

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for s in self.sections for c in s.changes)

    @property
    def counts(self) -> dict[str, int]:
        return {s.key: len(s.changes) for s in self.sections}

    @property
    def authors(self) -> int:
        return len({c.email.lower() or c.author for c in self.changes})

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "from": self.from_ref,
            "to": self.to_ref,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "commits": len(self.changes),
            "authors": self.authors,
            "merges_skipped": self.merges_skipped,
            "counts": self.counts,
            "sections": [s.to_json() for s in self.sections],
            "delivered": [t.to_json() for t in self.delivered],
        }


# -------------------------------------------------------------------------------- parsing


def parse_message(message: str) -> ParsedMessage:
    """A commit message read by Conventional Commits 1.0.0 (lenient where git's own habits
    differ: CRLF line ends, ``Revert "..."`` subjects, a ``BREAKING CHANGE:`` paragraph that is
    not the last)."""
    lines = message.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    subject = lines[0].strip()
    body = lines[1:]
    footers = _footers(body)
    notes = tuple(f.value for f in footers if f.token == "BREAKING CHANGE" and f.value)
    has_breaking_footer = any(f.token == "BREAKING CHANGE" for f in footers)
    references = _references(footers)
    reverts = next((m["sha"].lower() for line in body if (m := _REVERTS_LINE.search(line))), None)
    git_revert = _GIT_REVERT.fullmatch(subject)
    if git_revert is not None:
        return ParsedMessage(
            True, "revert", "", git_revert["inner"], False, (), footers, references, reverts, True
        )
    header = _HEADER.fullmatch(subject)
    if header is None:
        return ParsedMessage(False, "", "", subject, False, (), footers, references, None, False)
    kind = header["type"].lower()
    breaking = bool(header["bang"]) or has_breaking_footer
    return ParsedMessage(
        True,
        kind,
        (header["scope"] or "").strip(),
        header["desc"].strip(),
        breaking,
        notes if breaking else (),
        footers,
        references,
        reverts if kind == "revert" else None,
        kind == "revert",
    )


def _footers(body: list[str]) -> tuple[Footer, ...]:
    """The footers: from the first paragraph that opens with a ``Token: value`` or
    ``Token #value`` line to the end, each value running until the next token line (the
    spec's rule, which also reads a ``BREAKING CHANGE:`` paragraph followed by more text)."""
    for i, line in enumerate(body):
        if (i == 0 or not body[i - 1].strip()) and _FOOTER.fullmatch(line.rstrip()):
            return _read_footers(body[i:])
    return ()


def _read_footers(lines: list[str]) -> tuple[Footer, ...]:
    found: list[tuple[str, list[str]]] = []
    for line in lines:
        m = _FOOTER.fullmatch(line.rstrip())
        if m is not None:
            token = m["token"]
            token = "BREAKING CHANGE" if token == "BREAKING-CHANGE" else token
            value = m["value"].strip()
            found.append((token, ["#" + value if m["sep"] == " #" else value]))
        elif found:
            found[-1][1].append(line.strip())
    return tuple(Footer(token, " ".join(p for p in parts if p)) for token, parts in found)


def _references(footers: Iterable[Footer]) -> tuple[str, ...]:
    refs: list[str] = []
    for f in footers:
        if f.token.lower() not in REFERENCE_TOKENS:
            continue
        for part in _REF_SPLIT.split(f.value):
            if part and part not in refs:
                refs.append(part)
    return tuple(refs)


# -------------------------------------------------------------------------------- grouping


def change_of(commit: ChangeCommit) -> Change:
    """The commit as a release-notes entry, in its section."""
    parsed = parse_message(commit.message)
    if parsed.breaking:
        section = "breaking"
    elif parsed.conventional and parsed.type in TYPE_SECTIONS:
        section = TYPE_SECTIONS[parsed.type]
    else:
        section = "other"
    description = parsed.description
    if parsed.conventional and section == "other":  # a type we do not group: keep it in view
        description = commit.subject
    return Change(
        sha=commit.sha,
        section=section,
        type=parsed.type,
        scope=parsed.scope,
        description=description,
        breaking=parsed.breaking,
        breaking_notes=parsed.breaking_notes,
        references=parsed.references,
        reverts=parsed.reverts,
        author=commit.author,
        email=commit.email,
        committed=commit.committed,
        merge=commit.is_merge,
    )


def delivered_tasks(tasks: Iterable[tuple[str, str, dt.date | None]]) -> tuple[DeliveredTask, ...]:
    """Done tasks (id, title, finished day) in the order they finished (undated last), each
    once."""
    seen: dict[str, DeliveredTask] = {}
    for task_id, title, finished in tasks:
        seen.setdefault(task_id, DeliveredTask(task_id, title, finished))
    return tuple(
        sorted(seen.values(), key=lambda t: (t.finished is None, t.finished or dt.date.min, t.id))
    )


def release_notes(
    commits: Sequence[ChangeCommit],
    *,
    to_ref: str,
    from_ref: str | None = None,
    title: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    delivered: Iterable[tuple[str, str, dt.date | None]] = (),
    include_merges: bool = False,
) -> ReleaseNotes:
    """The release notes of ``commits`` (in the order given: git's, newest first) and the
    ``delivered`` done tasks. ``since`` defaults to the oldest commit's time, ``until`` to the
    newest's."""
    kept = [c for c in commits if include_merges or not c.is_merge]
    changes = [change_of(c) for c in kept]
    sections = tuple(
        Section(key, name, tuple(c for c in changes if c.section == key))
        for key, name in SECTIONS
        if any(c.section == key for c in changes)
    )
    times = [c.committed for c in commits]
    return ReleaseNotes(
        title=title or to_ref,
        from_ref=from_ref,
        to_ref=to_ref,
        since=since if since is not None else min(times, default=None),
        until=until if until is not None else max(times, default=None),
        sections=sections,
        delivered=delivered_tasks(delivered),
        merges_skipped=len(commits) - len(kept),
    )
