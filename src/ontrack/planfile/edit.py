"""Small, exact edits of plan files: one value of one task replaced where it is written.

The plan files are the user's (in git, with comments and their own layout), so an edit changes
only the characters of the value: a scalar (`estimate: 3d`, `assignee: alice`) or a one-line
flow list (`depends: [a, b]`). A value written any other way (a block list over several lines,
mappings with types and lags, a key not written at all) is not guessed at: the edit is refused
with what to write by hand. Files are written atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ontrack.diagnostics import SourceLoc
from ontrack.fileio import write_text_atomic
from ontrack.model import Plan


class ValueEdit(Protocol):
    @property
    def task(self) -> str: ...

    @property
    def field(self) -> str: ...

    @property
    def value(self) -> str: ...

    @property
    def values(self) -> tuple[str, ...]: ...


_KEYS = {"estimate": "estimate", "assignee": "assignee", "depends": "depends"}


@dataclass(frozen=True, slots=True)
class _Span:
    path: str
    line: int  # 0-based
    start: int
    end: int


def _scalar_end(line: str, start: int, flow: bool) -> int | None:
    """End (exclusive) of the scalar starting at ``start`` on one line, or None."""
    text = line.rstrip("\r\n")  # the line's ending is never part of the value
    if start >= len(text):
        return None
    quote = text[start]
    if quote in "'\"":
        end = text.find(quote, start + 1)
        return None if end < 0 else end + 1
    if quote == "[":
        end = text.find("]", start)
        inner = text[start + 1 : end] if end >= 0 else ""
        return None if end < 0 or "{" in inner or "[" in inner else end + 1
    if quote in "{|>-":
        return None  # a mapping, a block scalar or a block list: not edited by hand
    end = start
    while end < len(text):
        ch = text[end]
        if ch == "#" and end > start and text[end - 1] in " \t":
            break
        if flow and ch in ",}":
            break
        end += 1
    while end > start and text[end - 1] in " \t":
        end -= 1
    return end if end > start else None


def _render(field: str, value: str, values: tuple[str, ...]) -> str:
    if field == "estimate":
        return value
    if len(values) == 1 and field == "assignee":
        return values[0]
    return "[" + ", ".join(values) + "]"


def apply_edits(plan: Plan, edits: Sequence[ValueEdit]) -> tuple[list[str], list[str]]:
    """Apply what can be applied exactly; returns (done, refused) as sentences."""
    done: list[str] = []
    refused: list[str] = []
    texts: dict[str, list[str]] = {}
    wanted: list[tuple[SourceLoc, ValueEdit, str]] = []
    for edit in edits:
        task = plan.task_by_id.get(edit.task)
        key = _KEYS.get(edit.field)
        new = _render(edit.field, edit.value, edit.values)
        where = None if task is None or key is None else task.locs.get(key)
        if task is None or key is None or where is None or where.line <= 0:
            by_hand = f"set `{edit.field}: {new}` on task '{edit.task}' by hand"
            refused.append(f"'{edit.task}' has no {edit.field} written in the plan: {by_hand}")
            continue
        wanted.append((where, edit, new))
    # Right to left along each line, so an edit never moves the columns of those still to come.
    wanted.sort(key=lambda w: (w[0].file, w[0].line, -w[0].col))
    for where, edit, new in wanted:
        by_hand = f"set `{edit.field}: {new}` on task '{edit.task}' by hand"
        path = where.file
        if path not in texts:
            try:
                # newline="": the file's own line endings (CRLF too) are kept as they are.
                with open(path, encoding="utf-8", newline="") as handle:
                    texts[path] = handle.read().splitlines(keepends=True)
            except (OSError, UnicodeDecodeError) as exc:
                refused.append(f"{path}: cannot read ({exc}): {by_hand}")
                continue
        lines = texts[path]
        index = where.line - 1
        if index >= len(lines):
            refused.append(f"{path} changed since it was read: {by_hand}")
            continue
        line = lines[index]
        start = where.col - 1
        flow = "{" in line[:start]
        end = _scalar_end(line, start, flow)
        if end is None:
            refused.append(f"{where}: the {edit.field} is not written on one line: {by_hand}")
            continue
        lines[index] = line[:start] + new + line[end:]
        done.append(f"{where}: task '{edit.task}' {edit.field} {line[start:end]} -> {new}")
    for path, lines in texts.items():
        if any(d.startswith(path + ":") for d in done):
            write_text_atomic(path, "".join(lines))
    return done, refused
