"""Small, exact edits of plan files: one value of one task replaced where it is written.

The plan files are the user's (in git, with comments and their own layout), so an edit changes
only the characters of the value: a scalar (`estimate: 3d`, `assignee: alice`) or a one-line
flow list (`depends: [a, b]`). A value written any other way (a block list over several lines,
mappings with types and lags, a key not written at all) is not guessed at: the edit is refused
with what to write by hand. Files are written atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
        return _quoted_end(text, start)
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


def _quoted_end(text: str, start: int) -> int | None:
    """End (exclusive) of the quoted scalar at ``start``: a double-quoted one skips its
    backslash escapes, a single-quoted one its doubled quotes."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        ch = text[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    return None


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


# -- edits of stored texts (the web app edits a revision's files, not the user's disk) ----------


@dataclass(frozen=True, slots=True)
class FieldEdit:
    """One field of one task or risk set to ``text``: YAML already rendered as one safe scalar
    or flow list (the caller renders it; nothing here quotes)."""

    kind: str  # "task" or "risk"
    id: str
    field: str
    text: str


@dataclass(frozen=True, slots=True)
class TextEdits:
    """The files after the edits, what was done, and what could not be done exactly."""

    files: tuple[tuple[str, str], ...]
    done: tuple[str, ...]
    refused: tuple[str, ...]


def edit_texts(
    plan: Plan, files: Sequence[tuple[str, str]], edits: Sequence[FieldEdit]
) -> TextEdits:
    """Set each field where it is written; a field not written yet is added as a new line
    under the record's ``id`` (block mappings only). Comments, order and line endings stay."""
    lines = {name: text.splitlines(keepends=True) for name, text in files}
    done: list[str] = []
    refused: list[str] = []
    # (file, line, col, kind): replacements right to left; insertions after every replacement
    # on their line, bottom to top, so no edit moves a position still to be used.
    replacements: list[tuple[SourceLoc, FieldEdit]] = []
    insertions: list[tuple[SourceLoc, int, FieldEdit]] = []
    for edit in edits:
        record = (
            plan.task_by_id.get(edit.id)
            if edit.kind == "task"
            else next((r for r in plan.risks if r.id == edit.id), None)
        )
        if record is None:
            refused.append(f"no {edit.kind} '{edit.id}' in this revision")
            continue
        where = record.locs.get(edit.field)
        if where is not None and where.line > 0:
            replacements.append((where, edit))
            continue
        anchor = record.locs.get("id")
        if anchor is None or anchor.line <= 0 or record.loc.file != anchor.file:
            refused.append(f"{edit.kind} '{edit.id}': cannot place `{edit.field}` exactly")
            continue
        insertions.append((anchor, record.loc.col - 1, edit))
    for where, edit in sorted(replacements, key=lambda r: (r[0].file, r[0].line, -r[0].col)):
        rows = lines.get(where.file)
        if rows is None or where.line > len(rows):
            refused.append(f"{edit.kind} '{edit.id}': {where.file} is not in this revision")
            continue
        line = rows[where.line - 1]
        start = where.col - 1
        end = _scalar_end(line, start, "{" in line[:start])
        if end is None:
            refused.append(
                f"{where}: the {edit.field} of {edit.kind} '{edit.id}' is not written on one "
                "line; edit the plan file by hand"
            )
            continue
        rows[where.line - 1] = line[:start] + edit.text + line[end:]
        done.append(f"{edit.kind} '{edit.id}' {edit.field}: {line[start:end]} -> {edit.text}")
    for anchor, indent, edit in sorted(insertions, key=lambda r: (r[0].file, -r[0].line)):
        rows = lines[anchor.file]
        line = rows[anchor.line - 1]
        if "{" in line[: anchor.col - 1] or _scalar_end(line, anchor.col - 1, False) is None:
            refused.append(f"{anchor}: {edit.kind} '{edit.id}' is not a block mapping")
            continue
        ending = "\r\n" if line.endswith("\r\n") else "\n"
        if not line.endswith(("\n", "\r")):
            rows[anchor.line - 1] = line + ending
        rows.insert(anchor.line, " " * indent + f"{edit.field}: {edit.text}{ending}")
        done.append(f"{edit.kind} '{edit.id}' {edit.field}: (not set) -> {edit.text}")
    return TextEdits(
        tuple((name, "".join(lines[name])) for name, _ in files), tuple(done), tuple(refused)
    )


def written_text(files: Sequence[tuple[str, str]], where: SourceLoc | None) -> str | None:
    """A one-line value exactly as it is written at ``where`` (None when it is not)."""
    if where is None or where.line <= 0:
        return None
    text = dict(files).get(where.file)
    if text is None:
        return None
    rows = text.splitlines()
    if where.line > len(rows):
        return None
    line = rows[where.line - 1]
    start = where.col - 1
    end = _scalar_end(line, start, "{" in line[:start])
    return None if end is None else line[start:end]


# -- list edits: items taken out of and added to a list-valued field -----------------------------


@dataclass(frozen=True, slots=True)
class ListEdit:
    """Ids taken out of and appended to one list of a task or a release (a release's
    ``includes``, a task's ``depends``): a one-line flow list, a scalar (read as a list of one),
    or a block list with one plain item per line. Added ids are plain words."""

    kind: str  # "task" or "release"
    id: str
    field: str
    remove: tuple[str, ...] = ()
    add: tuple[str, ...] = ()


def _unquoted(token: str) -> str:
    token = token.strip()
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return token[1:-1]
    return token


def _flow_items(value: str) -> list[str] | None:
    """The items of a one-line flow list ``[a, 'b']`` (or a scalar): None when an item is
    nested, commented or quoted around a comma."""
    if not value.startswith("["):
        return [value]
    inner = value[1:-1]
    if any(c in inner for c in "[]{}#"):
        return None
    items = [t.strip() for t in inner.split(",") if t.strip()]
    if any(("'" in t or '"' in t) and t == _unquoted(t) for t in items):
        return None
    return items


def _list_edit(rows: list[str], record: object, edit: ListEdit) -> str | None:
    """Apply one list edit to ``rows`` in place; the reason it cannot be done, or None."""
    locs = getattr(record, "locs", {})
    loc: SourceLoc = getattr(record, "loc")  # noqa: B009 - tasks and releases alike
    where = locs.get(edit.field)
    name = f"{edit.kind} '{edit.id}'"
    if where is None or where.line <= 0:
        if edit.remove:
            return f"{name} has no {edit.field} written to take {', '.join(edit.remove)} out of"
        line = rows[loc.line - 1] if 0 < loc.line <= len(rows) else ""
        if not line or "{" in line[: loc.col - 1] or _scalar_end(line, loc.col - 1, False) is None:
            return f"{loc}: {name} is not a block mapping: add `{edit.field}` by hand"
        ending = "\r\n" if line.endswith("\r\n") else "\n"
        if not line.endswith(("\n", "\r")):
            rows[loc.line - 1] = line + ending
        text = "[" + ", ".join(edit.add) + "]"
        rows.insert(loc.line, " " * (loc.col - 1) + f"{edit.field}: {text}{ending}")
        return None
    line = rows[where.line - 1]
    start = where.col - 1
    if line[start : start + 1] == "-":
        return _block_list_edit(rows, locs, edit, name)
    end = _scalar_end(line, start, "{" in line[:start])
    items = None if end is None else _flow_items(line[start:end])
    if end is None or items is None:
        return f"{where}: the {edit.field} of {name} is not a plain one-line list; edit it by hand"
    plain = [_unquoted(t) for t in items]
    missing = [r for r in edit.remove if r not in plain]
    if missing:
        return f"{where}: {', '.join(missing)} is not in the {edit.field} of {name} as written"
    kept = [t for t, p in zip(items, plain, strict=True) if p not in edit.remove]
    kept += [a for a in edit.add if a not in plain or a in edit.remove]
    rows[where.line - 1] = line[:start] + "[" + ", ".join(kept) + "]" + line[end:]
    return None


def _block_list_edit(
    rows: list[str], locs: Mapping[str, SourceLoc], edit: ListEdit, name: str
) -> str | None:
    """A block list: each item on its own ``- item`` line; removed lines go, added ones follow
    the last item with its indentation."""
    found: list[tuple[int, str, str]] = []  # (row, prefix, item)
    i = 0
    while f"{edit.field}[{i}]" in locs:
        at = locs[f"{edit.field}[{i}]"]
        line = rows[at.line - 1]
        prefix = line[: at.col - 1]
        end = _scalar_end(line, at.col - 1, False)
        rest = "" if end is None else line[end:].strip(" \t\r\n")
        if prefix.strip() != "-" or end is None or (rest and not rest.startswith("#")):
            return f"{at}: the {edit.field} of {name} is not one plain item a line; edit by hand"
        found.append((at.line - 1, prefix, _unquoted(line[at.col - 1 : end])))
        i += 1
    items = [item for _, _, item in found]
    missing = [r for r in edit.remove if r not in items]
    if missing or not found:
        return f"{', '.join(missing) or 'nothing'} is not in the {edit.field} of {name}"
    if len(found) == len(edit.remove) and not edit.add:
        return f"the {edit.field} of {name} would be empty: write `{edit.field}: []` by hand"
    last_row, prefix, _ = found[-1]
    ending = "\r\n" if rows[last_row].endswith("\r\n") else "\n"
    added = [prefix + a + ending for a in edit.add if a not in items or a in edit.remove]
    if not rows[last_row].endswith(("\n", "\r")):
        rows[last_row] += ending
    rows[last_row + 1 : last_row + 1] = added
    for row, _, item in sorted(found, reverse=True):
        if item in edit.remove:
            del rows[row]
    return None


def edit_lists(
    plan: Plan, files: Sequence[tuple[str, str]], edits: Sequence[ListEdit]
) -> TextEdits:
    """Take ids out of and add ids to list-valued fields where they are written, bottom of
    each file first so no edit moves a position still to be used. A list not written yet is
    added as a new line under the record's first key (block mappings only)."""
    lines = {name: text.splitlines(keepends=True) for name, text in files}
    done: list[str] = []
    refused: list[str] = []
    placed: list[tuple[SourceLoc, object, ListEdit]] = []
    for edit in edits:
        record: object | None = (
            plan.task_by_id.get(edit.id)
            if edit.kind == "task"
            else next((r for r in plan.releases if r.id == edit.id), None)
        )
        if record is None:
            refused.append(f"no {edit.kind} '{edit.id}' in the plan")
            continue
        where = getattr(record, "locs", {}).get(edit.field) or getattr(record, "loc")  # noqa: B009
        if where.file not in lines:
            refused.append(f"{edit.kind} '{edit.id}': {where.file} is not one of the plan's files")
            continue
        placed.append((where, record, edit))
    for where, record, edit in sorted(placed, key=lambda p: (p[0].file, -p[0].line)):
        reason = _list_edit(lines[where.file], record, edit)
        if reason is not None:
            refused.append(reason)
            continue
        parts = [f"-{', '.join(edit.remove)}" if edit.remove else ""]
        parts.append(f"+{', '.join(edit.add)}" if edit.add else "")
        done.append(f"{edit.kind} '{edit.id}' {edit.field}: {' '.join(p for p in parts if p)}")
    return TextEdits(
        tuple((name, "".join(lines[name])) for name, _ in files), tuple(done), tuple(refused)
    )
