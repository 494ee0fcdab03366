"""Release notes as Markdown (CommonMark / GitHub): a title, the range and its counts, then one
section per kind of change and the delivered work.

Commit text is the author's, not ours: every character Markdown gives a meaning inline
(emphasis, links, code, HTML, entities) is escaped with a backslash, and an entry cannot open a
block of its own (a heading, a quote, a nested list) because its first character is escaped
too. Line breaks and control characters become spaces, so one change is one list item.
"""

from __future__ import annotations

import re

from ontrack.engines.releasenotes import Change, DeliveredTask, ReleaseNotes

_INLINE = re.compile(r"([\\`*_\[\]<>&~|])")
_BLOCK_START = re.compile(r"^(\d+)([.)])|^([#>+\-=])")
_SPACES = re.compile(r"[\s\x00-\x1f\x7f]+")

_NOUNS: dict[str, tuple[str, str]] = {
    "breaking": ("breaking change", "breaking changes"),
    "feat": ("feature", "features"),
    "fix": ("fix", "fixes"),
    "perf": ("performance change", "performance changes"),
    "revert": ("revert", "reverts"),
    "docs": ("documentation change", "documentation changes"),
    "refactor": ("refactoring", "refactorings"),
    "test": ("test change", "test changes"),
    "build": ("build or CI change", "build or CI changes"),
    "chore": ("chore", "chores"),
    "other": ("other change", "other changes"),
}


def escape_inline(text: str, *, starts_line: bool = True) -> str:
    """``text`` on one line, safe inside a Markdown paragraph or list item: nothing in it is
    read as markup, and (where it ``starts_line``, or a list item) it opens no block."""
    flat = _SPACES.sub(" ", text).strip()
    escaped = _INLINE.sub(r"\\\1", flat)
    if not starts_line:
        return escaped
    return _BLOCK_START.sub(
        lambda m: f"{m[1]}\\{m[2]}" if m[1] is not None else f"\\{m[3]}", escaped, count=1
    )


def _escape_heading(text: str) -> str:
    """As :func:`escape_inline`, with every ``#`` escaped (a heading drops trailing ones)."""
    return escape_inline(text).replace("#", "\\#")


def _plural(count: int, key: str) -> str:
    one, many = _NOUNS[key]
    return f"{count} {one if count == 1 else many}"


def _range_line(notes: ReleaseNotes) -> str:
    start = escape_inline(notes.from_ref) if notes.from_ref else "the first commit"
    span = f"{start} → {escape_inline(notes.to_ref, starts_line=False)}"
    if notes.since is not None and notes.until is not None:
        span += f" · {notes.since.date().isoformat()} to {notes.until.date().isoformat()}"
    return span


def _counts_line(notes: ReleaseNotes) -> str:
    commits = len(notes.changes)
    parts = [f"{commits} commit{'s' * (commits != 1)}"]
    if commits:
        parts[0] += f" by {notes.authors} author{'s' * (notes.authors != 1)}"
    kinds = ", ".join(_plural(n, key) for key, n in notes.counts.items())
    if kinds:
        parts[0] += f": {kinds}"
    if notes.merges_skipped:
        skipped = notes.merges_skipped
        parts.append(f"{skipped} merge commit{'s' * (skipped != 1)} left out")
    if notes.delivered:
        done = len(notes.delivered)
        parts.append(f"{done} task{'s' * (done != 1)} delivered")
    return " · ".join(parts)


def _entry(change: Change) -> str:
    text = ""
    if change.scope:
        text += f"**{escape_inline(change.scope, starts_line=False)}:** "
    text += escape_inline(change.description, starts_line=not text)
    notes = [n for n in change.breaking_notes if n.strip() != change.description.strip()]
    if notes:
        text += " — " + " ".join(escape_inline(n, starts_line=False) for n in notes)
    refs = [r for r in change.references if r not in change.description]
    if refs:
        text += f" ({', '.join(escape_inline(r, starts_line=False) for r in refs)})"
    tail = [change.short_sha]
    if change.section == "breaking" and change.type:
        tail.insert(0, escape_inline(change.type, starts_line=False))
    if change.reverts:
        tail.insert(0, f"reverts {change.reverts[:7]}")
    if change.merge:
        tail.insert(0, "merge")
    return f"- {text} ({', '.join(tail)})"


def _task(task: DeliveredTask) -> str:
    when = f"finished {task.finished.isoformat()}" if task.finished else "done"
    task_id = escape_inline(task.id, starts_line=False)
    return f"- {escape_inline(task.title)} ({task_id}, {when})"


def render_markdown(notes: ReleaseNotes) -> str:
    """The release notes as a Markdown document (ends with a newline)."""
    lines = [
        f"# {_escape_heading(notes.title)} — release notes",
        "",
        _range_line(notes),
        "",
        _counts_line(notes),
    ]
    for section in notes.sections:
        lines += ["", f"## {section.title}", ""]
        lines += [_entry(c) for c in section.changes]
    if notes.delivered:
        lines += ["", "## Delivered work", ""]
        lines += [_task(t) for t in notes.delivered]
    if not notes.sections and not notes.delivered:
        lines += ["", "No changes in this range."]
    return "\n".join(lines) + "\n"
